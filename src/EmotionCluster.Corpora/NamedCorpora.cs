using System.Text.RegularExpressions;

namespace EmotionCluster.Corpora;

/// <summary>
/// Shared work of the corpora whose file names carry the labels (RAVDESS, CREMA-D, TESS, SAVEE, EMOVO): every WAV file
/// below the folder, at any depth, is parsed by its name (and, for some, its folder); a file that does not parse is an
/// issue and is skipped; the same clip found twice (an archive unpacked twice) is kept once.
/// </summary>
internal static class NamedFiles
{
    /// <summary>WAV files below <paramref name="dir"/>, as '/'-separated paths relative to it, sorted ordinally.</summary>
    public static List<string> RelativeWavs(string dir) =>
        CorpusFiles.Wavs(dir, SearchOption.AllDirectories).Select(f => Relative(dir, f)).OrderBy(f => f, StringComparer.Ordinal).ToList();

    public static string Relative(string dir, string file) => Path.GetRelativePath(dir, file).Replace(Path.DirectorySeparatorChar, '/');

    /// <summary>True when there are WAV files and more than half of them parse.</summary>
    public static bool Looks(IReadOnlyList<string> relativeWavs, Func<string, bool> parses) =>
        relativeWavs.Count > 0 && relativeWavs.Count(parses) * 2 > relativeWavs.Count;

    public delegate ClipInfo? Parser(string relativePath, string fullPath, out string? problem);

    public static Corpus Load(string dir, string name, CorpusLayout layout, Parser parse, string noFiles)
    {
        CorpusFiles.RequireDirectory(dir);
        var issues = new List<CorpusIssue>();
        var clips = new Dictionary<string, ClipInfo>(StringComparer.Ordinal);
        var files = RelativeWavs(dir);
        if (files.Count == 0) throw new CorpusException(dir, noFiles);
        foreach (string relative in files)
        {
            string full = Path.GetFullPath(Path.Combine(dir, relative));
            ClipInfo? clip = parse(relative, full, out string? problem);
            if (clip is null)
                issues.Add(new CorpusIssue(full, problem!));
            else if (clips.TryGetValue(clip.Id, out ClipInfo? first))
                issues.Add(new CorpusIssue(full, $"the same clip as {first.Path} (an archive unpacked twice?); file skipped"));
            else
                clips[clip.Id] = clip;
        }
        if (clips.Count == 0)
            throw new CorpusException(dir, $"none of the {files.Count} .wav files is named like {name} ({issues[0].Problem})");
        return Corpus.Create(name, layout, Path.GetFullPath(dir), clips.Values, issues);
    }

    /// <summary>The name of the folder holding the file ("" at the top).</summary>
    public static string ParentName(string relativePath)
    {
        int slash = relativePath.LastIndexOf('/');
        if (slash < 0) return "";
        string parent = relativePath[..slash];
        return parent[(parent.LastIndexOf('/') + 1)..];
    }
}

/// <summary>
/// RAVDESS, speech part (Livingstone &amp; Russo 2018). Files <c>Actor_NN/MM-VV-EE-II-SS-RR-AA.wav</c>: modality (03 audio
/// only), vocal channel (01 speech, 02 song), emotion (01 neutral, 02 calm, 03 happy, 04 sad, 05 angry, 06 fearful,
/// 07 disgust, 08 surprised), intensity (01 normal, 02 strong), statement (01 "Kids are talking by the door", 02 "Dogs
/// are sitting by the door"), repetition (01, 02), actor (01–24; odd male, even female). 24 actors × 60 = 1440 files.
/// Song files (vocal channel 02) are reported and skipped.
/// </summary>
public static partial class RavdessCorpus
{
    public const string Name = "ravdess";
    public const int Actors = 24;

    /// <summary>Emotion code → canonical emotion.</summary>
    public static IReadOnlyDictionary<string, string> EmotionCodes { get; } = new Dictionary<string, string>
    {
        ["01"] = Emotions.Neutral, ["02"] = Emotions.Calm, ["03"] = Emotions.Happiness, ["04"] = Emotions.Sadness,
        ["05"] = Emotions.Anger, ["06"] = Emotions.Fear, ["07"] = Emotions.Disgust, ["08"] = Emotions.Surprise,
    };

    [GeneratedRegex(@"^(?<modality>0[1-3])-(?<channel>0[12])-(?<emotion>0[1-8])-(?<intensity>0[12])-(?<statement>0[12])-(?<repetition>0[12])-(?<actor>\d{2})$")]
    private static partial Regex FileName();

