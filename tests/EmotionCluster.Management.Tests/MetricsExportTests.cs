using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using System.Text;
using Akka.Actor;
using Akka.Cluster.Sharding;
using EmotionCluster.Hosting;
using EmotionCluster.Management;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace EmotionCluster.Management.Tests;

[Collection("in-process-metrics")] // the instruments are static: one of these tests at a time
public sealed class MetricsExportTests
{
    private static async Task<string> Scrape(NodeMetrics metrics)
    {
        using var output = new MemoryStream();
        await metrics.ExportAsync(output, CancellationToken.None);
        return Encoding.UTF8.GetString(output.ToArray());
    }

    /// <summary>The parts' own instruments are checked through the HTTP endpoint in <see cref="MetricsScrapeTests"/>.</summary>
    [Fact]
    public async Task Other_meters_are_not_exported_and_without_an_actor_system_the_node_is_not_up()
    {
        using var sp = new ServiceCollection().BuildServiceProvider();
        using var metrics = new NodeMetrics(new ActorSystemAccessor(sp));
        using var theirs = new Meter("Contoso.Shop");
        theirs.CreateCounter<long>("orders").Add(1);

        string text = await Scrape(metrics);
        Assert.DoesNotContain("contoso", text);
        // Own gauges without an actor system: this node is not Up.
        Assert.Contains("emotioncluster_cluster_self_up 0", text);
        Assert.Contains("process_cpu_seconds_total", text);
    }
}
