using System.Net.WebSockets;
using System.Text;
using Akka.Actor;
using EmotionCluster.Audio;

namespace EmotionCluster.Streaming.Tests;

public sealed class WindowSchedulerTests
{
    [Fact]
    public void First_window_when_full_then_every_hop()
    {
        var s = new WindowScheduler(window: 100, hop: 25);
        Assert.Empty(s.Advance(99));
        Assert.Equal([new WindowSpan(0, 100)], s.Advance(100));
        Assert.Equal([new WindowSpan(25, 100), new WindowSpan(50, 100)], s.Advance(170));
        Assert.Empty(s.Advance(174));
    }

    [Fact]
    public void Flush_covers_a_short_stream_whole()
    {
        var s = new WindowScheduler(100, 25);
        Assert.Empty(s.Advance(60));
        Assert.Equal(new WindowSpan(0, 60, Final: true), s.Flush(60));
        Assert.Null(s.Flush(60));
    }

    [Fact]
    public void Flush_adds_a_window_ending_at_the_last_sample_only_when_audio_followed_the_last_window()
    {
        var exact = new WindowScheduler(100, 25);
        Assert.Equal(2, exact.Advance(125).Count);
        Assert.Null(exact.Flush(125)); // the last window already ends at the last sample

        var s = new WindowScheduler(100, 25);
        s.Advance(125);
        Assert.Equal(new WindowSpan(30, 100, Final: true), s.Flush(130));
        Assert.Empty(s.Advance(1000));
    }

    [Fact]
    public void Bad_window_or_hop_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new WindowScheduler(0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WindowScheduler(10, 11));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WindowScheduler(10, 0));
    }
}
