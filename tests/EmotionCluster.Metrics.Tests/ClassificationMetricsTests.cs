using System.Text.Json;
using Xunit;

namespace EmotionCluster.Metrics.Tests;

public class ClassificationMetricsTests
{
    private static readonly string[] Abc = ["a", "b", "c"];
    private const int Precision = 12;

    // truth a a a b b c, predicted a a b b c c  ->  confusion [[2,1,0],[0,1,1],[0,0,1]]
    private static ClassificationReport Example() =>
        ClassificationMetrics.Compute([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2], Abc);

    [Fact]
    public void Hand_computed_example()
    {
        var r = Example();

        Assert.Equal(6, r.Count);
        Assert.Equal(new[] { new[] { 2, 1, 0 }, new[] { 0, 1, 1 }, new[] { 0, 0, 1 } }, r.Confusion);
        Assert.Equal(4.0 / 6, r.Accuracy, Precision);

        // precision: a 2/2, b 1/2, c 1/2; recall: a 2/3, b 1/2, c 1/1; F1: a 4/5, b 1/2, c 2/3
        Assert.Equal(new[] { 1.0, 0.5, 0.5 }, r.PerClass.Select(c => c.Precision));
        Assert.Equal(2.0 / 3, r.PerClass[0].Recall!.Value, Precision);
        Assert.Equal(0.5, r.PerClass[1].Recall!.Value, Precision);
        Assert.Equal(1.0, r.PerClass[2].Recall!.Value, Precision);
        Assert.Equal(0.8, r.PerClass[0].F1!.Value, Precision);
        Assert.Equal(0.5, r.PerClass[1].F1!.Value, Precision);
        Assert.Equal(2.0 / 3, r.PerClass[2].F1!.Value, Precision);
        Assert.Equal(new[] { 3, 2, 1 }, r.PerClass.Select(c => c.Support));
        Assert.Equal(new[] { 2, 2, 2 }, r.PerClass.Select(c => c.Predicted));

        Assert.Equal(2.0 / 3, r.MacroPrecision, Precision);
        Assert.Equal(13.0 / 18, r.MacroRecall, Precision);
        Assert.Equal(13.0 / 18, r.Uar, Precision);
        Assert.Equal(59.0 / 90, r.MacroF1, Precision);
        Assert.Equal(0.75, r.WeightedPrecision, Precision);
        Assert.Equal(4.0 / 6, r.WeightedRecall, Precision);
        Assert.Equal(61.0 / 90, r.WeightedF1, Precision);

        Assert.Equal(new[] { 2.0 / 3, 1.0 / 3, 0 }, r.NormalizedConfusion[0]);
        Assert.Equal(new[] { 0, 0.5, 0.5 }, r.NormalizedConfusion[1]);
        Assert.Equal(new[] { 0, 0, 1.0 }, r.NormalizedConfusion[2]);
    }

    [Fact]
    public void A_class_absent_from_the_truth_is_left_out_of_the_macro_averages_but_its_predictions_are_errors()
    {
        // truth a a b b, predicted a c b b: c never occurs in the truth but is predicted once
        var r = ClassificationMetrics.Compute([0, 0, 1, 1], [0, 2, 1, 1], Abc);

        Assert.Equal(0.75, r.Accuracy, Precision);
        Assert.Null(r.PerClass[2].Recall);
        Assert.Null(r.PerClass[2].F1);
        Assert.Equal(0.0, r.PerClass[2].Precision);
        Assert.Equal(0, r.PerClass[2].Support);
        Assert.Equal(1, r.PerClass[2].Predicted);
        Assert.Equal(0.75, r.Uar, Precision);          // (1/2 + 1) / 2, not (1/2 + 1 + 0) / 3
        Assert.Equal(1.0, r.MacroPrecision, Precision); // mean of a (1/1) and b (2/2)
        Assert.Equal((2.0 / 3 + 1) / 2, r.MacroF1, Precision);
        Assert.Equal(new double[] { 0, 0, 0 }, r.NormalizedConfusion[2]);
    }

    [Fact]
    public void A_class_never_predicted_has_precision_zero()
    {
        var r = ClassificationMetrics.Compute([0, 1], [0, 0], ["a", "b"]);

        Assert.Equal(0.5, r.PerClass[0].Precision);
        Assert.Equal(0.0, r.PerClass[1].Precision);
        Assert.Equal(0.0, r.PerClass[1].Recall);
        Assert.Equal(0.0, r.PerClass[1].F1);
        Assert.Equal(0.5, r.Uar);
    }

    [Fact]
    public void Perfect_predictions_score_one_everywhere()
    {
        var r = ClassificationMetrics.Compute([2, 0, 1, 1], [2, 0, 1, 1], Abc);
        Assert.All(new[] { r.Accuracy, r.Uar, r.MacroPrecision, r.MacroF1, r.WeightedPrecision, r.WeightedF1 }, v => Assert.Equal(1.0, v));
    }

    [Fact]
    public void Bad_input_is_a_clear_error()
    {
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => ClassificationMetrics.Compute([0, 1], [0, 3], Abc));
        Assert.Contains("predicted[1] = 3", range.Message);
        Assert.Contains("3 classes", range.Message);
        Assert.Contains("truth[0] = -1", Assert.Throws<ArgumentOutOfRangeException>(() => ClassificationMetrics.Compute([-1], [0], Abc)).Message);
        Assert.Contains("pair up", Assert.Throws<ArgumentException>(() => ClassificationMetrics.Compute([0, 1], [0], Abc)).Message);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => ClassificationMetrics.Compute([], [], Abc)).Message);
        Assert.Contains("label map is empty", Assert.Throws<ArgumentException>(() => ClassificationMetrics.Compute([0], [0], [])).Message);
        Assert.Contains("3 x 3", Assert.Throws<ArgumentException>(() => ClassificationMetrics.FromConfusion([[1, 0], [0, 1]], Abc)).Message);
    }

    [Fact]
    public void Json_round_trips_and_an_undefined_recall_is_null()
    {
        var r = ClassificationMetrics.Compute([0, 0, 1, 1], [0, 2, 1, 1], Abc);
        string json = r.ToJson();

        using var doc = JsonDocument.Parse(json);
        Assert.Equal(0.75, doc.RootElement.GetProperty("uar").GetDouble());
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("perClass")[2].GetProperty("recall").ValueKind);
        Assert.Equal(new[] { 1, 0, 1 }, doc.RootElement.GetProperty("confusion")[0].EnumerateArray().Select(c => c.GetInt32()));

        var back = ClassificationReport.FromJson(json);
        Assert.Equal(json, back.ToJson());
        Assert.Equal(r.Uar, back.Uar);
        Assert.Equal(r.PerClass, back.PerClass);
    }

    [Fact]
    public void Table_lists_every_class_and_marks_undefined_recall()
    {
        string table = ClassificationMetrics.Compute([0, 0, 1, 1], [0, 2, 1, 1], Abc).FormatTable();
        Assert.Contains("macro (UAR)", table);
        Assert.Contains("n/a", table);
        Assert.Equal(3, Abc.Count(l => table.Split('\n').Any(line => line.StartsWith(l + " ", StringComparison.Ordinal))));
    }
}
