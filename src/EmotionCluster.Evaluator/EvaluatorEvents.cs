using EmotionCluster.Metrics;

namespace EmotionCluster.Evaluator;

/// <summary>
/// An event in the journal of one training run (persistence id <c>evaluator-{RunId}</c>). All are bound to
/// <see cref="EvaluatorSerializer"/> (binary, stable manifests) and tagged by <see cref="EvaluationTagger"/> with
/// <see cref="EvaluatorTags.All"/> and <see cref="EvaluatorTags.Run"/>.
/// </summary>
public interface IEvaluatorEvent
{
    string RunId { get; }
}

/// <summary>Score of one class; recall and F1 are null when the class has no examples in the evaluated set.</summary>
public readonly record struct ClassScore(double Precision, double? Recall, double? F1);

/// <summary>
/// The metrics of one evaluation (validation after an epoch, or the final test): accuracy, UAR (macro recall over
/// the classes present), macro F1, per-class scores in label order, and the confusion matrix counts
/// (<c>Confusion[truth][predicted]</c>). The labels themselves are in the run's <see cref="RunStarted"/>.
/// Equality is structural (arrays compared element by element).
/// </summary>
public sealed record EvaluationMetrics(double Accuracy, double Uar, double MacroF1, ClassScore[] PerClass, int[][] Confusion)
{
    public int Classes => PerClass.Length;
    public int Count => Confusion.Sum(row => row.Sum());

    public static EvaluationMetrics From(ClassificationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return new EvaluationMetrics(report.Accuracy, report.Uar, report.MacroF1,
            report.PerClass.Select(c => new ClassScore(c.Precision, c.Recall, c.F1)).ToArray(),
            report.Confusion.Select(row => (int[])row.Clone()).ToArray());
    }

    /// <summary>Class indices (truth, predicted) against <paramref name="labels"/>; see <see cref="ClassificationMetrics.Compute"/>.</summary>
    public static EvaluationMetrics FromPredictions(IReadOnlyList<int> truth, IReadOnlyList<int> predicted, string[] labels) =>
        From(ClassificationMetrics.Compute(truth, predicted, labels));

    /// <summary>The full report (weighted averages, normalized matrix) recomputed from the confusion counts.</summary>
    public ClassificationReport ToReport(string[] labels) => ClassificationMetrics.FromConfusion(Confusion, labels);

    /// <summary>Null when the shape fits <paramref name="classes"/> classes; otherwise what is wrong.</summary>
    public string? ShapeProblem(int classes)
    {
        if (PerClass.Length != classes) return $"the metrics have {PerClass.Length} per-class scores but the run has {classes} labels";
        if (Confusion.Length != classes || Confusion.Any(r => r is null || r.Length != classes))
            return $"the confusion matrix is not {classes} x {classes} (the run has {classes} labels)";
        if (Confusion.Any(r => r.Any(c => c < 0))) return "the confusion matrix holds a negative count";
        return null;
    }

    public bool Equals(EvaluationMetrics? other) =>
        other is not null && Accuracy.Equals(other.Accuracy) && Uar.Equals(other.Uar) && MacroF1.Equals(other.MacroF1)
        && PerClass.AsSpan().SequenceEqual(other.PerClass)
        && Confusion.Length == other.Confusion.Length
        && Enumerable.Range(0, Confusion.Length).All(i => Confusion[i].AsSpan().SequenceEqual(other.Confusion[i]));

    public override int GetHashCode() => HashCode.Combine(Accuracy, Uar, MacroF1, PerClass.Length);
}

/// <summary>
/// What a run is, beyond its settings: the recipe's hash (<c>Recipe.Hash()</c>: 16 hex digits of SHA-256 over the one
/// recipe JSON written into the model file, per-machine keys fixed), the corpus it trained on (its name and path, as the
/// command or the manifest named it; empty when unknown), the split (e.g. <c>stratified-42</c>, <c>loso-03</c>), the
/// seed, the trainer nodes in the cluster when it started and the replicas it trained with (data-parallel: more than 1).
/// </summary>
public sealed record RunDescription(string RecipeHash, string Corpus, string CorpusPath, string Split, int Seed, int Nodes, int Replicas);

