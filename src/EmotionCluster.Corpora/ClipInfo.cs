namespace EmotionCluster.Corpora;

/// <summary>One labelled recording of a corpus.</summary>
/// <param name="Id">Unique within the corpus: the file name without extension (folder-per-label: label/relative path).</param>
/// <param name="Path">Full path of the WAV file.</param>
/// <param name="Emotion">Canonical label (see <see cref="Emotions"/>).</param>
/// <param name="Speaker">Speaker id as written in the corpus (EMO-DB "03", AESDD "1"), or <see cref="UnknownSpeaker"/>.</param>
/// <param name="Corpus">Name of the corpus: "emodb", "aesdd" or "folder".</param>
public sealed record ClipInfo(string Id, string Path, string Emotion, string Speaker, string Corpus)
{
    public const string UnknownSpeaker = "unknown";

    /// <summary>Text or utterance code: EMO-DB "a01".."b10"; AESDD the utterance number ("06"); null when unknown.</summary>
    public string? Text { get; init; }

    /// <summary>Take or variant: EMO-DB version letter ("a"); AESDD suffix ("b" for "a06 (5)b.wav", "" when none).</summary>
    public string? Take { get; init; }

    /// <summary>EMO-DB: share (0..1) of the 20 listeners who recognised the intended emotion; null when not known.</summary>
    public double? HumanRecognition { get; init; }

    /// <summary>EMO-DB: share (0..1) of listeners who judged the recording natural; null when not known.</summary>
    public double? HumanNaturalness { get; init; }
}

/// <summary>A file that was skipped (or only partly understood), and why. Loading goes on past it.</summary>
public sealed record CorpusIssue(string Path, string Problem)
{
    public override string ToString() => $"{Path}: {Problem}";
}

public enum CorpusLayout { EmoDb, Aesdd, FolderPerLabel }

/// <summary>What a loader found: the clips sorted by id, and the per-file problems.</summary>
public sealed record Corpus(string Name, CorpusLayout Layout, string Root, IReadOnlyList<ClipInfo> Clips, IReadOnlyList<CorpusIssue> Issues)
{
    public IReadOnlyList<string> Emotions => EmotionCluster.Corpora.Emotions.InOrder(Clips.Select(c => c.Emotion)).ToList();

    public IReadOnlyList<string> Speakers =>
        Clips.Select(c => c.Speaker).Distinct().OrderBy(s => s, StringComparer.Ordinal).ToList();

    /// <summary>
    /// Mean human recognition rate (0..1) over the clips that have one, or null. For EMO-DB this is biased upwards:
    /// the corpus kept only recordings that at least 80% of listeners recognised.
    /// </summary>
    public double? HumanRecognitionMean => Mean(Clips);

    /// <summary>
    /// Unweighted mean over emotions of each emotion's mean recognition rate (the listeners' UAR on these clips), or null.
    /// </summary>
    public double? HumanRecognitionUar
    {
        get
        {
            var perEmotion = Clips.GroupBy(c => c.Emotion).Select(Mean).Where(m => m.HasValue).ToList();
            return perEmotion.Count > 0 ? perEmotion.Average() : null;
        }
    }

    /// <summary>
    /// Mean recognition rate over every recording of the listening test, including those not selected for the corpus
    /// (EMO-DB: 816 recordings), or null when the corpus has no listening test.
    /// </summary>
    public double? RatedRecognitionMean { get; init; }

    private static double? Mean(IEnumerable<ClipInfo> clips)
    {
        var rates = clips.Where(c => c.HumanRecognition.HasValue).Select(c => c.HumanRecognition!.Value).ToList();
        return rates.Count > 0 ? rates.Average() : null;
    }

    internal static Corpus Create(string name, CorpusLayout layout, string root, IEnumerable<ClipInfo> clips, IEnumerable<CorpusIssue> issues) =>
        new(name, layout, root,
            clips.OrderBy(c => c.Id, StringComparer.Ordinal).ToList(),
            issues.OrderBy(i => i.Path, StringComparer.Ordinal).ToList());
}

/// <summary>A corpus folder that cannot be loaded at all (missing, empty, or of no known layout).</summary>
public sealed class CorpusException(string path, string reason) : Exception($"{path}: {reason}")
{
    public string PathName { get; } = path;
    public string Reason { get; } = reason;
}
