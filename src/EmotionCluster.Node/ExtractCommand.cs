using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using EmotionCluster.Extraction;
using EmotionCluster.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace EmotionCluster.Node;

/// <summary><c>extract</c>: join the cluster as a coordinator and extract every *.wav under --data.</summary>
public static class ExtractCommand
{
    public static async Task<int> RunAsync(IServiceProvider services, NodeArguments cli, NodeSettings settings, IFeatureStore store)
    {
        string data = Path.GetFullPath(cli.Options["--data"]);
        if (!Directory.Exists(data)) { Console.Error.WriteLine($"--data {data}: folder not found"); return 2; }
        string settingsJson;
        try
        {
            settingsJson = cli.Options.TryGetValue("--settings", out string? sf)
                ? FeaturePipelineSettings.FromJson(File.ReadAllText(sf)).ToJson()
                : FeaturePipelineSettings.Default.ToJson();
        }
        catch (Exception e) when (e is IOException or ArgumentException or JsonException)
        {
            Console.Error.WriteLine($"--settings: {e.Message}");
            return 2;
        }

        List<ClipSource> clips = WavManifest.Scan(data);
        if (clips.Count == 0) { Console.Error.WriteLine($"--data {data}: no .wav files found"); return 2; }

        var system = services.GetRequiredService<ActorSystem>();
        var registry = services.GetRequiredService<ActorRegistry>();
        int minExtractors = cli.Int("--min-extractors", 1);
        await WaitForExtractors(system, minExtractors, TimeSpan.FromMinutes(2));

        var options = new CoordinatorOptions(cli.Int("--max-in-flight", 32), TimeSpan.FromSeconds(cli.Double("--retry-after", 10)));
        IActorRef coordinator = system.ActorOf(ExtractionCoordinator.PropsFor(registry.Get<ClipExtractorRegion>(), store, options), "extraction");
        IActorRef progress = system.ActorOf(Props.Create(() => new ProgressPrinter()), "progress");
        Console.WriteLine($"extracting {clips.Count} clips from {data}");
        var summary = await coordinator.Ask<ExtractionSummary>(
            new RunExtraction(clips, settingsJson, cli.Options.ContainsKey("--return-features"), progress,
                ServeAudio: cli.Options.ContainsKey("--serve-audio")), TimeSpan.FromHours(6));

        Console.WriteLine($"extracted {summary.Succeeded} of {clips.Count} clips ({summary.Failures.Count()} failed) in {summary.Elapsed.TotalSeconds:F1} s; retries {summary.Retries}; duplicate replies {summary.DuplicateReplies}");
        foreach (var (node, count) in summary.ClipsPerNode.OrderBy(p => p.Key))
            Console.WriteLine($"node {node}: {count} clips");
        foreach (ClipResult f in summary.Failures)
            Console.WriteLine($"failed {f.ClipId}: {f.Error}");
        if (cli.Options.TryGetValue("--summary", out string? summaryPath))
            await File.WriteAllTextAsync(summaryPath, JsonSerializer.Serialize(new
            {
                total = clips.Count,
                succeeded = summary.Succeeded,
                retries = summary.Retries,
                duplicateReplies = summary.DuplicateReplies,
                elapsedSeconds = summary.Elapsed.TotalSeconds,
                clipsPerNode = summary.ClipsPerNode,
                results = summary.Results.Values.OrderBy(r => r.ClipId).Select(r => new
                {
                    clip = r.ClipId, node = r.Node, cached = r.Cached, error = r.Error, attempts = r.Attempts,
                    contentHash = r.Key?.ContentHash, settingsHash = r.Key?.SettingsHash,
                }),
            }, new JsonSerializerOptions { WriteIndented = true }));
        return summary.Failures.Any() ? 1 : 0;
    }

    private static async Task WaitForExtractors(ActorSystem system, int count, TimeSpan timeout)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        DateTime until = DateTime.UtcNow + timeout;
        while (true)
        {
            int up = cluster.State.Members.Count(m => m.Status == MemberStatus.Up && m.HasRole(ClusterRoles.Extractor));
            if (cluster.SelfMember.Status == MemberStatus.Up && up >= count) return;
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"only {up} of {count} extractor nodes joined within {timeout}; check --seed and that extractor nodes are running");
            await Task.Delay(200);
        }
    }

    private sealed class ProgressPrinter : ReceiveActor
    {
        private int _lastPercent = -1;
        public ProgressPrinter() => Receive<ExtractionProgress>(p =>
        {
            int percent = (p.Done + p.Failed) * 100 / Math.Max(1, p.Total);
            if (percent / 5 == _lastPercent / 5 && p.Done + p.Failed < p.Total) return;
            _lastPercent = percent;
            Console.WriteLine($"progress {p.Done + p.Failed}/{p.Total} failed {p.Failed}");
        });
    }
}

/// <summary>Every *.wav under a folder as a clip; the id is the path relative to the folder.</summary>
public static class WavManifest
{
    public static List<ClipSource> Scan(string folder) =>
        Directory.EnumerateFiles(folder, "*.wav", new EnumerationOptions { RecurseSubdirectories = true, MatchCasing = MatchCasing.CaseInsensitive })
            .Select(p => new ClipSource(Path.GetRelativePath(folder, p).Replace('\\', '/'), p))
            .OrderBy(c => c.ClipId, StringComparer.Ordinal)
            .ToList();
}
