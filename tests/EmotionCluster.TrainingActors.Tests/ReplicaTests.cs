using EmotionCluster.TrainingActors;
using Xunit;

namespace EmotionCluster.TrainingActors.Tests;

/// <summary>Data-parallel replicas driven by hand (no actors): the arithmetic the trainer actors perform over messages.</summary>
public class ReplicaTests
{
    /// <summary>One global step over all replicas, as the coordinator does it (frames included).</summary>
    private static ReducedStep Step(IReadOnlyList<DataParallelReplica> replicas, long step)
    {
        var reducer = new StepReducer(step, Enumerable.Range(0, replicas.Count), replicas[0].VectorLength);
        var assembler = new GradientFrameAssembler();
        for (int rank = 0; rank < replicas.Count; rank++)
        {
            var c = replicas[rank].Compute(step, rank, replicas.Count);
            float[]? values = null;
            foreach (var f in GradientFrameAssembler.Split("run", step, rank, c.Values, valuesPerFrame: 100)) values = assembler.Add(f);
            reducer.Add(c with { Values = values! });
        }
        var reduced = reducer.Reduce();
        foreach (var r in replicas) r.Apply(reduced);
        return reduced;
    }

    [Fact]
    public void Two_replicas_on_half_batches_match_one_replica_on_the_full_batch()
    {
        // Without BatchNorm (batch statistics would differ between a batch and its halves) and without dropout.
        using var data = new Synthetic();
        var options = Synthetic.Recipe(batchNorm: false, dropout: 0, batchSize: 8);
        using var single = data.Replica(options);
        using var a = data.Replica(options);
        using var b = data.Replica(options);
        Assert.Equal(single.Trainer.GetParameters(), a.Trainer.GetParameters());
        Assert.Equal(0, single.Trainer.BufferCount);
        const int k = 6;
        for (long s = 1; s <= k; s++)
        {
            var one = Step([single], s);
            var two = Step([a, b], s);
            Assert.Equal(8, two.Samples);
            Assert.Equal(one.Loss, two.Loss, 5);
        }
        var expected = single.Trainer.GetParameters();
        var actual = a.Trainer.GetParameters();
        double maxDiff = expected.Zip(actual, (x, y) => Math.Abs(x - y)).Max();
        Assert.True(maxDiff <= 1e-5, $"max |w1 - w2| = {maxDiff:E2} after {k} steps");
        Assert.Equal(a.Trainer.WeightChecksum(), b.Trainer.WeightChecksum());
        // and the parameters did move
        using var fresh = data.Replica(options);
        Assert.True(fresh.Trainer.GetParameters().Zip(expected, (x, y) => Math.Abs(x - y)).Max() > 1e-3);
    }

    [Fact]
    public void Every_replica_judges_each_epoch_alike_with_the_default_model_selection()
    {
        // the recipe's defaults: BatchNorm recalibrated over the training set before validation, early stopping
        using var data = new Synthetic(trainCount: 24, validationCount: 9);
        var recipe = Synthetic.Recipe(batchNorm: true, dropout: 0.2, epochs: 6, batchSize: 8);
        recipe = recipe with { Training = recipe.Training with { PreciseBatchNorm = true, EarlyStoppingPatience = 2 } };
        using var a = data.Replica(recipe);
        using var b = data.Replica(recipe);
        for (long s = 1; s <= a.TotalSteps && !a.StopEarly; s++)
        {
            Step([a, b], s);
            if (!a.IsEpochEnd(s)) continue;
            var va = a.EndEpoch(a.CompletedEpochs)!.Value;
            var vb = b.EndEpoch(b.CompletedEpochs)!.Value;
            Assert.Equal(va.Report.Uar, vb.Report.Uar);
            Assert.Equal(va.IsBest, vb.IsBest);
            Assert.Equal(a.StopEarly, b.StopEarly);
            // the recalibrated BatchNorm statistics too: either replica could carry on as the coordinator
            Assert.Equal(a.CreateCheckpoint().ModelState, b.CreateCheckpoint().ModelState);
        }
        Assert.Equal(a.BestEpoch, b.BestEpoch);
        a.RestoreBest();
        b.RestoreBest();
        Assert.Equal(a.Trainer.WeightChecksum(), b.Trainer.WeightChecksum());
    }

