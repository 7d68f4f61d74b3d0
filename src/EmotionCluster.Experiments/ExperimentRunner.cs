using System.Diagnostics;
using EmotionCluster.Corpora;
using EmotionCluster.Evaluation;
using EmotionCluster.Features;
using EmotionCluster.Model;

namespace EmotionCluster.Experiments;

/// <summary>A model trained on a split's training part, early-stopped on its validation part and scored on its test part.</summary>
public sealed record TrainedSplit(Split Split, string[] Labels, TrainingResult Training, EvaluationOutput TestOutput, ClassificationReport Test, TimeSpan Duration)
    : IDisposable
{
    /// <summary>Frees the model's tensors.</summary>
    public void Dispose() => Training.Dispose();
}

/// <summary>One leave-one-speaker-out fold.</summary>
public sealed record FoldResult(string TestSpeaker, string ValidationSpeakers, int TrainClips, int ValidationClips, int TestClips,
    int EpochsRun, int BestEpoch, ClassificationReport Report, TimeSpan Duration);

public sealed record CrossValidationResult(string[] Labels, IReadOnlyList<FoldResult> Folds, CrossValidationSummary Summary);

/// <summary>Progress of a long run: which fold (1-based, 0 for a single split), and the epoch just finished.</summary>
public readonly record struct TrainingProgress(int Fold, int Folds, EpochReport Epoch, int MaxEpochs);

/// <summary>
/// The experiment logic, without actors or console: clips and features in, trained models and metrics out.
/// Deterministic for a given seed and thread count.
/// </summary>
public sealed class ExperimentRunner
{
    public ExperimentRunner(ExperimentSettings settings)
    {
        settings.Validate();
        Settings = settings;
    }

    public ExperimentSettings Settings { get; }

    /// <summary>The clips of the configured emotions (all when none are configured).</summary>
    public IReadOnlyList<ClipInfo> SelectClips(IReadOnlyList<ClipInfo> clips)
    {
        if (Settings.Emotions is null) return clips;
        var wanted = Settings.Emotions.Select(Normalize).ToHashSet();
        var present = clips.Select(c => c.Emotion).ToHashSet();
        var missing = wanted.Where(w => !present.Contains(w)).ToList();
        if (missing.Count > 0)
            throw new ArgumentException($"emotions {string.Join(", ", missing)} are not in the corpus (it has {string.Join(", ", Emotions.InOrder(present))})");
        return clips.Where(c => wanted.Contains(c.Emotion)).ToList();
    }

    private static string Normalize(string emotion) => emotion.Trim().ToLowerInvariant();

    /// <summary>Label map: the emotions present, in the canonical order.</summary>
    public static string[] LabelsOf(IEnumerable<ClipInfo> clips) => Emotions.InOrder(clips.Select(c => c.Emotion)).ToArray();

    public List<(Spectrogram X, int Y)> Examples(FeatureSet features, IReadOnlyList<ClipInfo> clips, string[] labels,
        IReadOnlyDictionary<string, BandStatistics>? speakers = null)
    {
        ModelInput input = Settings.ModelInput;
        return clips.Zip(LabelIndices(clips, labels), (c, y) => (input.Shape(features[c], SpeakerOf(c, speakers)), y)).ToList();
    }

    /// <summary>
    /// The speaker statistics <see cref="InputSettings.SpeakerNorm"/> needs, over every clip of the split (the parts'
    /// audio, not their labels); null when it is off.
    /// </summary>
    public IReadOnlyDictionary<string, BandStatistics>? SpeakerStatistics(FeatureSet features, Split split) =>
        Settings.Input.SpeakerNorm == SpeakerNormalization.None ? null
            : EmotionCluster.Experiments.SpeakerStatistics.Of(features, split.Train.Concat(split.Validation).Concat(split.Test));

    private static BandStatistics? SpeakerOf(ClipInfo clip, IReadOnlyDictionary<string, BandStatistics>? speakers) =>
        speakers is not null && speakers.TryGetValue(clip.Speaker, out var s) ? s : null;

