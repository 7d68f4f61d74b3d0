using Akka.Actor;
using Akka.Hosting;
using EmotionCluster.Evaluator;
using EmotionCluster.Extraction;
using EmotionCluster.Hosting;
using EmotionCluster.Management;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EmotionCluster.TrainingActors;

/// <summary>
/// The trainer as a part of a node: <see cref="AddServices"/> binds <see cref="TrainerOptions"/> from
/// <c>EmotionCluster:Training</c> and registers the <see cref="TrainingStatusBoard"/> (also as
/// <see cref="ITrainingStatusSource"/>: every node lists the cluster's training runs); <see cref="ConfigureAkka"/> adds the actors. <see cref="StartAsync"/> runs a
/// stand-alone trainer node (tests, benchmarks).
/// </summary>
public static class TrainingNode
{
    public static void AddServices(IServiceCollection services, IConfiguration configuration, NodeSettings settings)
    {
        bool trainer = settings.Has(ClusterRoles.Trainer);
        services.AddSettings<TrainerOptions>(configuration, TrainerOptions.Section, options => // bad settings stop the node at start, naming the setting
        {
            _ = TrainerOptions.From(configuration); // a key the class does not have is refused, with the fix
            if (trainer) options.Validate();
        });
        services.AddSingleton(sp => new BestModelFile(sp.GetRequiredService<TrainerOptions>().BestModelOutput)); // the node's model announcer publishes it
        services.AddSingleton<TrainingStatusBoard>();
        // GET /api/train/status answers on every node: the board follows the cluster's runs from the topics
        services.AddSingleton<ITrainingStatusSource>(sp => sp.GetRequiredService<TrainingStatusBoard>());
    }

    public static void ConfigureAkka(AkkaConfigurationBuilder akka, IServiceProvider services, NodeSettings settings) =>
        akka.AddEmotionClusterTraining(settings, services.GetRequiredService<TrainerOptions>(), services.GetRequiredService<IFeatureStore>(),
            services.GetRequiredService<TrainingStatusBoard>(), services.GetService<IEvaluationSink>()); // its log: the node's ILogger (console and ring)

    /// <summary>
    /// The CLI's embedded node (<see cref="EmbeddedNode"/>: every role, a cluster of one unless seeds are given) with the
    /// trainer actor and, with a <paramref name="journal"/>, the evaluator persisting every run there. Its trainer
    /// (<see cref="Trainer"/>) takes the commands' training jobs.
    /// </summary>
    public static Task<EmbeddedNode> StartEmbeddedAsync(NodeSettings settings, PersistenceSettings? journal, CancellationToken cancellationToken = default) =>
        EmbeddedNode.StartAsync(settings, cancellationToken: cancellationToken, configure: (akka, store) =>
        {
            if (journal is not null) akka.AddEmotionClusterEvaluator(settings, journal);
            akka.AddEmotionClusterTraining(settings, new TrainerOptions(), store, new TrainingStatusBoard());
        });

    /// <summary>The trainer actor of a node started with <see cref="StartEmbeddedAsync"/>.</summary>
    public static IActorRef Trainer(EmbeddedNode node) => ActorRegistry.For(node.System).Get<TrainerActorKey>();

    /// <summary>The proxy of the cluster's <see cref="TrainingCoordinator"/> on a node with the training wiring.</summary>
    public static IActorRef Coordinator(ActorSystem system) => ActorRegistry.For(system).Get<TrainingCoordinatorKey>();

    /// <summary>A node with the trainer (no HTTP), started; dispose the host to leave the cluster.</summary>
    /// <param name="output">Gets the trainer's log records (Information and up, <see cref="TrainingLog"/>) as lines; null: they go nowhere.</param>
    /// <param name="journal">With it (and the evaluator role), the node's evaluator persists the runs there. A node without
    /// the evaluator role reports its runs to the cluster's evaluators (a proxy to their region).</param>
    public static async Task<IHost> StartAsync(NodeSettings settings, TrainerOptions options, Action<string>? output = null,
        TrainingStatusBoard? board = null, IEvaluationSink? sink = null, string logLevel = "WARNING", CancellationToken cancellationToken = default,
        PersistenceSettings? journal = null)
    {
        settings.Validate();
        var store = new DirectoryFeatureStore(settings.FeatureStorePath);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], DisableDefaults = true });
        builder.Logging.ClearProviders();
        if (output is not null) builder.Logging.AddProvider(new TrainingLineProvider(output)); // the trainer's lines (TrainingLog)
        board ??= new TrainingStatusBoard();
        builder.Services.AddSingleton(board).AddSingleton<ITrainingStatusSource>(board);
        builder.Services.AddAkka(settings.ActorSystemName, (akka, _) =>
        {
            akka.AddHocon($"akka.loglevel = {logLevel}\nakka.stdout-loglevel = {logLevel}", HoconAddMode.Prepend);
            akka.AddEmotionClusterNode(settings, new PipelineServiceFactory(store), new ExtractorNodeStats());
            // the evaluator (with a journal and the role) or, on a node without the role, the proxy to the cluster's evaluators
            if (journal is not null || !settings.Has(ClusterRoles.Evaluator)) akka.AddEmotionClusterEvaluator(settings, journal ?? new PersistenceSettings());
            akka.AddEmotionClusterTraining(settings, options, store, board, sink);
        });
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return host;
    }
}
