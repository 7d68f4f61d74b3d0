using System.Collections.Concurrent;
using System.Globalization;
using Akka.Actor;
using EmotionCluster.Evaluator;
using EmotionCluster.Hosting;
using EmotionCluster.Model;
using EmotionCluster.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace EmotionCluster.TrainingActors.Tests;

/// <summary>
/// A data-parallel run on two trainer-node processes, requested by a node in this process (role evaluator, the journal):
/// the node that hosts the training coordinator is killed (SIGKILL) in the middle of the run.
/// </summary>
public class CoordinatorProcessTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private sealed class Epochs(Action<EpochReport> onEpoch) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => onEpoch(value);
    }

    [Fact]
    public async Task Killing_the_coordinators_node_mid_run_hands_the_run_to_the_survivor_which_finishes_it_once_with_every_epoch_in_the_journal()
    {
        using var data = new Synthetic(trainCount: 48, validationCount: 6);
        const int epochs = 60;
        string manifest = data.WriteManifest(Synthetic.Recipe(batchNorm: true, dropout: 0.2, epochs: epochs, batchSize: 12), "dp.json");
        Dictionary<string, string> Settings(int i) => new()
        {
            ["Node:FeatureStorePath"] = data.Store.Root,
            ["Training:CheckpointDirectory"] = Path.Combine(data.Root, $"node{i}"),
            ["Training:StepTimeout"] = "00:00:02",
            ["Training:StartTimeout"] = "00:00:40",
        };
        // t1 (killed below) gets the higher port: when the split-brain resolver counts the two trainers alone (1 reachable
        // against 1 unreachable; seen in CI once), keep-majority keeps the side with the lowest address, which must be the
        // survivor's - otherwise the survivor downs itself and the spec measures the port draw, not the handover
        int[] ports = new[] { NodeProcess.FreePort(), NodeProcess.FreePort() }.OrderDescending().ToArray();
        using var t1 = TrainerProcess.Start("t1", ports[0], null, Settings(1));
        await t1.WaitForLine(l => l.StartsWith("member up"), Patience);
        using var t2 = TrainerProcess.Start("t2", ports[1], NodeProcess.Address(t1.Port), Settings(2));
        await t2.WaitForLine(l => l.StartsWith("member up"), Patience);

        string db = Path.Combine(data.Root, "journal.db");
        var requester = new NodeSettings
        {
            Roles = [ClusterRoles.Evaluator], Port = NodeProcess.FreePort(), SeedNodes = [NodeProcess.Address(t1.Port)], FeatureStorePath = data.Store.Root,
            // the trainer processes' failure detection and split-brain resolver (every node needs the same)
            SplitBrainStableAfter = TimeSpan.FromSeconds(3), AcceptableHeartbeatPause = TimeSpan.FromSeconds(2),
        };
        using var host = await TrainingNode.StartAsync(requester, new TrainerOptions(), journal: new PersistenceSettings { ConnectionString = $"Data Source={db}" });
        var system = host.Services.GetRequiredService<ActorSystem>();
        try
        {
            var updates = new ConcurrentQueue<TrainingRunUpdate>();
            var subscribed = new TaskCompletionSource();
            system.ActorOf(Props.Create(() => new CoordinatorTests.Collector(updates, subscribed)));
            await subscribed.Task.WaitAsync(TimeSpan.FromSeconds(30));

            var third = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var job = new FoldJob("dp-kill", manifest, Path.Combine(data.Root, "model.ecm"), Path.Combine(data.Root, "job"));
            var run = Task.Run(() => new ClusterFoldTrainer(system).TrainDataParallel(job, replicas: 2, new Epochs(e =>
            {
                if (e.Epoch >= 3) third.TrySetResult();
            })));
            await third.Task.WaitAsync(Patience);
            Assert.False(run.IsCompleted, "the run ended before its coordinator's node could be killed");
            // the oldest trainer node hosts the coordinator, and the run is running on both participants
            var before = await TrainingNode.Coordinator(system).Ask<TrainingRuns>(new GetTrainingRuns("dp-kill"), TimeSpan.FromSeconds(10));
            Assert.Equal(NodeProcess.Address(t1.Port), before.Coordinator);
            var running = Assert.Single(before.Runs);
            Assert.Equal((RunStates.Running, NodeProcess.Address(t1.Port)), (running.State, running.Coordinator));
            Assert.Equal(new[] { NodeProcess.Address(t1.Port), NodeProcess.Address(t2.Port) }.Order(), running.Participants.Order());
            t1.Kill(); // SIGKILL: the coordinator and the node that reduces the gradients

            var outcome = await run.WaitAsync(TimeSpan.FromMinutes(4));
            Assert.Equal(new[] { NodeProcess.Address(t1.Port), NodeProcess.Address(t2.Port) }.Order(), outcome.Participants.Order());
            Assert.Equal(NodeProcess.Address(t2.Port), outcome.Coordinator); // the survivor took the last step and wrote the model
            Assert.Equal(epochs, outcome.Result.EpochsRun);
            var (model, file) = ModelArtifact.Load(outcome.Result.ModelPath!);
            using (model) Assert.Equal("dp-kill", file.RunId);
            Assert.Equal(Enumerable.Range(1, epochs), outcome.History.Select(e => e.Epoch));

            // the coordinator on the survivor adopted the run (the requester sent it again) and ended it once
            var after = updates.ToArray();
            Assert.Contains(after, u => u.State == RunStates.Adopted && u.Coordinator == NodeProcess.Address(t2.Port));
            var completed = Assert.Single(after, u => u.State == RunStates.Completed);
            Assert.Equal(NodeProcess.Address(t2.Port), completed.Coordinator);
            Assert.DoesNotContain(after, u => u.State == RunStates.Failed);
            var now = await TrainingNode.Coordinator(system).Ask<TrainingRuns>(new GetTrainingRuns("dp-kill"), TimeSpan.FromSeconds(10));
            Assert.Equal((NodeProcess.Address(t2.Port), RunStates.Completed), (now.Coordinator, Assert.Single(now.Runs).State));

            // the journal has the run once, completed, with every epoch once and in order
            await using var journal = await JournalReader.OpenAsync(new PersistenceSettings { ConnectionString = $"Data Source={db}" });
            var persisted = Assert.Single(await journal.Catalog.ListRunsAsync());
            Assert.Equal("dp-kill", persisted.RunId);
            Assert.Equal(RunStatus.Completed, persisted.Status);
            Assert.Equal(Enumerable.Range(1, epochs), persisted.Epochs.Select(e => e.Epoch));
            Assert.Equal(2, persisted.Started!.Description!.Replicas);
        }
        finally
        {
            foreach (var n in new[] { t1, t2 })
                output.WriteLine($"--- {n.Name} ---\n{string.Join('\n', n.Lines.Where(l => !l.StartsWith("step ", StringComparison.Ordinal)).TakeLast(40))}");
            await host.StopAsync(CancellationToken.None);
        }
    }
}
