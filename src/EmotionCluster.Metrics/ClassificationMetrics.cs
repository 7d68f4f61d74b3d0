using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EmotionCluster.Metrics;

/// <summary>
/// Metrics of one class. <see cref="Recall"/> and <see cref="F1"/> are null when the class never occurs in the truth
/// (support 0: recall is undefined). <see cref="Precision"/> is 0 when the class was never predicted
/// (sklearn's <c>zero_division=0</c>).
/// </summary>
public sealed record ClassMetrics(string Label, int Support, int Predicted, double Precision, double? Recall, double? F1);

/// <summary>
/// Accuracy, per-class and averaged precision/recall/F1, and the confusion matrix of one set of predictions.
/// <para>
/// Conventions (those of scikit-learn's <c>precision_recall_fscore_support(..., labels=present, zero_division=0)</c>,
/// where <c>present</c> are the classes that occur in the truth):
/// macro averages are unweighted means over the classes present in the truth, so a class absent from the truth
/// neither counts as recall 0 nor dilutes the UAR (predictions of it still count as errors in accuracy and in the
/// recall of the true class); weighted averages weight each present class by its support;
/// a row of the normalized confusion matrix is the row divided by its support, or all zeros when the support is 0.
/// </para>
/// </summary>
public sealed record ClassificationReport(
    string[] Labels,
    int Count,
    double Accuracy,
    ClassMetrics[] PerClass,
    double MacroPrecision,
    double MacroRecall,
    double MacroF1,
    double WeightedPrecision,
    double WeightedRecall,
    double WeightedF1,
    int[][] Confusion,
    double[][] NormalizedConfusion)
{
    /// <summary>Unweighted average recall: the macro recall over the classes present in the truth.</summary>
    public double Uar => MacroRecall;

    public string ToJson() => JsonSerializer.Serialize(this, EvaluationJson.Options);

    public static ClassificationReport FromJson(string json) =>
        JsonSerializer.Deserialize<ClassificationReport>(json, EvaluationJson.Options)
        ?? throw new JsonException("The JSON text holds null instead of a classification report.");

    /// <summary>A plain-text table in the style of scikit-learn's <c>classification_report</c>.</summary>
    public string FormatTable()
    {
        int width = Math.Max(12, Labels.Max(l => l.Length) + 2);
        var sb = new StringBuilder();
        string Num(double? v) => v is { } x ? x.ToString("0.000", CultureInfo.InvariantCulture).PadLeft(10) : "       n/a";
        sb.Append("".PadRight(width)).AppendLine(" precision    recall        f1   support");
        foreach (var c in PerClass)
            sb.Append(c.Label.PadRight(width)).Append(Num(c.Precision)).Append(Num(c.Recall)).Append(Num(c.F1))
              .AppendLine(c.Support.ToString(CultureInfo.InvariantCulture).PadLeft(10));
        sb.AppendLine();
        sb.Append("accuracy".PadRight(width)).Append("".PadLeft(20)).Append(Num(Accuracy))
          .AppendLine(Count.ToString(CultureInfo.InvariantCulture).PadLeft(10));
        sb.Append("macro (UAR)".PadRight(width)).Append(Num(MacroPrecision)).Append(Num(MacroRecall)).AppendLine(Num(MacroF1));
        sb.Append("weighted".PadRight(width)).Append(Num(WeightedPrecision)).Append(Num(WeightedRecall)).AppendLine(Num(WeightedF1));
        return sb.ToString();
    }
}

/// <summary>Computes a <see cref="ClassificationReport"/> from class indices (see the conventions there).</summary>
public static class ClassificationMetrics
{
    public static ClassificationReport Compute(IReadOnlyList<int> truth, IReadOnlyList<int> predicted, string[] labels)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(predicted);
        CheckLabels(labels);
        if (truth.Count != predicted.Count)
            throw new ArgumentException($"truth has {truth.Count} entries but predicted has {predicted.Count}; they must pair up.", nameof(predicted));
        if (truth.Count == 0)
            throw new ArgumentException("There are no examples to evaluate (truth is empty).", nameof(truth));

        int k = labels.Length;
        var confusion = new int[k][];
        for (int i = 0; i < k; i++) confusion[i] = new int[k];
        for (int n = 0; n < truth.Count; n++)
            confusion[CheckIndex(truth[n], k, nameof(truth), n)][CheckIndex(predicted[n], k, nameof(predicted), n)]++;
        return FromConfusion(confusion, labels);
    }

    /// <summary>The report of a confusion matrix (<c>confusion[truth][predicted]</c> = count).</summary>
    public static ClassificationReport FromConfusion(int[][] confusion, string[] labels)
    {
        ArgumentNullException.ThrowIfNull(confusion);
        CheckLabels(labels);
        int k = labels.Length;
        if (confusion.Length != k || confusion.Any(row => row is null || row.Length != k))
            throw new ArgumentException($"The confusion matrix must be {k} x {k} to match the {k} labels.", nameof(confusion));
        if (confusion.Any(row => row.Any(c => c < 0)))
            throw new ArgumentException("The confusion matrix holds a negative count.", nameof(confusion));

        int count = confusion.Sum(row => row.Sum());
        if (count == 0) throw new ArgumentException("The confusion matrix is empty (no examples).", nameof(confusion));

        var perClass = new ClassMetrics[k];
        int correct = 0;
        for (int c = 0; c < k; c++)
        {
            int tp = confusion[c][c];
            int support = confusion[c].Sum();
            int predictedAs = 0;
            for (int r = 0; r < k; r++) predictedAs += confusion[r][c];
            correct += tp;

            double precision = predictedAs == 0 ? 0 : (double)tp / predictedAs;
            double? recall = support == 0 ? null : (double)tp / support;
            double? f1 = recall is { } rec ? (precision + rec == 0 ? 0 : 2 * precision * rec / (precision + rec)) : null;
            perClass[c] = new ClassMetrics(labels[c], support, predictedAs, precision, recall, f1);
        }

        var present = perClass.Where(c => c.Support > 0).ToArray();
        double Macro(Func<ClassMetrics, double> metric) => present.Average(metric);
        double Weighted(Func<ClassMetrics, double> metric) => present.Sum(c => c.Support * metric(c)) / count;

        var normalized = confusion
            .Select(row => { int s = row.Sum(); return row.Select(v => s == 0 ? 0.0 : (double)v / s).ToArray(); })
            .ToArray();

        return new ClassificationReport(
            (string[])labels.Clone(), count, (double)correct / count, perClass,
            Macro(c => c.Precision), Macro(c => c.Recall!.Value), Macro(c => c.F1!.Value),
            Weighted(c => c.Precision), Weighted(c => c.Recall!.Value), Weighted(c => c.F1!.Value),
            confusion.Select(row => (int[])row.Clone()).ToArray(), normalized);
    }

    private static void CheckLabels(string[] labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Length == 0) throw new ArgumentException("The label map is empty; at least one class is needed.", nameof(labels));
    }

    private static int CheckIndex(int index, int classes, string name, int position) =>
        index >= 0 && index < classes
            ? index
            : throw new ArgumentOutOfRangeException(name, index,
                $"{name}[{position}] = {index} is not a class index: the label map has {classes} classes (0..{classes - 1}).");
}

internal static class EvaluationJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { WriteIndented = true };
}
