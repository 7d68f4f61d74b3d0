using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using EmotionCluster.Audio;
using EmotionCluster.Cli;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Management.Tests;

/// <summary>
/// Nodes as their own OS processes on 127.0.0.1 with an HTTP endpoint and a token, operated through the real ctl code
/// (in this process) and plain HTTP: three extractors (membership, auth, health, metrics, sharding, leave), three
/// extractors started by deploy/start-local-cluster.sh (a SIGKILLed node downed through ctl), and a trainer +
/// evaluator node with a SQLite journal (train status, runs list).
/// </summary>
[Collection("management-cluster")] // one cluster at a time on this 2-core machine
public sealed class ClusterOperationsTests(ITestOutputHelper output) : IDisposable
{
    private const string Token = "ops-test-token-0123";
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(90);
    private readonly string _dir = Directory.CreateTempSubdirectory("ec-mgmt-").FullName;
    private readonly List<NodeProcess> _processes = new();
    private LocalCluster? _local;

    /// <summary>A node of a test: started here (<see cref="Process"/>) or by the local-cluster script (<see cref="Local"/>).</summary>
    private sealed record Node(string Name, string Url, string Address, NodeProcess? Process = null, LocalNode? Local = null)
    {
        public Node(NodeProcess process, int httpPort) : this(process.Name, $"http://127.0.0.1:{httpPort}", NodeProcess.Address(process.Port), process) { }
        public Node(LocalNode local) : this(local.Name, local.Url, local.Address, Local: local) { }
        public NodeProcess P => Process ?? throw new InvalidOperationException($"{Name} was started by the script");
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
        foreach (Node n in nodes) await n.P.WaitForLine(l => l.StartsWith("http listening:"), Startup);
        await AllReady(nodes);
        return nodes;
    }