    [Fact]
    public void Replicas_hold_identical_weights_and_buffers_after_every_step()
    {
        // Default shape: BatchNorm (running statistics averaged with the gradients) and dropout (own stream per replica).
        using var data = new Synthetic(trainCount: 25);
        var options = Synthetic.Recipe(batchNorm: true, dropout: 0.3, batchSize: 7);
        var replicas = Enumerable.Range(0, 3).Select(_ => data.Replica(options)).ToList();
        try
        {
            Assert.True(replicas[0].Trainer.BufferCount > 0);
            string initial = replicas[0].Trainer.WeightChecksum();
            for (long s = 1; s <= replicas[0].Plan.StepsPerEpoch * 2; s++)
            {
                Step(replicas, s);
                var sums = replicas.Select(r => r.Trainer.WeightChecksum()).Distinct().ToList();
                Assert.True(sums.Count == 1, $"step {s}: checksums {string.Join(", ", replicas.Select(r => r.Trainer.WeightChecksum()))}");
                Assert.Equal(replicas[0].Trainer.GetBuffers(), replicas[2].Trainer.GetBuffers());
            }
            Assert.NotEqual(initial, replicas[0].Trainer.WeightChecksum());
        }
        finally
        {
            foreach (var r in replicas) r.Dispose();
        }
    }

    [Fact]
    public void Dropping_a_replica_keeps_the_survivors_identical_and_training()
    {
        using var data = new Synthetic();
        var options = Synthetic.Recipe();
        using var a = data.Replica(options);
        using var b = data.Replica(options);
        using var c = data.Replica(options);
        Step([a, b, c], 1);
        // step 2: rank 2 never answers; the coordinator drops it and sends the result to everyone (c included)
        var reducer = new StepReducer(2, [0, 1, 2], a.VectorLength);
        reducer.Add(a.Compute(2, 0, 3));
        reducer.Add(b.Compute(2, 1, 3));
        reducer.Drop(2);
        var reduced = reducer.Reduce();
        Assert.Equal([0, 1], reduced.Contributors);
        foreach (var r in new[] { a, b, c }) r.Apply(reduced);
        Assert.Single(new[] { a, b, c }.Select(r => r.Trainer.WeightChecksum()).Distinct());
        // step 3 with two replicas (membership shrank)
        Step([a, b], 3);
        Assert.Equal(a.Trainer.WeightChecksum(), b.Trainer.WeightChecksum());
        Assert.Equal(3, a.AppliedStep);
    }

    [Fact]
    public void Resuming_from_a_checkpoint_continues_exactly_where_training_stopped()
    {
        // BatchNorm and dropout on: the checkpoint must carry weights, buffers, AdamW state, step and torch's generator.
        using var data = new Synthetic();
        var options = Synthetic.Recipe(batchNorm: true, dropout: 0.3, epochs: 4);
        string expected;
        using (var straight = data.Replica(options))
        {
            for (long s = 1; s <= straight.TotalSteps; s++) Step([straight], s);
            Assert.True(straight.Finished);
            expected = straight.Trainer.WeightChecksum();
        }

        var store = new CheckpointStore(Path.Combine(data.Root, "ckpt"));
        using (var first = data.Replica(options))
        {
            for (long s = 1; s <= 2 * first.Plan.StepsPerEpoch; s++) Step([first], s);
            Assert.Equal(2, first.CompletedEpochs);
            store.Save(first.CreateCheckpoint());
            Step([first], first.AppliedStep + 1); // progress after the checkpoint is lost with the process
        }
        using var resumed = data.Replica(options);
        var checkpoint = store.TryLoad()!;
        Assert.Equal(2, checkpoint.Epoch);
        resumed.Restore(checkpoint, restoreRandom: true);
        Assert.Equal(2, resumed.CompletedEpochs);
        for (long s = resumed.AppliedStep + 1; s <= resumed.TotalSteps; s++) Step([resumed], s);
        Assert.Equal(expected, resumed.Trainer.WeightChecksum());
    }

