using System.Net.WebSockets;
using System.Text;
using Akka.Actor;
using EmotionCluster.Audio;

namespace EmotionCluster.Streaming.Tests;

public sealed class StreamSessionTests
{
    // the windows alone: each gated on its own, so no audio is due for a stream gate ahead of the first window (the next spec's)
    private static StreamingSettings Settings(double window = 1, double hop = 0.25, double buffer = 2) =>
        new() { WindowSeconds = window, HopSeconds = hop, MaxBufferedSeconds = buffer, Smoothing = "none", GateEachWindow = true };

    private static StreamingSettings Gated(double maxLag = 2)
    {
        var settings = Settings();
        settings.GateEachWindow = false;
        settings.MaxLagSeconds = maxLag;
        return settings;
    }

    [Fact]
    public void A_stream_gated_once_gives_its_gate_the_audio_so_far_at_every_hop_before_the_first_window()
    {
        var s = new StreamSession(100, Gated());
        Assert.NotNull(s.Gate);
        var audio = Enumerable.Range(0, 160).Select(i => (float)i).ToArray();
        s.Append(audio.AsSpan(0, 60));
        Assert.True(s.TryTakeNext(out var a1, out var x1));
        Assert.Equal(new WindowSpan(0, 25, Ahead: true), a1);
        Assert.Equal(audio[..25], x1);
        Assert.True(s.TryTakeNext(out var a2, out _));
        Assert.Equal(new WindowSpan(0, 50, Ahead: true), a2);
        Assert.False(s.TryTakeNext(out _, out _));
        s.Append(audio.AsSpan(60));
        var due = new List<WindowSpan>();
        while (s.TryTakeNext(out var w, out _)) due.Add(w);
        Assert.Equal([new WindowSpan(0, 75, Ahead: true), new WindowSpan(0, 100), new WindowSpan(25, 100), new WindowSpan(50, 100)], due);
        Assert.Equal(0, s.Hops);

        // a stream shorter than a window: the audio so far at each hop, then the whole stream as its one window
        var shortStream = new StreamSession(100, Gated());
        shortStream.Append(audio.AsSpan(0, 60));
        shortStream.End();
        due.Clear();
        while (shortStream.TryTakeNext(out var w, out _)) due.Add(w);
        Assert.Equal([new WindowSpan(0, 25, Ahead: true), new WindowSpan(0, 50, Ahead: true), new WindowSpan(0, 60, Final: true)], due);

        // audio ahead of the gate that waited too long is dropped like a late window, but it is not a hop
        var late = new StreamSession(100, Gated(maxLag: 1));
        late.Append(audio.AsSpan(0, 110), now: 1);
        Assert.True(late.TryTakeNext(out var kept, out _, out _, now: 1 + 5 * System.Diagnostics.Stopwatch.Frequency));
        Assert.Equal(new WindowSpan(0, 100), kept);
        Assert.Equal(0, late.DroppedHops);
    }

    [Fact]
    public void Windows_come_in_order_with_their_samples()
    {
        var s = new StreamSession(100, Settings());
        var audio = Enumerable.Range(0, 160).Select(i => (float)i).ToArray();
        s.Append(audio);
        Assert.True(s.TryTakeNext(out var w1, out var x1));
        Assert.Equal(new WindowSpan(0, 100), w1);
        Assert.Equal(audio[..100], x1);
        Assert.True(s.TryTakeNext(out var w2, out var x2));
        Assert.Equal(new WindowSpan(25, 100), w2);
        Assert.Equal(audio[25..125], x2);
        Assert.True(s.TryTakeNext(out _, out _));
        Assert.False(s.TryTakeNext(out _, out _));
        s.End();
        Assert.True(s.TryTakeNext(out var last, out _));
        Assert.Equal(new WindowSpan(60, 100, true), last);
        Assert.Equal(0, s.DroppedHops);
    }

