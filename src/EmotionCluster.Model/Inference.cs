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
