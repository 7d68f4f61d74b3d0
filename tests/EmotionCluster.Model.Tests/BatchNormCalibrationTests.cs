using EmotionCluster.Model;
using Xunit;
using EmotionCluster.Testing;

namespace EmotionCluster.Model.Tests;

public class BatchNormCalibrationTests
{
    [Fact]
    public void Calibration_depends_only_on_the_weights_and_the_examples_not_on_earlier_statistics()
    {
        var cnn = ToyData.SmallCnn;
        var data = ToyData.Bands(8, cnn, seed: 3);
        var other = ToyData.Bands(8, cnn, seed: 4, noise: 3.0);
        using var trainer = new Trainer(cnn, ToyData.FastTraining(1));
        float[] weights = trainer.GetParameters();

        trainer.RecalibrateBatchNorm(data.Xs());
        float[] first = trainer.GetBuffers();
        Assert.Equal(weights, trainer.GetParameters()); // weights untouched

        // Disturb the running statistics with forward passes on other data, then calibrate again on the same data.
        trainer.RecalibrateBatchNorm(other.Xs());
        Assert.NotEqual(first, trainer.GetBuffers());
        trainer.RecalibrateBatchNorm(data.Xs());
        float[] again = trainer.GetBuffers();
        Assert.Equal(first.Length, again.Length);
        for (int i = 0; i < first.Length; i++) Assert.Equal(first[i], again[i], 4);
    }

    [Fact]
    public void Evaluation_after_calibration_is_deterministic_and_training_still_learns()
    {
        var cnn = ToyData.SmallCnn;
        var train = ToyData.Bands(12, cnn, seed: 5);
        var validation = ToyData.Bands(4, cnn, seed: 6);
        var settings = ToyData.FastTraining(4) with { PreciseBatchNorm = true };
        using var a = SmallModels.Train(train, validation, settings, cnn);
        using var b = SmallModels.Train(train, validation, settings, cnn);
        Assert.Equal(a.History.Select(h => h.ValidationLoss), b.History.Select(h => h.ValidationLoss));
        Assert.True(a.History[^1].TrainLoss < a.History[0].TrainLoss);
    }
}
