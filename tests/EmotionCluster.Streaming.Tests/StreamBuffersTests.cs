using System.Net.WebSockets;
using System.Text;
using Akka.Actor;
using EmotionCluster.Audio;

namespace EmotionCluster.Streaming.Tests;

public sealed class StreamBuffersTests
{
    [Fact]
    public void Buffers_are_reused_by_exact_length_and_a_disposed_ring_gives_its_buffer_back()
    {
        const int length = 12_345; // a length no other test uses
        float[] a = StreamBuffers.Rent(length);
        Assert.Equal(length, a.Length);
        StreamBuffers.Return(a);
        Assert.Equal(1, StreamBuffers.Retained(length));
        Assert.Same(a, StreamBuffers.Rent(length));
        Assert.Equal(0, StreamBuffers.Retained(length));
        Assert.NotSame(a, StreamBuffers.Rent(length)); // none left: a new one

        var ring = new SampleRing(length);
        ring.Append([1f, 2f, 3f]);
        ring.Dispose();
        ring.Dispose(); // once only
        Assert.Equal(1, StreamBuffers.Retained(length));
        Assert.Throws<ObjectDisposedException>(() => ring.Append([4f]));
        Assert.Throws<ObjectDisposedException>(() => ring.CopyTo(0, new float[1]));

        // a reused buffer holds the old stream's audio, but a new ring reads only what it wrote
        var next = new SampleRing(length);
        Assert.False(next.Holds(0, 1));
        next.Append([9f]);
        var one = new float[1];
        next.CopyTo(0, one);
        Assert.Equal(9f, one[0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => StreamBuffers.Rent(0));
    }

    [Fact]
    public void A_disposed_session_gives_its_ring_and_window_buffer_back()
    {
        // 1.2345 s at 1 kHz: window and ring lengths no other test uses
        var settings = new StreamingSettings { WindowSeconds = 1.2345, HopSeconds = 0.5, MaxBufferedSeconds = 3.4567, Smoothing = "none", GateEachWindow = true };
        int window = StreamingSettings.Samples(1.2345, 1000), ring = StreamingSettings.Samples(3.4567, 1000);
        int windowsBefore = StreamBuffers.Retained(window), ringsBefore = StreamBuffers.Retained(ring);
        var s = new StreamSession(1000, settings);
        s.Append(new float[2000]);
        Assert.True(s.TryTakeNext(out _, out var samples, out _, 0, reuseBuffer: true));
        Assert.Equal(window, samples.Length);
        s.Dispose();
        Assert.Equal(windowsBefore + 1, StreamBuffers.Retained(window));
        Assert.Equal(ringsBefore + 1, StreamBuffers.Retained(ring));
    }
}
