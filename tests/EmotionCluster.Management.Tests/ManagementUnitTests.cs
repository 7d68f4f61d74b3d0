using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using System.Text;
using Akka.Actor;
using Akka.Cluster.Sharding;
using EmotionCluster.Cluster;
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

public sealed class ApiInputTests
{
    [Theory]
    [InlineData(null, 50)]
    [InlineData("", 50)]
    [InlineData("1", 1)]
    [InlineData("2000", 2000)]
    public void Whole_numbers_in_range_are_accepted(string? text, int expected) =>
        Assert.Equal(expected, ManagementHosting.PositiveInt("lines", text, 50, 2000));

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData("2001")]
    [InlineData("ten")]
    [InlineData("1.5")]
    public void Other_values_are_a_400_naming_the_parameter(string text)
    {
        var e = Assert.Throws<ManagementException>(() => ManagementHosting.PositiveInt("lines", text, 50, 2000));
        Assert.Equal(400, e.Status);
        Assert.Equal($"lines '{text}' must be a whole number from 1 to 2000", e.Message);
    }

    [Fact]
    public void Sharding_stats_list_nodes_and_shards_in_order()
    {
        var a = Address.Parse("akka.tcp://emotioncluster@127.0.0.1:5002");
        var b = Address.Parse("akka.tcp://emotioncluster@127.0.0.1:5001");
        var stats = new ClusterShardingStats(ImmutableDictionary<Address, ShardRegionStats>.Empty
            .Add(a, new ShardRegionStats(ImmutableDictionary<string, int>.Empty.Add("10", 2).Add("9", 1).Add("x", 0), ImmutableHashSet<string>.Empty))
            .Add(b, new ShardRegionStats(ImmutableDictionary<string, int>.Empty.Add("3", 4), ImmutableHashSet.Create("7"))));
        ShardingStatsView view = ClusterQueries.ToView("clip-extractor", stats);
        Assert.Equal([b.ToString(), a.ToString()], view.Nodes.Select(n => n.Address));
        Assert.Equal(["9", "10", "x"], view.Nodes[1].Shards.Select(s => s.ShardId));
        Assert.Equal((3, 3), (view.Nodes[1].ShardCount, view.Nodes[1].EntityCount));
        Assert.Equal(["7"], view.FailedShards);
    }
}

public sealed class HealthTests
{
    private sealed class Check(string name, Func<CancellationToken, Task<ReadinessResult>> run) : IReadinessCheck
    {
        public string Name => name;
        public Task<ReadinessResult> CheckAsync(CancellationToken cancellationToken) => run(cancellationToken);
    }

    [Fact]
    public async Task Ready_only_when_every_check_passes_and_each_is_reported()
    {
        var pass = new Check("a", _ => Task.FromResult(ReadinessResult.Pass("fine")));
        var fail = new Check("journal", _ => Task.FromResult(ReadinessResult.Fail("cannot connect")));
        var throws = new Check("boom", _ => throw new InvalidOperationException("broken"));
        var slow = new Check("slow", async ct => { await Task.Delay(TimeSpan.FromSeconds(30), ct); return ReadinessResult.Pass("late"); });

        HealthView ok = await HealthEvaluator.RunAsync([pass], CancellationToken.None);
        Assert.Equal("ok", ok.Status);

        HealthView bad = await HealthEvaluator.RunAsync([pass, fail, throws, slow], CancellationToken.None, TimeSpan.FromMilliseconds(200));
        Assert.Equal("failing", bad.Status);
        Assert.Equal(["a", "journal", "boom", "slow"], bad.Checks.Select(c => c.Name));
        Assert.Equal([true, false, false, false], bad.Checks.Select(c => c.Ok));
        Assert.Equal("cannot connect", bad.Checks[1].Detail);
        Assert.Equal("InvalidOperationException: broken", bad.Checks[2].Detail);
        Assert.Equal("no answer within 0.2 s", bad.Checks[3].Detail);
        Assert.Equal("failing", (await HealthEvaluator.RunAsync([], CancellationToken.None)).Status);
    }

    [Fact]
    public async Task Without_an_actor_system_the_node_is_neither_live_nor_ready()
    {
        using var sp = new ServiceCollection().BuildServiceProvider();
        var systems = new ActorSystemAccessor(sp);
        Assert.Null(systems.Running);
        var live = new ActorSystemCheck(systems);
        var evaluator = new HealthEvaluator([live, new ClusterMemberCheck(systems)], live);
        Assert.Equal("failing", (await evaluator.LiveAsync(CancellationToken.None)).Status);
        HealthView ready = await evaluator.ReadyAsync(CancellationToken.None);
        Assert.Equal([false, false], ready.Checks.Select(c => c.Ok));
    }
}

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

public sealed class TrainingStatusSourceTests
{
    [Fact]
    public void A_progress_report_that_comes_back_late_does_not_undo_the_end_of_the_run()
    {
        var board = new EmotionCluster.Training.TrainingStatusBoard();
        var last = new EmotionCluster.Training.TrainingProgress("r", 3, 3, 9, 9, 0.5, 80, 1, "n", DateTimeOffset.UtcNow);
        board.Report(last);                                            // the coordinator's own report
        board.SetState("finished", "r", "finished 9 steps, 3 epochs"); // its end of the run
        board.Report(last);                                            // the same report, back through DistributedPubSub
        Assert.Equal(("finished", "finished 9 steps, 3 epochs"), (board.Current.State, board.Current.Message));
        board.Report(last with { RunId = "r2", Step = 1 });            // another run's first step is newer
        Assert.Equal(("r2", 3), (board.Current.RunId, board.LastProgress?.Epoch));
        Assert.StartsWith("step 1/9", board.Current.Message);
    }
}
