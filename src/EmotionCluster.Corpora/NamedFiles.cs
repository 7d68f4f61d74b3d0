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
