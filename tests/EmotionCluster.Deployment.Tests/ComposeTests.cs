using System.Text.RegularExpressions;
using EmotionCluster.Hosting;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Deployment.Tests;

/// <summary>deploy/docker-compose.yml: parsed (merge keys resolved, ${VAR:-default} taken at its default) and checked.</summary>
public sealed class ComposeTests
{
    private static readonly string ComposeFile = Path.Combine(Datasets.RepoRoot, "deploy", "docker-compose.yml");
    private static readonly YamlNode Compose = YamlNode.Parse(File.ReadAllText(ComposeFile));
    private static YamlNode Services => Compose["services"];

    /// <summary>The variables a user must set before <c>docker compose up</c> (<c>${VAR:?message}</c>), with test values.</summary>
    private static readonly Dictionary<string, string> Required = new() { [TokenVariable] = "compose-test-token-0123" };
    private const string TokenVariable = "EMOTIONCLUSTER_TOKEN";

    /// <summary>
    /// Compose interpolation with no variables set: ${VAR:-default} and ${VAR-default} give the default, ${VAR} nothing;
    /// ${VAR:?message} (compose refuses to start without VAR) the test value in <see cref="Required"/>.
    /// </summary>
    public static string Interpolate(string value) =>
        Regex.Replace(value, @"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*)|:?\?([^}]*))?\}", m =>
            m.Value == "$$" ? "$"
            : m.Groups[3].Success ? Required.TryGetValue(m.Groups[1].Value, out string? v) ? v
                : throw new InvalidOperationException($"{m.Value}: a required variable without a test value in ComposeTests.Required")
            : m.Groups[2].Value);

    private static Dictionary<string, string> Environment(YamlNode service) =>
        service["environment"].Items.Any()
            ? service["environment"].Items.Select(i => i.Text!.Split('=', 2)).ToDictionary(p => p[0], p => Interpolate(p.ElementAtOrDefault(1) ?? ""))
            : service["environment"].Entries.ToDictionary(kv => kv.Key, kv => Interpolate(kv.Value.Text ?? ""));

    private static IEnumerable<(string Name, YamlNode Service)> NodeServices =>
        Services.Entries.Where(s => s.Value["build"]["dockerfile"].Text == "docker/Dockerfile").Select(s => (s.Key, s.Value));

    /// <summary>The long-running nodes (not the one-off extract run behind a profile).</summary>
    private static List<(string Name, YamlNode Service)> ClusterNodes => NodeServices.Where(s => s.Service["profiles"].IsMissing).ToList();

    [Fact]
    public void Three_nodes_and_postgres()
    {
        Assert.Equal(["node1", "node2", "node3"], ClusterNodes.Select(n => n.Name));
        Assert.Equal("postgres:15", Services["postgres"]["image"].Text);
        Assert.Contains(NodeServices, s => s.Name == "extract");
    }

