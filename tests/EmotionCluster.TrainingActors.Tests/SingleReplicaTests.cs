using EmotionCluster.Model;
using Xunit;

namespace EmotionCluster.TrainingActors.Tests;

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
        var options = Synthetic.Recipe(batchNorm: batchNorm, dropout: dropout, batchSize: 7);
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
        var options = Synthetic.Recipe(batchNorm: true, dropout: 0.3, batchSize: 7);
        string expected;
        long steps;
        using (var replica = data.Replica(options))
        {
            steps = replica.TotalSteps;
            for (long s = 1; s <= steps; s++) replica.TrainAlone(s);
            expected = replica.Trainer.WeightChecksum();
        }
        var settings = options.Training;
        var cnn = options.CnnFor(Synthetic.Classes);
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
        var options = Synthetic.Recipe();
        using var replica = data.Replica(options);
        Assert.Throws<InvalidOperationException>(() => replica.TrainAlone(2));
        replica.TrainAlone(1);
        ReducedPath(replica, 2); // a second replica joined for step 2
        var third = replica.TrainAlone(3); // and left again
        Assert.Equal(3, replica.AppliedStep);
        Assert.Equal(8, third.Samples);
        Assert.Throws<InvalidOperationException>(() => replica.Apply(third with { Step = 3 }));
    }

    [Fact]
    public void The_recipes_model_selection_keeps_the_best_epoch_and_stops_after_the_patience()
    {
        using var data = new Synthetic(trainCount: 24, validationCount: 9);
        var recipe = Synthetic.Recipe(epochs: 30);
        recipe = recipe with { Training = recipe.Training with { EarlyStoppingPatience = 3, LearningRate = 5e-2 } };
        using var replica = data.Replica(recipe);
        var checksums = new Dictionary<int, string>();
        int epoch = 0;
        for (long s = 1; s <= replica.TotalSteps && !replica.StopEarly; s++)
        {
            replica.TrainAlone(s);
            if (!replica.IsEpochEnd(s)) continue;
            epoch = replica.CompletedEpochs;
            var v = replica.EndEpoch(epoch)!.Value;
            checksums[epoch] = replica.Trainer.WeightChecksum();
            Assert.Equal(v.IsBest, replica.BestEpoch == epoch);
        }
        Assert.InRange(replica.BestEpoch, 1, epoch);
        if (replica.StopEarly) Assert.Equal(epoch - 3, replica.BestEpoch); // stopped exactly the patience after the best epoch
        else Assert.Equal(30, epoch);
        replica.RestoreBest();
        Assert.Equal(checksums[replica.BestEpoch], replica.Trainer.WeightChecksum());

        // the selection survives a checkpoint: a replica restored from it restores the same best weights
        using var resumed = data.Replica(recipe);
        resumed.Restore(replica.CreateCheckpoint(), restoreRandom: true);
        Assert.Equal(replica.BestEpoch, resumed.BestEpoch);
        Assert.Equal(replica.StopEarly, resumed.StopEarly); // a run that stopped early stays stopped
        Assert.Equal(replica.Finished, resumed.Finished);
        resumed.RestoreBest();
        Assert.Equal(checksums[replica.BestEpoch], resumed.Trainer.WeightChecksum());
    }

    [Fact]
    public void Augmentation_draws_depend_on_the_seed_step_and_example_only()
    {
        using var data = new Synthetic();
        var plain = Synthetic.Recipe(batchNorm: false, dropout: 0);
        var augmented = plain with { Augmentation = new AugmentationSettings { MaxShiftFrames = 2, FrequencyMasks = 1, MaxFrequencyWidth = 2, TimeMasks = 1, MaxTimeWidth = 3 } };
        string Train(Recipe recipe)
        {
            var shaped = TrainingData.Load(data.ManifestFor(recipe), data.Store);
            Assert.Equal(recipe.Augmentation.Enabled, shaped.Augment is not null);
            using var replica = new DataParallelReplica("r", shaped);
            for (long s = 1; s <= 6; s++) replica.TrainAlone(s);
            return replica.Trainer.WeightChecksum();
        }
        string a = Train(augmented);
        Assert.Equal(a, Train(augmented)); // another replica draws the same masks and shifts
        Assert.NotEqual(Train(plain), a);
    }
}
