using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using EmotionCluster.Audio;
using EmotionCluster.Cli;
using EmotionCluster.Testing;
using Xunit;
using Xunit.Abstractions;

namespace EmotionCluster.Management.Tests;

/// <summary>
/// Three extractor nodes, each its own OS process on 127.0.0.1 with an HTTP endpoint and a token, operated through
/// the real ctl code (in this process) and plain HTTP: membership, auth, health, metrics, sharding, leave.
/// </summary>
[Collection("management-cluster")] // one cluster at a time on this 2-core machine
public sealed class ClusterOperationsTests(ITestOutputHelper output) : IDisposable
{
    private const string Token = "ops-test-token-0123";
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(90);
    private readonly string _dir = Directory.CreateTempSubdirectory("ec-mgmt-").FullName;
    private readonly List<NodeProcess> _processes = new();

    private sealed record Node(NodeProcess Process, int HttpPort)
    {
        public string Url => $"http://127.0.0.1:{HttpPort}";
        public string Address => NodeProcess.Address(Process.Port);
    }

    private void Log(string line)
    {
        try { output.WriteLine(line); } catch (InvalidOperationException) { }
    }

    private async Task<List<Node>> StartCluster(int count)
    {
        int[] ports = Enumerable.Range(0, count).Select(_ => NodeProcess.FreePort()).ToArray();
        var nodes = new List<Node>();
        for (int i = 0; i < count; i++)
        {
            int http = NodeProcess.FreePort();
            var p = NodeProcess.Start($"node{i + 1}", ports[i],
            [
                "run", "--port", ports[i].ToString(), "--seed", NodeProcess.Address(ports[0]), "--roles", "extractor",
                "--store", Path.Combine(_dir, $"store{i + 1}"), "--sbr-stable-after", "3", "--heartbeat-pause", "2",
                "--http-port", http.ToString(), "--token", Token, "--shards", "12",
            ], Log);
            _processes.Add(p);
            nodes.Add(new Node(p, http));
        }
        foreach (Node n in nodes) await n.Process.WaitForLine(l => l.StartsWith("http listening:"), Startup);
        // Ready = actor system up and this node a member with status Up.
        foreach (Node n in nodes) await Until(async () => (await Get(n, "/healthz/ready", token: null)).Status == HttpStatusCode.OK, Startup, $"{n.Process.Name} ready");
        return nodes;
    }

    private static async Task Until(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        for (DateTime until = DateTime.UtcNow + timeout; DateTime.UtcNow < until; await Task.Delay(250))
            if (await condition()) return;
        throw new TimeoutException($"{what}: not reached within {timeout}");
    }

