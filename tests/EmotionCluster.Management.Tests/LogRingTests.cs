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

public sealed class LogRingTests
{
    private static LogLine Line(int i) => new(DateTimeOffset.UnixEpoch.AddSeconds(i), "info", "akka", "test", $"line {i}");

    [Fact]
    public void Keeps_the_newest_lines_oldest_first_and_counts_all()
    {
        var ring = new LogRing(5);
        Assert.Empty(ring.Last(3));
        for (int i = 0; i < 3; i++) ring.Add(Line(i));
        Assert.Equal(["line 0", "line 1", "line 2"], ring.Last(10).Select(l => l.Message));
        for (int i = 3; i < 12; i++) ring.Add(Line(i));
        Assert.Equal(12, ring.Total);
        Assert.Equal(["line 7", "line 8", "line 9", "line 10", "line 11"], ring.Last(100).Select(l => l.Message));
        Assert.Equal(["line 10", "line 11"], ring.Last(2).Select(l => l.Message));
    }

    [Fact]
    public void The_logging_provider_keeps_information_and_above_with_the_exception()
    {
        var ring = new LogRing();
        using var provider = new LogRingLoggerProvider(ring);
        var logger = provider.CreateLogger("My.Category");
        Microsoft.Extensions.Logging.LoggerExtensions.LogDebug(logger, "hidden");
        Microsoft.Extensions.Logging.LoggerExtensions.LogWarning(logger, new IOException("disk gone"), "store {Path} failed", "/x");
        LogLine line = Assert.Single(ring.Last(10));
        Assert.Equal(("warning", "mel", "My.Category"), (line.Level, line.Source, line.Category));
        Assert.Equal("store /x failed: IOException: disk gone", line.Message);
    }
}
