using System.Net;
using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Discovery.Config.Hosting;
using Akka.Hosting;
using Akka.Management.Cluster.Bootstrap.ContactPoint;
using Akka.Remote.Hosting;
using EmotionCluster.Hosting;
using EmotionCluster.Management;
using EmotionCluster.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json;
using Xunit;

namespace EmotionCluster.Management.Tests;

public sealed class DiscoveryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ec-discovery-").FullName;

    private static KubernetesEnvironment Outside => new(null, null, "/nonexistent/token", "/nonexistent/ca.crt");

    private KubernetesEnvironment FakePod()
    {
        string token = Path.Combine(_dir, "token");
        File.WriteAllText(token, "not-a-real-token");
        return new KubernetesEnvironment("127.0.0.1", NodeProcess.FreePort().ToString(), token, Path.Combine(_dir, "ca.crt"));
    }

    private static DiscoverySettings Kubernetes(int managementPort = 8558) => new()
    {
        Method = DiscoverySettings.KubernetesMethod, ManagementPort = managementPort, RequiredContactPoints = 1,
        PodLabelSelector = "app.kubernetes.io/part-of=emotioncluster", PodNamespace = "emotioncluster",
    };

    [Fact]
    public void Seed_nodes_need_nothing_from_kubernetes()
    {
        DiscoveryHosting.Validate(new DiscoverySettings(), new NodeSettings(), Outside);
    }

    [Fact]
    public void Kubernetes_discovery_outside_a_pod_fails_naming_what_is_missing()
    {
        var e = Assert.Throws<ArgumentException>(() => DiscoveryHosting.Validate(Kubernetes(), new NodeSettings(), Outside));
        Assert.Equal("EmotionCluster:Discovery: Method is kubernetes but this process does not run in a Kubernetes pod " +
                     "(KUBERNETES_SERVICE_HOST is not set, KUBERNETES_SERVICE_PORT is not set, no service account token at /nonexistent/token); " +
                     "run it in a pod with a service account, or use Method seed-nodes with --seed", e.Message);
    }

    [Theory]
    [InlineData("consul", "Method 'consul' is unknown; use seed-nodes or kubernetes")]
    [InlineData("seeds+k8s", "seed nodes are configured")]
    [InlineData("port", "ManagementPort 0 is outside 1..65535")]
    [InlineData("contacts", "RequiredContactPoints 0 must be at least 1")]
    [InlineData("selector", "PodLabelSelector is empty")]
    public void Bad_discovery_settings_are_named(string what, string expected)
    {
        DiscoverySettings d = Kubernetes();
        var node = new NodeSettings();
        switch (what)
        {
            case "consul": d.Method = "consul"; break;
            case "seeds+k8s": node.SeedNodes = ["akka.tcp://emotioncluster@127.0.0.1:4053"]; break;
            case "port": d.ManagementPort = 0; break;
            case "contacts": d.RequiredContactPoints = 0; break;
            case "selector": d.PodLabelSelector = " "; break;
        }
        var e = Assert.Throws<ArgumentException>(() => DiscoveryHosting.Validate(d, node, FakePod()));
        Assert.Contains(expected, e.Message);
    }

    private (WebApplication App, int HttpPort) NodeHost(DiscoverySettings discovery, NodeSettings node, string method, string token)
    {
        int httpPort = NodeProcess.FreePort();
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{httpPort}");
        DiscoveryHosting.ListenOnManagementPort(builder.WebHost, discovery, node);
        ManagementHosting.AddManagementServices(builder.Services, discovery, new LogRing(), new HttpSettings { Token = token });
        builder.Services.AddSingleton(node);
        builder.Services.AddAkka(node.ActorSystemName, akka =>
        {
            akka.WithRemoting(new RemoteOptions { HostName = "127.0.0.1", Port = 0 })
                .WithClustering(new ClusterOptions())
                .WithEmotionClusterDiscovery(discovery, node, FakePod(), method);
            if (method == "config")
                akka.WithConfigDiscovery(o => o.Services = [new Service { Name = node.ActorSystemName, Endpoints = [$"127.0.0.1:{discovery.ManagementPort}"] }]);
        });
        WebApplication app = builder.Build();
        app.MapEmotionClusterManagement();
        return (app, httpPort);
    }

    [Fact]
    public async Task In_kubernetes_mode_the_node_configures_bootstrap_with_kubernetes_discovery_and_serves_the_contact_point()
    {
        int managementPort = NodeProcess.FreePort();
        DiscoverySettings discovery = Kubernetes(managementPort);
        var node = new NodeSettings { Hostname = "127.0.0.1" };
        var (app, httpPort) = NodeHost(discovery, node, DiscoveryHosting.KubernetesDiscoveryMethod, "a-token-for-tests");
        await using WebApplication _ = app;
        await app.StartAsync();
        try
        {
            var config = app.Services.GetRequiredService<ActorSystem>().Settings.Config;
            Assert.Equal("app.kubernetes.io/part-of=emotioncluster", config.GetString("akka.discovery.kubernetes-api.pod-label-selector"));
            Assert.Equal("emotioncluster", config.GetString("akka.discovery.kubernetes-api.pod-namespace"));

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            // The contact point other pods call: no token needed, Akka.Management's JSON.
            string body = await http.GetStringAsync($"http://127.0.0.1:{managementPort}{DiscoveryHosting.BootstrapPath}");
            var seeds = JsonConvert.DeserializeObject<HttpBootstrapJsonProtocol.SeedNodes>(body)!;
            Assert.Equal(Akka.Cluster.Cluster.Get(app.Services.GetRequiredService<ActorSystem>()).SelfAddress, seeds.SelfNode);
            // Nothing else on the management port; the route is not on the main port.
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"http://127.0.0.1:{managementPort}/api/cluster")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"http://127.0.0.1:{managementPort}/metrics")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync($"http://127.0.0.1:{httpPort}{DiscoveryHosting.BootstrapPath}")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{httpPort}/healthz/live")).StatusCode);
        }
        finally
        {
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task Bootstrap_forms_a_cluster_through_the_contact_point_route()
    {
        // The same wiring with config discovery naming this node's own management port: the real BootstrapCoordinator
        // probes the route, finds no cluster, and the node (lowest address, 1 contact point required) forms one.
        int managementPort = NodeProcess.FreePort();
        DiscoverySettings discovery = Kubernetes(managementPort);
        var node = new NodeSettings { Hostname = "127.0.0.1" };
        var (app, httpPort) = NodeHost(discovery, node, "config", "a-token-for-tests");
        await using WebApplication _ = app;
        await app.StartAsync();
        try
        {
            var cluster = Akka.Cluster.Cluster.Get(app.Services.GetRequiredService<ActorSystem>());
            for (var until = DateTime.UtcNow.AddSeconds(40); cluster.SelfMember.Status != Akka.Cluster.MemberStatus.Up && DateTime.UtcNow < until;)
                await Task.Delay(200);
            Assert.Equal(Akka.Cluster.MemberStatus.Up, cluster.SelfMember.Status);
            Assert.Equal(cluster.SelfAddress, Assert.Single(cluster.State.Members).Address);
        }
        finally
        {
            await app.StopAsync();
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
