namespace EmotionCluster.Corpora;

/// <summary>One labelled recording of a corpus.</summary>
/// <param name="Id">Unique within the corpus: the file name without extension (folder-per-label: label/relative path).</param>
/// <param name="Path">Full path of the WAV file.</param>
/// <param name="Emotion">Canonical label (see <see cref="Emotions"/>).</param>
/// <param name="Speaker">
/// Speaker id as written in the corpus (EMO-DB "03", AESDD "1", RAVDESS "01"), or <see cref="UnknownSpeaker"/>; in a union
/// of corpora (<see cref="CorpusLoader.LoadMany"/>) prefixed with the corpus ("emodb:03").
/// </param>
/// <param name="Corpus">Name of the corpus: "emodb", "aesdd", "ravdess", "cremad", "tess", "savee", "emovo", "folder" or "manifest".</param>
public sealed record ClipInfo(string Id, string Path, string Emotion, string Speaker, string Corpus)
{
    public const string UnknownSpeaker = "unknown";

    /// <summary>Text or utterance code: EMO-DB "a01".."b10"; AESDD the utterance number ("06"); null when unknown.</summary>
    public string? Text { get; init; }

    /// <summary>Take or variant: EMO-DB version letter ("a"); AESDD suffix ("b" for "a06 (5)b.wav", "" when none).</summary>
    public string? Take { get; init; }

    /// <summary>"female" or "male" when the corpus says (RAVDESS, CREMA-D with its demographics file, TESS, SAVEE, EMOVO, a manifest's gender column); null when unknown.</summary>
    public string? Gender { get; init; }

    /// <summary>EMO-DB: share (0..1) of the 20 listeners who recognised the intended emotion; null when not known.</summary>
    public double? HumanRecognition { get; init; }

    /// <summary>EMO-DB: share (0..1) of listeners who judged the recording natural; null when not known.</summary>
    public double? HumanNaturalness { get; init; }
}

/// <summary>
/// A file (or a manifest row) that was skipped or only partly understood, and why. Loading goes on past it. For a
/// manifest, <see cref="Path"/> is the manifest and <see cref="Row"/>, <see cref="Line"/> and <see cref="Key"/> say where.
/// </summary>
public sealed record CorpusIssue(string Path, string Problem)
{
    /// <summary>Manifest data row, 1-based (the header is not counted); null for a file of a folder corpus.</summary>
    public int? Row { get; init; }

    /// <summary>Line of the manifest file the row starts on, 1-based; null when not a line-based manifest.</summary>
    public int? Line { get; init; }

    /// <summary>The entry's key in a JSON or JSONL manifest; null otherwise.</summary>
    public string? Key { get; init; }

    /// <summary>"row 3 (line 4)", "row 2 (key 'a01')" or "" for a file.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string Where =>
        Row is null ? "" : $"row {Row}" + (Line is not null ? $" (line {Line}{(Key is not null ? $", key '{Key}'" : "")})" : Key is not null ? $" (key '{Key}')" : "");

    public override string ToString() => Row is null ? $"{Path}: {Problem}" : $"{Path}: {Where}: {Problem}";
}

public enum CorpusLayout
{
    EmoDb, Aesdd, FolderPerLabel, Ravdess, CremaD, Tess, Savee, Emovo,
    /// <summary>A CSV, SpeechBrain JSON or JSONL manifest (<see cref="ManifestCorpus"/>).</summary>
    Manifest,
    /// <summary>Several corpora loaded together (<see cref="CorpusLoader.LoadMany"/>).</summary>
    Union,
}

/// <summary>What a loader found: the clips sorted by id, and the per-file problems.</summary>
public sealed record Corpus(string Name, CorpusLayout Layout, string Root, IReadOnlyList<ClipInfo> Clips, IReadOnlyList<CorpusIssue> Issues)
{
    public IReadOnlyList<string> Emotions => EmotionCluster.Corpora.Emotions.InOrder(Clips.Select(c => c.Emotion)).ToList();

    public IReadOnlyList<string> Speakers =>
        Clips.Select(c => c.Speaker).Distinct().OrderBy(s => s, StringComparer.Ordinal).ToList();

    /// <summary>For a union (<see cref="CorpusLoader.LoadMany"/>): the corpora it was made of, each named by its prefix, with their own clips; else empty.</summary>
    public IReadOnlyList<Corpus> Parts { get; init; } = [];

    /// <summary>Clips removed by a label mapping to <c>drop</c>, per original label (in the corpus' spelling).</summary>
    public IReadOnlyList<LabelCount> Dropped { get; init; } = [];

    /// <summary>True when every clip has a known speaker, so speaker-independent splits can be made.</summary>
    public bool HasSpeakers => Clips.Count > 0 && Clips.All(c => c.Speaker != ClipInfo.UnknownSpeaker);

    /// <summary>
    /// Throws unless every clip has a known speaker: leave-one-speaker-out, speaker-grouped folds and held-out speakers
    /// call this first so that a corpus without speakers gets this error and never a silent random split.
    /// </summary>
    /// <param name="purpose">What needs the speakers, e.g. "leave-one-speaker-out cross-validation".</param>
    /// <exception cref="CorpusException">Some or all clips have no speaker.</exception>
    public Corpus RequireSpeakers(string purpose = "a speaker-independent split")
    {
        var unknown = Clips.Where(c => c.Speaker == ClipInfo.UnknownSpeaker).ToList();
        if (unknown.Count == 0) return this;
        string what = unknown.Count == Clips.Count
            ? $"corpus {Name} has no speakers"
            : $"corpus {Name} has no speaker for {unknown.Count} of {Clips.Count} clips (e.g. {string.Join(", ", unknown.Take(3).Select(c => c.Id))})";
        throw new CorpusException(Root, $"{what}, and {purpose} needs the speaker of every clip; give --speaker-pattern REGEX " +
            "(a regex over the file's relative path with a (?<speaker>...) group, e.g. '^(?<speaker>[^_/]+)_' for " +
            "'spk1_001.wav') or a manifest with a speaker column");
    }

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
            issues.OrderBy(i => i.Path, StringComparer.Ordinal).ThenBy(i => i.Row ?? 0).ToList());
}

/// <summary>A corpus folder that cannot be loaded at all (missing, empty, or of no known layout).</summary>
public sealed class CorpusException(string path, string reason) : Exception($"{path}: {reason}")
{
    public string PathName { get; } = path;
    public string Reason { get; } = reason;
}
