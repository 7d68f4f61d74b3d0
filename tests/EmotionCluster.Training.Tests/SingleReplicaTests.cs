using EmotionCluster.Model;
using Xunit;

namespace EmotionCluster.Training.Tests;

/// <summary>
/// <see cref="DataParallelReplica.TrainAlone"/>, the step of a replica that is the step's only one (a one-node trainer
/// cluster): the same update as the all-reduce path, without the flattened vectors.
/// </summary>
public class SingleReplicaTests
{
    /// <summary>Compute (rank 0 of 1), StepReducer, Apply: what the coordinator does for a step with several replicas.</summary>
    private static ReducedStep ReducedPath(DataParallelReplica replica, long step)
    {
        var reducer = new StepReducer(step, [0], replica.VectorLength);
        reducer.Add(replica.Compute(step, 0, 1));
        var reduced = reducer.Reduce();
        replica.Apply(reduced);
        return reduced;
    }

    private static void AssertSameStep(ReducedStep expected, ReducedStep actual)
    {
        Assert.Equal(expected.Step, actual.Step);
        Assert.Equal(expected.Contributors, actual.Contributors);
        Assert.Equal(expected.Dropped, actual.Dropped);
        Assert.Equal(expected.Weight, actual.Weight);
        Assert.Equal(expected.Loss, actual.Loss);
        Assert.Equal(expected.Correct, actual.Correct);
        Assert.Equal(expected.Samples, actual.Samples);
    }

    [Theory]
    [InlineData(true, 0.3)] // the default shape: BatchNorm buffers and dropout
    [InlineData(false, 0.0)]
    public void Training_alone_gives_the_weights_buffers_and_optimizer_state_of_the_reduced_path_bit_for_bit(bool batchNorm, double dropout)
    {
        using var data = new Synthetic(trainCount: 25);
        var options = Synthetic.Options(batchNorm: batchNorm, dropout: dropout, batchSize: 7);
        // one after the other: torch's random generator (dropout) is process-wide and each replica's Trainer reseeds it
        var alone = new List<ReducedStep>();
        string aloneSum;
        float[] aloneBuffers;
        byte[] aloneState;
        (double, double) aloneEpoch;
        string initial;
        using (var a = data.Replica(options))
        {
            initial = a.Trainer.WeightChecksum();
            for (long s = 1; s <= a.TotalSteps; s++) alone.Add(a.TrainAlone(s));
            Assert.True(a.Finished);
            aloneSum = a.Trainer.WeightChecksum();
            aloneBuffers = a.Trainer.GetBuffers();
            aloneState = a.CreateCheckpoint().OptimizerState;
            aloneEpoch = a.TakeEpochMetrics();
        }
        Assert.NotEqual(initial, aloneSum);
        Assert.All(alone, r => Assert.Null(r.Values));

        using var b = data.Replica(options);
        Assert.Equal(initial, b.Trainer.WeightChecksum());
        for (long s = 1; s <= b.TotalSteps; s++) AssertSameStep(ReducedPath(b, s), alone[(int)s - 1]);
        Assert.Equal(aloneSum, b.Trainer.WeightChecksum());
        Assert.Equal(aloneBuffers, b.Trainer.GetBuffers());
        Assert.Equal(aloneState, b.CreateCheckpoint().OptimizerState);
        Assert.Equal(aloneEpoch, b.TakeEpochMetrics());
    }

    [Fact]
    public void Training_alone_gives_the_weights_of_the_plain_trainer_loop()
    {
        // the plain loop as the trainer benchmark runs it: Trainer.ComputeGradients + ApplyGradients (TorchSharp AdamW)
        using var data = new Synthetic(trainCount: 25);
        var options = Synthetic.Options(batchNorm: true, dropout: 0.3, batchSize: 7);
        string expected;
        long steps;
        using (var replica = data.Replica(options))
        {
            steps = replica.TotalSteps;
            for (long s = 1; s <= steps; s++) replica.TrainAlone(s);
            expected = replica.Trainer.WeightChecksum();
        }
        var settings = options.ToTrainingSettings();
        var cnn = options.ToCnnSettings(Synthetic.Bins, Synthetic.Frames, Synthetic.Classes);
        using var trainer = new Trainer(cnn, settings);
        trainer.SetClassWeights(ClassWeights.Balanced(data.Data.TrainY, cnn.Classes));
        var plan = new DataParallelStep(data.Data.TrainX.Length, settings.BatchSize, settings.Seed);
        var schedule = new LearningRateSchedule(settings, plan.StepsPerEpoch);
        for (long s = 1; s <= steps; s++)
        {
            var batch = plan.GlobalBatch(s);
            trainer.LearningRate = schedule.Current;
            trainer.ComputeGradients(batch.Select(i => data.Data.TrainX[i]).ToArray(), batch.Select(i => data.Data.TrainY[i]).ToArray());
            trainer.ApplyGradients();
            schedule.AfterStep();
        }
        Assert.Equal(expected, trainer.WeightChecksum());
    }

    [Fact]
    public void Training_alone_refuses_a_step_out_of_order_and_continues_after_a_reduced_step()
    {
        using var data = new Synthetic();
        var options = Synthetic.Options();
        using var replica = data.Replica(options);
        Assert.Throws<InvalidOperationException>(() => replica.TrainAlone(2));
        replica.TrainAlone(1);
        ReducedPath(replica, 2); // a second replica joined for step 2
        var third = replica.TrainAlone(3); // and left again
        Assert.Equal(3, replica.AppliedStep);
        Assert.Equal(8, third.Samples);
        Assert.Throws<InvalidOperationException>(() => replica.Apply(third with { Step = 3 }));
    }
}
