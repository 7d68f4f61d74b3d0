using Akka.Actor;
using Akka.Hosting;
using EmotionCluster.Extraction;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EmotionCluster.Hosting;

/// <summary>
/// A node hosted in the current process (the embedded default: every role, a cluster of one, loopback, any free
/// port), or joined to a cluster when <see cref="NodeSettings.SeedNodes"/> are set. Used by the CLI's single-node
/// commands and the benchmarks; the same wiring as the node executable.
/// </summary>
public sealed class EmbeddedNode : IAsyncDisposable
{
    private readonly IHost _host;

    private EmbeddedNode(IHost host, NodeSettings settings, IFeatureStore store, ExtractorNodeStats stats)
    {
        _host = host;
        Settings = settings;
        Store = store;
        Stats = stats;
    }

    public NodeSettings Settings { get; }
    public IFeatureStore Store { get; }
    public ExtractorNodeStats Stats { get; }
    public ActorSystem System => _host.Services.GetRequiredService<ActorSystem>();
    public IActorRef ExtractorRegion => _host.Services.GetRequiredService<ActorRegistry>().Get<ClipExtractorRegion>();

    /// <param name="configure">More of the node (e.g. the trainer and the evaluator), given the node's feature store.</param>
    public static async Task<EmbeddedNode> StartAsync(NodeSettings settings, TimeSpan? joinTimeout = null, CancellationToken cancellationToken = default,
        Action<AkkaConfigurationBuilder, IFeatureStore>? configure = null)
    {
        settings.Validate();
        var store = new DirectoryFeatureStore(settings.FeatureStorePath);
        var stats = new ExtractorNodeStats();
        var services = new PipelineServiceFactory(store);
        var builder = InProcessHostLifetime.CreateBuilder();
        builder.Services.AddAkka(settings.ActorSystemName, (akka, _) =>
        {
            akka.AddEmotionClusterNode(settings, services, stats);
            configure?.Invoke(akka, store);
            // After the node's own HOCON, so this prepended block takes precedence: an embedded node stays quiet, and it
            // leaves SIGTERM to the command that owns it (Akka's CLR shutdown hook would take the signal, stop only the
            // actor system and let the command's work run on).
            akka.AddHocon("akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING\nakka.coordinated-shutdown.run-by-clr-shutdown-hook = off",
                HoconAddMode.Prepend);
        });
        IHost host = builder.Build();
        await host.StartAsync(cancellationToken);
        var node = new EmbeddedNode(host, settings, store, stats);
        await node.WaitUntilUp(joinTimeout ?? TimeSpan.FromSeconds(30), cancellationToken);
        return node;
    }

    private async Task WaitUntilUp(TimeSpan timeout, CancellationToken ct)
    {
        var cluster = Akka.Cluster.Cluster.Get(System);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        if (await Task.WhenAny(up.Task, Task.Delay(timeout, ct)) != up.Task)
            throw new TimeoutException($"this node did not become a cluster member within {timeout}; check the seed nodes ({string.Join(", ", Settings.SeedNodes)})");
    }

    public ClusterFeatureProvider FeatureProvider(CoordinatorOptions? options = null, bool returnFeatures = false) =>
        new(System, ExtractorRegion, Store, options, returnFeatures);

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