    [Fact]
    public void A_checkpoint_of_another_run_is_refused()
    {
        using var data = new Synthetic();
        using var a = data.Replica(Synthetic.Recipe(epochs: 4));
        using var b = data.Replica(Synthetic.Recipe(epochs: 5));
        var e = Assert.Throws<InvalidDataException>(() => b.Restore(a.CreateCheckpoint(), restoreRandom: true));
        Assert.Contains("belongs to run", e.Message);
    }

    [Fact]
    public void Validation_metrics_come_from_the_validation_set()
    {
        using var data = new Synthetic();
        using var r = data.Replica(Synthetic.Recipe(epochs: 3));
        for (long s = 1; s <= r.TotalSteps; s++) Step([r], s);
        var (loss, accuracy) = r.TakeEpochMetrics();
        Assert.True(double.IsFinite(loss) && accuracy is >= 0 and <= 1);
        var validation = r.Validate()!.Value;
        Assert.Equal(6, validation.Report.Count);
        Assert.True(validation.Loss > 0);
    }
}

public class OptimizerTests
{
    [Fact]
    public void Explicit_scalar_AdamW_matches_TorchSharp_AdamW_bit_for_bit_and_round_trips_its_state()
    {
        using var data = new Synthetic();
        var options = Synthetic.Recipe(batchNorm: true, dropout: 0);
        var cnn = options.CnnFor(Synthetic.Classes);
        var settings = options.Training;
        using var reference = new EmotionCluster.Model.Trainer(cnn, settings);
        using var ours = new EmotionCluster.Model.Trainer(cnn, settings);
        using var adamw = new ExplicitScalarAdamW(ours.Model.parameters(), settings.WeightDecay);
        var xs = data.Data.TrainX.Take(8).ToArray();
        var ys = data.Data.TrainY.Take(8).ToArray();
        for (int step = 1; step <= 6; step++)
        {
            double lr = 1e-2 / step;
            reference.ComputeGradients(xs, ys);
            ours.SetGradients(reference.GetGradients());
            reference.LearningRate = lr;
            reference.ApplyGradients();
            adamw.Step(lr);
            Assert.Equal(reference.GetParameters(), ours.GetParameters());
        }
        Assert.Equal(6, adamw.Steps);

        using var copy = new ExplicitScalarAdamW(ours.Model.parameters(), settings.WeightDecay);
        copy.LoadState(adamw.SaveState());
        Assert.Equal(adamw.SaveState(), copy.SaveState());
        Assert.Throws<InvalidDataException>(() => copy.LoadState([1, 2, 3, 4, 5, 6, 7, 8]));
    }
}

public class TrainerStateTests
{
    [Fact]
    public void Trainer_optimizer_state_buffers_and_random_state_round_trip()
    {
        using var data = new Synthetic();
        var options = Synthetic.Recipe(batchNorm: true, dropout: 0);
        var cnn = options.CnnFor(Synthetic.Classes);
        var settings = options.Training;
        var xs = data.Data.TrainX.Take(8).ToArray();
        var ys = data.Data.TrainY.Take(8).ToArray();
        using var a = new EmotionCluster.Model.Trainer(cnn, settings);
        for (int i = 0; i < 3; i++)
        {
            a.ComputeGradients(xs, ys);
            a.ApplyGradients();
        }
        using var b = new EmotionCluster.Model.Trainer(cnn, settings);
        b.LoadState(a.SaveState());
        b.LoadOptimizerState(a.SaveOptimizerState());
        Assert.Equal(a.GetBuffers(), b.GetBuffers());
        Assert.True(a.BufferCount > 0);
        foreach (var t in new[] { a, b })
        {
            t.ComputeGradients(xs, ys);
            t.ApplyGradients();
        }
        Assert.Equal(a.WeightChecksum(), b.WeightChecksum()); // same moments: same update

        var random = EmotionCluster.Model.Trainer.GetRandomState();
        var first = TorchSharp.torch.rand(5).data<float>().ToArray();
        EmotionCluster.Model.Trainer.SetRandomState(random);
        Assert.Equal(first, TorchSharp.torch.rand(5).data<float>().ToArray());

        var buffers = a.GetBuffers();
        buffers[0] = 42;
        b.SetBuffers(buffers);
        Assert.Equal(42, b.GetBuffers()[0]);
        Assert.Throws<ArgumentException>(() => b.SetBuffers(new float[3]));
    }
}
