using System.Collections.Immutable;
using Akka.Cluster;
using Akka.Discovery.KubernetesApi;
using Akka.Hosting;
using Akka.Management.Cluster.Bootstrap;
using Akka.Management.Cluster.Bootstrap.ContactPoint;
using Akka.Management.Dsl;
using EmotionCluster.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Newtonsoft.Json;

namespace EmotionCluster.Management;

/// <summary>
/// What Akka.Discovery.KubernetesApi needs from the pod: the API server address (environment variables the kubelet
/// sets) and the service account token and CA certificate mounted into every pod.
/// </summary>
public sealed record KubernetesEnvironment(string? ServiceHost, string? ServicePort, string TokenPath, string CaPath)
{
    public const string HostVariable = "KUBERNETES_SERVICE_HOST";
    public const string PortVariable = "KUBERNETES_SERVICE_PORT";
    public const string ServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

    public static KubernetesEnvironment Current() => new(
        Environment.GetEnvironmentVariable(HostVariable), Environment.GetEnvironmentVariable(PortVariable),
        Path.Combine(ServiceAccountDir, "token"), Path.Combine(ServiceAccountDir, "ca.crt"));

    /// <summary>Null inside a Kubernetes pod; otherwise what is missing.</summary>
    public string? Problem()
    {
        var missing = new List<string>();
        if (string.IsNullOrEmpty(ServiceHost)) missing.Add($"{HostVariable} is not set");
        if (string.IsNullOrEmpty(ServicePort)) missing.Add($"{PortVariable} is not set");
        if (!File.Exists(TokenPath)) missing.Add($"no service account token at {TokenPath}");
        return missing.Count == 0 ? null : string.Join(", ", missing);
    }
}

/// <summary>
/// How the node finds the cluster (<see cref="DiscoverySettings"/>). <c>seed-nodes</c>: the node's seed list, nothing
/// to add here. <c>kubernetes</c>: the bootstrap contact-point route on <see cref="DiscoverySettings.ManagementPort"/>,
/// Akka.Management's cluster bootstrap, and Akka.Discovery.KubernetesApi listing the pods with
/// <see cref="DiscoverySettings.PodLabelSelector"/> and contacting them on the port named
/// <see cref="DiscoverySettings.PortName"/>. The first node forms a new cluster once
/// <see cref="DiscoverySettings.RequiredContactPoints"/> pods were found and none of them is in a cluster yet.
/// </summary>
public static class DiscoveryHosting
{
    public const string KubernetesDiscoveryMethod = "kubernetes-api";

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad setting and what to do.</summary>
    public static void Validate(DiscoverySettings discovery, NodeSettings node, KubernetesEnvironment environment)
    {
        string s = DiscoverySettings.Section;
        if (discovery.Method == DiscoverySettings.SeedNodesMethod) return;
        if (discovery.Method != DiscoverySettings.KubernetesMethod)
            throw new ArgumentException($"{s}: Method '{discovery.Method}' is unknown; use {DiscoverySettings.SeedNodesMethod} or {DiscoverySettings.KubernetesMethod}");
        if (discovery.ManagementPort is < 1 or > 65535)
            throw new ArgumentException($"{s}: ManagementPort {discovery.ManagementPort} is outside 1..65535");
        if (string.IsNullOrWhiteSpace(discovery.PortName))
            throw new ArgumentException($"{s}: PortName is empty; name the management port of the pod spec (management)");
        if (string.IsNullOrWhiteSpace(discovery.PodLabelSelector))
            throw new ArgumentException($"{s}: PodLabelSelector is empty; use the label all cluster pods carry, e.g. app.kubernetes.io/part-of=emotioncluster");
        if (discovery.RequiredContactPoints < 1)
            throw new ArgumentException($"{s}: RequiredContactPoints {discovery.RequiredContactPoints} must be at least 1");
        if (node.SeedNodes.Count > 0)
            throw new ArgumentException($"{s}: Method is {DiscoverySettings.KubernetesMethod} but seed nodes are configured ({string.Join(", ", node.SeedNodes)}); " +
                "use one or the other");
        if (environment.Problem() is { } problem)
            throw new ArgumentException($"{s}: Method is {DiscoverySettings.KubernetesMethod} but this process does not run in a Kubernetes pod ({problem}); " +
                $"run it in a pod with a service account, or use Method {DiscoverySettings.SeedNodesMethod} with --seed");
    }