    /// <summary>Each clip's index in <paramref name="labels"/>; a clip whose emotion is not among them is an error.</summary>
    public static int[] LabelIndices(IEnumerable<ClipInfo> clips, string[] labels)
    {
        var index = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i);
        return clips.Select(c => index.TryGetValue(c.Emotion, out int y) ? y
            : throw new ArgumentException($"clip {c.Id} has emotion '{c.Emotion}', which is not among the labels {string.Join(", ", labels)}")).ToArray();
    }

    /// <summary>Every clip's scoring windows (<see cref="ModelInput.Crops"/>), in clip order.</summary>
    public List<IReadOnlyList<Spectrogram>> ScoringCrops(FeatureSet features, IEnumerable<ClipInfo> clips,
        IReadOnlyDictionary<string, BandStatistics>? speakers = null)
    {
        ModelInput input = Settings.ModelInput;
        return clips.Select(c => input.Crops(features[c], SpeakerOf(c, speakers))).ToList();
    }

    /// <summary>
    /// With <see cref="LongClipMode.Crops"/>: for each training example (by reference) whose clip is longer than the
    /// input, the whole standardized clip (<see cref="ModelInput.LongClipSource"/>), from which
    /// <see cref="Recipe.Augmenter"/> draws a random window.
    /// </summary>
    public IReadOnlyDictionary<Spectrogram, Spectrogram>? LongClipSources(IReadOnlyList<Spectrogram> clips,
        IReadOnlyList<(Spectrogram X, int Y)> examples, IReadOnlyList<BandStatistics?>? speakers = null)
    {
        if (Settings.Input.LongClips != LongClipMode.Crops) return null;
        if (clips.Count != examples.Count) throw new ArgumentException($"{clips.Count} clips but {examples.Count} examples", nameof(examples));
        ModelInput input = Settings.ModelInput;
        var sources = new Dictionary<Spectrogram, Spectrogram>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < clips.Count; i++)
            if (input.LongClipSource(clips[i], speakers?[i]) is { } full) sources[examples[i].X] = full;
        return sources;
    }

    public TrainedSplit TrainSplit(FeatureSet features, Split split, string[] labels, IProgress<EpochReport>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        if (split.Test.Count == 0)
            throw new ArgumentException($"split {split.Name}: the test part is empty ({split.Train.Count} train, {split.Validation.Count} validation clips); use more clips per emotion");
        var speakers = SpeakerStatistics(features, split);
        var train = Examples(features, split.Train, labels, speakers);
        var validation = Examples(features, split.Validation, labels, speakers);
        var testY = LabelIndices(split.Test, labels); // scored on ScoringCrops below, not on centre-cropped examples
        var augmentation = Settings.Augmenter(LongClipSources(split.Train.Select(c => features[c]).ToList(), train,
            split.Train.Select(c => SpeakerOf(c, speakers)).ToList()));
        var result = Trainer.Train(train, validation, Settings.Training, Settings.CnnFor(labels.Length), progress, cancellationToken, augmentation);
        try
        {
            EvaluationOutput output = Inference.RunAveraged(result.Model, ScoringCrops(features, split.Test, speakers), testY,
                TorchRuntime.ResolveDevice(Settings.Training.Device));
            var report = ClassificationMetrics.Compute(testY, output.Predicted, labels);
            return new TrainedSplit(split, labels, result, output, report, clock.Elapsed);
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>Leave-one-speaker-out: one model per fold, scored on the held-out speaker; models are not kept.</summary>
    public CrossValidationResult CrossValidate(FeatureSet features, IReadOnlyList<Split> folds, string[] labels,
        IProgress<TrainingProgress>? progress = null, Action<FoldResult>? foldDone = null, CancellationToken cancellationToken = default)
    {
        var results = new List<FoldResult>();
        for (int f = 0; f < folds.Count; f++)
        {
            var fold = folds[f];
            int index = f + 1;
            var epochProgress = progress is null ? null
                : new SyncProgress<EpochReport>(e => progress.Report(new TrainingProgress(index, folds.Count, e, Settings.Training.Epochs)));
            using var t = TrainSplit(features, fold, labels, epochProgress, cancellationToken);
            var result = new FoldResult(string.Join("+", fold.TestSpeakers), string.Join("+", fold.ValidationSpeakers),
                fold.Train.Count, fold.Validation.Count, fold.Test.Count, t.Training.History.Count, t.Training.BestEpoch, t.Test, t.Duration);
            results.Add(result);
            foldDone?.Invoke(result);
        }
        return new CrossValidationResult(labels, results, CrossValidationSummary.Create(results.Select(r => r.Report).ToList()));
    }

}

/// <summary>An <see cref="IProgress{T}"/> that calls its handler on the reporting thread (no synchronization context hop).</summary>
public sealed class SyncProgress<T>(Action<T> handler) : IProgress<T>
{
    public void Report(T value) => handler(value);
}