    [Fact]
    public void With_buffer_reuse_full_windows_share_one_array_and_shorter_ones_get_their_own()
    {
        var s = new StreamSession(100, Settings());
        var audio = Enumerable.Range(0, 160).Select(i => (float)i).ToArray();
        s.Append(audio);
        Assert.True(s.TryTakeNext(out var w1, out var x1, out _, 0, reuseBuffer: true));
        Assert.Equal(new WindowSpan(0, 100), w1);
        Assert.Equal(audio[..100], x1);
        Assert.True(s.TryTakeNext(out var w2, out var x2, out _, 0, reuseBuffer: true));
        Assert.Same(x1, x2);
        Assert.Equal(audio[25..125], x2); // refilled with the next window's audio
        Assert.True(s.TryTakeNext(out _, out var x3, out _, 0, reuseBuffer: false));
        Assert.NotSame(x1, x3); // without reuse: a fresh array
        Assert.Equal(audio[50..150], x3);

        var shortStream = new StreamSession(100, Settings());
        shortStream.Append(audio[..40]);
        shortStream.End();
        Assert.True(shortStream.TryTakeNext(out var only, out var tail, out _, 0, reuseBuffer: true));
        Assert.Equal(new WindowSpan(0, 40, true), only); // a stream shorter than a window: its own array of its length
        Assert.Equal(audio[..40], tail);
    }

    [Fact]
    public void Windows_overwritten_while_waiting_are_dropped_and_counted_once()
    {
        var s = new StreamSession(100, Settings(buffer: 2)); // ring of 200 samples
        s.Append(new float[1000]); // 37 windows due, the ring holds only the last 200 samples
        Assert.True(s.TryTakeNext(out var w, out _));
        Assert.Equal(800, w.Start);
        Assert.Equal(32, s.DroppedHops); // windows starting before 800 lost their audio
        Assert.Equal(32, s.TakeUnreportedDrops());
        Assert.Equal(0, s.TakeUnreportedDrops());
        Assert.Equal(4, s.Waiting);
    }

    [Fact]
    public void Windows_waiting_longer_than_the_lag_limit_give_way_to_the_newest()
    {
        var s = new StreamSession(100, new StreamingSettings { WindowSeconds = 1, HopSeconds = 0.25, MaxBufferedSeconds = 10, MaxLagSeconds = 1, GateEachWindow = true });
        long t0 = 1_000_000, second = System.Diagnostics.Stopwatch.Frequency;
        s.Append(new float[125], now: t0); // windows ending at 100 and 125, due at t0
        s.Append(new float[25], now: t0 + second); // the window ending at 150, due a second later
        Assert.True(s.TryTakeNext(out var first, out _, out _, now: t0 + second / 2)); // nothing is late yet
        Assert.Equal(100, first.End);
        Assert.True(s.TryTakeNext(out var next, out _, out long dueAt, now: t0 + 2 * second)); // 125 waited 2 s: dropped
        Assert.Equal(150, next.End);
        Assert.Equal(t0 + second, dueAt);
        Assert.Equal(1, s.DroppedHops);
        s.Append(new float[25], now: t0 + 2 * second);
        Assert.True(s.TryTakeNext(out var last, out _, out _, now: t0 + 10 * second)); // late, but the newest: kept
        Assert.Equal(175, last.End);
        Assert.Equal(1, s.DroppedHops);
    }

    [Fact]
    public void Results_are_smoothed_and_timed_in_seconds()
    {
        var s = new StreamSession(100, new StreamingSettings { WindowSeconds = 1, HopSeconds = 0.5, MaxBufferedSeconds = 2, Smoothing = "ema:0.5", GateEachWindow = true });
        var r1 = s.Complete(new WindowSpan(0, 100), [1f, 0f]);
        var r2 = s.Complete(new WindowSpan(50, 100), [0f, 1f]);
        Assert.Equal((0.5, 1.5), (r2.StartSeconds, r2.EndSeconds));
        Assert.Equal(0, r1.Label);
        Assert.Equal(1, r2.Label);
        Assert.Equal(0.5f, r2.Smoothed.Probabilities[1], 1e-6f);
        Assert.Equal(2, s.Hops);
    }
}