    /// <summary>
    /// Adds cluster bootstrap and Kubernetes discovery when the method is kubernetes. Akka.Management's own HTTP
    /// server cannot run with the Ceen.Httpd the package mirror serves (0.9.10; Akka.Http.Shim 1.5.73 is built
    /// against 0.9.9 and fails with MissingMethodException), so the node's Kestrel serves the one route bootstrap
    /// needs, <c>GET /bootstrap/seed-nodes</c>, on the management port (<see cref="MapBootstrapRoute"/>), and the
    /// bootstrap is told its own contact point here.
    /// </summary>
    public static AkkaConfigurationBuilder WithEmotionClusterDiscovery(this AkkaConfigurationBuilder builder,
        DiscoverySettings discovery, NodeSettings node, KubernetesEnvironment environment) =>
        builder.WithEmotionClusterDiscovery(discovery, node, environment, KubernetesDiscoveryMethod);

    /// <summary>The same wiring with another discovery method for the contact points (tests use <c>config</c>).</summary>
    internal static AkkaConfigurationBuilder WithEmotionClusterDiscovery(this AkkaConfigurationBuilder builder,
        DiscoverySettings discovery, NodeSettings node, KubernetesEnvironment environment, string discoveryMethod)
    {
        Validate(discovery, node, environment);
        if (discovery.Method != DiscoverySettings.KubernetesMethod) return builder;
        var selfContactPoint = new Uri($"http://{node.PublicHostname ?? node.Hostname}:{discovery.ManagementPort}/");
        builder
            .WithClusterBootstrap(options =>
            {
                options.ContactPointDiscovery.ServiceName = node.ActorSystemName;
                options.ContactPointDiscovery.PortName = discovery.PortName;
                options.ContactPointDiscovery.DiscoveryMethod = discoveryMethod;
                options.ContactPointDiscovery.RequiredContactPointsNr = discovery.RequiredContactPoints;
            }, autoStart: false)
            .WithKubernetesDiscovery(options =>
            {
                options.PodLabelSelector = discovery.PodLabelSelector;
                if (!string.IsNullOrEmpty(discovery.PodNamespace)) options.PodNamespace = discovery.PodNamespace;
                options.ApiTokenPath = environment.TokenPath;
                options.ApiCaPath = environment.CaPath;
            })
            .AddStartup(async (system, _) =>
            {
                ClusterBootstrap bootstrap = ClusterBootstrap.Get(system);
                // Routes() is how Akka.Management tells bootstrap its contact point; the routes themselves are unused.
                bootstrap.Routes(ManagementRouteProviderSettings.Create(selfContactPoint, true));
                await bootstrap.Start();
            });
        return builder;
    }

    /// <summary>Adds the management port to the node's Kestrel listeners (kubernetes method only).</summary>
    public static void ListenOnManagementPort(IWebHostBuilder webHost, DiscoverySettings discovery, NodeSettings node)
    {
        if (discovery.Method != DiscoverySettings.KubernetesMethod) return;
        string[] urls = (webHost.GetSetting(WebHostDefaults.ServerUrlsKey) ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries);
        webHost.UseUrls([.. urls, $"http://{node.Hostname}:{discovery.ManagementPort}"]);
    }

    /// <summary>
    /// <c>GET /bootstrap/seed-nodes</c> on the management port, answered as Akka.Management's bootstrap route does
    /// (same JSON, via its own protocol classes): this node and the reachable members that are Up, WeaklyUp or Joining.
    /// </summary>
    public static void MapBootstrapRoute(IEndpointRouteBuilder app, DiscoverySettings discovery)
    {
        if (discovery.Method != DiscoverySettings.KubernetesMethod) return;
        app.MapGet(BootstrapPath, (ActorSystemAccessor systems) =>
        {
            if (systems.Running is not { } system) return Results.StatusCode(503);
            var cluster = Akka.Cluster.Cluster.Get(system);
            var state = cluster.State;
            // A node on its way out is no contact point; one that has not joined yet (not in the state) is.
            if (state.Members.FirstOrDefault(m => m.UniqueAddress.Equals(cluster.SelfUniqueAddress)) is
                { Status: MemberStatus.Down or MemberStatus.Exiting or MemberStatus.Leaving or MemberStatus.Removed })
                return Results.StatusCode(503);
            var members = state.Members
                .Where(m => !state.Unreachable.Contains(m) && m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining)
                .Select(m => new HttpBootstrapJsonProtocol.ClusterMember(m.UniqueAddress.Address, m.UniqueAddress.Uid, m.Status, m.Roles))
                .ToImmutableList();
            return Results.Text(JsonConvert.SerializeObject(new HttpBootstrapJsonProtocol.SeedNodes(cluster.SelfMember.UniqueAddress.Address, members)),
                "application/json");
        }).RequireHost($"*:{discovery.ManagementPort}");
    }

    public const string BootstrapPath = "/bootstrap/seed-nodes";
}
