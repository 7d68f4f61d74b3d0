using EmotionCluster.Audio;
using EmotionCluster.Experiments;
using Xunit;

namespace EmotionCluster.Experiments.Tests;

/// <summary>The robustness table's arithmetic: per condition the mean and population std over folds, the drop from clean's mean.</summary>
public class RobustnessTests
{
    [Fact]
    public void Each_condition_is_averaged_over_its_folds_and_its_drop_is_measured_from_clean()
    {
        var conditions = new[] { PerturbationCondition.Clean, PerturbationCondition.Parse("white-20db"), PerturbationCondition.Parse("telephone") };
        var folds = new List<(string, IReadOnlyDictionary<string, double>)>
        {
            ("03", new Dictionary<string, double> { ["clean"] = 0.8, ["white-20db"] = 0.6, ["telephone"] = 0.7 }),
            ("08", new Dictionary<string, double> { ["clean"] = 0.6, ["white-20db"] = 0.4 }), // telephone not measured on this fold
        };
        var rows = RobustnessProtocol.Means(folds, conditions);
        Assert.Equal(["clean", "white-20db", "telephone"], rows.Select(r => r.Condition));
        Assert.Equal(0.7, rows[0].MeanUar, 12);
        Assert.Equal(0.1, rows[0].StdUar, 12); // population std of 0.8 and 0.6
        Assert.Equal(0, rows[0].DropFromClean, 12);
        Assert.Equal(0.5, rows[1].MeanUar, 12);
        Assert.Equal(0.2, rows[1].DropFromClean, 12);
        Assert.Equal(2, rows[1].Folds);
        Assert.Equal((1, 0.7), (rows[2].Folds, rows[2].MeanUar));
        Assert.Equal(0.4, rows[1].PerFold["08"], 12);
        Assert.Equal("white noise, 20 dB SNR", rows[1].Description);
    }
}
