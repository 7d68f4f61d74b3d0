using System.Text.RegularExpressions;

namespace EmotionCluster.Corpora;

/// <summary>
/// Acted Emotional Speech Dynamic Database. Five folders <c>anger/ disgust/ fear/ happiness/ sadness/</c>; files
/// <c>xAA (B).wav</c>: x the emotion letter (a d f h s), AA the utterance number, B the actor (1–6). Irregular names in
/// the release are accepted: a zero-padded actor (<c>d03 (01).wav</c>) and a take letter after the parenthesis
/// (<c>a06 (5)b.wav</c>, <c>s01 (5)a.wav</c>). The emotion is the folder's; a letter that disagrees with it is a problem
/// and the file is skipped.
/// </summary>
public static partial class AesddCorpus
{
    public const string Name = "aesdd";
    public const int MaxActor = 6;

    /// <summary>Folder name → canonical emotion.</summary>
    public static IReadOnlyDictionary<string, string> Folders { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["anger"] = Emotions.Anger, ["disgust"] = Emotions.Disgust, ["fear"] = Emotions.Fear,
        ["happiness"] = Emotions.Happiness, ["sadness"] = Emotions.Sadness,
    };

    /// <summary>File-name letter → canonical emotion.</summary>
    public static IReadOnlyDictionary<char, string> Letters { get; } = new Dictionary<char, string>
    {
        ['a'] = Emotions.Anger, ['d'] = Emotions.Disgust, ['f'] = Emotions.Fear, ['h'] = Emotions.Happiness, ['s'] = Emotions.Sadness,
    };

    [GeneratedRegex(@"^(?<letter>[adfhs])(?<utterance>\d{1,2})\s*\(\s*(?<actor>\d{1,2})\s*\)(?<take>[a-z]?)$", RegexOptions.IgnoreCase)]
    private static partial Regex FileName();

    /// <summary>
    /// The clip a file name describes, with the emotion its letter gives (the loader then checks it against the folder),
    /// or null with the reason.
    /// </summary>
    public static ClipInfo? Parse(string path, out string? problem)
    {
        string stem = Path.GetFileNameWithoutExtension(path);
        Match m = FileName().Match(stem);
        if (!m.Success)
        {
            problem = "name does not follow the AESDD pattern 'xAA (B).wav' (x = a/d/f/h/s, AA utterance, B actor 1-6, " +
                      "optional take letter after the parenthesis); file skipped";
            return null;
        }
        int actor = int.Parse(m.Groups["actor"].Value);
        if (actor is < 1 or > MaxActor)
        {
            problem = $"actor {actor} is outside 1..{MaxActor}; file skipped";
            return null;
        }
        problem = null;
        return new ClipInfo(stem, Path.GetFullPath(path), Letters[char.ToLowerInvariant(m.Groups["letter"].Value[0])],
            actor.ToString(), Name)
        {
            Text = int.Parse(m.Groups["utterance"].Value).ToString("D2"),
            Take = m.Groups["take"].Value.ToLowerInvariant(),
        };
    }

    /// <summary>True when at least one emotion folder exists and most of its WAV files follow the AESDD pattern.</summary>
    public static bool Looks(string dir)
    {
        var wavs = EmotionFolders(dir).SelectMany(f => CorpusFiles.Wavs(f.Dir, SearchOption.TopDirectoryOnly)).ToList();
        return wavs.Count > 0 && wavs.Count(f => FileName().IsMatch(Path.GetFileNameWithoutExtension(f))) * 2 > wavs.Count;
    }

    /// <exception cref="CorpusException">The folder is missing or has no emotion folder with WAV files.</exception>
    public static Corpus Load(string dir)
    {
        CorpusFiles.RequireDirectory(dir);
        var folders = EmotionFolders(dir);
        if (folders.Count == 0)
            throw new CorpusException(dir, $"none of the AESDD folders {string.Join(", ", Folders.Keys.Select(k => k + "/"))} is here");

        var issues = new List<CorpusIssue>();
        var clips = new List<ClipInfo>();
        foreach (var (folderDir, emotion) in folders)
        {
            foreach (string file in CorpusFiles.Wavs(folderDir, SearchOption.TopDirectoryOnly))
            {
                ClipInfo? clip = Parse(file, out string? problem);
                if (clip is null)
                    issues.Add(new CorpusIssue(file, problem!));
                else if (clip.Emotion != emotion)
                    issues.Add(new CorpusIssue(file, $"the name's letter means {clip.Emotion} but the file is in the {emotion} folder; file skipped"));
                else
                    clips.Add(clip);
            }
        }
        foreach (string other in Directory.EnumerateDirectories(dir).Where(d => !Folders.ContainsKey(Path.GetFileName(d))))
            if (CorpusFiles.Wavs(other, SearchOption.AllDirectories).Count > 0)
                issues.Add(new CorpusIssue(other, "not an AESDD emotion folder; its WAV files were skipped"));
        foreach (string stray in CorpusFiles.Wavs(dir, SearchOption.TopDirectoryOnly))
            issues.Add(new CorpusIssue(stray, "outside the emotion folders, so its emotion is unknown; file skipped"));

        // "d03 (01).wav" and "d03 (1).wav" would be the same recording: keep the first, report the others.
        var kept = new List<ClipInfo>();
        foreach (var same in clips.GroupBy(c => (c.Emotion, c.Text, c.Speaker, c.Take)))
        {
            kept.Add(same.First());
            foreach (ClipInfo dup in same.Skip(1))
                issues.Add(new CorpusIssue(dup.Path, $"same emotion, utterance, actor and take as {Path.GetFileName(same.First().Path)}; file skipped"));
        }
        clips = kept;
        return Corpus.Create(Name, CorpusLayout.Aesdd, Path.GetFullPath(dir), clips, issues);
    }

    private static List<(string Dir, string Emotion)> EmotionFolders(string dir) =>
        Directory.Exists(dir)
            ? Directory.EnumerateDirectories(dir)
                .Where(d => Folders.ContainsKey(Path.GetFileName(d)))
                .OrderBy(d => d, StringComparer.Ordinal)
                .Select(d => (d, Folders[Path.GetFileName(d)]))
                .ToList()
            : [];
}
