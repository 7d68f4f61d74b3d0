using System.Text.Json;
using EmotionCluster.Extraction;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.MultiNode.Tests;

/// <summary>
/// Three extractor nodes and a coordinator, each its own OS process on 127.0.0.1, extract EMO-DB through
/// Cluster Sharding. Features travel back to the coordinator's store in chunks (no shared storage); in the first test
/// the audio travels to the extractors too.
/// </summary>
[Collection("multi-node")] // one cluster at a time on this 2-core machine
public sealed class ThreeNodeExtractionTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ec-multinode-" + Guid.NewGuid().ToString("N"));
    private readonly List<NodeProcess> _processes = new();

    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(90);

    private void Log(string line)
    {
        try { output.WriteLine(line); } catch (InvalidOperationException) { /* test already finished */ }
    }

    private List<NodeProcess> StartExtractors(int count)
    {
        int[] ports = Enumerable.Range(0, count).Select(_ => NodeProcess.FreePort()).ToArray();
        var nodes = new List<NodeProcess>();
        for (int i = 0; i < count; i++)
        {
            var node = NodeProcess.Start($"node{i + 1}", ports[i],
            [
                "run", "--port", ports[i].ToString(), "--seed", NodeProcess.Address(ports[0]), "--roles", "extractor",
                "--store", Path.Combine(_dir, $"store{i + 1}"), "--sbr-stable-after", "3", "--heartbeat-pause", "2",
            ], Log);
            nodes.Add(node);
            _processes.Add(node);
        }
        return nodes;
    }

    /// <param name="serveAudio">The coordinator sends each clip's audio bytes to the extractor (nodes without the corpus).</param>
    private NodeProcess StartCoordinator(int seedPort, string summary, string? data = null, bool serveAudio = false)
    {
        int port = NodeProcess.FreePort();
        var c = NodeProcess.Start("coordinator", port,
        [
            "extract", "--data", data ?? Path.Combine(Datasets.RequireEmoDb(), "wav"), "--port", port.ToString(),
            "--seed", NodeProcess.Address(seedPort), "--store", Path.Combine(_dir, "coordinator-store"),
            "--return-features", "--min-extractors", "3", "--max-in-flight", "24", "--retry-after", "8",
            "--summary", summary, "--sbr-stable-after", "3", "--heartbeat-pause", "2",
            .. serveAudio ? new[] { "--serve-audio" } : [],
        ], Log);
        _processes.Add(c);
        return c;
    }

    // the node's JSON summary, property for property (camelCase names, read case-sensitively)
#pragma warning disable IDE1006
    private sealed record Result(string clip, string node, bool cached, string? error, string? contentHash, string? settingsHash, int attempts);
    private sealed record Summary(int total, int succeeded, int retries, int duplicateReplies, Dictionary<string, int> clipsPerNode, List<Result> results);
