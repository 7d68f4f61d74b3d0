using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;
using EmotionCluster.Extraction;
using EmotionCluster.Hosting;
using EmotionCluster.Testing;

namespace EmotionCluster.Bench;

/// <summary>
/// Feature extraction of EMO-DB (clips/s), side by side in one run: the direct in-process loop
/// (<see cref="LocalFeatureProvider"/>), a 1-node cluster in this process (<see cref="EmbeddedNode"/> +
/// <see cref="ClusterFeatureProvider"/>, the path <c>train</c> uses), and 2 and 3 extractor nodes as separate OS
/// processes on loopback driven by the node's <c>extract</c> verb. Every measurement starts from an empty feature
/// store, so nothing is read back from a cache. Rounds alternate the rows; the median round is reported.
/// </summary>
public static class ClusterBenchmark
{
    public sealed record Options(int Rounds, int[] Nodes, int MaxInFlight, string Corpus)
    {
        public static Options Parse(string[] args)
        {
            int rounds = 3, maxInFlight = 32;
            int[] nodes = [2, 3];
            for (int i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new BenchUsageException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--rounds": rounds = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                    case "--nodes": nodes = Value() is "none" ? [] : args[i].Split(',').Select(n => int.Parse(n, CultureInfo.InvariantCulture)).ToArray(); break;
                    case "--max-in-flight": maxInFlight = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                    default: throw new BenchUsageException($"unknown option '{args[i]}' for cluster");
                }
            }
            if (rounds < 1 || nodes.Any(n => n < 2) || maxInFlight < 1) throw new BenchUsageException("--rounds and --max-in-flight must be ≥ 1, --nodes ≥ 2");
            string corpus = Path.Combine(Datasets.Root, "emodb", "wav");
            if (!Directory.Exists(corpus)) throw new BenchUsageException($"EMO-DB not found at {corpus}; set {Datasets.EnvVar}");
            return new Options(rounds, nodes, maxInFlight, corpus);
        }
    }

    /// <summary><see cref="CpuMsPerClip"/>: this process's CPU time over the timed run per clip (NaN for node processes, timed elsewhere).</summary>
    private sealed record Measurement(string Row, double Seconds, int Clips, IReadOnlyDictionary<string, int>? PerNode, double CpuMsPerClip = double.NaN,
        (int All, int Full) Gcs = default);

    /// <summary>
    /// Runs <paramref name="extract"/> (an in-process extraction of <paramref name="clips"/>), checks that every clip
    /// succeeded, and measures it: wall time, this process's CPU time and its garbage collections (all, full).
    /// </summary>
    private static async Task<Measurement> Timed(string row, List<ClipSource> clips, Func<Task<IReadOnlyList<ExtractionOutcome>>> extract,
        Func<IReadOnlyDictionary<string, int>?>? perNode = null)
    {
        static TimeSpan Cpu() => Process.GetCurrentProcess().TotalProcessorTime;
        TimeSpan cpu = Cpu();
        int all = GC.CollectionCount(0), full = GC.CollectionCount(2);
        var clock = Stopwatch.StartNew();
        var outcomes = await extract();
        clock.Stop();
        cpu = Cpu() - cpu;
        var gcs = (GC.CollectionCount(0) - all, GC.CollectionCount(2) - full);
        Check(outcomes.Count(x => x.Succeeded), clips.Count, row);
        return new Measurement(row, clock.Elapsed.TotalSeconds, clips.Count, perNode?.Invoke(), cpu.TotalMilliseconds / clips.Count, gcs);
    }

    public static int Run(Options o, TextWriter output)
    {
        var clips = Directory.GetFiles(o.Corpus, "*.wav").Order(StringComparer.Ordinal)
            .Select(p => new ClipSource(Path.GetFileNameWithoutExtension(p), p)).ToList();
        var settings = FeaturePipelineSettings.Default;
        string scratch = Path.Combine(Path.GetTempPath(), "ec-cluster-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(scratch);
        output.WriteLine($"cluster benchmark: {clips.Count} EMO-DB clips, default feature settings, {Environment.ProcessorCount} cores, {o.Rounds} rounds, max in flight {o.MaxInFlight}, " +
                         $"{(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC, large-object threshold {Convert.ToInt64(GC.GetConfigurationVariables()["LOHThreshold"]) >> 10} kB");
        MessageSizes(clips[0], settings, output);

        var rows = new List<string> { "direct loop", "1-node cluster", "1-node cluster, cold" };
        rows.AddRange(o.Nodes.Select(n => $"{n} nodes"));
        var results = rows.ToDictionary(r => r, _ => new List<Measurement>());
        int run = 0;
        try
        {
            for (int round = 1; round <= o.Rounds; round++)
            {
                foreach (string row in rows)
                {
                    string store = Path.Combine(scratch, $"store{run++}");
                    Measurement m = row switch
                    {
                        "direct loop" => Direct(clips, settings, store),
                        "1-node cluster" => OneNode(clips, settings, store, o, warm: true).GetAwaiter().GetResult(),
                        "1-node cluster, cold" => OneNode(clips, settings, store, o, warm: false).GetAwaiter().GetResult(),
                        _ => Processes(int.Parse(row.Split(' ')[0], CultureInfo.InvariantCulture), o, store, scratch).GetAwaiter().GetResult(),
                    };
                    results[row].Add(m);
                    output.WriteLine(FormattableString.Invariant($"  round {round} {row,-15} {m.Clips / m.Seconds,7:0.0} clips/s ({m.Seconds:0.00} s)") +
                                     (double.IsNaN(m.CpuMsPerClip) ? "" : FormattableString.Invariant($"  CPU {m.CpuMsPerClip:0.0} ms/clip, GCs {m.Gcs.All} ({m.Gcs.Full} full)")) +
                                     (m.PerNode is null ? "" : "  per node: " + string.Join(", ", m.PerNode.OrderBy(p => p.Key).Select(p => $"{p.Key.Split('@')[^1]}={p.Value}"))));
                    Directory.Delete(store, recursive: true);
                }
            }
        }
        finally
        {
            try { Directory.Delete(scratch, recursive: true); } catch (IOException) { }
        }

        double Median(string row) => results[row].Select(m => m.Clips / m.Seconds).Order().ElementAt(results[row].Count / 2);
        double direct = Median("direct loop");
        output.WriteLine();
        output.WriteLine("| setup | clips/s (median) | × real time | vs direct loop |");
        output.WriteLine("| --- | ---: | ---: | ---: |");
        double audioSeconds = clips.Sum(c => new FileInfo(c.Path).Length - 44) / 2.0 / 16000;
        foreach (string row in rows)
        {
            double rate = Median(row);
            output.WriteLine(FormattableString.Invariant($"| {row} | {rate:0.0} | {rate * audioSeconds / clips.Count:0} | {rate / direct:0.00} |"));
        }
        output.WriteLine(FormattableString.Invariant($"\nper-clip cost of the direct loop: {1000.0 * Environment.ProcessorCount / direct:0.0} ms of CPU per clip ({Environment.ProcessorCount} threads), audio {audioSeconds / clips.Count:0.00} s per clip on average"));
        return 0;
    }

    /// <summary>Clips extracted untimed before a warm row: enough to touch every shard and JIT the whole path.</summary>
    public const int WarmupClips = 64;

    /// <summary>
    /// Settings for the untimed warm-up: the same work, but a different feature-settings hash, so the timed run that
    /// follows finds nothing of it in the store.
    /// </summary>
    private static FeaturePipelineSettings WarmupSettings(FeaturePipelineSettings s) => s with { Mel = s.Mel with { TopDb = (s.Mel.TopDb ?? 80) - 1 } };

    private static Measurement Direct(List<ClipSource> clips, FeaturePipelineSettings settings, string store)
    {
        var provider = new LocalFeatureProvider(new DirectoryFeatureStore(store), Environment.ProcessorCount);
        provider.ExtractAsync(clips.Take(WarmupClips).ToList(), WarmupSettings(settings)).GetAwaiter().GetResult();
        return Timed("direct loop", clips, () => provider.ExtractAsync(clips, settings)).GetAwaiter().GetResult();
    }

    /// <summary>
    /// <paramref name="warm"/>: like the direct loop, the timed run follows an untimed warm-up (shards allocated, code
    /// JIT-compiled); cold: timed from a node that has just joined (shard allocation and first-call costs included).
    /// </summary>
    private static async Task<Measurement> OneNode(List<ClipSource> clips, FeaturePipelineSettings settings, string store, Options o, bool warm)
    {
        await using var node = await EmbeddedNode.StartAsync(new NodeSettings { FeatureStorePath = store });
        var provider = node.FeatureProvider(new CoordinatorOptions(o.MaxInFlight));
        if (warm) await provider.ExtractAsync(clips.Take(WarmupClips).ToList(), WarmupSettings(settings));
        return await Timed(warm ? "1-node cluster" : "1-node cluster, cold", clips, () => provider.ExtractAsync(clips, settings),
            () => provider.LastSummary?.ClipsPerNode);
    }

    private static async Task<Measurement> Processes(int n, Options o, string store, string scratch)
    {
        var nodes = new List<NodeProcess>();
        try
        {
            int[] ports = Enumerable.Range(0, n).Select(_ => NodeProcess.FreePort()).ToArray();
            for (int i = 0; i < n; i++)
            {
                var node = NodeProcess.Start($"node{i + 1}", ports[i],
                    ["run", "--port", ports[i].ToString(CultureInfo.InvariantCulture), "--seed", NodeProcess.Address(ports[0]), "--roles", "extractor",
                     "--store", store, "--http-port", "-1"]);
                nodes.Add(node);
                await node.WaitForLine(l => l.StartsWith("node started", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            }
            int port = NodeProcess.FreePort();
            using var coordinator = NodeProcess.Start("coordinator", port,
                ["extract", "--data", o.Corpus, "--port", port.ToString(CultureInfo.InvariantCulture), "--seed", NodeProcess.Address(ports[0]),
                 "--store", store, "--min-extractors", n.ToString(CultureInfo.InvariantCulture), "--max-in-flight", o.MaxInFlight.ToString(CultureInfo.InvariantCulture)]);
            int code = await coordinator.WaitForExit(TimeSpan.FromMinutes(10));
            if (code != 0)
                throw new InvalidOperationException($"the {n}-node extraction failed (exit {code}):\n{coordinator.Output}");
            return ParseSummary(n, coordinator.Output);
        }
        finally
        {
            foreach (var node in nodes) node.Dispose();
        }
    }

    /// <summary>Reads the coordinator's result lines: "extracted S of T clips (F failed) in X s; ..." and "node ADDR: N clips".</summary>
    private static Measurement ParseSummary(int n, string output)
    {
        var lines = output.Split('\n');
        string done = lines.First(l => l.StartsWith("extracted ", StringComparison.Ordinal));
        var words = done.Split(' ');
        int succeeded = int.Parse(words[1], CultureInfo.InvariantCulture), total = int.Parse(words[3], CultureInfo.InvariantCulture);
        double seconds = double.Parse(words[Array.IndexOf(words, "in") + 1], CultureInfo.InvariantCulture);
        Check(succeeded, total, $"{n} nodes");
        var perNode = lines.Where(l => l.StartsWith("node akka", StringComparison.Ordinal))
            .ToDictionary(l => l[5..l.LastIndexOf(':')], l => int.Parse(l[(l.LastIndexOf(':') + 2)..].Split(' ')[0], CultureInfo.InvariantCulture));
        return new Measurement($"{n} nodes", seconds, total, perNode);
    }

    private static void Check(int succeeded, int total, string row)
    {
        if (succeeded != total) throw new InvalidOperationException($"{row}: only {succeeded} of {total} clips were extracted");
    }

    /// <summary>Bytes on the wire per clip, through the real serializer.</summary>
    private static void MessageSizes(ClipSource clip, FeaturePipelineSettings settings, TextWriter output)
    {
        using var system = ActorSystem.Create("sizes", Akka.Configuration.ConfigurationFactory.ParseString(
            "akka.actor.serializers.ec = \"EmotionCluster.Extraction.EmotionClusterSerializer, EmotionCluster.Extraction\""));
        var serializer = new EmotionClusterSerializer((ExtendedActorSystem)system);
        var features = new ClipExtractionService(new PipelineFeaturizer(settings), new MemoryFeatureStore()).ExtractFile(clip.ClipId, clip.Path);
        int request = serializer.ToBinary(new ExtractClip(clip.ClipId, clip.Path, settings.ToJson(), false)).Length;
        int reply = serializer.ToBinary(new ClipExtracted(clip.ClipId, features.Key!.Value.ContentHash, features.Key.Value.SettingsHash, "akka.tcp://emotioncluster@127.0.0.1:4053", false, features.Features!.Bins, features.Features.Frames)).Length;
        long featureBytes = (long)features.Features.Bins * features.Features.Frames * 4;
        long audioBytes = new FileInfo(clip.Path).Length;
        output.WriteLine(FormattableString.Invariant(
            $"messages per clip ({clip.ClipId}): ExtractClip {request} B, ClipExtracted {reply} B; with --return-features + {featureBytes / 1024.0:0.0} kB of features in {(featureBytes + 65535) / 65536} chunk(s); with --serve-audio + {audioBytes / 1024.0:0.0} kB of audio"));
    }
}