    /// <summary>Ready = actor system up and this node a member with status Up.</summary>
    private static async Task AllReady(IEnumerable<Node> nodes)
    {
        foreach (Node n in nodes) await Until(async () => (await Get(n, "/healthz/ready", token: null)).Status == HttpStatusCode.OK, Startup, $"{n.Name} ready");
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
        await Until(() => Task.FromResult(Json<ClusterView>(Ctl(n1, "--json", "cluster", "show").Out).Members.Count(m => m.Status == "Up") == 3),
            Startup, "3 members Up");

        // cluster show through the real CLI: all three members with role, status, up number; one leader.
        var (code, table, _) = Ctl(n1, "cluster", "show");
        Assert.Equal(0, code);
        foreach (Node n in nodes) Assert.Matches($@"{n.Address.Replace(".", @"\.")}\s+extractor\s+Up\s+[123]\s+yes", table);
        Assert.Contains("3 members, 3 up, 0 unreachable", table);
        ClusterView cluster = Json<ClusterView>(Ctl(nodes[2], "--json", "cluster", "show").Out);
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
        Assert.Equal($"error: node {n1.Url}/ refused the request (401 unauthorized: wrong bearer token); pass --token-file FILE or set EMOTIONCLUSTER_TOKEN",
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
        var train = Ctl(n1, "train", "status"); // any node answers (the cluster's runs come from the training coordinator)
        Assert.True(train.Code == 0, train.Err);
        Assert.Contains("state\tidle", train.Out);
        Assert.Contains("no training runs in the cluster", train.Out);
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

    private async Task Extract(string data, Node seed, int minExtractors, string name, int sbrStableAfter = 3)
    {
        int port = NodeProcess.FreePort();
        var c = NodeProcess.Start(name, port,
        [
            "extract", "--data", data, "--port", port.ToString(), "--seed", seed.Address, "--store", Path.Combine(_dir, name + "-store"),
            "--min-extractors", minExtractors.ToString(), "--retry-after", "4", "--shards", "12", "--sbr-stable-after", sbrStableAfter.ToString(),
            "--heartbeat-pause", "2",
        ], Log);
        _processes.Add(c);
        Assert.Equal(0, await c.WaitForExit(TimeSpan.FromMinutes(2)));
    }

    private ShardingStatsView Stats(Node node)
    {
        var (code, json, err) = Ctl(node, "--json", "cluster", "sharding", "stats", "clip-extractor");
        Assert.True(code == 0, err);
        return Json<ShardingStatsView>(json);
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

        ShardingStatsView before = Stats(n1);
        Ctl(n1, "cluster", "sharding", "stats", "clip-extractor");
        var n3Shards = before.Nodes.Single(n => n.Address == n3.Address).Shards.Select(s => s.ShardId).ToList();
        Assert.NotEmpty(n3Shards);

        var leave = Ctl(n1, "cluster", "leave", n3.Address);
        Assert.Equal(0, leave.Code);
        Assert.Equal($"{n3.Address} asked to leave: its shards are handed over, then it exits and shuts down", leave.Out.Trim());
        Assert.Equal(0, await n3.P.WaitForExit(TimeSpan.FromSeconds(60)));
        await Until(() => Task.FromResult(Json<ClusterView>(Ctl(n1, "--json", "cluster", "show").Out).Members.Count == 2), TimeSpan.FromSeconds(30), "2 members");

        // The same clips again: the shards node 3 had are now on node 1 or 2.
        await Extract(data, n1, 2, "coordinator2");
        ShardingStatsView after = Stats(n1);
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

    private ClusterView Members(Node node)
    {
        var (code, json, err) = Ctl(node, "--json", "cluster", "show");
        Assert.True(code == 0, err);
        return Json<ClusterView>(json);
    }

    private const int SbrStableAfter = 10;

    [Fact]
    public async Task A_killed_member_is_downed_through_ctl_removed_and_its_shards_reallocated()
    {
        // Started as an operator would: deploy/start-local-cluster.sh. The split-brain resolver waits 10 s of stable
        // unreachability, so it is ctl's down, issued at once, that removes the killed node. (The same 10 s is the
        // down-removal margin: the shard coordinator frees a removed node's shards that long after its removal.)
        _local = LocalCluster.Start(3, ["--token", Token, "--shards", "12", "--sbr-stable-after", SbrStableAfter.ToString(), "--heartbeat-pause", "2"],
            roles: "extractor", directory: Path.Combine(_dir, "local-cluster"));
        Log(_local.Started.ToString());
        var nodes = _local.Nodes.Select(l => new Node(l)).ToList();
        Node n1 = nodes[0], n3 = nodes[2];
        await AllReady(nodes);
        await Until(() => Task.FromResult(Members(n1).Members.Count(m => m.Status == "Up") == 3), Startup, "3 members Up");
        string data = WriteClips(24);
        await Extract(data, n1, 3, "coordinator1", SbrStableAfter);
        // The coordinator process exits once its leave is confirmed (Exiting); the leader removes it on a later tick,
        // and cannot while another member is unreachable. Wait for that before killing node 3.
        await Until(() => Task.FromResult(Members(n1).Members.Count == 3), TimeSpan.FromSeconds(30), "the coordinator removed");
        ShardingStatsView before = Stats(n1);
        var n3Shards = before.Nodes.Single(n => n.Address == n3.Address).Shards.Select(s => s.ShardId).ToList();
        Assert.NotEmpty(n3Shards);

        n3.Local!.Kill(); // SIGKILL: no leave, its shards stay allocated to it
        await Until(() => Task.FromResult(Members(n1).Unreachable.Contains(n3.Address)), TimeSpan.FromSeconds(30), "node 3 unreachable");
        var (_, table, _) = Ctl(n1, "cluster", "show");
        Assert.Matches($@"{n3.Address.Replace(".", @"\.")}\s+extractor\s+Up\s+\d\s+NO", table);
        Assert.Contains("3 members, 3 up, 1 unreachable", table);
        Assert.Contains("\nemotioncluster_cluster_unreachable_members 1\n", (await Get(n1, "/metrics")).Body);

        var down = Ctl(n1, "cluster", "down", n3.Address);
        Assert.Equal(0, down.Code);
        Assert.Equal($"{n3.Address} marked down: it is removed without a hand-over; its shards restart elsewhere on demand", down.Out.Trim());
        await Until(() => Task.FromResult(Members(n1).Members.Count == 2 && Members(nodes[1]).Members.Count == 2), TimeSpan.FromSeconds(30),
            "node 3 removed, as node 1 and node 2 see it");
        ClusterView after = Members(nodes[1]);
        Assert.Equal(new[] { n1.Address, nodes[1].Address }.Order(), after.Members.Select(m => m.Address).Order());
        Assert.Empty(after.Unreachable);
        Assert.All(after.Members, m => Assert.Equal("Up", m.Status));
        Assert.Contains($"member removed: {n3.Address}", n1.Local!.Log);
        Assert.DoesNotContain("SBR took decision", n1.Local.Log); // downed by ctl, not by the split-brain resolver

        // The coordinator frees node 3's shards after the removal margin: the stats then list the two survivors only.
        await Until(() => Task.FromResult(Stats(n1).Nodes.Select(n => n.Address).Order().SequenceEqual(new[] { n1.Address, nodes[1].Address }.Order())),
            TimeSpan.FromSeconds(SbrStableAfter + 30), "node 3's shards freed");

        // The same clips again: node 3's shards are allocated to node 1 and 2; none is lost.
        await Extract(data, n1, 2, "coordinator2", SbrStableAfter);
        ShardingStatsView reallocated = Stats(n1);
        Ctl(n1, "cluster", "sharding", "stats", "clip-extractor");
        Assert.Equal(new[] { n1.Address, nodes[1].Address }.Order(), reallocated.Nodes.Select(n => n.Address).Order());
        var hostedNow = reallocated.Nodes.SelectMany(n => n.Shards.Select(s => s.ShardId)).ToHashSet();
        Assert.All(n3Shards, s => Assert.Contains(s, hostedNow));
        Assert.Equal(before.Nodes.Sum(n => n.ShardCount), reallocated.Nodes.Sum(n => n.ShardCount));
        Assert.Contains("\nemotioncluster_cluster_unreachable_members 0\n", (await Get(n1, "/metrics")).Body);
        Assert.Contains("\nemotioncluster_cluster_members{status=\"Up\"} 2\n", (await Get(n1, "/metrics")).Body);
    }

    /// <summary>A folder-per-label corpus of generated tones: <paramref name="perLabel"/> clips of 1 s for each of three labels.</summary>
    private string WriteLabelledClips(int perLabel)
    {
        string data = Path.Combine(_dir, "labelled");
        var random = new Random(11);
        string[] labels = ["anger", "neutral", "sadness"];
        for (int l = 0; l < labels.Length; l++)
        {
            Directory.CreateDirectory(Path.Combine(data, labels[l]));
            for (int i = 0; i < perLabel; i++)
            {
                var samples = new float[16000];
                double f = 200 * (l + 1) + 7 * i;
                for (int t = 0; t < samples.Length; t++)
                    samples[t] = (float)(0.3 * Math.Sin(2 * Math.PI * f * t / 16000) + 0.05 * (random.NextDouble() - 0.5));
                WavWriter.Write(Path.Combine(data, labels[l], $"{labels[l]}{i:D2}.wav"), new AudioClip(samples, 16000));
            }
        }
        return data;
    }

    private static double Metric(string text, string series)
    {
        var m = System.Text.RegularExpressions.Regex.Match(text, "\n" + System.Text.RegularExpressions.Regex.Escape(series) + " ([^ \n]+)\n");
        Assert.True(m.Success, $"no {series} on /metrics");
        return double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task A_trainer_and_evaluator_node_shows_its_training_status_and_runs()
    {
        // The manifest as users make it (emotioncluster manifest), then one node with the trainer and evaluator roles
        // and a SQLite journal trains a tiny CNN on it.
        string data = WriteLabelledClips(10);
        string store = Path.Combine(_dir, "train-store"), manifest = Path.Combine(_dir, "manifest.json");
        var (manifestOut, manifestErr) = (new StringWriter(), new StringWriter());
        // what the node trains is the manifest's recipe: a tiny CNN for 3 epochs
        string recipe = Path.Combine(_dir, "recipe.json");
        File.WriteAllText(recipe, """
            { "Input": { "Frames": 100 }, "Cnn": { "Channels": [4, 8], "DenseSize": 8 },
              "Training": { "Epochs": 3, "BatchSize": 8, "WarmupEpochs": 1, "Seed": 5, "Threads": 1 } }
            """);
        int manifestCode = CliApp.Run(["manifest", "--data", data, "--out", Path.Combine(_dir, "prep"), "--store", store, "--manifest", manifest,
            "--extraction", "local", "--config", recipe], manifestOut, manifestErr);
        Log($"$ emotioncluster manifest ...  (exit {manifestCode})\n{manifestOut}{manifestErr}");
        Assert.True(manifestCode == 0, $"manifest failed: {manifestOut}{manifestErr}");
        string config = Path.Combine(_dir, "trainer.json");
        File.WriteAllText(config, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["EmotionCluster"] = new Dictionary<string, object>
            {
                ["Training"] = new Dictionary<string, object>
                {
                    ["Manifest"] = manifest, ["CheckpointDirectory"] = Path.Combine(_dir, "checkpoints"), ["Threads"] = 1,
                },
                ["Persistence"] = new Dictionary<string, object> { ["Provider"] = "sqlite", ["ConnectionString"] = $"Data Source={Path.Combine(_dir, "journal.db")}" },
            },
        }));
        int port = NodeProcess.FreePort(), httpPort = NodeProcess.FreePort();
        var process = NodeProcess.Start("trainer", port,
        [
            "run", "--port", port.ToString(), "--roles", "trainer,evaluator", "--store", store, "--http-port", httpPort.ToString(),
            "--token", Token, "--config", config,
        ], Log);
        _processes.Add(process);
        var node = new Node(process, httpPort);
        await process.WaitForLine(l => l.StartsWith("http listening:"), Startup);
        await AllReady([node]);
        var ready = Json<JsonElement>((await Get(node, "/healthz/ready", token: null)).Body);
        Assert.Contains("journal", ready.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()));

        // train status: the run as the trainer reports it, in JSON and as a table.
        TrainingStatus? status = null;
        await Until(() =>
        {
            var (code, json, _) = Ctl(node, "--json", "train", "status");
            status = code == 0 ? Json<TrainingStatus>(json) : null;
            // The last step's progress already says "finished"; the run's end (model written, evaluator told) follows.
            return Task.FromResult(status?.State == "finished" && status.Message?.StartsWith("finished ", StringComparison.Ordinal) == true);
        }, TimeSpan.FromSeconds(120), "training finished");
        Assert.NotNull(status);
        Assert.StartsWith("train-", status.RunId);
        Assert.Equal((3, 3), (status.Epoch, status.MaxEpochs));
        Assert.True(status.TrainLoss > 0, $"train loss {status.TrainLoss}");
        Assert.True(status.ValidationLoss > 0, $"validation loss {status.ValidationLoss}");
        Assert.InRange(status.ValidationUar!.Value, 0, 1);
        Assert.NotNull(status.StartedAt);
        var steps = System.Text.RegularExpressions.Regex.Match(status.Message ?? "", @"^finished (\d+) steps, 3 epochs$");
        Assert.True(steps.Success, status.Message);
        var table = Ctl(node, "train", "status");
        Assert.Equal(0, table.Code);
        Assert.Matches(@"state\s+finished", table.Out);
        Assert.Matches($@"run\s+{status.RunId}", table.Out);
        Assert.Matches(@"epoch\s+3/3", table.Out);
        Assert.Matches(@"validation UAR\s+[01](\.\d+)?", table.Out);

        // runs list: the evaluator's journal has the run, finished, with its epochs (the completion is persisted
        // asynchronously after training ends: wait for it).
        RunInfo? run = null;
        await Until(() =>
        {
            var (code, json, _) = Ctl(node, "--json", "runs", "list");
            run = code == 0 ? Json<List<RunInfo>>(json).SingleOrDefault(r => r.RunId == status.RunId) : null;
            return Task.FromResult(run?.State == "finished");
        }, TimeSpan.FromSeconds(30), "run finished in the journal");
        Assert.NotNull(run);
        Assert.Equal(3, run.Metrics["epochs"]);
        Assert.InRange(run.Metrics["bestEpoch"], 1, 3);
        Assert.InRange(run.Metrics["uar"], 0, 1);
        Assert.NotNull(run.FinishedAt);
        var runs = Ctl(node, "runs", "list");
        Assert.Equal(0, runs.Code);
        Assert.Matches($@"{status.RunId}\s+finished\s+\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+\d{{4}}-", runs.Out);
        Assert.Contains("epochs=3", runs.Out);

        // The trainer's and the evaluator's instruments on this node's /metrics.
        string metrics = (await Get(node, "/metrics")).Body;
        Log(string.Join('\n', metrics.Split('\n').Where(l => l.StartsWith("emotioncluster_training_") && !l.Contains("_bucket"))));
        double applied = double.Parse(steps.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(applied, Metric(metrics, "emotioncluster_training_steps"));
        Assert.Equal(applied, Metric(metrics, "emotioncluster_training_step_duration_count{role=\"coordinator\"}"));
        Assert.True(Metric(metrics, "emotioncluster_training_step_duration_sum{role=\"coordinator\"}") > 0);
        Assert.True(Metric(metrics, "emotioncluster_training_loss") > 0);
        Assert.Equal(status.ValidationUar!.Value, Metric(metrics, "emotioncluster_training_validation_uar"), 6);
        Assert.True(Metric(metrics, "emotioncluster_evaluator_events_persisted{event=\"RunCompleted\"}") >= 1);
        Assert.Equal(0, Metric(metrics, "emotioncluster_actor_mailbox_messages{actor=\"/user/trainer\"}"));
        Assert.Equal(0, Metric(metrics, "emotioncluster_shard_region_entity_mailbox_messages{type=\"evaluator\"}"));
    }

    public void Dispose()
    {
        foreach (LocalNode n in _local?.Nodes ?? []) // the script's nodes write to files: show their ends with the test's output
            Log($"--- {n.Name}.log (end)\n{string.Join('\n', n.Log.Split('\n').Where(l => !l.StartsWith("[DEBUG]")).TakeLast(40))}");
        _local?.Dispose();
        foreach (var p in _processes) p.Dispose();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
