using System.Net.WebSockets;
using System.Text;
using Akka.Actor;
using EmotionCluster.Audio;

namespace EmotionCluster.Streaming.Tests;

public sealed class SmoothingTests
{
    [Fact]
    public void Ema_blends_hops_with_alpha()
    {
        var s = SmoothingSpec.Parse("ema:0.5").Create();
        Assert.Equal(0, s.Update([0.9f, 0.1f]).Label);
        var second = s.Update([0.1f, 0.9f]);
        Assert.Equal(0.5f, second.Probabilities[0], 1e-6f);
        var third = s.Update([0.1f, 0.9f]);
        Assert.Equal(1, third.Label);
        Assert.Equal(0.3f, third.Probabilities[0], 1e-6f);
    }

    [Fact]
    public void Majority_votes_over_the_last_k_hops_ties_to_the_most_recent()
    {
        var s = SmoothingSpec.Parse("majority:3").Create();
        Assert.Equal(0, s.Update([0.9f, 0.1f, 0f]).Label);
        Assert.Equal(1, s.Update([0.1f, 0.9f, 0f]).Label); // 1-1 tie: most recent
        Assert.Equal(1, s.Update([0.2f, 0.8f, 0f]).Label);
        Assert.Equal(1, s.Update([0.9f, 0.1f, 0f]).Label); // last three: 1, 1, 0
        Assert.Equal(2, s.Update([0f, 0f, 1f]).Label); // 1, 0, 2: a three-way tie goes to the most recent
        var last = s.Update([0f, 0f, 1f]); // 0, 2, 2
        Assert.Equal(2, last.Label);
        Assert.Equal(2f / 3, last.Probabilities[2], 1e-6f);
    }

    [Fact]
    public void None_is_the_hop_itself()
    {
        var s = SmoothingSpec.Parse("none").Create();
        Assert.Equal(1, s.Update([0.2f, 0.8f]).Label);
        Assert.Equal(0, s.Update([0.8f, 0.2f]).Label);
    }

    [Theory]
    [InlineData("ema:0")]
    [InlineData("ema:1.5")]
    [InlineData("majority:0")]
    [InlineData("median:3")]
    [InlineData("ema")]
    public void Bad_specs_name_the_forms(string spec)
    {
        var e = Assert.Throws<ArgumentException>(() => SmoothingSpec.Parse(spec));
        Assert.Contains("ema:ALPHA", e.Message);
    }
}
