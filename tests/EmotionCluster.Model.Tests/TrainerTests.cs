using EmotionCluster.Features;
using EmotionCluster.Metrics;
using EmotionCluster.Model;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Model.Tests;

public class TrainerTests(ITestOutputHelper output)
{
    private static readonly CnnSettings Cnn = ToyData.SmallCnn;

    [Fact]
    public void Learns_the_toy_problem_in_a_few_epochs()
    {
        var train = ToyData.Bands(40, Cnn, seed: 1);
        var validation = ToyData.Bands(20, Cnn, seed: 2);
        var progress = new ToyData.Recorder(r => output.WriteLine(r.ToString()));

        using var result = SmallModels.Train(train, validation, ToyData.FastTraining(8), Cnn, progress);

        Assert.Equal(8, result.History.Count);
        Assert.Equal(result.History, progress.Reports);
        Assert.True(result.History[^1].TrainLoss < 0.75 * result.History[0].TrainLoss,
            $"training loss fell only from {result.History[0].TrainLoss} to {result.History[^1].TrainLoss}");
        var report = ClassificationMetrics.Compute(validation.Ys(), result.Validation!.Predicted, ["low", "mid", "high"]);
        Assert.True(report.Accuracy >= 0.9, $"validation accuracy {report.Accuracy}");
        Assert.Equal(result.History[result.BestEpoch - 1].ValidationUar!.Value, report.Uar, 12);
        Assert.True(result.History[result.BestEpoch - 1].IsBest);
        Assert.Equal(result.History.Max(h => h.ValidationUar), report.Uar);
    }

    [Fact]
    public void Weight_averaging_is_not_on_the_trainer_actors_path_and_is_refused()
    {
        var settings = ToyData.FastTraining(6) with { AverageLastEpochs = 3 };
        Assert.Contains("AverageLastEpochs 3", Assert.Throws<ArgumentException>(() => SmallModels.Train(ToyData.Bands(2, Cnn, seed: 1), [], settings, Cnn)).Message);
        Assert.Contains("AverageLastEpochs", Assert.Throws<ArgumentException>(() => (settings with { AverageLastEpochs = 7 }).Validate()).Message);
    }

    [Fact]
    public void Same_seed_and_threads_give_identical_weights_and_metrics_and_another_seed_does_not()
    {
        var train = ToyData.Bands(12, Cnn, seed: 3);
        var validation = ToyData.Bands(6, Cnn, seed: 4);
        var settings = ToyData.FastTraining(3) with { Seed = 11 };
        static Spectrogram Jitter(Spectrogram x, Random r) => // exercises the seeded augmentation random too
            new(x.Data.Select(v => v + (float)(0.1 * r.NextDouble())).ToArray(), x.Bins, x.Frames);

        float[] Weights(TrainingResult result)
        {
            using var trainer = new Trainer(Cnn, settings);
            trainer.LoadState(SaveState(result.Model));
            return trainer.GetParameters();
        }

        using var a = SmallModels.Train(train, validation, settings, Cnn, augment: Jitter);
        using var b = SmallModels.Train(train, validation, settings, Cnn, augment: Jitter);
        using var c = SmallModels.Train(train, validation, settings with { Seed = 12 }, Cnn, augment: Jitter);

        Assert.Equal(Weights(a), Weights(b));
        Assert.Equal(SaveState(a.Model), SaveState(b.Model)); // BatchNorm running statistics too
        Assert.Equal(a.History.Select(h => (h.TrainLoss, h.ValidationLoss, h.ValidationUar)),
                     b.History.Select(h => (h.TrainLoss, h.ValidationLoss, h.ValidationUar)));
        Assert.Equal(a.Validation!.Probabilities, b.Validation!.Probabilities);
        Assert.NotEqual(Weights(a), Weights(c));
    }

    private static byte[] SaveState(SerCnn model)
    {
        using var stream = new MemoryStream();
        model.save(stream);
        return stream.ToArray();
    }

