using EmotionCluster.Features;
using EmotionCluster.Model;
using Xunit;
using static TorchSharp.torch;

namespace EmotionCluster.Model.Tests;

public class InferenceTests
{
    [Fact]
    public void Averaged_scoring_is_the_mean_of_each_crops_probabilities_and_plain_scoring_for_one_crop()
    {
        using var model = new SerCnn(ToyData.SmallCnn);
        var xs = ToyData.Bands(2, ToyData.SmallCnn, seed: 3).Xs(); // 6 examples
        var plain = Inference.Run(model, xs, null, CPU).Probabilities;

        var groups = new IReadOnlyList<Spectrogram>[] { [xs[0]], [xs[1], xs[2], xs[3]], [xs[4], xs[5]] };
        var labels = new[] { 0, 1, 2 };
        var averaged = Inference.RunAveraged(model, groups, labels, CPU);

        Assert.Equal(plain[0], averaged.Probabilities[0]); // bit for bit
        for (int c = 0; c < ToyData.SmallCnn.Classes; c++)
        {
            Assert.Equal((plain[1][c] + plain[2][c] + plain[3][c]) / 3, averaged.Probabilities[1][c], 6);
            Assert.Equal((plain[4][c] + plain[5][c]) / 2, averaged.Probabilities[2][c], 6);
        }
        Assert.Equal(averaged.Probabilities.Select(p => Inference.ArgMax(p)), averaged.Predicted);
        double loss = -labels.Select((y, i) => Math.Log(averaged.Probabilities[i][y])).Average();
        Assert.Equal(loss, averaged.Loss!.Value, 5);
        Assert.Throws<ArgumentException>(() => Inference.RunAveraged(model, [[]], null, CPU));
        Assert.Throws<ArgumentException>(() => Inference.RunAveraged(model, groups, [0], CPU));
    }
}