    [GeneratedRegex(@"^Actor_(?<actor>\d{1,2})$", RegexOptions.IgnoreCase)]
    private static partial Regex ActorFolder();

    /// <summary>The clip a path (relative to the corpus folder) describes, or null with the reason.</summary>
    public static ClipInfo? Parse(string relativePath, string fullPath, out string? problem)
    {
        Match m = FileName().Match(Path.GetFileNameWithoutExtension(relativePath));
        if (!m.Success)
        {
            problem = "name does not follow the RAVDESS pattern MM-VV-EE-II-SS-RR-AA.wav (e.g. 03-01-05-02-01-01-12.wav: " +
                      "audio-only, speech, emotion 01-08, intensity, statement, repetition, actor 01-24); file skipped";
            return null;
        }
        int actor = int.Parse(m.Groups["actor"].Value);
        if (actor is < 1 or > Actors)
        {
            problem = $"actor {actor} is outside 01..{Actors}; file skipped";
            return null;
        }
        if (m.Groups["channel"].Value == "02")
        {
            problem = "a song (vocal channel 02); only RAVDESS speech is loaded; file skipped";
            return null;
        }
        Match folder = ActorFolder().Match(NamedFiles.ParentName(relativePath));
        if (folder.Success && int.Parse(folder.Groups["actor"].Value) != actor)
        {
            problem = $"actor {actor:D2} in the name but the file is in {NamedFiles.ParentName(relativePath)}; file skipped";
            return null;
        }
        problem = null;
        return new ClipInfo(Path.GetFileNameWithoutExtension(relativePath), fullPath, EmotionCodes[m.Groups["emotion"].Value],
            m.Groups["actor"].Value, Name)
        {
            Gender = actor % 2 == 1 ? "male" : "female",
            Text = m.Groups["statement"].Value,
            Take = $"{m.Groups["intensity"].Value}-{m.Groups["repetition"].Value}",
        };
    }

    public static bool Looks(string dir) => Looks(NamedFiles.RelativeWavs(dir));

    internal static bool Looks(IReadOnlyList<string> relativeWavs) =>
        NamedFiles.Looks(relativeWavs, f => FileName().IsMatch(Path.GetFileNameWithoutExtension(f)));

    /// <exception cref="CorpusException">The folder is missing or has no RAVDESS files.</exception>
    public static Corpus Load(string dir) =>
        NamedFiles.Load(dir, Name, CorpusLayout.Ravdess, Parse, "no .wav files; expected Actor_01/ … Actor_24/ with files like 03-01-05-02-01-01-01.wav");
}

/// <summary>
/// CREMA-D (Cao et al. 2014). Files <c>AAAA_SSS_EEE_LL.wav</c> (usually in <c>AudioWAV/</c>): actor 1001–1091, sentence
/// (IEO, TIE, IOM, IWW, TAI, MTI, IWL, ITH, DFA, ITS, TSI, WSI), emotion (ANG, DIS, FEA, HAP, NEU, SAD), level (LO, MD,
/// HI, XX unspecified; X in a few names). 7442 files of 91 actors. The actors' sex comes from
/// <c>VideoDemographics.csv</c> (ActorID, Age, Sex, …) when it is in the folder or its parent.
/// </summary>
public static partial class CremaDCorpus
{
    public const string Name = "cremad";
    public const string DemographicsFile = "VideoDemographics.csv";
    public const int FirstActor = 1001, LastActor = 1091;

    public static IReadOnlyDictionary<string, string> EmotionCodes { get; } = new Dictionary<string, string>
    {
        ["ANG"] = Emotions.Anger, ["DIS"] = Emotions.Disgust, ["FEA"] = Emotions.Fear, ["HAP"] = Emotions.Happiness,
        ["NEU"] = Emotions.Neutral, ["SAD"] = Emotions.Sadness,
    };

    /// <summary>The twelve sentence codes.</summary>
    public static IReadOnlyList<string> Sentences { get; } = ["IEO", "TIE", "IOM", "IWW", "TAI", "MTI", "IWL", "ITH", "DFA", "ITS", "TSI", "WSI"];

    [GeneratedRegex(@"^(?<actor>\d{4})_(?<sentence>[A-Z]{3})_(?<emotion>ANG|DIS|FEA|HAP|NEU|SAD)_(?<level>LO|MD|HI|XX|X)$")]
    private static partial Regex FileName();

