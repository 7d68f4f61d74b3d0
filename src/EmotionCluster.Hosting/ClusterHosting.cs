using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Hosting;
using Akka.Remote.Hosting;
using EmotionCluster.Extraction;
using EmotionCluster.Wire;

namespace EmotionCluster.Hosting;

/// <summary>Akka.Hosting wiring of an EmotionCluster node: remoting, cluster, serializer, extractor shard region.</summary>
public static class ClusterHosting
{
    public const string ExtractorRegionName = "clip-extractor";
    /// <summary>The dispatcher the clip extractor entities run on (<see cref="NodeSettings.ExtractionThreads"/> threads).</summary>
    public const string ExtractionDispatcher = "emotioncluster.extraction-dispatcher";

    public static AkkaConfigurationBuilder AddEmotionClusterNode(this AkkaConfigurationBuilder builder, NodeSettings settings,
        IExtractionServiceFactory services, ExtractorNodeStats stats, bool joinSelfWithoutSeeds = true)
    {
        settings.Validate();
        builder
            .AddHocon($$"""
                akka.cluster.split-brain-resolver.stable-after = {{(int)settings.SplitBrainStableAfter.TotalMilliseconds}}ms
                akka.cluster.failure-detector.acceptable-heartbeat-pause = {{(int)settings.AcceptableHeartbeatPause.TotalMilliseconds}}ms
                akka.cluster.sharding.rebalance-interval = 2s
                akka.coordinated-shutdown.run-by-clr-shutdown-hook = on
                akka.cluster.run-coordinated-shutdown-when-down = on
                akka.loglevel = INFO
                {{ExtractionDispatcher}} {
                  type = Dispatcher
                  executor = fork-join-executor
                  fork-join-executor {
                    parallelism-min = {{settings.EffectiveExtractionThreads}}
                    parallelism-factor = 1.0
                    parallelism-max = {{settings.EffectiveExtractionThreads}}
                  }
                  throughput = 1
                }
                """, HoconAddMode.Prepend)
            .WithRemoting(Remoting(settings))
            .WithClustering(new ClusterOptions
            {
                Roles = settings.EffectiveRoles.ToArray(),
                SeedNodes = settings.EffectiveSeedNodes.ToArray(),
                SplitBrainResolver = new KeepMajorityOption(),
            })
            .WithWireSerializer(ExtractionWire.Protocol);

        var extractor = new ClipMessageExtractor(settings.ShardCount);
        if (settings.Has(ClusterRoles.Extractor))
            builder.WithShardRegion<ClipExtractorRegion>(ExtractorRegionName,
                clipId => ClipExtractorActor.PropsFor(clipId, services, stats).WithDispatcher(ExtractionDispatcher),
                extractor,
                new ShardOptions { Role = ClusterRoles.Extractor, StateStoreMode = Akka.Cluster.Sharding.StateStoreMode.DData });
        else
            builder.WithShardRegionProxy<ClipExtractorRegion>(ExtractorRegionName, ClusterRoles.Extractor, extractor);

        // No seeds: a cluster of one, unless cluster bootstrap (Kubernetes discovery) decides whom to join.
        if (settings.SeedNodes.Count == 0 && joinSelfWithoutSeeds)
            builder.AddStartup((system, _) =>
            {
                var cluster = Akka.Cluster.Cluster.Get(system);
                cluster.Join(cluster.SelfAddress);
            });
        return builder;
    }

    /// <summary>Remoting on the node's address; over mutual TLS with the cluster certificate when one is configured.</summary>
    private static RemoteOptions Remoting(NodeSettings settings)
    {
        var options = new RemoteOptions
        {
            HostName = settings.Hostname,
            Port = settings.Port,
            PublicHostName = settings.PublicHostname ?? settings.Hostname,
        };
        if (settings.TlsEnabled)
        {
            options.EnableSsl = true;
            options.Ssl = RemotingTls.Options(settings);
        }
        return options;
    }
}
