using EmotionCluster.TrainingActors;
using Xunit;

namespace EmotionCluster.TrainingActors.Tests;

public class PlanningTests
{
    [Theory]
    [InlineData(16, 1)]
    [InlineData(16, 2)]
    [InlineData(16, 3)]
    [InlineData(5, 4)]
    [InlineData(2, 3)]
    public void Slices_partition_the_batch_in_order_with_sizes_within_one(int batchSize, int replicas)
    {
        var batch = Enumerable.Range(100, batchSize).ToArray();
        var slices = Enumerable.Range(0, replicas).Select(r => DataParallelStep.Slice(batch, r, replicas)).ToList();
        Assert.Equal(batch, slices.SelectMany(s => s));
        Assert.True(slices.Max(s => s.Length) - slices.Min(s => s.Length) <= 1);
    }

    [Fact]
    public void Global_batches_cover_each_epoch_once_and_are_reproducible()
    {
        var plan = new DataParallelStep(samples: 23, batchSize: 5, seed: 11);
        Assert.Equal(5, plan.StepsPerEpoch);
        for (int epoch = 1; epoch <= 3; epoch++)
        {
            var seen = Enumerable.Range(0, plan.StepsPerEpoch).SelectMany(i => plan.GlobalBatch((epoch - 1) * plan.StepsPerEpoch + i + 1)).ToList();
            Assert.Equal(Enumerable.Range(0, 23), seen.Order());
        }
        Assert.NotEqual(plan.EpochOrder(1), plan.EpochOrder(2));
        Assert.Equal(plan.EpochOrder(2), new DataParallelStep(23, 5, 11).EpochOrder(2));
        Assert.NotEqual(plan.EpochOrder(1), new DataParallelStep(23, 5, 12).EpochOrder(1));
        Assert.Equal(3, plan.GlobalBatch(5).Length); // last, short batch
        Assert.Equal(new StepPosition(2, 0), plan.Locate(6));
        Assert.Equal(new StepPosition(1, 4), plan.Locate(5));
        Assert.Equal(DataParallelStep.Slice(plan.GlobalBatch(7), 1, 2), plan.Plan(7, 1, 2));
    }

    [Fact]
    public void Bad_plans_are_refused_with_the_reason()
    {
        Assert.Throws<ArgumentException>(() => new DataParallelStep(0, 4, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => DataParallelStep.Slice([1, 2], 2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataParallelStep(4, 4, 1).Locate(0));
    }
}