    public static ClipInfo? Parse(string relativePath, string fullPath, out string? problem)
    {
        string stem = Path.GetFileNameWithoutExtension(relativePath);
        Match m = FileName().Match(stem);
        if (!m.Success)
        {
            problem = "name does not follow the CREMA-D pattern AAAA_SSS_EEE_LL.wav (e.g. 1001_DFA_ANG_XX.wav: actor, " +
                      "sentence, emotion ANG/DIS/FEA/HAP/NEU/SAD, level LO/MD/HI/XX); file skipped";
            return null;
        }
        int actor = int.Parse(m.Groups["actor"].Value);
        if (actor is < FirstActor or > LastActor)
        {
            problem = $"actor {actor} is outside {FirstActor}..{LastActor}; file skipped";
            return null;
        }
        if (!Sentences.Contains(m.Groups["sentence"].Value))
        {
            problem = $"sentence {m.Groups["sentence"].Value} is not one of {string.Join(", ", Sentences)}; file skipped";
            return null;
        }
        problem = null;
        return new ClipInfo(stem, fullPath, EmotionCodes[m.Groups["emotion"].Value], m.Groups["actor"].Value, Name)
        {
            Text = m.Groups["sentence"].Value,
            Take = m.Groups["level"].Value,
        };
    }

    public static bool Looks(string dir) => Looks(NamedFiles.RelativeWavs(dir));

    internal static bool Looks(IReadOnlyList<string> relativeWavs) =>
        NamedFiles.Looks(relativeWavs, f => FileName().IsMatch(Path.GetFileNameWithoutExtension(f)));

    public static Corpus Load(string dir)
    {
        Corpus corpus = NamedFiles.Load(dir, Name, CorpusLayout.CremaD, Parse, "no .wav files; expected AudioWAV/ with files like 1001_DFA_ANG_XX.wav");
        var issues = new List<CorpusIssue>(corpus.Issues);
        var sexes = ReadDemographics(dir, issues);
        if (sexes.Count == 0) return corpus with { Issues = issues };
        return corpus with
        {
            Clips = corpus.Clips.Select(c => sexes.TryGetValue(c.Speaker, out string? g) ? c with { Gender = g } : c).ToList(),
            Issues = issues.OrderBy(i => i.Path, StringComparer.Ordinal).ToList(),
        };
    }

    private static Dictionary<string, string> ReadDemographics(string dir, List<CorpusIssue> issues)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        string full = Path.GetFullPath(dir);
        string? file = new[] { full, Path.GetDirectoryName(full) }.Where(d => d is not null)
            .Select(d => Path.Combine(d!, DemographicsFile)).FirstOrDefault(File.Exists);
        if (file is null) return result;
        try
        {
            var rows = CsvReader.Read(File.ReadAllText(file));
            if (rows.Count == 0) return result;
            int id = Array.FindIndex(rows[0].Fields, h => h.Equals("ActorID", StringComparison.OrdinalIgnoreCase));
            int sex = Array.FindIndex(rows[0].Fields, h => h.Equals("Sex", StringComparison.OrdinalIgnoreCase));
            if (id < 0 || sex < 0)
            {
                issues.Add(new CorpusIssue(file, "has no ActorID and Sex columns; genders unknown"));
                return result;
            }
            foreach (var row in rows.Skip(1))
                if (row.Fields.Length > Math.Max(id, sex) && Genders.Normalize(row.Fields[sex]) is { } g)
                    result[row.Fields[id].Trim()] = g;
        }
        catch (IOException e)
        {
            issues.Add(new CorpusIssue(file, $"cannot be read ({e.Message}); genders unknown"));
        }
        return result;
    }
}

/// <summary>
/// TESS, the Toronto emotional speech set (Pichora-Fuller &amp; Dupuis 2020). Two actresses, OAF (older, 64) and YAF
/// (younger, 26), say "Say the word …" with 200 target words in 7 emotions: 2800 files named
/// <c>SPK_word_emotion.wav</c> (<c>OAF_back_angry.wav</c>; emotion angry, disgust, fear, happy, neutral, ps = pleasant
/// surprise, sad), in folders such as <c>OAF_angry/</c> and <c>YAF_pleasant_surprised/</c>. Pleasant surprise becomes
/// <see cref="Emotions.Surprise"/>.
/// </summary>
public static partial class TessCorpus
{
    public const string Name = "tess";

    public static IReadOnlyDictionary<string, string> EmotionWords { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["angry"] = Emotions.Anger, ["disgust"] = Emotions.Disgust, ["fear"] = Emotions.Fear, ["happy"] = Emotions.Happiness,
        ["neutral"] = Emotions.Neutral, ["ps"] = Emotions.Surprise, ["sad"] = Emotions.Sadness,
    };