/// <summary>
/// A run began: its settings (JSON, as the trainer has them), the label map and, since <c>RunStarted.2</c>, what the run
/// is (<see cref="Description"/>; null in journals from before).
/// </summary>
public sealed record RunStarted(string RunId, string SettingsJson, string[] Labels, DateTimeOffset StartedAt) : IEvaluatorEvent
{
    /// <summary>Recipe hash, corpus, split, seed, node and replica count (null in journals from before they were recorded).</summary>
    public RunDescription? Description { get; init; }

    public bool Equals(RunStarted? other) =>
        other is not null && RunId == other.RunId && SettingsJson == other.SettingsJson
        && Labels.AsSpan().SequenceEqual(other.Labels) && StartedAt.Equals(other.StartedAt) && Equals(Description, other.Description);

    public override int GetHashCode() => HashCode.Combine(RunId, SettingsJson, Labels.Length, StartedAt);
}

/// <summary>
/// One epoch ended, with its validation metrics. <see cref="ValLoss"/> and <see cref="Metrics"/> are null when the
/// run has no validation set (the epoch then only contributes its training loss).
/// </summary>
public sealed record EpochEvaluated(string RunId, int Epoch, double TrainLoss, double? ValLoss, EvaluationMetrics? Metrics, DateTimeOffset At)
    : IEvaluatorEvent
{
    /// <summary>The learning rate of the epoch's first step (null in journals from before it was recorded).</summary>
    public double? LearningRate { get; init; }

    /// <summary>Wall-clock seconds of the epoch, its steps and validation (null in journals from before it was recorded).</summary>
    public double? Seconds { get; init; }
}

/// <summary>
/// The run finished. <see cref="BestEpoch"/> is the epoch whose model was kept (null only when no epoch was
/// evaluated); <see cref="Test"/> the final test metrics (null when the run had no test set).
/// </summary>
public sealed record RunCompleted(string RunId, int? BestEpoch, EvaluationMetrics? Test, DateTimeOffset At) : IEvaluatorEvent;

/// <summary>The run failed; <see cref="Reason"/> says why.</summary>
public sealed record RunFailed(string RunId, string Reason, DateTimeOffset At) : IEvaluatorEvent;

/// <summary>One protocol's UAR on a fold's held-out clips (e.g. "lone clip", "speaker-adapted, k=5").</summary>
public readonly record struct ProtocolUar(string Protocol, double Uar);

/// <summary>One protocol's UAR over the folds of a cross-validation: mean, population std, the folds it was measured on.</summary>
public readonly record struct ProtocolMeanUar(string Protocol, double MeanUar, double StdUar, int Folds);

/// <summary>
/// One fold of a cross-validation, as the cross-validation's run records it: the speakers held out and used for early
/// stopping, the fold's own training run (<see cref="FoldRunId"/>, with its epochs), clip counts, the epochs it ran and
/// kept, its wall time, the held-out clips scored each on its own (<see cref="LoneClip"/>, the headline), with all of the
/// speaker's clips as statistics (<see cref="SpeakerAll"/>) and every protocol's UAR. <see cref="Fold"/> is 1-based;
/// folds may be recorded in any order (fold-parallel cross-validation).
/// </summary>
public sealed record FoldRecord(int Fold, string TestSpeaker, string ValidationSpeakers, string FoldRunId, int TrainClips, int ValidationClips,
    int TestClips, int EpochsRun, int BestEpoch, TimeSpan Duration, EvaluationMetrics LoneClip, EvaluationMetrics? SpeakerAll, ProtocolUar[] Protocols)
{
    public bool Equals(FoldRecord? other) =>
        other is not null && Fold == other.Fold && TestSpeaker == other.TestSpeaker && ValidationSpeakers == other.ValidationSpeakers
        && FoldRunId == other.FoldRunId && TrainClips == other.TrainClips && ValidationClips == other.ValidationClips && TestClips == other.TestClips
        && EpochsRun == other.EpochsRun && BestEpoch == other.BestEpoch && Duration == other.Duration && LoneClip.Equals(other.LoneClip)
        && Equals(SpeakerAll, other.SpeakerAll) && Protocols.AsSpan().SequenceEqual(other.Protocols);

    public override int GetHashCode() => HashCode.Combine(Fold, FoldRunId, TestSpeaker);
}

