using System.Text.Json;
using EmotionCluster.Extraction;
using EmotionCluster.Testing;
using Xunit;
using Xunit.Abstractions;

namespace EmotionCluster.MultiNode.Tests;

/// <summary>
/// Three extractor nodes and a coordinator, each its own OS process on 127.0.0.1, extract EMO-DB through
/// Cluster Sharding. Features travel back to the coordinator's store in chunks (no shared storage).
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

    private NodeProcess StartCoordinator(int seedPort, string summary, string? data = null)
    {
        int port = NodeProcess.FreePort();
        var c = NodeProcess.Start("coordinator", port,
        [
            "extract", "--data", data ?? Path.Combine(Datasets.RequireEmoDb(), "wav"), "--port", port.ToString(),
            "--seed", NodeProcess.Address(seedPort), "--store", Path.Combine(_dir, "coordinator-store"),
            "--return-features", "--min-extractors", "3", "--max-in-flight", "24", "--retry-after", "8",
            "--summary", summary, "--sbr-stable-after", "3", "--heartbeat-pause", "2",
        ], Log);
        _processes.Add(c);
        return c;
    }

    private sealed record Result(string clip, string node, bool cached, string? error, string? contentHash, string? settingsHash);
    private sealed record Summary(int total, int succeeded, int retries, int duplicateReplies, Dictionary<string, int> clipsPerNode, List<Result> results);

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
        var coordinator = StartCoordinator(nodes[0].Port, summaryPath, corpus);
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
        Assert.Equal(535, s.results.Select(r => r.clip).Distinct().Count()); // no duplicates
        Assert.True(s.retries > 0, "the clips in flight on the killed node must have been resent");
        foreach (var n in nodes.Take(2))
        {
            string line = await n.WaitForLine(l => l.StartsWith($"rebalance: member {NodeProcess.Address(nodes[2].Port)} removed"), TimeSpan.FromSeconds(30));
            Log($"{n.Name}: {line}");
        }
        foreach (var (node, count) in s.clipsPerNode) Log($"per-node: {node} extracted {count} clips");
    }

    public void Dispose()
    {
        foreach (var p in _processes) p.Dispose();
        try { if (Directory.Exists(_dir)) Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