    [GeneratedRegex(@"^(?<speaker>OAF|YAF)_(?<word>[A-Za-z]+)_(?<emotion>angry|disgust|fear|happy|neutral|ps|sad)$", RegexOptions.IgnoreCase)]
    private static partial Regex FileName();

    public static ClipInfo? Parse(string relativePath, string fullPath, out string? problem)
    {
        string stem = Path.GetFileNameWithoutExtension(relativePath);
        Match m = FileName().Match(stem);
        if (!m.Success)
        {
            problem = "name does not follow the TESS pattern SPK_word_emotion.wav (e.g. OAF_back_angry.wav: OAF or YAF, " +
                      "the target word, angry/disgust/fear/happy/neutral/ps/sad); file skipped";
            return null;
        }
        string speaker = m.Groups["speaker"].Value.ToUpperInvariant();
        string folder = NamedFiles.ParentName(relativePath);
        if (folder.Length >= 4 && folder[3] == '_' && (folder.StartsWith("OAF", StringComparison.OrdinalIgnoreCase) || folder.StartsWith("YAF", StringComparison.OrdinalIgnoreCase))
            && !folder.StartsWith(speaker, StringComparison.OrdinalIgnoreCase))
        {
            problem = $"speaker {speaker} in the name but the file is in {folder}; file skipped";
            return null;
        }
        problem = null;
        return new ClipInfo(stem, fullPath, EmotionWords[m.Groups["emotion"].Value], speaker, Name)
        {
            Gender = "female",
            Text = m.Groups["word"].Value.ToLowerInvariant(),
        };
    }

    public static bool Looks(string dir) => Looks(NamedFiles.RelativeWavs(dir));

    internal static bool Looks(IReadOnlyList<string> relativeWavs) =>
        NamedFiles.Looks(relativeWavs, f => FileName().IsMatch(Path.GetFileNameWithoutExtension(f)));

    public static Corpus Load(string dir) =>
        NamedFiles.Load(dir, Name, CorpusLayout.Tess, Parse, "no .wav files; expected folders like OAF_angry/ with files like OAF_back_angry.wav");
}

/// <summary>
/// SAVEE, Surrey Audio-Visual Expressed Emotion (Haq &amp; Jackson 2009). Four male speakers DC, JE, JK, KL; per speaker
/// 120 sentences: neutral n01–n30 and 15 each of anger a, disgust d, fear f, happiness h, sadness sa, surprise su
/// (480 files). The release's layout is <c>AudioData/DC/a01.wav</c>; the common flat copy names files <c>DC_a01.wav</c>.
/// Both are read.
/// </summary>
public static partial class SaveeCorpus
{
    public const string Name = "savee";

    public static IReadOnlyList<string> SpeakerIds { get; } = ["DC", "JE", "JK", "KL"];

    public static IReadOnlyDictionary<string, string> EmotionCodes { get; } = new Dictionary<string, string>
    {
        ["a"] = Emotions.Anger, ["d"] = Emotions.Disgust, ["f"] = Emotions.Fear, ["h"] = Emotions.Happiness,
        ["n"] = Emotions.Neutral, ["sa"] = Emotions.Sadness, ["su"] = Emotions.Surprise,
    };

    [GeneratedRegex(@"^(?:(?<speaker>DC|JE|JK|KL)_)?(?<emotion>sa|su|a|d|f|h|n)(?<number>\d{2})$")]
    private static partial Regex FileName();

    public static ClipInfo? Parse(string relativePath, string fullPath, out string? problem)
    {
        string stem = Path.GetFileNameWithoutExtension(relativePath);
        Match m = FileName().Match(stem);
        string folder = NamedFiles.ParentName(relativePath);
        string? speaker = m.Success && m.Groups["speaker"].Success ? m.Groups["speaker"].Value
            : SpeakerIds.Contains(folder) ? folder : null;
        if (!m.Success || speaker is null)
        {
            problem = "name does not follow the SAVEE pattern SP_eNN.wav or SP/eNN.wav (e.g. DC_a01.wav or DC/sa03.wav: " +
                      "speaker DC/JE/JK/KL, emotion a/d/f/h/n/sa/su, number); file skipped";
            return null;
        }
        string emotion = m.Groups["emotion"].Value;
        int number = int.Parse(m.Groups["number"].Value);
        int max = emotion == "n" ? 30 : 15;
        if (number is < 1 || number > max)
        {
            problem = $"sentence number {number} is outside 01..{max} for '{emotion}'; file skipped";
            return null;
        }
        problem = null;
        return new ClipInfo($"{speaker}_{emotion}{number:D2}", fullPath, EmotionCodes[emotion], speaker, Name)
        {
            Gender = "male",
            Text = $"{emotion}{number:D2}",
        };
    }

