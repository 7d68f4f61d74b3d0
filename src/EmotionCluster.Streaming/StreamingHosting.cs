using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using EmotionCluster.Hosting;
using EmotionCluster.Wire;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EmotionCluster.Streaming;

/// <summary>
/// Wiring of live streaming into a node: <see cref="AddStreaming"/> (services), <see cref="WithStreaming"/> (serializer,
/// predictor shard region or proxy, model subscriber) and <see cref="MapStreaming"/> (WebSocket <c>/ws/stream</c>,
/// page <c>/live</c>).
/// </summary>
public static class StreamingHosting
{
    public const string RegionName = "stream-predictor";
    public const string WebSocketPath = "/ws/stream";
    public const string PagePath = "/live";

    /// <summary>
    /// Registers <see cref="StreamingSettings"/> (<see cref="SettingsRegistration.AddSettings"/>) and the streaming
    /// services; the model loads when the actor system starts. Returns the validated settings, for what the host
    /// composes from them (the readiness check of <see cref="StreamingSettings.RequireModelForReadiness"/>).
    /// </summary>
    public static StreamingSettings AddStreaming(this IServiceCollection services, IConfiguration configuration)
    {
        StreamingSettings settings = services.AddSettings<StreamingSettings>(configuration, StreamingSettings.Section, s => s.Validate());
        services.AddSingleton(sp => CreateServices(sp.GetRequiredService<StreamingSettings>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger(LogCategory)));
        services.AddTransient<IStartupFilter, QueryTokenFilter>();
        return settings;
    }

