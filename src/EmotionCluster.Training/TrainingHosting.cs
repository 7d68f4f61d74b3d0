using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Hosting;
using EmotionCluster.Extraction;
using EmotionCluster.Hosting;
using EmotionCluster.Wire;

namespace EmotionCluster.Training;

/// <summary>Registry key of the node's <see cref="TrainerActor"/>.</summary>
public sealed class TrainerActorKey;

/// <summary>
/// Akka.Hosting wiring of the trainer: the pinned dispatcher, DistributedPubSub, the training messages' serializer, the
/// <see cref="TrainerActor"/> at <c>/user/trainer</c> (only on <c>trainer</c>-role nodes), the
/// <see cref="TrainingCoordinator"/> singleton (hosted by <c>trainer</c>-role nodes, its proxy on every node) and a listener that keeps
/// <see cref="TrainingStatusBoard"/> up to date from the <c>training-progress</c> topic (on every node). Without an
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
        TrainerOptions options, IFeatureStore store, TrainingStatusBoard board, IEvaluationSink? sink = null, Action<string>? output = null)
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
        var singleton = new ClusterSingletonOptions { Role = ClusterRoles.Trainer };
        if (trainer) builder.WithSingleton<TrainingCoordinatorKey>(TrainingCoordinator.Name, TrainingCoordinator.PropsFor(options), singleton, createProxyToo: true);
        else builder.WithSingletonProxy<TrainingCoordinatorKey>(TrainingCoordinator.Name, singleton);
        builder.WithActors((system, registry) =>
            {
                system.ActorOf(Props.Create(() => new TrainingStatusListener(board)), "training-status");
                if (!trainer) return;
                var actor = system.ActorOf(TrainerActor.PropsFor(options, store, board, sink ?? new EvaluatorRegionSink(registry), output), TrainerActor.Name);
                registry.Register<TrainerActorKey>(actor);
            });
        return builder;
    }
}

/// <summary>Subscribes to <see cref="TrainingTopics.Progress"/> and <see cref="TrainingTopics.Evaluation"/> and feeds a <see cref="TrainingStatusBoard"/>.</summary>
public sealed class TrainingStatusListener : ReceiveActor
{
    public TrainingStatusListener(TrainingStatusBoard board)
    {
        var mediator = DistributedPubSub.Get(Context.System).Mediator;
        mediator.Tell(new Subscribe(TrainingTopics.Progress, Self));
        mediator.Tell(new Subscribe(TrainingTopics.Evaluation, Self));
        Receive<TrainingProgress>(board.Report);
        Receive<EpochMetrics>(board.Report);
        Receive<SubscribeAck>(_ => { });
    }
}
