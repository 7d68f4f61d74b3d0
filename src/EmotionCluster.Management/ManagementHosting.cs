using System.Globalization;
using Akka.Actor;
using Akka.Hosting;
using EmotionCluster.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace EmotionCluster.Management;

/// <summary>
/// The operations surface of a node: error answers, bearer-token check, browser (CSRF) rules, <c>/healthz/live</c>, <c>/healthz/ready</c>,
/// <c>/metrics</c> and the management API under <c>/api</c>; a ring buffer of recent log records (a logging provider); cluster discovery.
/// Three calls wire it into the node host (see src/EmotionCluster.Node/NodeComposition.cs).
/// </summary>
public static class ManagementHosting
{
    public const int DefaultLogLines = 50;
    public const int DefaultActorDepth = 4;
    public const int MaxActorDepth = 12;
    public static readonly TimeSpan ShardingTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Services: settings, log ring (also a logging provider), health checks, metrics.</summary>
    public static WebApplicationBuilder AddEmotionClusterManagement(this WebApplicationBuilder builder, NodeSettings node, HttpSettings http)
    {
        DiscoverySettings discovery = builder.Services.AddSettings<DiscoverySettings>(builder.Configuration, DiscoverySettings.Section,
            d => DiscoveryHosting.Validate(d, node, KubernetesEnvironment.Current()));
        DiscoveryHosting.ListenOnManagementPort(builder.WebHost, discovery, node);
        var ring = new LogRing();
        builder.Logging.AddProvider(new LogRingLoggerProvider(ring));
        AddManagementServices(builder.Services, discovery, ring, http);
        return builder;
    }

    internal static IServiceCollection AddManagementServices(IServiceCollection services, DiscoverySettings discovery, LogRing ring, HttpSettings http)
    {
        services.TryAddSingleton(discovery); // the node registered the section already (AddSettings); a test host gives the value
        return services
            .AddSingleton(ring)
            .AddSingleton<MembershipEvents>()
            .AddSingleton<RemoteAssociations>()
            .AddSingleton(TokenCheck.For(http, discovery.Method == DiscoverySettings.KubernetesMethod ? discovery.ManagementPort : null))
            .AddSingleton(new BrowserRequestRules(http))
            .AddSingleton<ErrorAnswers>()
            .AddSingleton<ActorSystemAccessor>()
            .AddSingleton<ActorSystemCheck>()
            .AddSingleton<IReadinessCheck>(sp => sp.GetRequiredService<ActorSystemCheck>())
            .AddSingleton<IReadinessCheck, ClusterMemberCheck>()
            .AddSingleton<HealthEvaluator>()
            .AddSingleton<NodeMetrics>();
    }

    /// <summary>
    /// Actor system: discovery (Akka.Management + bootstrap in Kubernetes), and Akka.NET's log records forwarded to the
    /// host's ILogger providers in place of Akka's own stdout logger, so the console and the log ring (<c>ctl log peek</c>)
    /// get the same records, filtered by the same <c>Logging</c> section.
    /// </summary>
    public static AkkaConfigurationBuilder WithEmotionClusterManagement(this AkkaConfigurationBuilder akka, IServiceProvider services, NodeSettings node)
    {
        akka.WithEmotionClusterDiscovery(services.GetRequiredService<DiscoverySettings>(), node, KubernetesEnvironment.Current());
        // first: the associations made while the node joins its seeds are recorded too
        RemoteAssociations associations = services.GetRequiredService<RemoteAssociations>();
        akka.AddStartup((system, _) => system.ActorOf(RemoteAssociationsActor.PropsFor(associations), "remote-associations"));
        akka.ConfigureLoggers(loggers =>
        {
            loggers.ClearLoggers();
            loggers.AddLoggerFactory();
        });
        MembershipEvents events = services.GetRequiredService<MembershipEvents>();
        akka.AddStartup((system, _) => system.ActorOf(MembershipEventsActor.PropsFor(events), "membership-events"));
        return akka;
    }

    /// <summary>
    /// HTTP: the error answers, the token check and the browser rules first (they guard every endpoint of the node,
    /// whoever maps it), then health, metrics and the API. Call it before other parts map their endpoints.
    /// </summary>
    public static WebApplication MapEmotionClusterManagement(this WebApplication app)
    {
        ErrorAnswers errors = app.Services.GetRequiredService<ErrorAnswers>();
        TokenCheck token = app.Services.GetRequiredService<TokenCheck>();
        BrowserRequestRules browser = app.Services.GetRequiredService<BrowserRequestRules>();
        app.Use((context, next) => errors.Invoke(context, () => next(context)));
        app.Use((context, next) => token.Invoke(context, () => next(context)));
        app.Use((context, next) => browser.Invoke(context, () => next(context)));
        _ = app.Services.GetRequiredService<NodeMetrics>(); // listen to meters from now on
        MapManagementEndpoints(app);
        DiscoveryHosting.MapBootstrapRoute(app, app.Services.GetRequiredService<DiscoverySettings>());
        return app;
    }

    internal static void MapManagementEndpoints(IEndpointRouteBuilder app)
    {
        app.MapGet(HttpSettings.LivePath, async (HealthEvaluator health, CancellationToken ct) => Health(await health.LiveAsync(ct)));
        app.MapGet(HttpSettings.ReadyPath, async (HealthEvaluator health, CancellationToken ct) => Health(await health.ReadyAsync(ct)));
        app.MapGet(HttpSettings.MetricsPath, async (HttpContext context, NodeMetrics metrics) =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await metrics.ExportAsync(context.Response.Body, context.RequestAborted);
        });

