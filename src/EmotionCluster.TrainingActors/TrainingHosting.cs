using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Hosting;
using EmotionCluster.Extraction;
using EmotionCluster.Hosting;
using EmotionCluster.Wire;
using Microsoft.Extensions.Logging;

namespace EmotionCluster.TrainingActors;

/// <summary>Registry key of the node's <see cref="TrainerActor"/>.</summary>
public sealed class TrainerActorKey;

/// <summary>
/// Akka.Hosting wiring of the trainer: the pinned dispatcher, DistributedPubSub, the training messages' serializer, the
/// <see cref="TrainerActor"/> at <c>/user/trainer</c> (only on <c>trainer</c>-role nodes), the
/// <see cref="TrainingCoordinator"/> singleton (hosted by <c>trainer</c>-role nodes, its proxy on every node) and a listener that keeps
/// <see cref="TrainingStatusBoard"/> up to date from the <c>training-progress</c> topic (on every node). The trainer
/// logs through the host's <see cref="ILoggerFactory"/> (<see cref="TrainingLog"/>). Without an
/// explicit <see cref="IEvaluationSink"/> the trainer reports to the evaluator region (<see cref="EvaluatorRegionSink"/>)
/// when the node has one.
/// </summary>
public static class TrainingHosting
{
    public const string DispatcherHocon = $$"""
        {{TrainerActor.DispatcherId}} {
          type = PinnedDispatcher
        }
        """;

    public static AkkaConfigurationBuilder AddEmotionClusterTraining(this AkkaConfigurationBuilder builder, NodeSettings node,
        TrainerOptions options, IFeatureStore store, TrainingStatusBoard board, IEvaluationSink? sink = null)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(options);
        bool trainer = node.Has(ClusterRoles.Trainer);
        if (trainer) options.Validate();
        builder.AddHocon(DispatcherHocon, HoconAddMode.Prepend)
            .WithWireSerializer(TrainingWire.Protocol)
            .WithDistributedPubSub(null!);
        // the training coordinator: one per cluster, on the oldest trainer node; every node (the CLI's too) reaches it
        // through its proxy in the registry (TrainingCoordinatorKey)
        // no proxy warning "failed to find an associated singleton": Akka.NET's proxy logs it falsely whenever it starts
        // looking (akkadotnet/akka.net#8568, open: the detection timer's first tick fires at once), which put it on every
        // main job's console; a cluster without a trainer node is reported by the requester instead
        // (DataParallelRequester.AcceptTimeout: the run fails saying that no coordinator accepted it)
        var singleton = new ClusterSingletonOptions { Role = ClusterRoles.Trainer, LogSingletonIdentificationFailure = false };
        if (trainer) builder.WithSingleton<TrainingCoordinatorKey>(TrainingCoordinator.Name, TrainingCoordinator.PropsFor(options), singleton, createProxyToo: true);
        else builder.WithSingletonProxy<TrainingCoordinatorKey>(TrainingCoordinator.Name, singleton);
        builder.WithActors((system, registry, resolver) =>
            {
                system.ActorOf(Props.Create(() => new TrainingStatusListener(board)), "training-status");
                if (!trainer) return;
                // the trainer logs through the host's ILoggerFactory (categories EmotionCluster.TrainingActors.*): the node's console and log ring
                var loggers = resolver.GetService<ILoggerFactory>();
                var actor = system.ActorOf(TrainerActor.PropsFor(options, store, board, sink ?? new EvaluatorRegionSink(registry), loggers), TrainerActor.Name);
                registry.Register<TrainerActorKey>(actor);
            });
        return builder;
    }
}

/// <summary>
/// Feeds a <see cref="TrainingStatusBoard"/>: subscribes to <see cref="TrainingTopics.Progress"/>,
/// <see cref="TrainingTopics.Evaluation"/> and <see cref="TrainingTopics.Runs"/>, and asks the training coordinator for
/// the runs it knows (<see cref="GetTrainingRuns"/>) every <see cref="AskEvery"/> while a trainer node is Up, so a node
/// that joins while runs are under way (or missed an update) lists them too.
/// </summary>
public sealed class TrainingStatusListener : ReceiveActor, IWithTimers
{
    /// <summary>How often the listener asks the training coordinator for its runs.</summary>
    public static readonly TimeSpan AskEvery = TimeSpan.FromSeconds(5);

    public TrainingStatusListener(TrainingStatusBoard board)
    {
        var mediator = DistributedPubSub.Get(Context.System).Mediator;
        mediator.Tell(new Subscribe(TrainingTopics.Progress, Self));
        mediator.Tell(new Subscribe(TrainingTopics.Evaluation, Self));
        mediator.Tell(new Subscribe(TrainingTopics.Runs, Self));
        Receive<TrainingProgress>(board.Report);
        Receive<EpochMetrics>(board.Report);
        Receive<TrainingRunUpdate>(board.Report);
        Receive<TrainingRuns>(board.Report);
        Receive<SubscribeAck>(_ => { });
        Receive<AskRuns>(_ => AskCoordinator());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private sealed record AskRuns;

    protected override void PreStart() => Timers.StartPeriodicTimer("ask-runs", new AskRuns(), TimeSpan.FromSeconds(1), AskEvery);

    private void AskCoordinator()
    {
        // only while a trainer node (the singleton's host) is Up: the proxy would buffer the questions until one is
        var cluster = Akka.Cluster.Cluster.Get(Context.System);
        if (!cluster.State.Members.Any(m => m.Status == Akka.Cluster.MemberStatus.Up && m.HasRole(ClusterRoles.Trainer))) return;
        if (ActorRegistry.For(Context.System).TryGet<TrainingCoordinatorKey>(out var coordinator)) coordinator.Tell(new GetTrainingRuns());
    }
}
