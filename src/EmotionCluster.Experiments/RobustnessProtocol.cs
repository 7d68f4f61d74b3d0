using System.Text.Json;
using EmotionCluster.Audio;
using EmotionCluster.Corpora;
using EmotionCluster.Extraction;
using EmotionCluster.Metrics;
using EmotionCluster.Model;

namespace EmotionCluster.Experiments;

/// <summary>One condition's lone-clip UAR over the folds: mean, population std, the mean drop from clean, each fold's UAR.</summary>
public sealed record RobustnessMean(string Condition, string Description, double MeanUar, double StdUar, double DropFromClean, int Folds,
    IReadOnlyDictionary<string, double> PerFold);

/// <summary>
/// The robustness protocol (docs/accuracy.md): a fold's held-out clips scored lone-clip, exactly as <c>predict FILE</c>
/// scores a file (WAV bytes → the model's feature pipeline → its input shaping → the averaged crops), under recording
/// conditions (<see cref="PerturbationCondition.Standard"/>): each clip's samples perturbed
/// (<see cref="Perturbations"/>, babble from clips of the fold's training speakers), written as a 16-bit WAV as a
/// recorder would, then predicted. Deterministic: each clip's noise, talkers and room come from a seed of the run's seed,
/// the clip and the condition.
/// </summary>
public static class RobustnessProtocol
{
    public const string FileName = "crossval_robustness.json";

    /// <summary>Clips of other speakers the babble is drawn from (a random sample of the training part).</summary>
    public const int BabbleClips = 60;

    /// <summary>Each condition's lone-clip report on <paramref name="clips"/> with the model at <paramref name="modelPath"/>.</summary>
    /// <param name="others">Clips of other speakers (the fold's training part), for babble.</param>
    public static IReadOnlyDictionary<string, ClassificationReport> Score(string modelPath, IReadOnlyList<(ClipInfo Clip, int Y)> clips,
        IReadOnlyList<ClipInfo> others, IReadOnlyList<PerturbationCondition> conditions, string[] labels, int seed)
    {
        using var predictor = Predictor.Load(modelPath);
        if (!predictor.Labels.SequenceEqual(labels))
            throw new ArgumentException($"{modelPath}: the model's labels ({string.Join(", ", predictor.Labels)}) are not the run's ({string.Join(", ", labels)})");
        var featurizer = new PipelineFeaturizer(predictor.Input.Features);
        BabbleBank? babble = null;
        if (conditions.Any(c => c.Kind == PerturbationKind.BabbleNoise))
        {
            var pick = others.OrderBy(c => c.Id, StringComparer.Ordinal).ToArray();
            new Random(seed).Shuffle(pick);
            babble = new BabbleBank(pick.Take(BabbleClips).Select(c => WavReader.Read(c.Path).Clip).ToList());
        }
        var perturbations = new Perturbations(babble);
        var audio = clips.Select(c => WavReader.Read(c.Clip.Path).Clip).ToList();
        int[] truth = clips.Select(c => c.Y).ToArray();
        var reports = new Dictionary<string, ClassificationReport>();
        foreach (var condition in conditions)
        {
            var crops = new List<IReadOnlyList<EmotionCluster.Features.Spectrogram>>(clips.Count);
            for (int i = 0; i < clips.Count; i++)
            {
                var random = new Random(StableSeed(seed, clips[i].Clip.Id, condition.Id));
                float[] perturbed = perturbations.Apply(condition, audio[i].Samples, audio[i].SampleRate, random);
                byte[] wav = WavWriter.ToBytes(perturbed, audio[i].SampleRate); // 16-bit PCM, as a recorder writes it
                // predict FILE: the file's features, normalized as a lone clip, the model's crops averaged
                var x = featurizer.Extract(wav, $"{clips[i].Clip.Path} ({condition.Id})");
                crops.Add(predictor.Input.Crops(x));
            }
            float[][] p = predictor.PredictAveragedBatch(crops);
            reports[condition.Id] = ClassificationMetrics.Compute(truth, p.Select(q => Inference.ArgMax(q)).ToArray(), labels);
        }
        return reports;
    }

    /// <summary>Mean ± std over folds per condition (in the order given) and the drop of the mean from clean's.</summary>
    public static IReadOnlyList<RobustnessMean> Means(IReadOnlyList<FoldResult> folds, IReadOnlyList<PerturbationCondition> conditions) =>
        Means(folds.Where(f => f.Robustness is not null).Select(f => (f.TestSpeaker, f.Robustness!)).ToList(), conditions);

    /// <summary>Mean ± std over folds (each fold's UAR per condition id) per condition, in the order given, and the drop from clean's mean.</summary>
    public static IReadOnlyList<RobustnessMean> Means(IReadOnlyList<(string Fold, IReadOnlyDictionary<string, double> Uar)> folds,
        IReadOnlyList<PerturbationCondition> conditions)
    {
        double? clean = null;
        var rows = new List<RobustnessMean>();
        foreach (var c in conditions)
        {
            var perFold = folds.Where(f => f.Uar.ContainsKey(c.Id)).ToDictionary(f => f.Fold, f => f.Uar[c.Id]);
            if (perFold.Count == 0) continue;
            double mean = perFold.Values.Average();
            if (c.Kind == PerturbationKind.Clean) clean = mean;
            rows.Add(new RobustnessMean(c.Id, c.Describe(), mean, CrossValidationSummary.Std(perFold.Values.ToList()), 0, perFold.Count, perFold));
        }
        return clean is { } baseline ? rows.Select(r => r with { DropFromClean = baseline - r.MeanUar }).ToList() : rows;
    }

    /// <summary>
    /// The robustness protocol on a cross-validation run's kept fold models (<c>RUN/folds/FOLD/model.ecm</c> with the
    /// fold's <c>split.json</c>, written by <c>crossval</c>), without training: each fold's test clips are found by id among
    /// <paramref name="clips"/> (the corpus the run was made from), the babble among its training clips, the seed is the
    /// model's recipe's. Gives the same figures as <c>crossval --robustness</c> for the same conditions.
    /// </summary>
    /// <exception cref="InvalidDataException">the run has no fold models, or a fold's clip is not in the corpus.</exception>
    public static IReadOnlyList<RobustnessMean> ScoreRun(string runRoot, IReadOnlyList<ClipInfo> clips, IReadOnlyList<PerturbationCondition> conditions,
        Action<string>? line = null)
    {
        var scored = new List<(string Fold, IReadOnlyDictionary<string, double> Uar)>();
        foreach (var fold in KeptFolds.Load(runRoot, clips))
        {
            var uar = Score(fold.ModelPath, fold.Test, fold.Train, conditions, fold.Labels, fold.Seed).ToDictionary(p => p.Key, p => p.Value.Uar);
            line?.Invoke($"fold {fold.Name} (speaker {fold.Speakers}, {fold.Test.Count} clips): " + string.Join(", ", uar.Select(p => $"{p.Key} {p.Value:0.000}")));
            scored.Add((fold.Speakers, uar));
        }
        return Means(scored, conditions);
    }

    public static string ToJson(IReadOnlyList<RobustnessMean> rows) => JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true });

    /// <summary>A seed that is the same in every process (string hashes are not): FNV-1a over the parts.</summary>
    internal static int StableSeed(int seed, params string[] parts)
    {
        uint h = 2166136261u ^ (uint)seed;
        foreach (string part in parts)
        {
            foreach (char ch in part) h = (h ^ ch) * 16777619u;
            h = (h ^ 0xFF) * 16777619u;
        }
        return (int)(h & 0x7FFFFFFF);
    }
}
