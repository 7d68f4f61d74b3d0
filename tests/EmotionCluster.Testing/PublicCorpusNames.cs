namespace EmotionCluster.Testing;

/// <summary>
/// The file trees of the public corpora with their real naming schemes, counts and speakers, as relative paths, for
/// generating test corpora of tiny WAVs (never the real audio). <see cref="Write"/> puts a given WAV at every path.
/// </summary>
public static class PublicCorpusNames
{
    /// <summary>
    /// RAVDESS speech: Actor_01 … Actor_24, each 60 files 03-01-EE-II-SS-RR-AA.wav (neutral: normal intensity only, 4
    /// files; the other 7 emotions: 2 intensities × 2 statements × 2 repetitions). 1440 files.
    /// </summary>
    public static IReadOnlyList<string> Ravdess()
    {
        var paths = new List<string>();
        for (int actor = 1; actor <= 24; actor++)
            for (int emotion = 1; emotion <= 8; emotion++)
                for (int intensity = 1; intensity <= (emotion == 1 ? 1 : 2); intensity++)
                    for (int statement = 1; statement <= 2; statement++)
                        for (int repetition = 1; repetition <= 2; repetition++)
                            paths.Add($"Actor_{actor:D2}/03-01-{emotion:D2}-{intensity:D2}-{statement:D2}-{repetition:D2}-{actor:D2}.wav");
        return paths;
    }

    public static readonly string[] CremaDSentences = ["IEO", "TIE", "IOM", "IWW", "TAI", "MTI", "IWL", "ITH", "DFA", "ITS", "TSI", "WSI"];
    public static readonly string[] CremaDEmotions = ["ANG", "DIS", "FEA", "HAP", "NEU", "SAD"];

    /// <summary>
    /// CREMA-D: AudioWAV/AAAA_SSS_EEE_LL.wav for actors 1001–1091; IEO at levels LO, MD, HI (neutral: XX), the other 11
    /// sentences at XX: 82 per actor, 7462 in the full grid. The release has 7442: 20 combinations are missing (which
    /// ones is not reproduced here; the last sentence's neutral clip of the first 20 actors is left out).
    /// </summary>
    public static IReadOnlyList<string> CremaD()
    {
        var paths = new List<string>();
        for (int actor = 1001; actor <= 1091; actor++)
            foreach (string sentence in CremaDSentences)
                foreach (string emotion in CremaDEmotions)
                {
                    string[] levels = sentence == "IEO" && emotion != "NEU" ? ["LO", "MD", "HI"] : ["XX"];
                    foreach (string level in levels)
                    {
                        if (actor <= 1020 && sentence == "WSI" && emotion == "NEU") continue;
                        paths.Add($"AudioWAV/{actor}_{sentence}_{emotion}_{level}.wav");
                    }
                }
        return paths;
    }

    /// <summary>The TESS folder names, per speaker, in the release's spelling.</summary>
    public static readonly IReadOnlyDictionary<string, string> TessFolders = new Dictionary<string, string>
    {
        ["OAF_angry"] = "angry", ["OAF_disgust"] = "disgust", ["OAF_Fear"] = "fear", ["OAF_happy"] = "happy",
        ["OAF_neutral"] = "neutral", ["OAF_Pleasant_surprise"] = "ps", ["OAF_Sad"] = "sad",
        ["YAF_angry"] = "angry", ["YAF_disgust"] = "disgust", ["YAF_fear"] = "fear", ["YAF_happy"] = "happy",
        ["YAF_neutral"] = "neutral", ["YAF_pleasant_surprised"] = "ps", ["YAF_sad"] = "sad",
    };

    /// <summary>TESS: 2 speakers × 7 emotions × 200 words = 2800 files FOLDER/SPK_word_emotion.wav.</summary>
    public static IReadOnlyList<string> Tess()
    {
        var words = Words(200);
        return TessFolders.SelectMany(f => words.Select(w => $"{f.Key}/{f.Key[..3]}_{w}_{f.Value}.wav")).ToList();
    }

    /// <summary>
    /// SAVEE: speakers DC, JE, JK, KL; per speaker n01–n30 and a, d, f, h, sa, su 01–15 (480 files), flat
    /// (DC_a01.wav) or as released (AudioData/DC/a01.wav).
    /// </summary>
    public static IReadOnlyList<string> Savee(bool flat)
    {
        var paths = new List<string>();
        foreach (string speaker in new[] { "DC", "JE", "JK", "KL" })
            foreach (var (code, count) in new[] { ("a", 15), ("d", 15), ("f", 15), ("h", 15), ("n", 30), ("sa", 15), ("su", 15) })
                for (int i = 1; i <= count; i++)
                    paths.Add(flat ? $"{speaker}_{code}{i:D2}.wav" : $"AudioData/{speaker}/{code}{i:D2}.wav");
        return paths;
    }

    /// <summary>EMOVO: SP/emo-SP-SS.wav for 6 actors × 7 emotions × 14 sentences = 588 files.</summary>
    public static IReadOnlyList<string> Emovo()
    {
        string[] sentences = ["b1", "b2", "b3", "d1", "d2", "l1", "l2", "l3", "l4", "n1", "n2", "n3", "n4", "n5"];
        return (from speaker in new[] { "f1", "f2", "f3", "m1", "m2", "m3" }
                from emotion in new[] { "dis", "gio", "neu", "pau", "rab", "sor", "tri" }
                from sentence in sentences
                select $"{speaker}/{emotion}-{speaker}-{sentence}.wav").ToList();
    }

    /// <summary>
    /// Writes <paramref name="wav"/> at each relative path below <paramref name="root"/>; returns the root. On Linux the
    /// files after the first are hard links to it (thousands of files in a second or two, one copy of the bytes).
    /// </summary>
    public static string Write(string root, IEnumerable<string> relativePaths, byte[] wav)
    {
        var created = new HashSet<string>(StringComparer.Ordinal);
        string? first = null;
        foreach (string relative in relativePaths)
        {
            string path = Path.Combine(root, relative);
            string dir = Path.GetDirectoryName(path)!;
            if (created.Add(dir)) Directory.CreateDirectory(dir);
            if (first is not null && OperatingSystem.IsLinux() && link(first, path) == 0) continue;
            File.WriteAllBytes(path, wav);
            first ??= path;
        }
        return root;
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int link(string oldPath, string newPath);

    /// <summary>Distinct letter-only words ("back", then "bab", "bac", …), like TESS' target words.</summary>
    private static List<string> Words(int count)
    {
        var words = new List<string> { "back" };
        const string consonants = "bcdfghjklmnprstvwyz", vowels = "aeiou";
        foreach (char a in consonants)
            foreach (char v in vowels)
                foreach (char b in consonants)
                {
                    if (words.Count == count) return words;
                    string w = $"{a}{v}{b}";
                    if (w != "back") words.Add(w);
                }
        return words;
    }
}
