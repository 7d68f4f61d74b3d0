using System.Globalization;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.TrainingActors.Tests;

/// <summary>Trainers as separate OS processes on loopback: killed replicas, restarts from checkpoints.</summary>
public class ProcessTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>A trainer's settings: the manifest (the data and <see cref="Synthetic.Recipe"/> for these epochs and batch size) and this node's paths and timeouts.</summary>
    private static Dictionary<string, string> Settings(Synthetic data, string checkpointDir, int epochs, int batchSize, int minReplicas) => new()
    {
        ["Node:FeatureStorePath"] = data.Store.Root,
        ["Training:Manifest"] = data.WriteManifest(Synthetic.Recipe(batchNorm: true, dropout: 0.2, epochs: epochs, batchSize: batchSize),
            string.Create(CultureInfo.InvariantCulture, $"manifest-{epochs}x{batchSize}.json")),
        ["Training:CheckpointDirectory"] = checkpointDir,
        ["Training:StepTimeout"] = "00:00:02",
        ["Training:MinReplicas"] = minReplicas.ToString(CultureInfo.InvariantCulture),
        ["Training:StartTimeout"] = "00:00:40",
    };

    private void Dump(params NodeProcess[] nodes)
    {
        foreach (var n in nodes)
        {
            var interesting = n.Lines.Where(l => !l.StartsWith("step ", StringComparison.Ordinal) || l.Contains("dropped=1")).TakeLast(40);
            output.WriteLine($"--- {n.Name} ---\n{string.Join('\n', interesting)}");
        }
    }

    [Fact]
    public async Task A_killed_replica_is_dropped_and_the_others_keep_training_in_step()
    {
        using var data = new Synthetic(trainCount: 48, validationCount: 6);
        int[] ports = [NodeProcess.FreePort(), NodeProcess.FreePort(), NodeProcess.FreePort()];
        var settings = Enumerable.Range(0, 3).Select(i => Settings(data, Path.Combine(data.Root, $"ckpt{i}"), epochs: 400, batchSize: 12, minReplicas: 3)).ToList();
        using var first = TrainerProcess.Start("t1", ports[0], null, settings[0]);
        await first.WaitForLine(l => l.StartsWith("member up"), Patience);
        Assert.Contains("pool-thread=false", await first.WaitForLine(l => l.StartsWith("trainer ready"), Patience)); // pinned dispatcher
        using var second = TrainerProcess.Start("t2", ports[1], NodeProcess.Address(first.Port), settings[1]);
        using var third = TrainerProcess.Start("t3", ports[2], NodeProcess.Address(first.Port), settings[2]);
        try
        {
            // all three take part
            await first.WaitForLine(l => l.StartsWith("step ") && l.Contains("replicas=3") && TrainerProcess.StepOf(l) >= 8, Patience);
            var epochLine = await third.WaitForLine(l => l.StartsWith("epoch "), Patience);
            var sameOnFirst = await first.WaitForLine(l => l.StartsWith(epochLine.Split(" step=")[0] + " "), Patience);
            Assert.Equal(TrainerProcess.Field(epochLine, "checksum"), TrainerProcess.Field(sameOnFirst, "checksum"));

            third.Kill();
            long killedAt = first.Lines.Where(l => l.StartsWith("step ")).Select(TrainerProcess.StepOf).Max();
            output.WriteLine($"killed t3 after step {killedAt}");

            var drop = await first.WaitForLine(l => l.Contains(": dropped rank") && (l.Contains($":{ports[2]}")), Patience);
            output.WriteLine(drop);
            // training goes on with two replicas ...
            var later = await first.WaitForLine(l => l.StartsWith("step ") && l.Contains("replicas=2") && TrainerProcess.StepOf(l) > killedAt + 20, Patience);
            // ... and the two survivors hold identical weights at the next epochs' ends
            long stepAfter = TrainerProcess.StepOf(later);
            var survivorEpoch = await second.WaitForLine(l => l.StartsWith("epoch ") && long.Parse(TrainerProcess.Field(l, "step"), CultureInfo.InvariantCulture) > stepAfter, Patience);
            Assert.Equal("2", TrainerProcess.Field(survivorEpoch, "replicas"));
            var coordinatorEpoch = await first.WaitForLine(l => l.StartsWith(survivorEpoch.Split(" step=")[0] + " "), Patience);
            Assert.Equal(TrainerProcess.Field(coordinatorEpoch, "checksum"), TrainerProcess.Field(survivorEpoch, "checksum"));

            // every epoch end both survivors printed: same weights, before and after the kill
            static Dictionary<string, string> Sums(NodeProcess p) => p.Lines.Where(l => l.StartsWith("epoch "))
                .ToDictionary(l => l.Split(' ')[1], l => TrainerProcess.Field(l, "checksum"));
            var a = Sums(first);
            var b = Sums(second);
            var common = a.Keys.Intersect(b.Keys).ToList();
            Assert.True(common.Count >= 5, $"only {common.Count} common epochs");
            Assert.All(common, epoch => Assert.Equal(a[epoch], b[epoch]));
        }
        finally
        {
            Dump(first, second, third);
        }
    }

    [Fact]
    public async Task A_stalled_replica_is_dropped_after_the_step_timeout_and_resynchronized_when_it_wakes()
    {
        using var data = new Synthetic(trainCount: 48, validationCount: 0);
        int[] ports = [NodeProcess.FreePort(), NodeProcess.FreePort()];
        var settings = Enumerable.Range(0, 2).Select(i =>
        {
            var d = Settings(data, Path.Combine(data.Root, $"ckpt{i}"), epochs: 400, batchSize: 12, minReplicas: 2);
            d["Training:StepTimeout"] = "00:00:01";
            d["Node:AcceptableHeartbeatPause"] = "00:00:15"; // a stall, not a failure: the member stays reachable
            return d;
        }).ToList();
        using var first = TrainerProcess.Start("t1", ports[0], null, settings[0]);
        await first.WaitForLine(l => l.StartsWith("member up"), Patience);
        using var second = TrainerProcess.Start("t2", ports[1], NodeProcess.Address(first.Port), settings[1]);
        try
        {
            await first.WaitForLine(l => l.StartsWith("step ") && l.Contains("replicas=2") && TrainerProcess.StepOf(l) >= 8, Patience);
            second.Pause();
            var drop = await first.WaitForLine(l => l.Contains(": dropped rank") && l.Contains("no gradients within 1 s"), Patience);
            long droppedAt = long.Parse(drop.Split(' ')[1].TrimEnd(':'), CultureInfo.InvariantCulture);
            await first.WaitForLine(l => l.StartsWith("step ") && l.Contains("replicas=1") && TrainerProcess.StepOf(l) > droppedAt + 5, Patience);
            second.Resume();

            var synced = await second.WaitForLine(l => l.StartsWith("synchronized to step"), Patience);
            long syncStep = long.Parse(synced.Split(' ')[3], CultureInfo.InvariantCulture);
            Assert.True(syncStep > droppedAt, synced);
            var together = await first.WaitForLine(l => l.StartsWith("step ") && l.Contains("replicas=2") && TrainerProcess.StepOf(l) > syncStep, Patience);
            var epoch = await second.WaitForLine(l => l.StartsWith("epoch ") && long.Parse(TrainerProcess.Field(l, "step"), CultureInfo.InvariantCulture) > TrainerProcess.StepOf(together), Patience);
            var same = await first.WaitForLine(l => l.StartsWith(epoch.Split(" step=")[0] + " "), Patience);
            Assert.Equal(TrainerProcess.Field(same, "checksum"), TrainerProcess.Field(epoch, "checksum"));
        }
        finally
        {
            Dump(first, second);
        }
    }

    [Fact]
    public async Task A_restarted_trainer_resumes_from_its_checkpoint_and_ends_where_an_uninterrupted_run_ends()
    {
        using var data = new Synthetic(trainCount: 24, validationCount: 6);
        string checkpointDir = Path.Combine(data.Root, "ckpt");
        const int epochs = 150;
        var settings = Settings(data, checkpointDir, epochs, batchSize: 8, minReplicas: 1);
        int port = NodeProcess.FreePort();

        int killedAfter;
        using (var first = TrainerProcess.Start("t1", port, null, settings))
        {
            try
            {
                await first.WaitForLine(l => l.StartsWith("epoch 3 done"), Patience);
                first.Kill();
                killedAfter = first.Lines.Where(l => l.StartsWith("epoch ")).Select(l => int.Parse(l.Split(' ')[1], CultureInfo.InvariantCulture)).Max();
                Assert.True(killedAfter < epochs, $"the run finished before it could be killed (epoch {killedAfter})");
            }
            finally
            {
                Dump(first);
            }
        }

        using var again = TrainerProcess.Start("t1-again", port, null, settings);
        try
        {
            var resumed = await again.WaitForLine(l => l.StartsWith("resumed from checkpoint") || l.StartsWith("trainer ready"), Patience);
            Assert.StartsWith("resumed from checkpoint", resumed);
            int epoch = int.Parse(TrainerProcess.Field(resumed, "epoch"), CultureInfo.InvariantCulture);
            Assert.InRange(epoch, 3, killedAfter + 1); // +1: killed after writing a checkpoint but before printing its line
            var firstStep = await again.WaitForLine(l => l.StartsWith("step "), Patience);
            Assert.Equal(long.Parse(TrainerProcess.Field(resumed, "step"), CultureInfo.InvariantCulture) + 1, TrainerProcess.StepOf(firstStep));
            var finished = await again.WaitForLine(l => l.StartsWith("training finished"), TimeSpan.FromSeconds(120));

            // the same run without interruption, in this process
            var options = Synthetic.Recipe(batchNorm: true, dropout: 0.2, epochs: epochs, batchSize: 8);
            using var reference = data.Replica(options);
            for (long s = 1; s <= reference.TotalSteps; s++)
            {
                var reducer = new StepReducer(s, [0], reference.VectorLength);
                reducer.Add(reference.Compute(s, 0, 1));
                reference.Apply(reducer.Reduce());
                if (reference.IsEpochEnd(s)) reference.EndEpoch(reference.CompletedEpochs); // the coordinator's model selection
            }
            reference.RestoreBest(); // the run ends with the best validation epoch's weights, however often it was interrupted
            Assert.Equal(reference.Trainer.WeightChecksum(), TrainerProcess.Field(finished, "checksum"));
        }
        finally
        {
            Dump(again);
        }
    }

    [Theory]
    [InlineData("trainer ready", true)] // before the run's first journal write
    [InlineData("step 5 ", true)] // in the middle of epoch 2
    [InlineData("epoch 2 done", true)] // right after an epoch's record went to the outbox and its checkpoint was written
    [InlineData("epoch 3 done", false)] // the evaluator was away for the first three epochs: nothing reached the journal
    [InlineData("epoch 5 done", true)] // the last epoch's checkpoint is written, the run's completion is not
    public async Task A_trainer_killed_at_any_point_leaves_the_runs_complete_history_in_the_journal(string killAt, bool evaluatorAtFirst)
    {
        using var data = new Synthetic(trainCount: 24, validationCount: 6);
        const int epochs = 5;
        string checkpointDir = Path.Combine(data.Root, "ckpt");
        string db = Path.Combine(data.Root, "journal.db");
        var settings = Settings(data, checkpointDir, epochs, batchSize: 8, minReplicas: 1);
        settings["Persistence:ConnectionString"] = $"Data Source={db}"; // this trainer is the evaluator too
        int port = NodeProcess.FreePort();
        var firstSettings = evaluatorAtFirst ? settings : settings.Where(kv => !kv.Key.StartsWith("Persistence:", StringComparison.Ordinal)).ToDictionary();
        using (var first = TrainerProcess.Start("t1", port, null, firstSettings))
        {
            try
            {
                await first.WaitForLine(l => l.StartsWith(killAt, StringComparison.Ordinal), Patience);
                first.Kill(); // SIGKILL: nothing is flushed, no shutdown hook runs
            }
            finally
            {
                Dump(first);
            }
        }

        using (var again = TrainerProcess.Start("t1-again", port, null, settings))
        {
            try
            {
                await again.WaitForLine(l => l.StartsWith("training finished", StringComparison.Ordinal), TimeSpan.FromSeconds(120));
                // the outbox file is gone once the journal has acknowledged every record
                string outbox = Path.Combine(checkpointDir, EvaluatorOutbox.FileName);
                var deadline = DateTime.UtcNow + Patience;
                while (File.Exists(outbox) && DateTime.UtcNow < deadline) await Task.Delay(100);
                Assert.False(File.Exists(outbox), "the evaluator never acknowledged every record");
                again.Kill();
            }
            finally
            {
                Dump(again);
            }
        }

        await using var journal = await EmotionCluster.Evaluator.JournalReader.OpenAsync(
            new EmotionCluster.Evaluator.PersistenceSettings { ConnectionString = $"Data Source={db}" });
        var run = Assert.Single(await journal.Catalog.ListRunsAsync());
        Assert.Equal(RunIdentity.Of(TrainingManifest.Load(settings["Training:Manifest"])), run.RunId);
        Assert.Equal(EmotionCluster.Evaluator.RunStatus.Completed, run.Status);
        Assert.Equal(Enumerable.Range(1, epochs), run.Epochs.Select(e => e.Epoch)); // every epoch once, in order
        Assert.Equal(["a", "b", "c"], run.Started!.Labels);
    }
}
