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
