using System.Diagnostics;
using Akka.Actor;
using EmotionCluster.Hosting;
using EmotionCluster.Management;
using EmotionCluster.Metrics;
using EmotionCluster.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace EmotionCluster.TrainingActors.Tests;

/// <summary>
/// What <c>GET /api/train/status</c> (and <c>ctl train status</c>) shows on a node without the trainer role: the
/// cluster's training runs from the coordinator's typed updates, with the latest step and epoch.
/// </summary>
public class StatusBoardTests
{
    private sealed class NoSink : IEvaluationSink
    {
        public void RunStarted(string runId, string settingsJson, string[] labels, EmotionCluster.Evaluator.RunDescription? description) { }
        public void EpochEvaluated(EpochMetrics metrics, ClassificationReport? validation) { }
        public void RunCompleted(string runId, int? bestEpoch, ClassificationReport? test) { }
    }

    private static NodeSettings Node(string store, string role, int port, string seed) => new()
    {
        Roles = [role], Port = port, SeedNodes = [seed], FeatureStorePath = store,
    };

    [Fact]
    public async Task A_node_without_the_trainer_role_lists_the_clusters_run_with_its_state_participants_and_steps()
    {
        using var data = new Synthetic();
        string manifest = data.WriteManifest(Synthetic.Recipe(epochs: 2), "status.json");
        int trainerPort = NodeProcess.FreePort();
        string seed = NodeProcess.Address(trainerPort);
        using var trainer = await TrainingNode.StartAsync(Node(data.Store.Root, ClusterRoles.Trainer, trainerPort, seed),
            new TrainerOptions { CheckpointDirectory = Path.Combine(data.Root, "ckpt") }, sink: new NoSink());
        var board = new TrainingStatusBoard();
        using var requester = await TrainingNode.StartAsync(Node(data.Store.Root, ClusterRoles.Extractor, NodeProcess.FreePort(), seed),
            new TrainerOptions(), board: board);
        IHost? late = null;
        try
        {
            var system = requester.Services.GetRequiredService<ActorSystem>();
            // the requester's subscriptions reach the trainer node by gossip: wait until a step published there arrives
            var trainerSystem = trainer.Services.GetRequiredService<ActorSystem>();
            var mediator = Akka.Cluster.Tools.PublishSubscribe.DistributedPubSub.Get(trainerSystem).Mediator;
            var clock = Stopwatch.StartNew();
            while (!board.Runs.Any(r => r.RunId == "warm-up"))
            {
                if (clock.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException("the requester did not hear the trainer node's topic within 30 s");
                mediator.Tell(new Akka.Cluster.Tools.PublishSubscribe.Publish(TrainingTopics.Progress,
                    new TrainingProgress("warm-up", 1, 1, 1, 1, 0.5, 1, 1, seed, DateTimeOffset.UtcNow)));
                await Task.Delay(200);
            }
            var job = new FoldJob("status-run", manifest, Path.Combine(data.Root, "model.ecm"), Path.Combine(data.Root, "job"));
            var outcome = await Task.Run(() => new ClusterFoldTrainer(system).TrainDataParallel(job, replicas: 1)).WaitAsync(TimeSpan.FromMinutes(2));
            Assert.Equal(2, outcome.Result.EpochsRun);

            // the requester's board: the coordinator's updates (state, coordinator, participants) and the run's progress
            var run = await Eventually(board, r => r.State == RunStates.Completed);
            Assert.Equal(seed, run.Coordinator);
            Assert.Equal([seed], run.Participants);
            Assert.NotNull(run.Step);
            Assert.Equal(run.TotalSteps, run.Step);
            Assert.Equal((2, 2), (run.Epoch, run.MaxEpochs));
            Assert.Equal(["status-run", "warm-up"], board.Current.Runs!.Select(r => r.RunId)); // what GET /api/train/status answers, newest first

            // a node that joins after the run learns it from the coordinator's answer to GetTrainingRuns
            var lateBoard = new TrainingStatusBoard();
            late = await TrainingNode.StartAsync(Node(data.Store.Root, ClusterRoles.Extractor, NodeProcess.FreePort(), seed), new TrainerOptions(), board: lateBoard);
            var learned = await Eventually(lateBoard, r => r.State == RunStates.Completed);
            Assert.Equal(seed, learned.Coordinator);
            Assert.Equal([seed], learned.Participants);
        }
        finally
        {
            if (late is not null) { await late.StopAsync(CancellationToken.None); late.Dispose(); }
            await requester.StopAsync(CancellationToken.None);
            await trainer.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<TrainingRunStatus> Eventually(TrainingStatusBoard board, Func<TrainingRunStatus, bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var run = board.Current.Runs?.FirstOrDefault(r => r.RunId == "status-run");
            if (run is not null && condition(run)) return run;
            if (clock.Elapsed > TimeSpan.FromSeconds(30))
                throw new TimeoutException($"the board did not show the run as expected within 30 s; it shows {(run is null ? "no such run" : run.ToString())}");
            await Task.Delay(100);
        }
    }
}