    /// <summary>
    /// Browsers cannot set headers on a WebSocket or a page link, so on the streaming paths a <c>?token=</c> query
    /// parameter stands in for <c>Authorization: Bearer</c>. Runs before the app's own middleware (the node's token
    /// check), which then sees an ordinary bearer header.
    /// </summary>
    private sealed class QueryTokenFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (IsStreamingPath(context.Request.Path) && string.IsNullOrEmpty(context.Request.Headers.Authorization)
                    && context.Request.Query.TryGetValue("token", out var token) && !string.IsNullOrEmpty(token))
                    context.Request.Headers.Authorization = $"Bearer {token}";
                return nextMiddleware(context);
            });
            next(app);
        };
    }

    private static bool IsStreamingPath(PathString path) =>
        path.StartsWithSegments(WebSocketPath, StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments(PagePath, StringComparison.OrdinalIgnoreCase);

    /// <summary>The category of the streaming part's records in the node's log.</summary>
    public const string LogCategory = "EmotionCluster.Streaming";

    /// <summary>A model that cannot be loaded does not stop the node: streams are refused with the reason until one is published.</summary>
    private static StreamingServices CreateServices(StreamingSettings settings, ILogger log)
    {
        try
        {
            return StreamingServices.Create(settings, log);
        }
        catch (Exception e) when (e is EmotionCluster.Model.ModelArtifactException or IOException or UnauthorizedAccessException)
        {
            log.LogError("streaming: {Reason} Streams are refused until a model is published on the '{Topic}' topic.", e.Message, ModelPublishing.Topic);
            var fallback = settings.WithoutModel();
            return StreamingServices.Create(fallback, log);
        }
    }

    /// <summary>Serializer, the predictor region (on nodes with the <c>predictor</c> role; a proxy elsewhere), the model subscriber and the model announcer.</summary>
    public static AkkaConfigurationBuilder WithStreaming(this AkkaConfigurationBuilder akka, IServiceProvider services, NodeSettings node)
    {
        var settings = services.GetRequiredService<StreamingSettings>();
        akka.WithWireSerializer(StreamingWire.Protocol);
        var extractor = new StreamMessageExtractor(settings.ShardCount);
        if (node.Has(ClusterRoles.Predictor))
        {
            var shared = services.GetRequiredService<StreamingServices>();
            akka.WithShardRegion<PredictorRegion>(RegionName, id => PredictorActor.PropsFor(id, shared), extractor,
                new ShardOptions { Role = ClusterRoles.Predictor, StateStoreMode = Akka.Cluster.Sharding.StateStoreMode.DData });
            akka.WithActors((system, _) => system.ActorOf(ModelSubscriberActor.PropsFor(shared.Models, settings.EffectiveModelDirectory), "model-subscriber"));
        }
        else
        {
            akka.WithShardRegionProxy<PredictorRegion>(RegionName, ClusterRoles.Predictor, extractor);
        }
        // trainer's best models → predictors (and, with RepublishSeconds, again now and then for predictors started since)
        string? best = services.GetService<BestModelFile>()?.Path; // registered with the trainer's settings
        akka.WithActors((system, _) => system.ActorOf(ModelAnnouncerActor.PropsFor(best, TimeSpan.FromSeconds(settings.RepublishSeconds)), "model-announcer"));
        return akka;
    }

    /// <summary>
    /// The WebSocket endpoint and the live page; both need the token when <see cref="HttpSettings.Token"/> is set, and
    /// the WebSocket refuses pages of other origins (<see cref="HttpSettings.OriginAllowed"/>).
    /// </summary>
    public static WebApplication MapStreaming(this WebApplication app, HttpSettings http)
    {
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        var settings = app.Services.GetRequiredService<StreamingSettings>();
        int active = 0;
        app.Map(WebSocketPath, async (HttpContext context, ActorSystem system, IRequiredActor<PredictorRegion> region) =>
        {
            if (!Authorized(context, http))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await context.Response.WriteAsync("missing or wrong token: send 'Authorization: Bearer TOKEN' or add ?token=TOKEN\n");
                return;
            }
            string origin = context.Request.Headers.Origin.ToString();
            if (!http.OriginAllowed(origin, context.Request.Scheme, context.Request.Host.Value))
            {
                // A page of another site must not stream through the operator's browser (the node's own page /live is same-origin).
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await context.Response.WriteAsJsonAsync(new { error = $"WebSocket connections from pages of {origin} are refused: not this node's origin nor one of {HttpSettings.Section}:AllowedOrigins" });
                return;
            }
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                await context.Response.WriteAsync($"{WebSocketPath} is a WebSocket endpoint; connect with a WebSocket client (see {PagePath})\n");
                return;
            }
            using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
            if (Interlocked.Increment(ref active) > settings.MaxStreams)
            {
                Interlocked.Decrement(ref active);
                await RefuseAsync(socket, $"this node already serves {settings.MaxStreams} streams ({StreamingSettings.Section}:MaxStreams); try again later or use another node");
                return;
            }
            StreamingMetrics.ActiveStreams.Add(1);
            try
            {
                IActorRef regionRef = await region.GetAsync(context.RequestAborted);
                await new StreamConnection(socket, settings, regionRef, system).RunAsync(context.RequestAborted);
            }
            finally
            {
                Interlocked.Decrement(ref active);
                StreamingMetrics.ActiveStreams.Add(-1);
            }
        });
        app.MapGet(PagePath, (HttpContext context) => Page(context, http, "live.html"));
        app.MapGet(PagePath + "/{file}", (HttpContext context, string file) => Page(context, http, file));
        return app;
    }

    private static async Task RefuseAsync(WebSocket socket, string message)
    {
        StreamingMetrics.Errors.Add(1);
        string json = System.Text.Json.JsonSerializer.Serialize(new { type = "error", message });
        await socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);
        await socket.CloseOutputAsync(StreamProtocolException.CloseStatusFor(StreamErrorKind.Unavailable), "node is at MaxStreams", CancellationToken.None);
    }

    /// <summary>True when no token is configured, or the request carries it as a bearer header or a <c>token</c> query parameter.</summary>
    public static bool Authorized(HttpContext context, HttpSettings http)
    {
        if (string.IsNullOrEmpty(http.Token)) return true;
        string? given = null;
        string header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) given = header["Bearer ".Length..].Trim();
        else if (context.Request.Query.TryGetValue("token", out var q)) given = q.ToString();
        return given is not null
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(http.Token));
    }

    private static readonly Dictionary<string, string> ContentTypes = new()
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
    };

    private static IResult Page(HttpContext context, HttpSettings http, string file)
    {
        if (!Authorized(context, http)) return Results.Text("missing or wrong token: open the page as /live?token=TOKEN\n", statusCode: StatusCodes.Status401Unauthorized);
        Stream? resource = file.Contains('/') || file.Contains("..") ? null
            : typeof(StreamingHosting).Assembly.GetManifestResourceStream($"live/{file}");
        if (resource is null) return Results.NotFound();
        string type = ContentTypes.GetValueOrDefault(Path.GetExtension(file), "application/octet-stream");
        return Results.Stream(resource, type);
    }

    /// <summary>Names of the embedded page files (for tests).</summary>
    public static IReadOnlyList<string> PageFiles() =>
        typeof(StreamingHosting).Assembly.GetManifestResourceNames().Where(n => n.StartsWith("live/", StringComparison.Ordinal)).ToArray();
}