    [Fact]
    public void Gradient_vectors_round_trip_and_averaged_replicas_stay_in_step()
    {
        var data = ToyData.Bands(8, Cnn, seed: 5);
        var settings = ToyData.FastTraining(1);
        using var replica1 = new Trainer(Cnn, settings);
        using var replica2 = new Trainer(Cnn, settings);
        Assert.Equal(replica1.GetParameters(), replica2.GetParameters()); // same seed, same initialization
        Assert.All(replica1.GetGradients(), g => Assert.Equal(0f, g));    // before any backward pass

        var first = data[..12];
        var second = data[12..];
        double loss1 = replica1.ComputeGradients(first.Xs(), first.Ys()).Loss;
        replica2.ComputeGradients(second.Xs(), second.Ys());
        float[] g1 = replica1.GetGradients(), g2 = replica2.GetGradients();
        Assert.Equal(replica1.ParameterCount, g1.Length);
        Assert.Contains(g1, g => g != 0);
        Assert.NotEqual(g1, g2);
        Assert.True(double.IsFinite(loss1) && loss1 > 0);

        float[] mean = g1.Zip(g2, (x, y) => (x + y) / 2).ToArray();
        replica1.SetGradients(mean);
        replica2.SetGradients(mean);
        Assert.Equal(mean, replica1.GetGradients());
        float[] before = replica1.GetParameters();
        replica1.ApplyGradients();
        replica2.ApplyGradients();

        Assert.Equal(replica1.GetParameters(), replica2.GetParameters());
        Assert.NotEqual(before, replica1.GetParameters());
    }

    [Fact]
    public void Parameters_round_trip_and_change_the_output()
    {
        var data = ToyData.Bands(2, Cnn, seed: 6);
        using var trainer = new Trainer(Cnn, ToyData.FastTraining(1));
        float[] original = trainer.GetParameters();
        var before = trainer.Evaluate(data.Xs()).Probabilities;

        float[] changed = original.Select((v, i) => v + 0.01f * (i % 7 - 3)).ToArray();
        trainer.SetParameters(changed);
        Assert.Equal(changed, trainer.GetParameters());
        Assert.NotEqual(before, trainer.Evaluate(data.Xs()).Probabilities);

        trainer.SetParameters(original);
        Assert.Equal(before, trainer.Evaluate(data.Xs()).Probabilities);
        Assert.Throws<ArgumentException>(() => trainer.SetParameters(new float[3]));
    }

    [Fact]
    public void Early_stopping_restores_the_best_epoch()
    {
        // Validation labels contradict the features, so validation UAR can only get worse as the model learns.
        var train = ToyData.Bands(16, Cnn, seed: 7);
        var validation = ToyData.Bands(4, Cnn, seed: 8).Select(e => (e.X, (e.Y + 1) % 3)).ToArray();
        var settings = ToyData.FastTraining(30) with { EarlyStoppingPatience = 3 };

        using var result = SmallModels.Train(train, validation, settings, Cnn);

        Assert.True(result.StoppedEarly);
        Assert.Equal(result.BestEpoch + 3, result.History.Count);
        Assert.Equal(result.BestEpoch, result.History.Last(h => h.IsBest).Epoch);
        using var trainer = new Trainer(Cnn, settings);
        trainer.LoadState(SaveState(result.Model));
        Assert.Equal(result.Validation!.Probabilities, trainer.Evaluate(validation.Xs()).Probabilities);
    }

    [Fact]
    public void Without_validation_all_epochs_run_and_the_last_is_kept()
    {
        var train = ToyData.Bands(4, Cnn, seed: 9);
        int calls = 0;
        using var result = SmallModels.Train(train, [], ToyData.FastTraining(3) with { EarlyStoppingPatience = 1 }, Cnn,
            augment: (x, _) => { calls++; return x; });

        Assert.Equal(3, result.History.Count);
        Assert.Equal(3, result.BestEpoch);
        Assert.False(result.StoppedEarly);
        Assert.Null(result.Validation);
        Assert.Null(result.History[0].ValidationUar);
        Assert.Equal(3 * train.Length, calls); // the hook sees every training example once per epoch
    }

    [Fact]
    public void Bad_examples_are_named_and_cancellation_stops()
    {
        var train = ToyData.Bands(2, Cnn, seed: 10);
        var wrongSize = train.Select((e, i) => i == 3 ? (Spectrogram.Create(new float[16 * 30], 16, 30), e.Y) : e).ToArray();
        var e1 = Assert.Throws<ArgumentException>(() => SmallModels.Train(wrongSize, [], ToyData.FastTraining(1), Cnn));
        Assert.Contains("train[3] is 16 x 30", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => SmallModels.Train(train, [(train[0].X, 5)], ToyData.FastTraining(1), Cnn));
        Assert.Contains("validation[0] has label 5", e2.Message);

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => SmallModels.Train(train, [], ToyData.FastTraining(1), Cnn, cancellationToken: cancelled.Token));
    }

    [Fact]
    public void Benchmark_runs_and_reports_wall_and_cpu_rates()
    {
        var r = TrainingBenchmark.Run(Cnn, batchSize: 4, steps: 2, threads: 1, warmupSteps: 1);
        Assert.True(double.IsFinite(r.SamplesPerSecond) && r.SamplesPerSecond > 0, $"rate {r}");
        Assert.True(double.IsFinite(r.SamplesPerCpuSecond) && r.SamplesPerCpuSecond > 0, $"rate {r}");
    }
}