    [Fact]
    public void Every_EmotionCluster_variable_names_a_setting()
    {
        var problems = Services.Entries.SelectMany(s => SettingsNames.Problems(Environment(s.Value).Keys, $"service {s.Key}")).ToList();
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void Nodes_bind_valid_settings_and_join_the_first_node()
    {
        var (seedName, seedService) = ClusterNodes[0];
        BoundSettings seed = SettingsNames.Bind(Environment(seedService));
        string seedAddress = $"akka.tcp://{seed.Node.ActorSystemName}@{seedName}:{seed.Node.Port}";
        foreach (var (name, service) in NodeServices)
        {
            BoundSettings s = SettingsNames.Bind(Environment(service));
            var ex = Record.Exception(s.Node.Validate);
            Assert.True(ex is null, $"{name}: {ex?.Message}");
            Assert.Equal("0.0.0.0", s.Node.Hostname);
            Assert.Equal(name, s.Node.PublicHostname); // reachable by its service name on the compose network
            Assert.Equal(name, service["hostname"].Text);
            Assert.Equal(4053, s.Node.Port);
            Assert.Equal([seedAddress], s.Node.SeedNodes);
            Assert.Equal(DiscoverySettings.SeedNodesMethod, s.Discovery.Method);
            Assert.Equal("0.0.0.0", s.Http.Hostname);
            Assert.Equal(new HttpSettings().Port, s.Http.Port);
            ex = Record.Exception(s.Http.Validate); // a public bind: only with a token
            Assert.True(ex is null, $"{name}: {ex?.Message}");
        }
        Assert.Equal([ClusterRoles.Extractor, ClusterRoles.Trainer, ClusterRoles.Evaluator], seed.Node.Roles);
        Assert.All(ClusterNodes.Skip(1), n => Assert.Equal([ClusterRoles.Extractor], SettingsNames.Bind(Environment(n.Service)).Node.Roles));
    }

    [Fact]
    public void Published_http_ports_reach_the_nodes_http_port()
    {
        var hostPorts = new List<string>();
        foreach (var (_, service) in ClusterNodes)
        {
            string mapping = service["ports"].Items.Single().Text!;
            string[] parts = mapping.Split(':');
            Assert.Equal(new HttpSettings().Port.ToString(), parts[^1]);
            Assert.Equal("127.0.0.1", parts[0]); // not published beyond this host
            hostPorts.Add(parts[^2]);
        }
        Assert.Equal(hostPorts.Count, hostPorts.Distinct().Count());
    }

    [Fact]
    public void Dependencies_wait_for_health_checks_that_exist()
    {
        foreach (var (name, service) in Services.Entries)
            foreach (var (dependency, spec) in service["depends_on"].Entries)
            {
                Assert.False(Services[dependency].IsMissing, $"{name} depends on unknown service {dependency}");
                Assert.Contains(spec["condition"].Text, new[] { "service_started", "service_healthy", "service_completed_successfully" });
                if (spec["condition"].Text == "service_healthy")
                    Assert.False(Services[dependency]["healthcheck"]["test"].IsMissing, $"{name} waits for {dependency} to be healthy; it has no healthcheck");
            }
        foreach (var (name, service) in ClusterNodes)
        {
            Assert.Equal("service_healthy", service["depends_on"]["postgres"]["condition"].Text);
            Assert.Equal(["CMD", "/app/healthcheck.sh", "live"], service["healthcheck"]["test"].Items.Select(i => i.Text));
            if (name != ClusterNodes[0].Name) Assert.Equal("service_healthy", service["depends_on"][ClusterNodes[0].Name]["condition"].Text);
        }
    }

    [Fact]
    public void Named_volumes_are_declared_and_hold_the_feature_store()
    {
        var declared = Compose["volumes"].Entries.Select(v => v.Key).ToHashSet();
        foreach (var (name, service) in Services.Entries)
            foreach (string volume in service["volumes"].Items.Select(v => Interpolate(v.Text!)))
            {
                string source = volume.Split(':')[0];
                if (!source.StartsWith('/') && !source.StartsWith('.'))
                    Assert.True(declared.Contains(source), $"{name}: volume {source} is not declared under volumes:");
            }
        foreach (var (_, service) in NodeServices)
        {
            string store = SettingsNames.Bind(Environment(service)).Node.FeatureStorePath;
            Assert.Contains(service["volumes"].Items, v => store.StartsWith(v.Text!.Split(':')[1] + "/", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void The_journal_connection_string_matches_the_postgres_service()
    {
        var db = Environment(Services["postgres"]);
        foreach (var (_, service) in NodeServices)
        {
            var env = Environment(service);
            Assert.Equal("postgres", env["EmotionCluster__Persistence__Provider"]);
            var parts = env["EmotionCluster__Persistence__ConnectionString"].Split(';', StringSplitOptions.RemoveEmptyEntries)
                .Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
            Assert.Equal("postgres", parts["Host"]);
            Assert.Equal(db["POSTGRES_DB"], parts["Database"]);
            Assert.Equal(db["POSTGRES_USER"], parts["Username"]);
            Assert.Equal(db["POSTGRES_PASSWORD"], parts["Password"]);
        }
    }

    [Fact]
    public void The_nodes_bearer_token_must_be_set_before_compose_starts_them()
    {
        foreach (var (name, service) in NodeServices)
        {
            string raw = service["environment"]["EmotionCluster__Http__Token"].Text ?? "";
            Assert.Matches(@"^\$\{" + TokenVariable + @":\?.*EMOTIONCLUSTER_TOKEN=", raw); // compose refuses to start without it, saying how
            var env = Environment(service);
            env.Remove("EmotionCluster__Http__Token");
            var e = Assert.Throws<ArgumentException>(SettingsNames.Bind(env).Http.Validate); // what the node would say without it
            Assert.Contains("is not a loopback address and no token is set", e.Message);
        }
    }

    [Fact]
    public void Interpolation_takes_defaults_and_drops_unset_variables()
    {
        Assert.Equal("t=compose-test-token-0123", Interpolate("t=${EMOTIONCLUSTER_TOKEN:?set it}"));
        Assert.Throws<InvalidOperationException>(() => Interpolate("${SOMETHING_ELSE:?set it}"));
        Assert.Equal("a-x-b", Interpolate("a-${V:-x}-b"));
        Assert.Equal("img:local", Interpolate("${IMAGE-img:local}"));
        Assert.Equal("p=", Interpolate("p=${UNSET}"));
        Assert.Equal("$HOME", Interpolate("$$HOME"));
    }
}
