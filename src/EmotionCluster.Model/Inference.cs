using EmotionCluster.Features;
using static TorchSharp.torch;

namespace EmotionCluster.Model;

/// <summary>
/// Evaluation-mode forward passes, one example per forward pass, shared by training-time validation, test scoring,
/// <c>evaluate</c> and <see cref="Predictor"/>. One at a time because the CPU kernels block the work by batch size:
/// the same example in batches of different sizes differs in the last float bits, while alone it gives the same bits
/// whatever else is evaluated with it, so <c>predict</c> on one file reproduces the evaluation of that file exactly.
/// </summary>
public static class Inference
{
    /// <summary>Examples per forward pass (see the class remarks for why it is 1).</summary>
    public const int BatchSize = 1;

    public static EvaluationOutput Run(SerCnn model, IReadOnlyList<Spectrogram> examples, IReadOnlyList<int>? labels, Device device)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (labels is not null && labels.Count != examples.Count)
            throw new ArgumentException($"{examples.Count} examples but {labels.Count} labels.", nameof(labels));
        int classes = model.Settings.Classes;
        var probabilities = new float[examples.Count][];
        var predicted = new int[examples.Count];
        double lossSum = 0;
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            for (int start = 0; start < examples.Count; start += BatchSize)
            {
                using var scope = NewDisposeScope();
                int n = Math.Min(BatchSize, examples.Count - start);
                var input = Batches.ToTensor(Slice(examples, start, n), model.Settings.InputBins, model.Settings.InputFrames, device);
                var logits = model.forward(input);
                var flat = new float[n * classes];
                Batches.CopyTo(nn.functional.softmax(logits, 1), flat);
                for (int i = 0; i < n; i++)
                {
                    var row = flat.AsSpan(i * classes, classes).ToArray();
                    probabilities[start + i] = row;
                    predicted[start + i] = ArgMax(row);
                }
                if (labels is not null)
                {
                    var target = Batches.Labels(Slice(labels, start, n), device);
                    lossSum += nn.functional.cross_entropy(logits, target, reduction: nn.Reduction.Sum).item<float>();
                }
            }
        }
        finally
        {
            model.train(wasTraining);
        }
        return new EvaluationOutput(probabilities, predicted, labels is null || examples.Count == 0 ? null : lossSum / examples.Count);
    }

    /// <summary>
    /// Probabilities of <paramref name="examples"/> in forward passes of up to <paramref name="maxBatch"/> examples each,
    /// in inference mode (no autograd bookkeeping at all, cheaper than <c>no_grad</c>): for live streaming, where one
    /// batched pass over the windows of many streams costs much less per window than one pass each. The CPU kernels
    /// block the work by batch size, so a window's probabilities may differ from <see cref="Run"/>'s in the last float
    /// bits (streaming tests hold them to 1e-4 of <c>predict</c>); use <see cref="Run"/> where bits must reproduce.
    /// </summary>
    public static float[][] RunBatched(SerCnn model, IReadOnlyList<Spectrogram> examples, int maxBatch, Device device)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        int classes = model.Settings.Classes;
        var probabilities = new float[examples.Count][];
        bool wasTraining = model.training;
        if (wasTraining) model.eval();
        try
        {
            using var mode = inference_mode();
            for (int start = 0; start < examples.Count; start += maxBatch)
            {
                using var scope = NewDisposeScope();
                int n = Math.Min(maxBatch, examples.Count - start);
                var input = Batches.ToTensor(Slice(examples, start, n), model.Settings.InputBins, model.Settings.InputFrames, device);
                var flat = new float[n * classes];
                Batches.CopyTo(nn.functional.softmax(model.forward(input), 1), flat);
                for (int i = 0; i < n; i++) probabilities[start + i] = flat.AsSpan(i * classes, classes).ToArray();
            }
        }
        finally
        {
            if (wasTraining) model.train();
        }
        return probabilities;
    }

    /// <summary>
    /// Several inputs per example (e.g. the overlapping crops of a long clip): each crop runs through <see cref="Run"/>
    /// on its own, the example's probabilities are the mean of its crops' (summed in crop order, then divided), its
    /// label the arg-max of that mean, and the loss (with labels) the mean over examples of -ln(mean probability of the
    /// true class). <c>predict</c> and <c>evaluate</c> go through the same code, so they agree bit for bit.
    /// </summary>
    public static EvaluationOutput RunAveraged(SerCnn model, IReadOnlyList<IReadOnlyList<Spectrogram>> crops, IReadOnlyList<int>? labels, Device device)
    {
        ArgumentNullException.ThrowIfNull(crops);
        if (labels is not null && labels.Count != crops.Count)
            throw new ArgumentException($"{crops.Count} examples but {labels.Count} labels.", nameof(labels));
        for (int i = 0; i < crops.Count; i++)
            if (crops[i] is null || crops[i].Count == 0) throw new ArgumentException($"example {i} has no crops.", nameof(crops));
        var flat = crops.SelectMany(c => c).ToList();
        var each = Run(model, flat, null, device).Probabilities;
        var probabilities = new float[crops.Count][];
        var predicted = new int[crops.Count];
        double lossSum = 0;
        for (int i = 0, k = 0; i < crops.Count; k += crops[i].Count, i++)
        {
            probabilities[i] = Average(each.AsSpan(k, crops[i].Count));
            predicted[i] = ArgMax(probabilities[i]);
            if (labels is not null) lossSum -= Math.Log(Math.Max(probabilities[i][labels[i]], 1e-12f));
        }
        return new EvaluationOutput(probabilities, predicted, labels is null || crops.Count == 0 ? null : lossSum / crops.Count);
    }

    /// <summary>Element-wise mean of probability rows (one row: returned as is).</summary>
    public static float[] Average(ReadOnlySpan<float[]> rows)
    {
        if (rows.Length == 0) throw new ArgumentException("no rows to average", nameof(rows));
        if (rows.Length == 1) return rows[0];
        var mean = new float[rows[0].Length];
        foreach (var row in rows)
            for (int c = 0; c < mean.Length; c++) mean[c] += row[c];
        for (int c = 0; c < mean.Length; c++) mean[c] /= rows.Length;
        return mean;
    }

    private static T[] Slice<T>(IReadOnlyList<T> items, int start, int count)
    {
        var slice = new T[count];
        for (int i = 0; i < count; i++) slice[i] = items[start + i];
        return slice;
    }

    /// <summary>Index of the largest value; the first on ties.</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }
}
