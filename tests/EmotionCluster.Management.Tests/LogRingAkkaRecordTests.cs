using Microsoft.Extensions.Logging;
using Xunit;

namespace EmotionCluster.Management.Tests;

/// <summary>
/// Akka.NET's records reach the log ring through ILogger (Akka.Hosting's logger-factory logger): the ring keeps them
/// as Akka's — source <c>akka</c>, the logging actor as category, the message without Akka's prefix.
/// </summary>
public sealed class LogRingAkkaRecordTests
{
    [Fact]
    public void An_akka_record_keeps_its_source_and_message_and_other_records_stay_as_logged()
    {
        var ring = new LogRing();
        using var provider = new LogRingLoggerProvider(ring);
        provider.CreateLogger("Akka.Actor.ActorSystem").LogWarning(
            "[WARNING][12/07/2026 12:11:24.130Z][Thread 0019][akka.tcp://emotioncluster@127.0.0.1:4053/user/rebalance-reporter] member unreachable: akka.tcp://emotioncluster@127.0.0.1:4054");
        provider.CreateLogger("Akka.Actor.ActorSystem").LogInformation("not in Akka's format");
        provider.CreateLogger("EmotionCluster.Node").LogInformation("[INFO][x][Thread 1][y] looks like Akka's but is not from Akka");

        var lines = ring.Last(10);
        Assert.Equal(("warning", "akka", "akka.tcp://emotioncluster@127.0.0.1:4053/user/rebalance-reporter", "member unreachable: akka.tcp://emotioncluster@127.0.0.1:4054"),
            (lines[0].Level, lines[0].Source, lines[0].Category, lines[0].Message));
        Assert.Equal(("mel", "Akka.Actor.ActorSystem", "not in Akka's format"), (lines[1].Source, lines[1].Category, lines[1].Message));
        Assert.Equal(("mel", "EmotionCluster.Node", "[INFO][x][Thread 1][y] looks like Akka's but is not from Akka"),
            (lines[2].Source, lines[2].Category, lines[2].Message));
    }
}
