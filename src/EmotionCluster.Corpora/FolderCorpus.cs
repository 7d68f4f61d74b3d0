using System.Text.RegularExpressions;

namespace EmotionCluster.Corpora;

/// <summary>
/// A generic corpus with one subfolder per label (<c>angry/…wav</c>, <c>neutral/…wav</c>); WAV files anywhere below a
/// label folder belong to it. Labels go through <see cref="Emotions.Canonical"/>. The speaker is
/// <see cref="ClipInfo.UnknownSpeaker"/> unless a speaker pattern is given: a regex whose group named <c>speaker</c> (or
/// else its first group) is the speaker, matched against the file's path relative to the corpus folder
/// (<c>angry/spk03_001.wav</c>) and, when that does not match, against the file name (a file it does not match keeps the
/// unknown speaker and is reported). See <see cref="CorpusOptions.SpeakerPattern"/>.
/// </summary>
public static class FolderCorpus
{
    public const string Name = "folder";

    /// <summary>True when some subfolder holds WAV files.</summary>
    public static bool Looks(string dir) =>
        Directory.Exists(dir) && Directory.EnumerateDirectories(dir).Any(d => CorpusFiles.Wavs(d, SearchOption.AllDirectories).Count > 0);

    /// <exception cref="CorpusException">The folder is missing or no subfolder holds WAV files.</exception>
    /// <exception cref="ArgumentException">The regex has no group.</exception>
    public static Corpus Load(string dir, Regex? speakerPattern = null)
    {
        CorpusFiles.RequireDirectory(dir);
        if (speakerPattern is not null && speakerPattern.GetGroupNumbers().Length < 2)
            throw new ArgumentException($"the speaker pattern '{speakerPattern}' needs a group: (?<speaker>...) or parentheses", nameof(speakerPattern));

        var issues = new List<CorpusIssue>();
        var clips = new List<ClipInfo>();
        foreach (string labelDir in Directory.EnumerateDirectories(dir).OrderBy(d => d, StringComparer.Ordinal))
        {
            string label = Path.GetFileName(labelDir);
            string emotion = Emotions.Canonical(label);
            foreach (string file in CorpusFiles.Wavs(labelDir, SearchOption.AllDirectories))
            {
                string relative = Path.GetRelativePath(dir, file);
                string id = Path.ChangeExtension(relative, null).Replace(Path.DirectorySeparatorChar, '/');
                string speaker = ClipInfo.UnknownSpeaker;
                if (speakerPattern is not null)
                {
                    string? matched = CorpusOptions.MatchSpeaker(speakerPattern, relative);
                    if (matched is not null) speaker = matched;
                    else issues.Add(new CorpusIssue(file, $"the speaker pattern '{speakerPattern}' does not match the path or the name; speaker unknown"));
                }
                clips.Add(new ClipInfo(id, Path.GetFullPath(file), emotion, speaker, Name));
            }
        }
        if (clips.Count == 0)
            throw new CorpusException(dir, "no subfolder holds .wav files; expected one subfolder per label (e.g. anger/, neutral/)");
        foreach (string stray in CorpusFiles.Wavs(dir, SearchOption.TopDirectoryOnly))
            issues.Add(new CorpusIssue(stray, "outside the label folders, so its label is unknown; file skipped"));
        return Corpus.Create(Name, CorpusLayout.FolderPerLabel, Path.GetFullPath(dir), clips, issues);
    }
}
