using EmotionCluster.Model;
using Xunit;

namespace EmotionCluster.Model.Tests;

public class ScheduleTests
{
    private static double[] Rates(TrainingSettings settings, int stepsPerEpoch, int steps)
    {
        var schedule = new LearningRateSchedule(settings, stepsPerEpoch);
        var rates = new double[steps];
        for (int i = 0; i < steps; i++)
        {
            rates[i] = schedule.Current;
            schedule.AfterStep();
        }
        return rates;
    }

    [Fact]
    public void Warmup_rises_linearly_then_cosine_falls_to_the_floor()
    {
        var settings = new TrainingSettings { Epochs = 3, LearningRate = 1.0, WarmupEpochs = 1, Schedule = LrSchedule.Cosine, MinLearningRateFactor = 0.1 };
        double[] r = Rates(settings, stepsPerEpoch: 4, steps: 12);

        Assert.Equal(new[] { 0.25, 0.5, 0.75 }, r[..3]);
        Assert.Equal(1.0, r[4], 12);                           // cosine starts at the base rate after warm-up
        Assert.Equal(0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * 4 / 8)), r[8], 12); // halfway through the 8 decay steps
        Assert.All(r.Zip(r.Skip(1)).Skip(4), pair => Assert.True(pair.Second < pair.First));
        Assert.True(r[^1] > 0.1);
    }

    [Fact]
    public void Plateau_halves_after_patience_epochs_without_gain()
    {
        var settings = new TrainingSettings { LearningRate = 1.0, WarmupEpochs = 0, Schedule = LrSchedule.Plateau, PlateauPatience = 2, PlateauFactor = 0.5 };
        var schedule = new LearningRateSchedule(settings, 10);
        var rates = new List<double>();
        foreach (double uar in new[] { 0.5, 0.6, 0.6, 0.55, 0.7, 0.7, 0.7 })
        {
            schedule.AfterEpoch(uar);
            rates.Add(schedule.Current);
        }
        Assert.Equal(new[] { 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25 }, rates);
    }

    [Fact]
    public void Constant_schedule_is_constant_and_bad_settings_are_named()
    {
        Assert.All(Rates(new TrainingSettings { LearningRate = 0.3, WarmupEpochs = 0, Schedule = LrSchedule.Constant }, 3, 9), r => Assert.Equal(0.3, r));
        Assert.Contains("LearningRate", Assert.Throws<ArgumentException>(() => new TrainingSettings { LearningRate = 0 }.Validate()).Message);
        Assert.Contains("BatchSize", Assert.Throws<ArgumentException>(() => new TrainingSettings { BatchSize = 0 }.Validate()).Message);
        Assert.Contains("LabelSmoothing", Assert.Throws<ArgumentException>(() => new TrainingSettings { LabelSmoothing = 1 }.Validate()).Message);
    }

    [Fact]
    public void Balanced_class_weights_are_n_over_present_classes_times_count()
    {
        // 6 labels, classes 0 (x3), 1 (x2), 2 (x1), 3 absent: 6/(3*3), 6/(3*2), 6/(3*1), 0
        float[] w = ClassWeights.Balanced([0, 0, 0, 1, 1, 2], 4);
        Assert.Equal(new[] { 2f / 3, 1f, 2f, 0f }, w);
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassWeights.Balanced([0, 4], 4));
    }
}
