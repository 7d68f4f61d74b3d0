using EmotionCluster.Features;
using EmotionCluster.Model;

namespace EmotionCluster.Model.Tests;

/// <summary>
/// A learnable toy problem: class k is a bright horizontal band over the k-th group of bins, on Gaussian noise,
/// at a random frame offset and level.
/// </summary>
internal static class ToyData
{
    public static readonly CnnSettings SmallCnn = new()
    {
        InputBins = 16, InputFrames = 32, Classes = 3, Channels = [4, 8], KernelSize = 3,
        ConvDropout = 0.1, DenseSize = 16, DenseDropout = 0.2,
    };

    public static TrainingSettings FastTraining(int epochs) => new()
    {
        Epochs = epochs, BatchSize = 16, LearningRate = 1e-2, WarmupEpochs = 0, EarlyStoppingPatience = 0, Threads = 2, Seed = 7,
    };

    /// <summary>A recipe whose input fits <see cref="SmallCnn"/> (16 mel bands, 32 frames), trained as <see cref="FastTraining"/>.</summary>
    public static Recipe SmallRecipe(int epochs) => new Recipe() with
    {
        Features = new() { Mel = new() { NMels = 16 } },
        Input = new() { Frames = 32 },
        Cnn = SmallCnn,
        Training = FastTraining(epochs),
    };

    public static (Spectrogram X, int Y)[] Bands(int perClass, CnnSettings cnn, int seed, double noise = 0.5)
    {
        var random = new Random(seed);
        int band = cnn.InputBins / cnn.Classes;
        var examples = new List<(Spectrogram, int)>();
        for (int n = 0; n < perClass; n++)
            for (int k = 0; k < cnn.Classes; k++)
            {
                var data = new float[cnn.InputBins * cnn.InputFrames];
                double level = 1 + random.NextDouble();
                int from = random.Next(cnn.InputFrames / 2);
                for (int b = 0; b < cnn.InputBins; b++)
                    for (int f = 0; f < cnn.InputFrames; f++)
                    {
                        bool inBand = b >= k * band && b < (k + 1) * band && f >= from && f < from + cnn.InputFrames / 2;
                        data[b * cnn.InputFrames + f] = (float)((inBand ? level : 0) + noise * Gaussian(random));
                    }
                examples.Add((new Spectrogram(data, cnn.InputBins, cnn.InputFrames), k));
            }
        return [.. examples];
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    public static Spectrogram[] Xs(this (Spectrogram X, int Y)[] examples) => examples.Select(e => e.X).ToArray();
    public static int[] Ys(this (Spectrogram X, int Y)[] examples) => examples.Select(e => e.Y).ToArray();

    /// <summary>Synchronous progress (System.Progress posts to the thread pool).</summary>
    public sealed class Recorder(Action<EpochReport>? onReport = null) : IProgress<EpochReport>
    {
        public List<EpochReport> Reports { get; } = [];

        public void Report(EpochReport value)
        {
            Reports.Add(value);
            onReport?.Invoke(value);
        }
    }
}
