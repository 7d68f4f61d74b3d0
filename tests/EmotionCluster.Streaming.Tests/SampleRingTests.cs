using System.Net.WebSockets;
using System.Text;
using Akka.Actor;
using EmotionCluster.Audio;

namespace EmotionCluster.Streaming.Tests;

public sealed class SampleRingTests
{
    [Fact]
    public void Keeps_the_last_capacity_samples_across_wraps()
    {
        var ring = new SampleRing(10);
        var all = Enumerable.Range(0, 37).Select(i => (float)i).ToArray();
        foreach (var chunk in all.Chunk(3)) ring.Append(chunk);
        Assert.Equal(37, ring.Total);
        Assert.Equal(27, ring.Oldest);
        var copy = new float[10];
        ring.CopyTo(27, copy);
        Assert.Equal(all[27..], copy);
        var middle = new float[4];
        ring.CopyTo(30, middle);
        Assert.Equal(all[30..34], middle);
    }

    [Fact]
    public void A_chunk_larger_than_the_ring_keeps_its_tail()
    {
        var ring = new SampleRing(4);
        ring.Append([1, 2]);
        ring.Append([3, 4, 5, 6, 7, 8, 9]);
        Assert.Equal(9, ring.Total);
        var copy = new float[4];
        ring.CopyTo(5, copy);
        Assert.Equal([6f, 7, 8, 9], copy);
    }

    [Fact]
    public void Overwritten_or_future_samples_are_refused()
    {
        var ring = new SampleRing(4);
        ring.Append([1, 2, 3, 4, 5, 6]);
        Assert.False(ring.Holds(1, 2));
        Assert.True(ring.Holds(2, 4));
        Assert.False(ring.Holds(4, 3));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ring.CopyTo(0, new float[2]));
        Assert.Contains("not in the ring", e.Message);
    }
}
