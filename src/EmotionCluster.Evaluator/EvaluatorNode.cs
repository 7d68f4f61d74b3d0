using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using EmotionCluster.Hosting;
using EmotionCluster.Management;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EmotionCluster.Evaluator;

/// <summary>
/// The evaluator's part of a node (src/EmotionCluster.Node's NodeComposition): settings and services
/// (<see cref="AddEmotionClusterEvaluator"/>), then the journal and shard region (<see cref="WithEmotionClusterEvaluator"/>).
/// </summary>
public static class EvaluatorNode
{
    /// <summary>The category of the evaluator part's records in the node's log.</summary>
    public const string LogCategory = "EmotionCluster.Evaluator";

    /// <summary>
    /// Registers <see cref="PersistenceSettings"/> (<c>EmotionCluster:Persistence</c>, through
    /// <see cref="SettingsRegistration.AddSettings"/>: a bad value throws SettingsException naming the setting). On a node with the evaluator role also registers the run catalog for <c>GET /api/runs</c>
    /// (<see cref="IRunCatalog"/>) and the journal readiness check (<see cref="IReadinessCheck"/>).
    /// </summary>
    public static IServiceCollection AddEmotionClusterEvaluator(this IServiceCollection services, IConfiguration configuration, NodeSettings node)
    {
        services.AddSettings<PersistenceSettings>(configuration, PersistenceSettings.Section, s => s.Validate());
        if (node.Has(ClusterRoles.Evaluator))
        {
            services.AddSingleton<JournalReadinessCheck>();
            services.AddSingleton<IReadinessCheck>(sp => sp.GetRequiredService<JournalReadinessCheck>());
            services.AddSingleton<IRunCatalog>(sp => new NodeRunCatalog(sp));
        }
        return services;
    }

    /// <summary>
    /// The journal and the evaluator region (role evaluator) or its proxy (<see cref="PersistenceHosting.AddEmotionClusterEvaluator"/>);
    /// on an evaluator node, the journal in use, or one that cannot be reached at start with the setting to fix, is
    /// recorded in the node's log (category <see cref="LogCategory"/>).
    /// </summary>
    public static AkkaConfigurationBuilder WithEmotionClusterEvaluator(this AkkaConfigurationBuilder akka, IServiceProvider services, NodeSettings node)
    {
        var settings = services.GetRequiredService<PersistenceSettings>();
        ILogger log = services.GetService<ILoggerFactory>()?.CreateLogger(LogCategory) ?? NullLogger.Instance;
        akka.AddEmotionClusterEvaluator(node, settings);
        if (node.Has(ClusterRoles.Evaluator))
            akka.AddStartup((_, _) => _ = Task.Run(async () =>
            {
                try
                {
                    await JournalConnectivity.CheckAsync(settings);
                    log.LogInformation("journal: {Journal}", settings.Describe());
                }
                catch (Exception e) when (e is JournalUnavailableException or ArgumentException)
                {
                    log.LogError("journal: {Problem}", e.Message);
                }
            }));
        return akka;
    }
}

/// <summary>Readiness of the journal: the configured database answers a plain query within a few seconds.</summary>
public sealed class JournalReadinessCheck(PersistenceSettings settings) : IReadinessCheck
{
    public string Name => "journal";

    public async Task<ReadinessResult> CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            await JournalConnectivity.CheckAsync(settings, TimeSpan.FromSeconds(3), cancellationToken);
            return ReadinessResult.Pass($"journal reachable: {settings.Describe()}");
        }
        catch (Exception e) when (e is JournalUnavailableException or ArgumentException)
        {
            return ReadinessResult.Fail(e.Message);
        }
    }
}

/// <summary>
/// <see cref="IRunCatalog"/> of an evaluator node (<c>GET /api/runs</c>): <see cref="RunCatalog.ListAsync"/> over the
/// node's own ActorSystem. States: running, finished, failed. Metrics: uar and accuracy of the best epoch, epochs,
/// bestEpoch, and testUar/testAccuracy when the run has test metrics. Corpus: the <c>corpus</c> field of the run's
/// settings JSON, when there is one.
/// </summary>
public sealed class NodeRunCatalog(IServiceProvider services) : IRunCatalog
{
    private RunCatalog? _catalog;

    public async Task<IReadOnlyList<RunInfo>> ListAsync(CancellationToken cancellationToken)
    {
        _catalog ??= new RunCatalog(services.GetRequiredService<ActorSystem>());
        return (await _catalog.ListRunsAsync(cancellationToken)).Select(ToRunInfo).ToList();
    }

    public static RunInfo ToRunInfo(RunView run)
    {
        var metrics = new Dictionary<string, double> { ["epochs"] = run.Epochs.Count };
        if (run.BestEpoch is { } best) metrics["bestEpoch"] = best;
        if (run.Best?.Metrics is { } m) { metrics["uar"] = m.Uar; metrics["accuracy"] = m.Accuracy; metrics["macroF1"] = m.MacroF1; }
        if (run.Completed?.Test is { } t) { metrics["testUar"] = t.Uar; metrics["testAccuracy"] = t.Accuracy; }
        string state = run.Status switch
        {
            RunStatus.Completed => "finished",
            RunStatus.Failed => "failed",
            _ => "running",
        };
        DateTimeOffset started = run.Started?.StartedAt ?? run.Failed?.At ?? DateTimeOffset.MinValue;
        return new RunInfo(run.RunId, state, started, run.Completed?.At ?? run.Failed?.At, Corpus(run.Started?.SettingsJson), metrics, null);
    }

    private static string? Corpus(string? settingsJson)
    {
        if (settingsJson is null) return null;
        try
        {
            using var doc = JsonDocument.Parse(settingsJson);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return null;
            foreach (var p in doc.RootElement.EnumerateObject())
                if (p.Name.Equals("corpus", StringComparison.OrdinalIgnoreCase) && p.Value.ValueKind == JsonValueKind.String) return p.Value.GetString();
            return null;
        }
        catch (JsonException) { return null; }
    }
}
