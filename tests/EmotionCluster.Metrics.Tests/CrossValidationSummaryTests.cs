using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Metrics.Tests;

public class CrossValidationSummaryTests
{
    private static readonly string[] Abc = ["a", "b", "c"];
    private const int Precision = 12;

    [Fact]
    public void Mean_std_and_pooled_confusion_of_two_folds()
    {
        var fold1 = ClassificationMetrics.Compute([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2], Abc); // accuracy 2/3, UAR 13/18
        var fold2 = ClassificationMetrics.Compute([0, 1, 2], [0, 1, 2], Abc);                   // accuracy 1, UAR 1

        var s = CrossValidationSummary.Create([fold1, fold2]);

        Assert.Equal(2, s.Folds);
        Assert.Equal(5.0 / 6, s.MeanAccuracy, Precision);
        Assert.Equal(1.0 / 6, s.StdAccuracy, Precision);
        Assert.Equal(31.0 / 36, s.MeanUar, Precision);
        Assert.Equal(5.0 / 36, s.StdUar, Precision);
        Assert.Equal(new[] { new[] { 3, 1, 0 }, new[] { 0, 2, 1 }, new[] { 0, 0, 2 } }, s.Pooled.Confusion);
        Assert.Equal(7.0 / 9, s.Pooled.Accuracy, Precision);
        Assert.Equal(new[] { fold1.Uar, fold2.Uar }, s.FoldUar);
    }

    [Fact]
    public void One_fold_has_zero_deviation()
    {
        var s = CrossValidationSummary.Create([ClassificationMetrics.Compute([0, 1], [0, 0], Abc)]);
        Assert.Equal(0.0, s.StdAccuracy);
        Assert.Equal(0.5, s.MeanAccuracy);
    }

    [Fact]
    public void Folds_with_different_label_maps_or_no_folds_are_rejected()
    {
        var a = ClassificationMetrics.Compute([0], [0], Abc);
        var b = ClassificationMetrics.Compute([0], [0], ["a", "b", "x"]);
        Assert.Contains("same label map", Assert.Throws<ArgumentException>(() => CrossValidationSummary.Create([a, b])).Message);
        Assert.Throws<ArgumentException>(() => CrossValidationSummary.Create([]));
    }

    [Fact]
    public void Json_round_trips()
    {
        var s = CrossValidationSummary.Create([
            ClassificationMetrics.Compute([0, 0, 1, 2], [0, 1, 1, 2], Abc),
            ClassificationMetrics.Compute([2, 1, 0], [2, 2, 0], Abc)]);
        string json = s.ToJson();
        Assert.Contains("\"meanUar\"", json);
        Assert.Equal(json, CrossValidationSummary.FromJson(json).ToJson());
    }

    /// <summary>Pooling confusion matrices equals evaluating all folds' predictions at once; basic identities hold.</summary>
    [Fact]
    public void Pooled_report_equals_the_report_of_all_predictions() => Properties.Hold(200, (int[] truthSeeds, int[] predictedSeeds, byte foldsSeed) =>
        {
            int n = Math.Min(truthSeeds.Length, predictedSeeds.Length);
            if (n == 0) return true;
            int[] truth = truthSeeds[..n].Select(v => (int)((uint)v % 3)).ToArray();
            int[] predicted = predictedSeeds[..n].Select(v => (int)((uint)v % 3)).ToArray();
            int folds = 1 + foldsSeed % Math.Min(n, 4);

            var reports = Enumerable.Range(0, folds).Select(f =>
            {
                int[] idx = Enumerable.Range(0, n).Where(i => i % folds == f).ToArray();
                return ClassificationMetrics.Compute(idx.Select(i => truth[i]).ToArray(), idx.Select(i => predicted[i]).ToArray(), Abc);
            }).ToArray();
            var all = ClassificationMetrics.Compute(truth, predicted, Abc);
            var summary = CrossValidationSummary.Create(reports);

            double meanPresentRecall = all.PerClass.Where(c => c.Support > 0).Average(c => c.Recall!.Value);
            return summary.Pooled.ToJson() == all.ToJson()
                && Math.Abs(all.Uar - meanPresentRecall) < 1e-12
                && Math.Abs(all.WeightedRecall - all.Accuracy) < 1e-12
                && all.Uar is >= 0 and <= 1
                && summary.StdUar >= 0
                && all.NormalizedConfusion.All(row => row.Sum() is 0 || Math.Abs(row.Sum() - 1) < 1e-12);
        });
}
