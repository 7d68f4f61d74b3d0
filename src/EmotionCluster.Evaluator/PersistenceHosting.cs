using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Akka.Persistence.Hosting;
using Akka.Persistence.Sql.Hosting;
using EmotionCluster.Hosting;
using EmotionCluster.Wire;

namespace EmotionCluster.Evaluator;

/// <summary>Registry key of the evaluator shard region (or its proxy on nodes without the evaluator role).</summary>
public sealed class EvaluatorRegion;

/// <summary>Akka.Hosting wiring of the journal and the evaluator.</summary>
public static class PersistenceHosting
{
    public const string EvaluatorRegionName = "evaluator";

    /// <summary>
    /// Akka.Persistence.Sql as the default journal and snapshot store (tables created on first use), the
    /// evaluator's tagging write-adapter and its serializer. Validates <paramref name="settings"/> (ArgumentException
    /// naming the setting) and creates the SQLite file's folder.
    /// </summary>
    public static AkkaConfigurationBuilder AddEmotionClusterPersistence(this AkkaConfigurationBuilder builder, PersistenceSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        settings.EnsureSqliteFolder();
        builder
            .WithSqlPersistence(
                connectionString: settings.ConnectionString,
                providerName: settings.LinqProviderName,
                mode: PersistenceMode.Both,
                journalBuilder: journal => journal.AddWriteEventAdapter<EvaluationTagger>(EvaluationTagger.AdapterName, [typeof(IEvaluatorEvent)]),
                autoInitialize: true)
            .AddEvaluatorSerializer();
        return builder;
    }

    /// <summary>Binds <see cref="IEvaluatorEvent"/> and <see cref="IEvaluatorMessage"/> to <see cref="EvaluatorSerializer"/>.</summary>
    public static AkkaConfigurationBuilder AddEvaluatorSerializer(this AkkaConfigurationBuilder builder) => builder.WithWireSerializer(EvaluatorWire.Protocol);

    /// <summary>
    /// The evaluator on a cluster node: with the <c>evaluator</c> role, the journal (<paramref name="persistence"/>)
    /// and a shard region of <see cref="EvaluatorActor"/>s keyed by run id; without it, a proxy to that region.
    /// Either way <c>registry.Get&lt;EvaluatorRegion&gt;()</c> reaches the evaluators. Needs the cluster
    /// (<c>AddEmotionClusterNode</c>) on the same builder.
    /// </summary>
    public static AkkaConfigurationBuilder AddEmotionClusterEvaluator(this AkkaConfigurationBuilder builder, NodeSettings node, PersistenceSettings persistence)
    {
        var extractor = HashCodeMessageExtractor.Create(node.ShardCount,
            msg => (msg as IWithRunId)?.RunId ?? throw new ArgumentException($"{msg.GetType().Name} is not addressed to a run (IWithRunId)"),
            msg => msg);
        if (node.Has(ClusterRoles.Evaluator))
        {
            builder.AddEmotionClusterPersistence(persistence);
            builder.WithShardRegion<EvaluatorRegion>(EvaluatorRegionName, runId => EvaluatorActor.PropsFor(runId), extractor,
                new ShardOptions { Role = ClusterRoles.Evaluator, StateStoreMode = StateStoreMode.DData });
        }
        else
        {
            builder.AddEvaluatorSerializer();
            builder.WithShardRegionProxy<EvaluatorRegion>(EvaluatorRegionName, ClusterRoles.Evaluator, extractor);
        }
        return builder;
    }
}
