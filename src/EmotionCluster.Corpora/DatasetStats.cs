using System.Text.Json;
using System.Text.Json.Serialization;
using EmotionCluster.Audio;

namespace EmotionCluster.Corpora;

public sealed record LabelCount(string Label, int Count);

/// <summary>Clip durations in seconds over the clips whose header could be read.</summary>
public sealed record DurationSummary(double MinSeconds, double MedianSeconds, double MaxSeconds, double TotalSeconds);

/// <summary>
/// What a corpus holds. Audio facts come from the WAV headers only (<see cref="WavReader.ReadInfo(string)"/>); a file
/// whose header cannot be read is listed in <see cref="Issues"/> and left out of the audio facts, not fatal.
/// </summary>
public sealed record DatasetStats
{
    public required string Corpus { get; init; }
    public required string Root { get; init; }
    public required int Samples { get; init; }
    /// <summary>Clips whose WAV header was read (the audio facts cover these).</summary>
    public required int ReadableSamples { get; init; }
    public required IReadOnlyList<string> Emotions { get; init; }
    public required IReadOnlyList<string> Speakers { get; init; }
    /// <summary>Per emotion, in <see cref="Corpora.Emotions"/> order.</summary>
    public required IReadOnlyList<LabelCount> PerEmotion { get; init; }
    /// <summary>Per speaker, sorted by id.</summary>
    public required IReadOnlyList<LabelCount> PerSpeaker { get; init; }
    /// <summary>speaker → emotion → count; every emotion appears for every speaker (0 when absent).</summary>
    public required IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> EmotionBySpeaker { get; init; }
    /// <summary>Format description (e.g. "PCM16 mono 16000 Hz") → clips.</summary>
    public required IReadOnlyList<LabelCount> Formats { get; init; }
    public required IReadOnlyList<int> SampleRates { get; init; }
    public required IReadOnlyList<int> Channels { get; init; }
    public required DurationSummary? Durations { get; init; }
    /// <summary>Mean listener recognition rate (0..1) over these clips (EMO-DB), or null. See <see cref="Corpora.Corpus.HumanRecognitionMean"/>.</summary>
    public required double? HumanRecognitionMean { get; init; }
    /// <summary>Listeners' unweighted average recall over emotions on these clips, or null.</summary>
    public required double? HumanRecognitionUar { get; init; }
    /// <summary>Mean recognition over every recording of the listening test (EMO-DB: 816), or null.</summary>
    public required double? RatedRecognitionMean { get; init; }
    /// <summary>Loader problems and unreadable audio, by path.</summary>
    public required IReadOnlyList<CorpusIssue> Issues { get; init; }

    public static DatasetStats Compute(Corpus corpus)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        var issues = new List<CorpusIssue>(corpus.Issues);
        var infos = new List<WavInfo>();
        foreach (ClipInfo clip in corpus.Clips)
        {
            try
            {
                infos.Add(WavReader.ReadInfo(clip.Path));
            }
            catch (Exception e) when (e is AudioFormatException or IOException or UnauthorizedAccessException)
            {
                string reason = e is AudioFormatException a ? a.Reason : e.Message;
                issues.Add(new CorpusIssue(clip.Path, $"audio unreadable: {reason}"));
            }
        }

        var emotions = corpus.Emotions;
        var speakers = corpus.Speakers;
        var bySpeaker = new Dictionary<string, IReadOnlyDictionary<string, int>>();
        foreach (string speaker in speakers)
            bySpeaker[speaker] = emotions.ToDictionary(e => e, e => corpus.Clips.Count(c => c.Speaker == speaker && c.Emotion == e));

        return new DatasetStats
        {
            Corpus = corpus.Name,
            Root = corpus.Root,
            Samples = corpus.Clips.Count,
            ReadableSamples = infos.Count,
            Emotions = emotions,
            Speakers = speakers,
            PerEmotion = emotions.Select(e => new LabelCount(e, corpus.Clips.Count(c => c.Emotion == e))).ToList(),
            PerSpeaker = speakers.Select(s => new LabelCount(s, corpus.Clips.Count(c => c.Speaker == s))).ToList(),
            EmotionBySpeaker = bySpeaker,
            Formats = infos.GroupBy(i => i.Describe()).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new LabelCount(g.Key, g.Count())).ToList(),
            SampleRates = infos.Select(i => i.SampleRate).Distinct().Order().ToList(),
            Channels = infos.Select(i => i.Channels).Distinct().Order().ToList(),
            Durations = Summarize(infos.Select(i => i.DurationSeconds).ToList()),
            HumanRecognitionMean = corpus.HumanRecognitionMean,
            HumanRecognitionUar = corpus.HumanRecognitionUar,
            RatedRecognitionMean = corpus.RatedRecognitionMean,
            Issues = issues.OrderBy(i => i.Path, StringComparer.Ordinal).ToList(),
        };
    }

    /// <summary>Min, median (mean of the middle two for an even count), max and total; null for no values.</summary>
    public static DurationSummary? Summarize(IReadOnlyList<double> seconds)
    {
        if (seconds.Count == 0) return null;
        var sorted = seconds.Order().ToArray();
        int mid = sorted.Length / 2;
        double median = sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        return new DurationSummary(sorted[0], median, sorted[^1], sorted.Sum());
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static DatasetStats FromJson(string json) =>
        JsonSerializer.Deserialize<DatasetStats>(json, JsonOptions) ?? throw new JsonException("stats JSON is null");
}