#pragma warning restore IDE1006

    private static Summary ReadSummary(string path) => JsonSerializer.Deserialize<Summary>(File.ReadAllText(path))!;

    [EmoDbFact]
    public async Task Three_nodes_share_the_work_and_produce_the_in_process_features_and_corrupt_files_are_per_clip_errors()
    {
        // EMO-DB (links to its files) plus two corrupt files: an empty one and one that is not RIFF.
        string corpus = Path.Combine(_dir, "corpus");
        Directory.CreateDirectory(corpus);
        foreach (string wav in Directory.GetFiles(Path.Combine(Datasets.RequireEmoDb(), "wav"), "*.wav"))
            File.CreateSymbolicLink(Path.Combine(corpus, Path.GetFileName(wav)), wav);
        File.WriteAllBytes(Path.Combine(corpus, "zz_empty.wav"), []);
        File.WriteAllText(Path.Combine(corpus, "zz_notriff.wav"), "this is not a wave file at all, just text");

        var nodes = StartExtractors(3);
        foreach (var n in nodes) await n.WaitForLine(l => l.StartsWith("node started:"), Startup);
        string summaryPath = Path.Combine(_dir, "summary.json");
        // the corpus is only the coordinator's: its audio crosses the wire in chunks, its features come back the same way
        var coordinator = StartCoordinator(nodes[0].Port, summaryPath, corpus, serveAudio: true);
        Assert.Equal(1, await coordinator.WaitForExit(TimeSpan.FromMinutes(5))); // 1: finished, with per-clip failures

        Summary s = ReadSummary(summaryPath);
        Assert.Equal(537, s.total);
        Assert.Equal(535, s.succeeded);
        var failed = s.results.Where(r => r.error is not null).OrderBy(r => r.clip).ToList();
        Assert.Equal(["zz_empty.wav", "zz_notriff.wav"], failed.Select(r => r.clip));
        Assert.All(failed, r => Assert.Contains(r.clip, r.error));
        Assert.Contains(coordinator.Lines, l => l.StartsWith("failed zz_empty.wav: "));
        Assert.Equal(537, s.results.Select(r => r.clip).Distinct().Count());
        foreach (var (node, count) in s.clipsPerNode) Log($"per-node: {node} extracted {count} clips");
        Assert.Equal(3, s.clipsPerNode.Count);
        Assert.All(nodes, n => Assert.True(s.clipsPerNode.GetValueOrDefault(NodeProcess.Address(n.Port)) > 0, $"{n.Name} did no work"));
        Assert.Equal(535, s.clipsPerNode.Values.Sum()); // successes per node

        // The features that came back over the wire equal in-process extraction, bit for bit.
        var coordinatorStore = new DirectoryFeatureStore(Path.Combine(_dir, "coordinator-store"));
        var local = new PipelineServiceFactory(new DirectoryFeatureStore(Path.Combine(_dir, "in-process")))
            .ForSettings(FeaturePipelineSettings.Default.ToJson());
        foreach (Result r in s.results.Where(r => r.error is null))
        {
            var direct = local.ExtractFile(r.clip, Path.Combine(Datasets.EmoDbDir, "wav", r.clip));
            Assert.True(direct.Succeeded, direct.Error);
            Assert.Equal(direct.Key!.Value, new FeatureKey(r.contentHash!, r.settingsHash!));
            var remote = coordinatorStore.TryGet(direct.Key!.Value);
            Assert.NotNull(remote);
            Assert.Equal((direct.Features!.Bins, direct.Features.Frames), (remote!.Bins, remote.Frames));
            Assert.True(direct.Features.Data.AsSpan().SequenceEqual(remote.Data), $"{r.clip}: features differ");
        }
    }

    [EmoDbFact]
    public async Task A_node_killed_partway_loses_nothing_and_the_survivors_take_its_shards()
    {
        var nodes = StartExtractors(3);
        foreach (var n in nodes) await n.WaitForLine(l => l.StartsWith("node started:"), Startup);
        string summaryPath = Path.Combine(_dir, "summary.json");
        var coordinator = StartCoordinator(nodes[0].Port, summaryPath);

        // Kill node 3 (SIGKILL) once a fifth of the clips are done.
        await coordinator.WaitForLine(l => l.StartsWith("progress ") && int.Parse(l.Split(' ', '/')[1]) >= 100, TimeSpan.FromMinutes(3));
        nodes[2].Kill();
        Log("killed node3");

        Assert.Equal(0, await coordinator.WaitForExit(TimeSpan.FromMinutes(5)));
        Summary s = ReadSummary(summaryPath);
        Assert.Equal(535, s.succeeded);
        Assert.Equal(535, s.results.Count);
        Assert.Equal(535, s.results.Select(r => r.clip).Distinct().Count()); // one result per clip
        Assert.True(s.retries > 0, "the clips in flight on the killed node must have been resent");
        Assert.Equal(s.retries, s.results.Sum(r => r.attempts - 1));
        string dead = NodeProcess.Address(nodes[2].Port);
        var survivors = nodes.Take(2).ToList();
        var survivorAddresses = survivors.Select(n => NodeProcess.Address(n.Port)).ToHashSet();
        // every clip that had to be resent was finished by a survivor
        Assert.All(s.results.Where(r => r.attempts > 1), r => Assert.Contains(r.node, survivorAddresses));
        Assert.True(s.clipsPerNode.GetValueOrDefault(dead) > 0, "node3 finished some clips before it was killed");

        // the survivors report the rebalance, and host shards the dead node hosted
        var deadShards = LastShards(nodes[2]);
        Assert.NotEmpty(deadShards);
        foreach (var n in survivors)
        {
            string line = await n.WaitForLine(l => l.StartsWith($"rebalance: member {dead} removed"), TimeSpan.FromSeconds(30));
            Log($"{n.Name}: {line}");
        }
        List<string> Taken() => survivors.SelectMany(LastShards).Intersect(deadShards).ToList();
        for (var until = DateTime.UtcNow.AddSeconds(20); Taken().Count == 0 && DateTime.UtcNow < until;)
            await Task.Delay(500); // the survivors look at their shards every 2 s
        var taken = Taken();
        Log($"shards of node3 now on the survivors: {string.Join(',', taken)}");
        Assert.NotEmpty(taken);

        // finished clips are not redone: the extraction work done on all nodes exceeds one per clip only by resends
        // (a clip in flight on node3 when it died may have been extracted there and again on a survivor)
        long fresh = 0;
        foreach (var n in survivors)
        {
            n.Terminate();
            Assert.Equal(0, await n.WaitForExit(TimeSpan.FromSeconds(60)));
            var m = System.Text.RegularExpressions.Regex.Match(n.Lines.Last(l => l.StartsWith("node stopped: ")), @"extracted (\d+) clips \((\d+) from the store\)");
            Assert.True(m.Success);
            fresh += long.Parse(m.Groups[1].Value) - long.Parse(m.Groups[2].Value);
        }
        long deadWork = Directory.EnumerateFiles(Path.Combine(_dir, "store3"), "*.feat", SearchOption.AllDirectories).Count();
        foreach (var (node, count) in s.clipsPerNode) Log($"per-node: {node} extracted {count} clips");
        Log($"extractions: survivors {fresh}, node3 {deadWork}; resends {s.retries}");
        Assert.InRange(fresh + deadWork, 535, 535 + s.retries);
    }

    /// <summary>The shard ids of the node's last "shards:" line.</summary>
    private static HashSet<string> LastShards(NodeProcess node) =>
        node.Lines.LastOrDefault(l => l.StartsWith("shards: ", StringComparison.Ordinal)) is { } line
            ? line[(line.LastIndexOf(": ", StringComparison.Ordinal) + 2)..].Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet()
            : [];

    public void Dispose()
    {
        foreach (var p in _processes) p.Dispose();
        try { if (Directory.Exists(_dir)) Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
