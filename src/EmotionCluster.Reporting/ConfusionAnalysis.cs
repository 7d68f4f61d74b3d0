namespace EmotionCluster.Reporting;

/// <summary>Correct predictions of one true class out of its clips.</summary>
public sealed record ClassRecall(string Label, int Correct, int Total)
{
    public double Recall => Total == 0 ? 0 : (double)Correct / Total;
}

/// <summary>Clips of <see cref="TrueLabel"/> predicted as <see cref="PredictedLabel"/>, out of <see cref="TrueTotal"/> clips of the true class.</summary>
public sealed record ConfusedPair(string TrueLabel, string PredictedLabel, int Count, int TrueTotal)
{
    public double Share => TrueTotal == 0 ? 0 : (double)Count / TrueTotal;
}

/// <summary>
/// Facts read from a confusion matrix. <see cref="Recalls"/> cover the classes with at least one clip;
/// <see cref="Best"/> and <see cref="Worst"/> are the highest and lowest recall among them (ties: the first label).
/// <see cref="MostConfused"/> is the off-diagonal cell with the largest share of its true class (ties: the larger count,
/// then the first cell in row-major order), null when nothing was misclassified; <see cref="Reverse"/> is the cell the
/// other way round (its predicted class taken for its true class).
/// </summary>
public sealed record ConfusionFacts(
    int Total,
    int Correct,
    IReadOnlyList<ClassRecall> Recalls,
    ClassRecall Best,
    ClassRecall Worst,
    ConfusedPair? MostConfused,
    ConfusedPair? Reverse)
{
    public double Accuracy => (double)Correct / Total;

    /// <summary>Unweighted average recall over the classes with clips.</summary>
    public double Uar => Recalls.Average(r => r.Recall);
}

public static class ConfusionAnalysis
{
    /// <summary>Analyzes <c>confusion[true][predicted]</c> (counts) whose rows and columns follow <paramref name="labels"/>.</summary>
    /// <exception cref="ArgumentException">The matrix is not K x K for K labels, holds a negative count, or is empty.</exception>
    public static ConfusionFacts Analyze(IReadOnlyList<string> labels, int[][] confusion)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(confusion);
        int k = labels.Count;
        if (k == 0) throw new ArgumentException("there are no labels", nameof(labels));
        if (confusion.Length != k || confusion.Any(row => row is null || row.Length != k))
            throw new ArgumentException($"the confusion matrix must be {k} x {k}, one row and column per label ({string.Join(", ", labels)})", nameof(confusion));
        if (confusion.Any(row => row.Any(c => c < 0)))
            throw new ArgumentException("the confusion matrix holds a negative count", nameof(confusion));

        int total = confusion.Sum(row => row.Sum());
        if (total == 0) throw new ArgumentException("the confusion matrix is empty (no clips)", nameof(confusion));

        var recalls = Enumerable.Range(0, k)
            .Select(i => new ClassRecall(labels[i], confusion[i][i], confusion[i].Sum()))
            .Where(r => r.Total > 0)
            .ToList();
        ClassRecall best = recalls[0], worst = recalls[0];
        foreach (var r in recalls.Skip(1))
        {
            if (r.Recall > best.Recall) best = r;
            if (r.Recall < worst.Recall) worst = r;
        }

        ConfusedPair? most = null;
        int mostTrue = -1, mostPredicted = -1;
        for (int t = 0; t < k; t++)
        {
            int rowTotal = confusion[t].Sum();
            for (int p = 0; p < k; p++)
            {
                if (p == t || confusion[t][p] == 0) continue;
                var candidate = new ConfusedPair(labels[t], labels[p], confusion[t][p], rowTotal);
                if (most is null || candidate.Share > most.Share || (candidate.Share == most.Share && candidate.Count > most.Count))
                {
                    most = candidate;
                    (mostTrue, mostPredicted) = (t, p);
                }
            }
        }
        ConfusedPair? reverse = most is null
            ? null
            : new ConfusedPair(labels[mostPredicted], labels[mostTrue], confusion[mostPredicted][mostTrue], confusion[mostPredicted].Sum());

        int correct = Enumerable.Range(0, k).Sum(i => confusion[i][i]);
        return new ConfusionFacts(total, correct, recalls, best, worst, most, reverse);
    }
}
