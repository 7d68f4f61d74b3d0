using System.Diagnostics.Metrics;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Prometheus;

namespace EmotionCluster.Management;

/// <summary>
/// The node's Prometheus registry: every System.Diagnostics.Metrics instrument of a meter whose name starts with
/// <see cref="MeterPrefix"/> (through prometheus-net's meter adapter), .NET runtime and process metrics, and the
/// gauges this class owns, refreshed on each scrape: cluster members by status, unreachable members, this node's
/// status and leadership, the shards and entities each shard region hosts here, and the mailbox lengths of the key
/// actors and of each region's entities (<see cref="MailboxDepths"/>).
/// </summary>
public sealed class NodeMetrics : IDisposable
{
    public const string MeterPrefix = "EmotionCluster";
    public static readonly string[] Statuses = ["Joining", "WeaklyUp", "Up", "Leaving", "Exiting", "Down", "Removed"];

    private readonly ActorSystemAccessor _systems;
    private readonly IDisposable _meterAdapter;
    private readonly Gauge _members, _unreachable, _selfUp, _leader, _regionShards, _regionEntities, _mailbox, _entityMailboxes;
    private readonly HashSet<string> _mailboxSeries = new(StringComparer.Ordinal);

    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();

    public NodeMetrics(ActorSystemAccessor systems)
    {
        _systems = systems;
        IMetricFactory factory = Metrics.WithCustomRegistry(Registry);
        DotNetStats.Register(Registry);
        _meterAdapter = MeterAdapter.StartListening(new MeterAdapterOptions
        {
            InstrumentFilterPredicate = IsExported,
            Registry = Registry,
            MetricFactory = factory,
            ResolveHistogramBuckets = Buckets,
        });
        _members = factory.CreateGauge("emotioncluster_cluster_members", "Cluster members as this node sees them, by status.", ["status"]);
        _unreachable = factory.CreateGauge("emotioncluster_cluster_unreachable_members", "Members this node's failure detector marks unreachable.");
        _selfUp = factory.CreateGauge("emotioncluster_cluster_self_up", "1 when this node is a member with status Up.");
        _leader = factory.CreateGauge("emotioncluster_cluster_is_leader", "1 when this node is the cluster leader.");
        _regionShards = factory.CreateGauge("emotioncluster_shard_region_shards", "Shards of the region hosted on this node.", ["type"]);
        _regionEntities = factory.CreateGauge("emotioncluster_shard_region_entities", "Live entities of the region on this node.", ["type"]);
        _mailbox = factory.CreateGauge("emotioncluster_actor_mailbox_messages",
            "Messages waiting in the mailbox of a key actor of this node (top-level /user actors, /system/sharding actors).", ["actor"]);
        _entityMailboxes = factory.CreateGauge("emotioncluster_shard_region_entity_mailbox_messages",
            "Messages waiting in the mailboxes of the region's entities on this node.", ["type"]);
        Registry.AddBeforeCollectCallback(RefreshAsync);
    }

    /// <summary>Histogram buckets by unit: seconds and milliseconds from 1 ms to 60 s; otherwise prometheus-net's default.</summary>
    public static double[] Buckets(Instrument instrument) => instrument.Unit switch
    {
        "s" => [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
        "ms" => [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000],
        _ => MeterAdapterOptions.DefaultHistogramBuckets,
    };

    /// <summary>
    /// Creates the instruments of the given static metric classes now (runs their static initializers), so that their
    /// observable gauges (queue lengths) are on /metrics from the node's start, before the part is first used.
    /// </summary>
    public static void Initialize(params Type[] metricClasses)
    {
        foreach (Type t in metricClasses) System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(t.TypeHandle);
    }

    /// <summary>Exported instruments: those of meters named EmotionCluster or EmotionCluster.*.</summary>
    public static bool IsExported(Instrument instrument) => instrument.Meter.Name.StartsWith(MeterPrefix, StringComparison.Ordinal);

    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        if (_systems.Running is not { } system)
        {
            _selfUp.Set(0);
            return;
        }
        var cluster = Akka.Cluster.Cluster.Get(system);
        ClusterEvent.CurrentClusterState state = cluster.State;
        foreach (string status in Statuses)
            _members.WithLabels(status).Set(state.Members.Count(m => ClusterQueries.StatusName(m.Status) == status));
        _unreachable.Set(state.Unreachable.Count);
        _selfUp.Set(cluster.SelfMember.Status == MemberStatus.Up ? 1 : 0);
        _leader.Set(state.Leader is { } l && l.Equals(cluster.SelfAddress) ? 1 : 0);

        RefreshMailboxes(system);

        foreach (string type in ClusterSharding.Get(system).ShardTypeNames)
        {
            try
            {
                var regionState = await ClusterSharding.Get(system).ShardRegion(type)
                    .Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(2), cancellationToken);
                _regionShards.WithLabels(type).Set(regionState.Shards.Count);
                _regionEntities.WithLabels(type).Set(regionState.Shards.Sum(s => s.EntityIds.Count));
            }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
            {
                // Keep the last values; a region that does not answer in 2 s must not fail the scrape.
            }
        }
    }

    private void RefreshMailboxes(ActorSystem system)
    {
        var actors = MailboxDepths.KeyActors(system);
        lock (_mailboxSeries) // two scrapes at once must not both edit the set
        {
            foreach (string gone in _mailboxSeries.Except(actors.Keys).ToList())
            {
                _mailbox.RemoveLabelled(gone); // an actor that stopped leaves no stale series
                _mailboxSeries.Remove(gone);
            }
            foreach (var (actor, messages) in actors)
            {
                _mailbox.WithLabels(actor).Set(messages);
                _mailboxSeries.Add(actor);
            }
        }
        foreach (var (type, messages) in MailboxDepths.EntityBacklog(system, ClusterSharding.Get(system).ShardTypeNames))
            _entityMailboxes.WithLabels(type).Set(messages);
    }

    /// <summary>Writes the Prometheus text exposition of every metric to <paramref name="output"/>.</summary>
    public Task ExportAsync(Stream output, CancellationToken cancellationToken) => Registry.CollectAndExportAsTextAsync(output, cancellationToken);

    public void Dispose() => _meterAdapter.Dispose();
}