/// <summary>
/// A cross-validation's summary over its folds: the scheme (e.g. "leave-one-speaker-out") and how each fold was trained,
/// mean ± population std of the folds' lone-clip accuracy and UAR, the pooled lone-clip confusion matrix
/// (<c>[truth][predicted]</c>, the run's labels) and every protocol's mean ± std.
/// </summary>
public sealed record CrossValidationRecord(string Scheme, string Procedure, int Folds, double MeanAccuracy, double StdAccuracy, double MeanUar, double StdUar,
    int[][] PooledConfusion, ProtocolMeanUar[] Protocols)
{
    public bool Equals(CrossValidationRecord? other) =>
        other is not null && Scheme == other.Scheme && Procedure == other.Procedure && Folds == other.Folds
        && MeanAccuracy.Equals(other.MeanAccuracy) && StdAccuracy.Equals(other.StdAccuracy) && MeanUar.Equals(other.MeanUar) && StdUar.Equals(other.StdUar)
        && PooledConfusion.Length == other.PooledConfusion.Length
        && Enumerable.Range(0, PooledConfusion.Length).All(i => PooledConfusion[i].AsSpan().SequenceEqual(other.PooledConfusion[i]))
        && Protocols.AsSpan().SequenceEqual(other.Protocols);

    public override int GetHashCode() => HashCode.Combine(Scheme, Folds, MeanUar);
}

/// <summary>Which part of a job's report a run is.</summary>
public enum ReportRole : byte
{
    /// <summary>The stratified train/validation/test split: the report's training and evaluation sections.</summary>
    Split = 1,
    /// <summary>A cross-validation (its folds and summary): the report's cross-validation section.</summary>
    CrossValidation = 2,
    /// <summary>The MFCC comparison run of the main job.</summary>
    Mfcc = 3,
}

/// <summary>One label's clips in each part of a split.</summary>
public readonly record struct SplitCount(string Label, int Train, int Validation, int Test);

/// <summary>
/// Where a run's results went: the job (one CLI command) it belongs to, its part of that job's report, the run
/// directory holding the job's artifacts (absolute), a description (the split method, or what the comparison
/// compares), the clips per label in each part of the split (empty for a cross-validation) and the wall time.
/// With it the report can be rebuilt from the journal and the run directory alone (<c>report --run-id</c>).
/// </summary>
public sealed record ArtifactsRecord(string Job, ReportRole Role, string Directory, string Description, SplitCount[] Split, TimeSpan Duration)
{
    public bool Equals(ArtifactsRecord? other) =>
        other is not null && Job == other.Job && Role == other.Role && Directory == other.Directory && Description == other.Description
        && Split.AsSpan().SequenceEqual(other.Split) && Duration == other.Duration;

    public override int GetHashCode() => HashCode.Combine(Job, Role, Directory);
}

/// <summary>A fold of the cross-validation run <see cref="RunId"/> ended (see <see cref="FoldRecord"/>).</summary>
public sealed record FoldCompleted(string RunId, FoldRecord Fold, DateTimeOffset At) : IEvaluatorEvent;

/// <summary>The cross-validation run <see cref="RunId"/> ended with every fold recorded; its summary. The run is then completed.</summary>
public sealed record CrossValidationCompleted(string RunId, CrossValidationRecord Summary, DateTimeOffset At) : IEvaluatorEvent;

/// <summary>The run's results were written to a run directory as part of a job's report (see <see cref="ArtifactsRecord"/>).</summary>
public sealed record ArtifactsRecorded(string RunId, ArtifactsRecord Artifacts, DateTimeOffset At) : IEvaluatorEvent;

/// <summary>The tags <see cref="EvaluationTagger"/> puts on every evaluator event.</summary>
public static class EvaluatorTags
{
    /// <summary>Every evaluator event of every run.</summary>
    public const string All = "evaluation";

    /// <summary>Every event of one run.</summary>
    public static string Run(string runId) => "run:" + runId;
}
