using EmotionCluster.Corpora;
using EmotionCluster.Features;
using EmotionCluster.Metrics;
using EmotionCluster.Model;
using static TorchSharp.torch;

namespace EmotionCluster.Experiments;

/// <summary>
/// A trained model's test clips scored the ways users meet it (docs/accuracy.md):
/// <list type="bullet">
/// <item><see cref="LoneClip"/> — the headline: each clip on its own, exactly as <c>predict FILE</c> scores it (a clip
/// is its own speaker group);</item>
/// <item><see cref="Enrolled"/> — speaker-adapted with k unlabelled clips of the clip's speaker as enrollment (drawn at
/// random, not balanced by emotion, left out of the scoring), the mean UAR over <see cref="Draws"/> draws;</item>
/// <item><see cref="SpeakerAll"/> — speaker-adapted with all of the speaker's clips (what training and <c>evaluate</c>
/// use; the figure published before 2026-12-07).</item>
/// <item><see cref="Streamed"/> — each clip sent through the live stream's path (windows, hop, smoothing), labelled by the
/// mean of its windows' probabilities (<see cref="StreamedProtocol"/>); set by cross-validation, which keeps the fold's
/// model file the stream loads. <see cref="StreamedLastSmoothed"/>: the same streams labelled by the last smoothed hop.</item>
/// </list>
/// For a model without speaker normalization the three are the same figure.
/// </summary>
public sealed record ProtocolScores(ClassificationReport LoneClip, ClassificationReport SpeakerAll, IReadOnlyDictionary<int, double> Enrolled)
{
    /// <summary>The headline protocol's name in tables and the journal: each clip on its own, exactly as <c>predict FILE</c>.</summary>
    public const string LoneClipName = "lone clip";

    /// <summary>Enrollment sizes k of the speaker-adapted protocol (besides all of the speaker's clips).</summary>
    public static readonly int[] EnrollmentSizes = [1, 5, 20];
    /// <summary>Random enrollment draws per k; the protocol's figure is their mean UAR.</summary>
    public const int Draws = 3;

    /// <summary>The streamed protocol: each clip's label from the mean of its windows' probabilities; null when not measured.</summary>
    public ClassificationReport? Streamed { get; init; }

    /// <summary>The same streams, each clip's label the last hop's smoothed emotion (what the live page shows at the end); null when not measured.</summary>
    public ClassificationReport? StreamedLastSmoothed { get; init; }

    /// <summary>One line: lone clip, streamed, k = 1/5/20, all.</summary>
    public string Describe() =>
        $"lone clip UAR {LoneClip.Uar:0.000}; " + (Streamed is { } s ? $"streamed UAR {s.Uar:0.000}; " : "") + "speaker-adapted UAR " +
        string.Join(", ", EnrollmentSizes.Select(k => Enrolled.TryGetValue(k, out double u) ? $"k={k} {u:0.000}" : $"k={k} -")) +
        $", all {SpeakerAll.Uar:0.000}";

    /// <summary>
    /// Scores <paramref name="test"/> (raw features, labels and speakers) under every protocol with
    /// <paramref name="model"/>; <paramref name="speakerAll"/> is the report with each speaker's statistics over all of
    /// the split's clips (already computed by the training run). Deterministic for a <paramref name="seed"/>.
    /// </summary>
    public static ProtocolScores Score(SerCnn model, ModelInput input, IReadOnlyList<(ClipInfo Clip, Spectrogram X, int Y)> test,
        string[] labels, ClassificationReport speakerAll, int seed, Device device)
    {
        var truth = test.Select(t => t.Y).ToArray();
        var lone = Inference.RunAveraged(model, test.Select(t => input.Crops(t.X)).ToList(), truth, device);
        var loneReport = ClassificationMetrics.Compute(truth, lone.Predicted, labels);
        var enrolled = new Dictionary<int, double>();
        if (input.Input.SpeakerNorm == SpeakerNormalization.None)
        {
            foreach (int k in EnrollmentSizes) enrolled[k] = loneReport.Uar; // nothing to adapt
            return new ProtocolScores(loneReport, loneReport, enrolled);
        }
        var bySpeaker = test.Select((t, i) => (t, i)).Where(p => SpeakerStatistics.SpeakerOf(p.t.Clip) is not null)
            .GroupBy(p => p.t.Clip.Speaker, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        foreach (int k in EnrollmentSizes)
        {
            var uars = new List<double>();
            for (int draw = 0; draw < Draws; draw++)
            {
                var random = new Random(unchecked(seed * 7_919 + k * 31 + draw));
                var crops = new List<IReadOnlyList<Spectrogram>>();
                var y = new List<int>();
                foreach (var speaker in bySpeaker)
                {
                    var clips = speaker.ToList();
                    if (clips.Count <= k) continue; // nothing would be left to score
                    var order = clips.Select(c => c.i).ToArray();
                    random.Shuffle(order);
                    var enrollment = order.Take(k).ToHashSet();
                    var stats = BandStatistics.Of(enrollment.Select(i => test[i].X));
                    foreach (var (t, i) in clips.Where(c => !enrollment.Contains(c.i)))
                    {
                        crops.Add(input.Crops(t.X, stats));
                        y.Add(t.Y);
                    }
                }
                if (y.Count == 0) continue;
                var output = Inference.RunAveraged(model, crops, y, device);
                uars.Add(ClassificationMetrics.Compute(y.ToArray(), output.Predicted, labels).Uar);
            }
            if (uars.Count > 0) enrolled[k] = uars.Average();
        }
        return new ProtocolScores(loneReport, speakerAll, enrolled);
    }
}
