using Akka.Actor;
using Akka.Hosting;
using Akka.Hosting.TestKit;
using EmotionCluster.Hosting;
using Microsoft.Extensions.Logging;
using Xunit;

namespace EmotionCluster.TrainingActors.Tests;

/// <summary>
/// The replica actor on its own: the run actor's child that owns the model, trains the steps its coordinator starts and
/// tells its parent every applied step and epoch (typed messages; the parent and the coordinator are test actors).
/// </summary>
public sealed class ReplicaActorTests : TestKit
{
    private readonly Synthetic _data = new();
    private string Checkpoints => Path.Combine(_data.Root, "ckpt");

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) =>
        builder.AddHocon("""
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
            akka.loglevel = WARNING
            """ + "\n" + TrainingHosting.DispatcherHocon, HoconAddMode.Prepend);

    /// <summary>The run actor's place: creates the replica, passes the test's messages on as its own, and the replica's to the test.</summary>
    private sealed class Parent : ReceiveActor
    {
        public Parent(Props replica, IActorRef test)
        {
            var child = Context.ActorOf(replica, ReplicaActor.Name);
            ReceiveAny(m =>
            {
                if (Sender.Equals(child)) test.Tell(m);
                else child.Tell(m, Self);
            });
        }
    }

    /// <summary>Stands in for another node's trainer at /user/trainer: what the replica announces there reaches the test.</summary>
    private sealed class Relay : ReceiveActor
    {
        public Relay(IActorRef test) => ReceiveAny(m => test.Forward(m));
    }

    /// <summary>Keeps every record the replica logs: its category, level and text.</summary>
    private sealed class Recorder : ILoggerProvider
    {
        public System.Collections.Concurrent.ConcurrentQueue<(string Category, LogLevel Level, string Text)> Records { get; } = new();
        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
        public void Dispose() { }

        private sealed class Logger(Recorder owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner.Records.Enqueue((category, logLevel, formatter(state, exception)));
        }
    }

    private readonly Recorder _log = new();

    private (IActorRef Parent, string RunId) Start(int epochs = 2)
    {
        var replica = _data.Replica(Synthetic.Recipe(epochs: epochs)); // 24 examples, batch 8: 3 steps an epoch
        var loggers = LoggerFactory.Create(b => b.AddProvider(_log).SetMinimumLevel(LogLevel.Trace));
        var props = ReplicaActor.PropsFor(replica, new CheckpointStore(Checkpoints), new TrainerOptions(), bestModelPath: null, loggers);
        return (Sys.ActorOf(Props.Create(() => new Parent(props, TestActor))), replica.RunId);
    }

    [Fact]
    public async Task Coordinated_by_its_parent_it_trains_each_step_reports_the_epoch_andCheckpoints_only_after_the_epoch_is_recorded()
    {
        var (parent, _) = Start();
        var self = Akka.Cluster.Cluster.Get(Sys).SelfAddress;
        parent.Tell(new ReplicaActor.Coordinate(self, Here: true));
        Assert.Equal(new ReplicaActor.Status(0, 0, false, 0, false), (await ExpectMsgAsync<ReplicaActor.Coordinated>()).Status);

        for (long step = 1; step <= 2; step++)
        {
            parent.Tell(new ReplicaActor.TrainAlone(step));
            var applied = await ExpectMsgAsync<ReplicaActor.Applied>(TimeSpan.FromSeconds(30));
            Assert.Equal((step, step, (ReplicaActor.JudgedEpoch?)null), (applied.Step.Step, applied.Status.AppliedStep, applied.Epoch));
            Assert.Null(applied.Step.Values); // the parent gets the step's figures, not its vector
        }
        parent.Tell(new ReplicaActor.TrainAlone(3));
        var end = await ExpectMsgAsync<ReplicaActor.Applied>(TimeSpan.FromSeconds(30));
        var epoch = Assert.IsType<ReplicaActor.JudgedEpoch>(end.Epoch);
        // the epoch's line is a record of the node's log (ILogger), category per class: the console and ctl log peek show it
        Assert.Contains(_log.Records, r => r.Category == "EmotionCluster.TrainingActors.ReplicaActor" && r.Level == LogLevel.Information
                                           && r.Text.StartsWith("epoch 1 done step=3 ", StringComparison.Ordinal));
        Assert.Equal((1, 3L, 1), (epoch.Metrics.Epoch, end.Status.AppliedStep, end.Status.CompletedEpochs));
        Assert.NotNull(epoch.Validation); // judged on the validation clips
        Assert.Null(new CheckpointStore(Checkpoints).TryLoad()); // not before the parent recorded the epoch

        parent.Tell(new ReplicaActor.EpochRecorded(3));
        parent.Tell(new ReplicaActor.TakeSnapshot()); // answered after the checkpoint (one mailbox)
        var snapshot = await ExpectMsgAsync<ReplicaActor.Snapshot>(TimeSpan.FromSeconds(30));
        Assert.Equal(3, snapshot.Step);
        Assert.Equal(3, new CheckpointStore(Checkpoints).TryLoad()!.Step);

        string model = Path.Combine(Checkpoints, "model.ecm");
        parent.Tell(new ReplicaActor.Finish(model));
        var finished = await ExpectMsgAsync<ReplicaActor.Finished>(TimeSpan.FromSeconds(30));
        Assert.Equal((3L, 1), (finished.Status.AppliedStep, finished.Status.CompletedEpochs));
        Assert.Equal(3, TrainingCheckpoint.FromBytes(finished.State, "the final state").Step);
        Assert.True(File.Exists(model));
    }

    [Fact]
    public async Task As_another_nodes_replica_it_announces_itself_contributes_its_slice_applies_the_result_and_asks_for_state_when_behind()
    {
        Sys.ActorOf(Props.Create(() => new Relay(TestActor)), TrainerActor.Name);
        var (parent, runId) = Start();
        var self = Akka.Cluster.Cluster.Get(Sys).SelfAddress;
        parent.Tell(new ReplicaActor.Coordinate(self, Here: false)); // "another node" at this address: the relay
        // the parent's answer and the replica's announcement (through the relay) come by different paths: either order
        ReplicaReady? ready = null;
        IActorRef? replica = null; // the replica actor itself: the coordinator talks to it directly
        bool coordinated = false;
        for (int i = 0; i < 2; i++)
        {
            var m = await ExpectMsgAsync<object>(TimeSpan.FromSeconds(10));
            if (m is ReplicaReady r) (ready, replica) = (r, LastSender);
            else if (m is ReplicaActor.Coordinated) coordinated = true;
            else Assert.Fail($"unexpected {m}");
        }
        Assert.True(coordinated);
        Assert.Equal((runId, 0L), (ready!.RunId, ready.AppliedStep));

        replica.Tell(new StepStart(runId, 1, Rank: 1, Replicas: 2));
        var frames = new List<GradientFrame>();
        GradientContributed? contributed = null;
        while (contributed is null)
        {
            var m = await ExpectMsgAsync<object>(TimeSpan.FromSeconds(30));
            if (m is GradientFrame f) frames.Add(f);
            else if (m is GradientContributed c) contributed = c;
            else if (m is not ReplicaReady) Assert.Fail($"unexpected {m}");
        }
        Assert.Equal((1L, 1), (contributed.Step, contributed.Rank));
        Assert.True(contributed.Samples > 0);
        var assembler = new GradientFrameAssembler();
        float[]? values = null;
        foreach (var f in frames) values = assembler.Add(f) ?? values;
        Assert.NotNull(values);

        // the coordinator's result (here: this slice alone) and the step's end
        foreach (var f in GradientFrameAssembler.Split(runId, 1, GradientFrameAssembler.ResultRank, values)) replica.Tell(f);
        replica.Tell(new StepCompleted(runId, 1, true, [1], [0], contributed.Weight, contributed.LossSum / contributed.Weight, contributed.Correct, contributed.Samples));
        var applied = await FishForMessageAsync<ReplicaActor.Applied>(_ => true, TimeSpan.FromSeconds(30));
        Assert.Equal((1L, 1L), (applied.Step.Step, applied.Status.AppliedStep));

        replica.Tell(new StepStart(runId, 5, Rank: 0, Replicas: 2)); // steps 2..4 were missed
        var need = await FishForMessageAsync<NeedState>(_ => true, TimeSpan.FromSeconds(30));
        Assert.Equal((runId, 5L, 1L), (need.RunId, need.Step, need.AppliedStep));
    }

    protected override async Task AfterAllAsync()
    {
        await base.AfterAllAsync();
        _data.Dispose();
    }
}
