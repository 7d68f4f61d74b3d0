using EmotionCluster.Evaluation;

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

/// <summary>A run began: its settings (JSON, as the trainer has them) and the label map.</summary>
public sealed record RunStarted(string RunId, string SettingsJson, string[] Labels, DateTimeOffset StartedAt) : IEvaluatorEvent
{
    public bool Equals(RunStarted? other) =>
        other is not null && RunId == other.RunId && SettingsJson == other.SettingsJson
        && Labels.AsSpan().SequenceEqual(other.Labels) && StartedAt.Equals(other.StartedAt);

    public override int GetHashCode() => HashCode.Combine(RunId, SettingsJson, Labels.Length, StartedAt);
}

/// <summary>
/// One epoch ended, with its validation metrics. <see cref="ValLoss"/> and <see cref="Metrics"/> are null when the
/// run has no validation set (the epoch then only contributes its training loss).
/// </summary>
public sealed record EpochEvaluated(string RunId, int Epoch, double TrainLoss, double? ValLoss, EvaluationMetrics? Metrics, DateTimeOffset At)
    : IEvaluatorEvent;

/// <summary>
/// The run finished. <see cref="BestEpoch"/> is the epoch whose model was kept (null only when no epoch was
/// evaluated); <see cref="Test"/> the final test metrics (null when the run had no test set).
/// </summary>
public sealed record RunCompleted(string RunId, int? BestEpoch, EvaluationMetrics? Test, DateTimeOffset At) : IEvaluatorEvent;

/// <summary>The run failed; <see cref="Reason"/> says why.</summary>
public sealed record RunFailed(string RunId, string Reason, DateTimeOffset At) : IEvaluatorEvent;

/// <summary>The tags <see cref="EvaluationTagger"/> puts on every evaluator event.</summary>
public static class EvaluatorTags
{
    /// <summary>Every evaluator event of every run.</summary>
    public const string All = "evaluation";

    /// <summary>Every event of one run.</summary>
    public static string Run(string runId) => "run:" + runId;
}