    public static bool Looks(string dir) => Looks(NamedFiles.RelativeWavs(dir));

    internal static bool Looks(IReadOnlyList<string> relativeWavs) => NamedFiles.Looks(relativeWavs, f => Parse(f, f, out _) is not null);

    public static Corpus Load(string dir) =>
        NamedFiles.Load(dir, Name, CorpusLayout.Savee, Parse, "no .wav files; expected DC/ JE/ JK/ KL/ with files like a01.wav, or files like DC_a01.wav");
}

/// <summary>
/// EMOVO, Italian emotional speech (Costantini et al. 2014). Six actors f1 f2 f3 m1 m2 m3, 14 sentences (b1–b3, d1–d2,
/// l1–l4, n1–n5) in 7 emotions: 588 files named <c>emo-SP-SS.wav</c> (<c>dis-f1-b1.wav</c>), in one folder per actor.
/// Emotions: dis disgusto, gio gioia (happiness), neu neutro, pau paura (fear), rab rabbia (anger), sor sorpresa
/// (surprise), tri tristezza (sadness).
/// </summary>
public static partial class EmovoCorpus
{
    public const string Name = "emovo";

    public static IReadOnlyDictionary<string, string> EmotionCodes { get; } = new Dictionary<string, string>
    {
        ["dis"] = Emotions.Disgust, ["gio"] = Emotions.Happiness, ["neu"] = Emotions.Neutral, ["pau"] = Emotions.Fear,
        ["rab"] = Emotions.Anger, ["sor"] = Emotions.Surprise, ["tri"] = Emotions.Sadness,
    };

    /// <summary>The 14 sentence codes.</summary>
    public static IReadOnlyList<string> Sentences { get; } = ["b1", "b2", "b3", "d1", "d2", "l1", "l2", "l3", "l4", "n1", "n2", "n3", "n4", "n5"];

    [GeneratedRegex(@"^(?<emotion>dis|gio|neu|pau|rab|sor|tri)-(?<speaker>[fm][1-3])-(?<sentence>b[1-3]|d[12]|l[1-4]|n[1-5])$", RegexOptions.IgnoreCase)]
    private static partial Regex FileName();

    public static ClipInfo? Parse(string relativePath, string fullPath, out string? problem)
    {
        string stem = Path.GetFileNameWithoutExtension(relativePath);
        Match m = FileName().Match(stem);
        if (!m.Success)
        {
            problem = "name does not follow the EMOVO pattern emo-SP-SS.wav (e.g. dis-f1-b1.wav: emotion dis/gio/neu/pau/" +
                      "rab/sor/tri, speaker f1-f3 or m1-m3, sentence b1-b3, d1-d2, l1-l4, n1-n5); file skipped";
            return null;
        }
        string speaker = m.Groups["speaker"].Value.ToLowerInvariant();
        problem = null;
        return new ClipInfo(stem.ToLowerInvariant(), fullPath, EmotionCodes[m.Groups["emotion"].Value.ToLowerInvariant()], speaker, Name)
        {
            Gender = speaker[0] == 'f' ? "female" : "male",
            Text = m.Groups["sentence"].Value.ToLowerInvariant(),
        };
    }

    public static bool Looks(string dir) => Looks(NamedFiles.RelativeWavs(dir));

    internal static bool Looks(IReadOnlyList<string> relativeWavs) =>
        NamedFiles.Looks(relativeWavs, f => FileName().IsMatch(Path.GetFileNameWithoutExtension(f)));

    public static Corpus Load(string dir) =>
        NamedFiles.Load(dir, Name, CorpusLayout.Emovo, Parse, "no .wav files; expected f1/ … m3/ with files like dis-f1-b1.wav");
}

/// <summary>Gender spellings → "female" / "male".</summary>
public static class Genders
{
    public const string Female = "female", Male = "male";

    /// <summary>"F", "female", "Woman" → female; "M", "male", "Man" → male; anything else (empty, "unknown") → null.</summary>
    public static string? Normalize(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        "f" or "female" or "w" or "woman" or "women" => Female,
        "m" or "male" or "man" or "men" => Male,
        _ => null,
    };
}
