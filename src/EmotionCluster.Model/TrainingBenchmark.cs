using System.Diagnostics;
using EmotionCluster.Features;

namespace EmotionCluster.Model;

/// <summary>
/// Training throughput on random data, for comparison with tools/reference/bench_pytorch_cnn.py (same network,
/// AdamW lr 1e-3 weight decay 1e-2, plain cross entropy, constant rate). Each step includes building the batch tensor
/// from per-example arrays, forward, loss, backward and the optimizer step.
/// </summary>
public static class TrainingBenchmark
{
    /// <summary>Training examples per wall-clock second and per CPU-second of this process (all its threads) over the timed steps.</summary>
    public sealed record Result(double SamplesPerSecond, double SamplesPerCpuSecond);

    /// <summary>Throughput over <paramref name="steps"/> steps after <paramref name="warmupSteps"/> untimed ones.</summary>
    public static Result Run(CnnSettings cnn, int batchSize, int steps, int threads, int warmupSteps = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        var settings = new TrainingSettings
        {
            BatchSize = batchSize, Threads = threads, Seed = 0, LearningRate = 1e-3, WeightDecay = 1e-2,
            Schedule = LrSchedule.Constant, WarmupEpochs = 0, LabelSmoothing = 0, BalancedClassWeights = false,
        };
        using var trainer = new Trainer(cnn, settings);
        var random = new Random(0);
        var examples = Enumerable.Range(0, batchSize).Select(_ =>
        {
            var data = new float[cnn.InputBins * cnn.InputFrames];
            for (int i = 0; i < data.Length; i++) data[i] = (float)(random.NextDouble() * 2 - 1);
            return new Spectrogram(data, cnn.InputBins, cnn.InputFrames);
        }).ToArray();
        var labels = Enumerable.Range(0, batchSize).Select(i => i % cnn.Classes).ToArray();

        for (int i = 0; i < warmupSteps; i++) Step();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < steps; i++) Step();
        double wall = clock.Elapsed.TotalSeconds;
        double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        return new Result((double)steps * batchSize / wall, (double)steps * batchSize / cpuSeconds);

        void Step()
        {
            trainer.ComputeGradients(examples, labels);
            trainer.ApplyGradients();
        }
    }
}
