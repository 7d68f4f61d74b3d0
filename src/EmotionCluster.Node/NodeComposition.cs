using Akka.Hosting;
using EmotionCluster.Evaluator;
using EmotionCluster.Extraction;
using EmotionCluster.Hosting;
using EmotionCluster.Management;
using EmotionCluster.Streaming;
using EmotionCluster.TrainingActors;

namespace EmotionCluster.Node;

/// <summary>
/// The node's parts beyond sharded extraction, each from its own project: services, actors and HTTP endpoints.
/// One place to see what a node runs; each part adds its line here.
/// </summary>
internal static class NodeComposition
{
    public static void AddServices(WebApplicationBuilder builder, NodeSettings settings, HttpSettings http)
    {
        builder.AddEmotionClusterManagement(settings, http); // token check, health, metrics, management API, discovery
        NodeMetrics.Initialize(typeof(ExtractionMetrics), typeof(StreamingMetrics), typeof(TrainingMetrics), typeof(EvaluatorInstruments)); // their gauges on /metrics from the start
        StreamingSettings streaming = builder.Services.AddStreaming(builder.Configuration); // live audio: EmotionCluster:Streaming settings, model, batched inference
        builder.Services.AddEmotionClusterEvaluator(builder.Configuration, settings); // EmotionCluster:Persistence settings; evaluator role: /api/runs catalog, journal readiness
        TrainingNode.AddServices(builder.Services, builder.Configuration, settings); // EmotionCluster:Training settings; training status board (ITrainingStatusSource)
        if (settings.Has(ClusterRoles.Predictor) && streaming.RequireModelForReadiness)
            builder.Services.AddSingleton<IReadinessCheck, ModelLoadedCheck>(); // a predictor without a model takes no traffic
    }

    /// <summary>Readiness of a predictor: a model is loaded (<see cref="StreamingSettings.RequireModelForReadiness"/>).</summary>
    private sealed class ModelLoadedCheck(StreamingServices streaming) : IReadinessCheck
    {
        public string Name => "model-loaded";

        public Task<ReadinessResult> CheckAsync(CancellationToken cancellationToken) =>
            Task.FromResult(streaming.Models.Current is { } model
                ? ReadinessResult.Pass($"model {model.Id} loaded")
                : ReadinessResult.Fail($"no model loaded yet; set {StreamingSettings.Section}:ModelPath, or wait for the trainer to publish one on the '{ModelPublishing.Topic}' topic"));
    }

    public static void ConfigureAkka(AkkaConfigurationBuilder akka, IServiceProvider services, NodeSettings settings)
    {
        akka.WithEmotionClusterManagement(services, settings);
        akka.WithStreaming(services, settings); // predictor shard region (role predictor), model hot-swap subscriber
        akka.WithEmotionClusterEvaluator(services, settings); // journal (Akka.Persistence.Sql) and evaluator shard region (role evaluator) or its proxy
        TrainingNode.ConfigureAkka(akka, services, settings); // data-parallel trainer (role trainer, pinned dispatcher), training-progress listener
    }

    public static void MapEndpoints(WebApplication app, HttpSettings http)
    {
        app.MapEmotionClusterManagement(); // first: its token check guards every endpoint mapped after it
        app.MapStreaming(http); // WebSocket /ws/stream and the live page /live
    }
}