        // Failures are exceptions (ManagementException with its status, bad JSON, timeouts): ErrorAnswers answers them.
        RouteGroupBuilder api = app.MapGroup("/api");
        api.MapGet("/cluster", (ActorSystemAccessor s) => Results.Json(ClusterQueries.Show(Running(s))));
        api.MapPost("/cluster/leave", async (ActorSystemAccessor s, HttpRequest request) =>
            Results.Json(ClusterQueries.Leave(Running(s), await AddressFrom(request)), statusCode: 202));
        api.MapPost("/cluster/down", async (ActorSystemAccessor s, HttpRequest request) =>
            Results.Json(ClusterQueries.Down(Running(s), await AddressFrom(request)), statusCode: 202));
        api.MapPost("/cluster/down-unreachable", (ActorSystemAccessor s) => Results.Json(ClusterQueries.DownUnreachable(Running(s)), statusCode: 202));
        api.MapPost("/cluster/join", async (ActorSystemAccessor s, HttpRequest request) =>
            Results.Json(ClusterQueries.Join(Running(s), await AddressFrom(request)), statusCode: 202));
        api.MapGet("/cluster/events", async (MembershipEvents events, string? after, string? wait, CancellationToken ct) =>
            Results.Json(await events.WaitAsync(
                string.IsNullOrEmpty(after) ? null : PositiveInt("after", after, 0, int.MaxValue, min: 0),
                TimeSpan.FromSeconds(PositiveInt("wait", wait, 10, (int)MembershipEvents.MaxWait.TotalSeconds, min: 0)), ct)));
        api.MapGet("/remote/connections", (ActorSystemAccessor s, RemoteAssociations associations) =>
            Results.Json(ClusterQueries.Connections(Running(s), associations)));
        api.MapGet("/sharding/regions", async (ActorSystemAccessor s) => Results.Json(await ClusterQueries.RegionsAsync(Running(s), ShardingTimeout)));
        api.MapGet("/sharding/regions/{type}/stats", async (ActorSystemAccessor s, string type) =>
            Results.Json(await ClusterQueries.StatsAsync(Running(s), type, ShardingTimeout)));
        api.MapGet("/actors", async (ActorSystemAccessor s, string? depth) =>
            Results.Json(await ActorHierarchy.RunAsync(Running(s), PositiveInt("depth", depth, DefaultActorDepth, MaxActorDepth))));
        api.MapGet("/logs", (LogRing ring, string? lines, string? after) =>
        {
            if (!string.IsNullOrEmpty(after)) // follow: the lines logged after the after-th
            {
                var (total, since) = ring.Since(PositiveInt("after", after, 0, int.MaxValue, min: 0));
                return Results.Json(new LogPeekView(ring.Capacity, total, since));
            }
            int n = PositiveInt("lines", lines, DefaultLogLines, ring.Capacity);
            return Results.Json(new LogPeekView(ring.Capacity, ring.Total, ring.Last(n)));
        });
        api.MapGet("/train/status", async (IServiceProvider sp, NodeSettings node, CancellationToken ct) =>
            sp.GetService<ITrainingStatusSource>() is { } source
                ? Results.Json(await source.GetStatusAsync(ct))
                : RoleMissing(node, "training status", ClusterRoles.Trainer));
        api.MapGet("/runs", async (IServiceProvider sp, NodeSettings node, CancellationToken ct) =>
            sp.GetService<IRunCatalog>() is { } catalog
                ? Results.Json(await catalog.ListAsync(ct))
                : RoleMissing(node, "the run list", ClusterRoles.Evaluator));
        api.MapFallback((HttpContext c) => Results.Json(new ApiError(
            $"no API endpoint {c.Request.Method} {c.Request.Path}; see docs/operations.md for the endpoints"), statusCode: 404));
    }

    /// <summary>
    /// The address of a leave/down request: the JSON body <c>{"address": "..."}</c> (<see cref="BrowserRequestRules"/>
    /// let only JSON bodies through; one that does not parse is a 400 from <see cref="ErrorAnswers"/>).
    /// </summary>
    private static async Task<string?> AddressFrom(HttpRequest request) =>
        (await request.ReadFromJsonAsync<AddressRequest>(request.HttpContext.RequestAborted))?.Address;

    private static IResult Health(HealthView view) => Results.Json(view, statusCode: view.Status == "ok" ? 200 : 503);

    private static IResult RoleMissing(NodeSettings node, string what, string role) => Results.Json(new ApiError(node.Has(role)
        ? $"{what} is not available: this node has the {role} role but runs no {role} service (nothing provides it here); " +
          $"check the node's log, or ask another {role} node"
        : $"{what} is not available: the {role} role is not on this node (roles: {string.Join(", ", node.EffectiveRoles)}); " +
          $"ask a node with the {role} role"), statusCode: 404);

    private static ActorSystem Running(ActorSystemAccessor systems) =>
        systems.Running ?? throw new ManagementException(503, "the actor system is not running (starting, failed or shutting down); retry shortly");

    internal static int PositiveInt(string name, string? text, int fallback, int max, int min = 1)
    {
        if (string.IsNullOrEmpty(text)) return fallback;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < min || n > max)
            throw new ManagementException(400, $"{name} '{text}' must be a whole number from {min} to {max}");
        return n;
    }
}
