using System.Text.Json;

namespace EmotionCluster.Metrics;

/// <summary>
/// Cross-validation over folds: mean and standard deviation of the per-fold accuracy, UAR and macro F1, and a
/// pooled report computed from the sum of the folds' confusion matrices (every test prediction counted once).
/// The standard deviation is the population one (divides by the number of folds, as numpy's <c>std()</c>),
/// so a single fold has deviation 0.
/// </summary>
public sealed record CrossValidationSummary(
    string[] Labels,
    int Folds,
    double MeanAccuracy,
    double StdAccuracy,
    double MeanUar,
    double StdUar,
    double MeanMacroF1,
    double StdMacroF1,
    double[] FoldAccuracy,
    double[] FoldUar,
    ClassificationReport Pooled)
{
    public static CrossValidationSummary Create(IReadOnlyList<ClassificationReport> folds)
    {
        ArgumentNullException.ThrowIfNull(folds);
        if (folds.Count == 0) throw new ArgumentException("There are no folds to summarize.", nameof(folds));
        string[] labels = folds[0].Labels;
        for (int f = 1; f < folds.Count; f++)
            if (!folds[f].Labels.SequenceEqual(labels))
                throw new ArgumentException(
                    $"Fold {f} has labels [{string.Join(", ", folds[f].Labels)}] but fold 0 has [{string.Join(", ", labels)}]; " +
                    "all folds must use the same label map.", nameof(folds));

        int k = labels.Length;
        var pooled = new int[k][];
        for (int i = 0; i < k; i++)
        {
            pooled[i] = new int[k];
            foreach (var fold in folds)
                for (int j = 0; j < k; j++) pooled[i][j] += fold.Confusion[i][j];
        }

        double[] accuracy = folds.Select(f => f.Accuracy).ToArray();
        double[] uar = folds.Select(f => f.Uar).ToArray();
        double[] f1 = folds.Select(f => f.MacroF1).ToArray();
        return new CrossValidationSummary(
            (string[])labels.Clone(), folds.Count,
            accuracy.Average(), Std(accuracy), uar.Average(), Std(uar), f1.Average(), Std(f1),
            accuracy, uar, ClassificationMetrics.FromConfusion(pooled, labels));
    }

    public string ToJson() => JsonSerializer.Serialize(this, EvaluationJson.Options);

    public static CrossValidationSummary FromJson(string json) =>
        JsonSerializer.Deserialize<CrossValidationSummary>(json, EvaluationJson.Options)
        ?? throw new JsonException("The JSON text holds null instead of a cross-validation summary.");

    /// <summary>Population standard deviation (divides by n).</summary>
    public static double Std(IReadOnlyList<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("No values.", nameof(values));
        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Count);
    }
}