    private static async Task<(HttpStatusCode Status, string Body, string? ContentType)> Get(Node node, string path, string? token = Token)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        using var request = new HttpRequestMessage(HttpMethod.Get, node.Url + path);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        try
        {
            using HttpResponseMessage response = await http.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.MediaType);
        }
        catch (HttpRequestException e) { return (0, e.Message, null); }
    }

    /// <summary>Runs <c>emotioncluster ctl …</c> in this process, as the CLI would.</summary>
    private (int Code, string Out, string Err) Ctl(Node node, params string[] args) => CtlAs(Token, node, args);

    private (int Code, string Out, string Err) CtlAs(string? token, Node node, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        string[] all = token is null ? ["ctl", "--node", node.Url, .. args] : ["ctl", "--node", node.Url, "--token", token, .. args];
        int code = CliApp.Run(all, o, e);
        Log($"$ emotioncluster {string.Join(' ', all.Select(a => a == Token ? "$TOKEN" : a))}  (exit {code})\n{o}{e}");
        return (code, o.ToString(), e.ToString());
    }

    private static T Json<T>(string body) => JsonSerializer.Deserialize<T>(body, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;

    [Fact]
    public async Task A_three_node_cluster_is_shown_guarded_by_the_token_healthy_and_measured()
    {
        var nodes = await StartCluster(3);
        Node n1 = nodes[0];
        await Until(() => Task.FromResult(Json<CtlCluster>(Ctl(n1, "--json", "cluster", "show").Out).Members.Count(m => m.Status == "Up") == 3),
            Startup, "3 members Up");

        // cluster show through the real CLI: all three members with role, status, up number; one leader.
        var (code, table, _) = Ctl(n1, "cluster", "show");
        Assert.Equal(0, code);
        foreach (Node n in nodes) Assert.Matches($@"{n.Address.Replace(".", @"\.")}\s+extractor\s+Up\s+[123]\s+yes", table);
        Assert.Contains("3 members, 3 up, 0 unreachable", table);
        CtlCluster cluster = Json<CtlCluster>(Ctl(nodes[2], "--json", "cluster", "show").Out);
        Assert.Equal(nodes.Select(n => n.Address).Order(), cluster.Members.Select(m => m.Address).Order());
        Assert.Equal([1, 2, 3], cluster.Members.Select(m => m.UpNumber!.Value).Order());
        Assert.Equal(nodes[2].Address, cluster.Self);
        Assert.Contains(cluster.Leader, nodes.Select(n => n.Address));

        // No token, a wrong token: 401 with a JSON error, and the CLI says so in one line (exit 2).
        var (status, body, type) = await Get(n1, "/api/cluster", token: null);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("application/json", type);
        Assert.Contains("missing Authorization header", Json<JsonElement>(body).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await Get(n1, "/metrics", token: "wrong-token-xyz")).Status);
        var refused = CtlAs("wrong-token-xyz", n1, "cluster", "show");
        Assert.Equal(2, refused.Code);
        Assert.Equal($"error: node {n1.Url}/ refused the request (401 unauthorized: wrong bearer token); pass --token or set EMOTIONCLUSTER_TOKEN",
            refused.Err.Trim());
        Assert.Equal(2, CtlAs(null, n1, "cluster", "show").Code);

        // Probes need no token.
        var ready = await Get(n1, "/healthz/ready", token: null);
        Assert.Equal(HttpStatusCode.OK, ready.Status);
        Assert.Equal(["actor-system", "cluster-member"],
            Json<JsonElement>(ready.Body).GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.Equal(HttpStatusCode.OK, (await Get(n1, "/healthz/live", token: null)).Status);

        // Metrics: Prometheus text with the member gauges.
        var metrics = await Get(n1, "/metrics");
        Assert.Equal(HttpStatusCode.OK, metrics.Status);
        Assert.Equal("text/plain", metrics.ContentType);
        Assert.Contains("# TYPE emotioncluster_cluster_members gauge", metrics.Body);
        Assert.Contains("\nemotioncluster_cluster_members{status=\"Up\"} 3\n", metrics.Body);
        Assert.Contains("\nemotioncluster_cluster_unreachable_members 0\n", metrics.Body);
        Assert.Contains("\nemotioncluster_cluster_self_up 1\n", metrics.Body);
        Assert.Contains("emotioncluster_shard_region_shards{type=\"clip-extractor\"}", metrics.Body);
        Log(string.Join('\n', metrics.Body.Split('\n').Where(l => l.StartsWith("emotioncluster_"))));

        // The rest of the verbs answer.
        var regions = Ctl(n1, "cluster", "sharding", "regions");
        Assert.Equal(0, regions.Code);
        Assert.Matches(@"clip-extractor\s+\d+\s+\d+", regions.Out);
        var actors = Ctl(n1, "actor", "hierarchy", "--depth", "3");
        Assert.Equal(0, actors.Code);
        Assert.Contains("clip-extractor", actors.Out);
        Assert.Contains("rebalance-reporter", actors.Out);
        var logs = Ctl(n1, "log", "peek", "--lines", "5");
        Assert.Equal(0, logs.Code);
        Assert.Contains("lines logged since start", logs.Out);
        var train = Ctl(n1, "train", "status");
        Assert.Equal(2, train.Code);
        Assert.Contains("the trainer role is not on this node (roles: extractor)", train.Err);
        var runs = Ctl(n1, "runs", "list");
        Assert.Equal(2, runs.Code);
        Assert.Contains("the evaluator role is not on this node", runs.Err);
    }

    private string WriteClips(int count)
    {
        string data = Path.Combine(_dir, "clips");
        Directory.CreateDirectory(data);
        var random = new Random(7);
        for (int i = 0; i < count; i++)
        {
            var samples = new float[16000];
            double f = 150 + 10 * i;
            for (int t = 0; t < samples.Length; t++)
                samples[t] = (float)(0.3 * Math.Sin(2 * Math.PI * f * t / 16000) + 0.02 * (random.NextDouble() - 0.5));
            WavWriter.Write(Path.Combine(data, $"clip{i:D3}.wav"), new AudioClip(samples, 16000));
        }
        return data;
    }

    private async Task Extract(string data, Node seed, int minExtractors, string name)
    {
        int port = NodeProcess.FreePort();
        var c = NodeProcess.Start(name, port,
        [
            "extract", "--data", data, "--port", port.ToString(), "--seed", seed.Address, "--store", Path.Combine(_dir, name + "-store"),
            "--min-extractors", minExtractors.ToString(), "--retry-after", "4", "--shards", "12", "--sbr-stable-after", "3", "--heartbeat-pause", "2",
        ], Log);
        _processes.Add(c);
        Assert.Equal(0, await c.WaitForExit(TimeSpan.FromMinutes(2)));
    }

    private CtlShardingStats Stats(Node node)
    {
        var (code, json, err) = Ctl(node, "--json", "cluster", "sharding", "stats", "clip-extractor");
        Assert.True(code == 0, err);
        return Json<CtlShardingStats>(json);
    }

    [Fact]
    public async Task A_member_told_to_leave_exits_and_its_shards_move_to_the_others()
    {
        var nodes = await StartCluster(3);
        Node n1 = nodes[0], n3 = nodes[2];
        string data = WriteClips(24);
        await Extract(data, n1, 3, "coordinator1");

        // ClipExtractorActor's instruments reached /metrics: every clip extracted once somewhere (a resent clip may count twice).
        double extracted = 0;
        foreach (Node n in nodes)
        {
            string text = (await Get(n, "/metrics")).Body;
            var m = System.Text.RegularExpressions.Regex.Match(text, "\nemotioncluster_extraction_clips\\{outcome=\"extracted\"\\} (\\d+)");
            Assert.DoesNotContain("emotioncluster_extraction_clips{outcome=\"failed\"}", text);
            if (!m.Success) continue;
            extracted += double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.Contains("emotioncluster_extraction_duration_bucket{outcome=\"extracted\",le=\"0.001\"}", text);
        }
        Assert.InRange(extracted, 24, 48);

        CtlShardingStats before = Stats(n1);
        Ctl(n1, "cluster", "sharding", "stats", "clip-extractor");
        var n3Shards = before.Nodes.Single(n => n.Address == n3.Address).Shards.Select(s => s.ShardId).ToList();
        Assert.NotEmpty(n3Shards);

        var leave = Ctl(n1, "cluster", "leave", n3.Address);
        Assert.Equal(0, leave.Code);
        Assert.Equal($"{n3.Address} asked to leave: its shards are handed over, then it exits and shuts down", leave.Out.Trim());
        Assert.Equal(0, await n3.Process.WaitForExit(TimeSpan.FromSeconds(60)));
        await Until(() => Task.FromResult(Json<CtlCluster>(Ctl(n1, "--json", "cluster", "show").Out).Members.Count == 2), TimeSpan.FromSeconds(30), "2 members");

        // The same clips again: the shards node 3 had are now on node 1 or 2.
        await Extract(data, n1, 2, "coordinator2");
        CtlShardingStats after = Stats(n1);
        Ctl(n1, "cluster", "sharding", "stats", "clip-extractor");
        Assert.Equal(new[] { nodes[0].Address, nodes[1].Address }.Order(), after.Nodes.Select(n => n.Address).Order());
        var hostedNow = after.Nodes.SelectMany(n => n.Shards.Select(s => s.ShardId)).ToHashSet();
        Assert.All(n3Shards, s => Assert.Contains(s, hostedNow));
        Assert.Equal(before.Nodes.Sum(n => n.ShardCount), after.Nodes.Sum(n => n.ShardCount));

        // A bad address is refused with the reason; so is a node that is no longer a member.
        var bad = Ctl(n1, "cluster", "leave", "not-an-address");
        Assert.Equal(2, bad.Code);
        Assert.Contains("is not an actor system address", bad.Err);
        var gone = Ctl(n1, "cluster", "down", n3.Address);
        Assert.Equal(2, gone.Code);
        Assert.Contains("is not a member of this cluster", gone.Err);
    }

    public void Dispose()
    {
        foreach (var p in _processes) p.Dispose();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
