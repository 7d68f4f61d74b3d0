using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Configuration;
using EmotionCluster.Hosting;
using EmotionCluster.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace EmotionCluster.TrainingActors.Tests;

/// <summary>The training coordinator: a cluster singleton on the trainer role that owns the data-parallel runs.</summary>
public class CoordinatorTests
{
    private static readonly DateTime T0 = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static SubmitDataParallelRun Request(int replicas, string[]? exclude = null, string[]? participants = null) =>
        new("run", "/m.json", "/model.ecm", "/ckpt", replicas, exclude ?? [], participants ?? []);

    [Fact]
    public void A_run_takes_the_first_trainer_nodes_by_address_but_not_the_requesters_and_waits_while_there_are_too_few()
    {
        var run = new CoordinatedRun(Request(2, exclude: ["n0"]), T0);
        Assert.Null(run.TryChoose(["n0", "n2"], T0)); // n0 is the requester's node: one trainer node is not two
        Assert.False(run.WaitedTooLong(T0.AddSeconds(59), TimeSpan.FromSeconds(60)));
        Assert.True(run.WaitedTooLong(T0.AddSeconds(60), TimeSpan.FromSeconds(60)));
        Assert.Equal(["n1", "n2"], run.TryChoose(["n3", "n0", "n2", "n1"], T0.AddSeconds(1))!);
        Assert.Equal(["n1", "n2"], run.TryChoose(["n4"], T0.AddSeconds(2))!); // chosen once
        Assert.False(run.WaitedTooLong(T0.AddSeconds(100), TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public void A_run_adopted_after_a_handover_stays_with_its_participants_that_are_still_up()
    {
        var run = new CoordinatedRun(Request(2, participants: ["n1", "n2"]), T0);
        Assert.Equal(["n1", "n2"], run.TryChoose(["n0", "n2", "n3"], T0)!); // n3 is not given a run under way
        Assert.Equal(["n2"], run.Remaining); // n1 died with the old coordinator
        Assert.Equal(["n2"], run.Unacknowledged); // the job goes to n2 only
        Assert.Null(new CoordinatedRun(Request(2, participants: ["n1"]), T0).TryChoose(["n0", "n3"], T0));
    }

    [Fact]
    public void A_participant_that_does_not_acknowledge_within_the_timeout_is_named_and_one_that_leaves_stops_counting()
    {
        var run = new CoordinatedRun(Request(3), T0);
        run.TryChoose(["a", "b", "c"], T0);
        Assert.True(run.Acknowledge("a"));
        Assert.False(run.Acknowledge("a"));
        Assert.False(run.Acknowledge("stranger"));
        Assert.Null(run.Overdue(T0.AddSeconds(29), TimeSpan.FromSeconds(30)));
        Assert.Equal("b", run.Overdue(T0.AddSeconds(30), TimeSpan.FromSeconds(30)));
        Assert.False(run.Leave("b"));
        Assert.Equal("c", run.Overdue(T0.AddSeconds(30), TimeSpan.FromSeconds(30)));
        run.Acknowledge("c");
        Assert.True(run.AllAcknowledged);
        Assert.Null(run.Overdue(T0.AddSeconds(99), TimeSpan.FromSeconds(30)));
        Assert.Equal(["a", "c"], run.Remaining);
        Assert.False(run.Leave("a"));
        Assert.True(run.Leave("c")); // the last one
    }

    [Fact]
    public void The_coordinators_messages_round_trip_through_the_binary_serializer()
    {
        var serializer = new TrainingSerializer(null!);
        // the records carry arrays (compared by reference): compare their JSON
        void RoundTrips<T>(T m) where T : notnull =>
            Assert.Equal(System.Text.Json.JsonSerializer.Serialize(m), System.Text.Json.JsonSerializer.Serialize((T)serializer.FromBinary(serializer.ToBinary(m), serializer.Manifest(m))));
        RoundTrips(new SubmitDataParallelRun("r", "/m", "/o", "/c", 2, ["x"], ["a", "b"]));
        RoundTrips(new DataParallelRunAccepted("r", "n", ["a"]));
        RoundTrips(new DataParallelRunCompleted("r", null, 3, 4, true, "b", ["a", "b"]));
        RoundTrips(new DataParallelRunCompleted("r", "/model.ecm", 3, 4, false, "b", []));
        RoundTrips(new DataParallelRunFailed("r", "why"));
        RoundTrips(new JobAccepted("r", "n"));
        RoundTrips(new CancelRun("r", "why"));
        RoundTrips(new GetTrainingRuns("r"));
        RoundTrips(new TrainingRunUpdate("r", RunStates.Running, "n", ["a", "b"], "d"));
        RoundTrips(new TrainingRuns("", "n", [new TrainingRunUpdate("r", RunStates.Running, "n", ["a", "b"], "d"), new TrainingRunUpdate("q", RunStates.Failed, "n", [], "")]));
    }

    private static NodeSettings Trainer(string store, int port, params string[] seeds) => new()
    {
        Roles = [ClusterRoles.Trainer], Port = port, SeedNodes = [.. seeds], FeatureStorePath = store,
    };

    private static ActorSystem SystemOf(IHost host) => host.Services.GetRequiredService<ActorSystem>();

    private static async Task WaitForUp(ActorSystem system, int members)
    {
        var clock = Stopwatch.StartNew();
        while (Akka.Cluster.Cluster.Get(system).State.Members.Count(m => m.Status == MemberStatus.Up) < members)
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"fewer than {members} members Up after 60 s");
            await Task.Delay(100);
        }
    }

    /// <summary>The node the coordinator runs on, as a node's proxy reaches it (asked again until <paramref name="expected"/> answers).</summary>
    private static async Task<string> CoordinatorSeenFrom(ActorSystem system, string? expected = null)
    {
        var proxy = TrainingNode.Coordinator(system);
        var clock = Stopwatch.StartNew();
        string? last = null;
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            try
            {
                last = (await proxy.Ask<TrainingRuns>(new GetTrainingRuns(), TimeSpan.FromSeconds(3))).Coordinator;
                if (expected is null || last == expected) return last;
            }
            catch (Akka.Actor.AskTimeoutException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException($"the coordinator was still on {last ?? "no node"} after 60 s, not on {expected}");
    }

    [Fact]
    public async Task The_coordinator_runs_on_the_oldest_trainer_node_and_moves_to_the_next_when_that_node_leaves()
    {
        using var dir = new TempDir();
        string store = dir.File("features");
        int first = NodeProcess.FreePort();
        using var oldest = await TrainingNode.StartAsync(Trainer(store, first, $"akka.tcp://emotioncluster@127.0.0.1:{first}"),
            new TrainerOptions { CheckpointDirectory = dir.File("c1") });
        using var younger = await TrainingNode.StartAsync(Trainer(store, NodeProcess.FreePort(), $"akka.tcp://emotioncluster@127.0.0.1:{first}"),
            new TrainerOptions { CheckpointDirectory = dir.File("c2") });
        try
        {
            await WaitForUp(SystemOf(younger), 2);
            string oldestAddress = Akka.Cluster.Cluster.Get(SystemOf(oldest)).SelfAddress.ToString();
            string youngerAddress = Akka.Cluster.Cluster.Get(SystemOf(younger)).SelfAddress.ToString();
            Assert.Equal(oldestAddress, await CoordinatorSeenFrom(SystemOf(younger), oldestAddress));
            Assert.Equal(oldestAddress, await CoordinatorSeenFrom(SystemOf(oldest)));

            await oldest.StopAsync(); // leaves the cluster: the singleton hands over
            Assert.Equal(youngerAddress, await CoordinatorSeenFrom(SystemOf(younger), youngerAddress));
        }
        finally
        {
            await younger.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_participant_that_never_receives_its_job_fails_the_run_with_the_node_and_the_setting_instead_of_waiting()
    {
        using var data = new Synthetic();
        int port = NodeProcess.FreePort();
        string seed = $"akka.tcp://emotioncluster@127.0.0.1:{port}";
        using var host = await TrainingNode.StartAsync(Trainer(data.Store.Root, port, seed),
            new TrainerOptions { CheckpointDirectory = Path.Combine(data.Root, "ckpt"), DispatchTimeout = TimeSpan.FromSeconds(2) });
        // a trainer-role member whose trainer actor is not there: every job sent to it is lost
        var ghost = ActorSystem.Create("emotioncluster", ConfigurationFactory.ParseString($$"""
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
            akka.cluster.roles = [trainer]
            akka.cluster.seed-nodes = ["{{seed}}"]
            akka.cluster.downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
            akka.cluster.split-brain-resolver.active-strategy = keep-majority
            akka.loglevel = ERROR
            """));
        try
        {
            var system = SystemOf(host);
            await WaitForUp(system, 2);
            string ghostAddress = Akka.Cluster.Cluster.Get(ghost).SelfAddress.ToString();
            var updates = new ConcurrentQueue<TrainingRunUpdate>();
            var subscribed = new TaskCompletionSource();
            system.ActorOf(Props.Create(() => new Collector(updates, subscribed)));
            await subscribed.Task.WaitAsync(TimeSpan.FromSeconds(30));

            var clock = Stopwatch.StartNew();
            var job = new FoldJob("run-ghost", data.ManifestPath, Path.Combine(data.Root, "model.ecm"), Path.Combine(data.Root, "job"));
            // one replica, not this node (the requester's): the ghost is the only candidate
            var e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
                Task.Run(() => new ClusterFoldTrainer(system).TrainDataParallel(job, replicas: 1)).WaitAsync(TimeSpan.FromSeconds(60)));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"failed only after {clock.Elapsed}");
            Assert.Contains($"trainer node {ghostAddress} did not take its job within 2 s", e.Message);
            Assert.Contains("EmotionCluster:Training:DispatchTimeout", e.Message);

            await Eventually(() => updates.Any(u => u.RunId == "run-ghost" && u.State == RunStates.Failed));
            var states = updates.Where(u => u.RunId == "run-ghost").Select(u => u.State).ToList();
            Assert.Equal([RunStates.Dispatched, RunStates.Failed], states);
            Assert.Equal([ghostAddress], updates.First().Participants);
        }
        finally
        {
            await ghost.Terminate();
            await host.StopAsync(CancellationToken.None);
        }
    }

    private static async Task Eventually(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(10)) throw new TimeoutException("the condition did not hold within 10 s");
            await Task.Delay(50);
        }
    }

    /// <summary>Collects the coordinator's run updates from the topic.</summary>
    internal sealed class Collector : ReceiveActor
    {
        public Collector(ConcurrentQueue<TrainingRunUpdate> updates, TaskCompletionSource subscribed)
        {
            DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(TrainingTopics.Runs, Self));
            Receive<SubscribeAck>(_ => subscribed.TrySetResult());
            Receive<TrainingRunUpdate>(updates.Enqueue);
        }
    }
}
