using EmotionCluster.Testing;
using Npgsql;
using Xunit;

namespace EmotionCluster.Evaluator.Tests;

/// <summary>Sample metrics and paths shared by the tests.</summary>
public static class Samples
{
    public static readonly string[] Labels = ["anger", "boredom", "neutral"];

    /// <summary>Metrics of a 3-class confusion matrix that depends on <paramref name="seed"/>.</summary>
    public static EvaluationMetrics Metrics(int seed)
    {
        int[][] confusion = [[5 + seed % 4, 2, 1], [1, 4 + seed % 3, 2], [0, 1, 6 + seed % 5]];
        return EvaluationMetrics.From(EmotionCluster.Metrics.ClassificationMetrics.FromConfusion(confusion, Labels));
    }

    /// <summary>A fold of a cross-validation whose numbers depend on <paramref name="fold"/>.</summary>
    public static FoldRecord Fold(int fold) =>
        new(fold, $"s{fold:00}", "20% slice", $"train-fold{fold}", 80 + fold, 20, 10 + fold, 12, 7, TimeSpan.FromTicks(123_456_789 + fold),
            Metrics(fold), fold % 2 == 0 ? null : Metrics(fold + 1),
            [new ProtocolUar("lone clip", Metrics(fold).Uar), new ProtocolUar("speaker-adapted, k=5", 0.5 + fold / 100.0)]);

    /// <summary>A cross-validation summary over <paramref name="folds"/> folds.</summary>
    public static CrossValidationRecord Summary(int folds) =>
        new("leave-one-speaker-out", "per fold: train, stop early, test", folds, 0.61, 0.05, 0.6, 0.04, [[3, 1, 0], [0, 4, 1], [1, 0, 5]],
            [new ProtocolMeanUar("lone clip", 0.6, 0.04, folds), new ProtocolMeanUar("speaker-adapted, all clips", 0.7, 0.03, folds)]);

    public static ArtifactsRecord Artifacts() =>
        new("job-20261207-abc", ReportRole.Split, "/tmp/run", "stratified by emotion, 70/20/10, seed 42",
            [new SplitCount("anger", 7, 2, 1), new SplitCount("boredom", 14, 4, 2), new SplitCount("neutral", 7, 2, 1)], TimeSpan.FromTicks(98_765_432));

    public static string NewSqliteFile() =>
        Path.Combine(Path.GetTempPath(), "ec-evaluator-tests", Guid.NewGuid().ToString("N"), "journal.db");
}
