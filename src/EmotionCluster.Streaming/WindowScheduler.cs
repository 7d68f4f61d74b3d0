namespace EmotionCluster.Streaming;

/// <summary>Samples [Start, Start + Length) of a stream.</summary>
public readonly record struct WindowSpan(long Start, int Length, bool Final = false)
{
    public long End => Start + Length;
}

/// <summary>
/// Sliding windows over a stream: a window of <see cref="Window"/> samples every <see cref="Hop"/> samples, the first
/// once <see cref="Window"/> samples have arrived. At the end of the stream <see cref="Flush"/> adds one last window
/// ending at the last sample when audio arrived after the last window (the whole stream when it was shorter than a window).
/// </summary>
public sealed class WindowScheduler
{
    private long _nextEnd;
    private long _lastEnd;

    public WindowScheduler(int window, int hop)
    {
        if (window < 1) throw new ArgumentOutOfRangeException(nameof(window), window, "the window must be at least one sample");
        if (hop < 1 || hop > window) throw new ArgumentOutOfRangeException(nameof(hop), hop, $"the hop must be in 1..{window} (the window)");
        Window = window;
        Hop = hop;
        _nextEnd = window;
    }

    public int Window { get; }
    public int Hop { get; }

    /// <summary>The windows that became complete now that <paramref name="total"/> samples have arrived, oldest first.</summary>
    public List<WindowSpan> Advance(long total)
    {
        var due = new List<WindowSpan>();
        while (_nextEnd <= total)
        {
            due.Add(new WindowSpan(_nextEnd - Window, Window));
            _lastEnd = _nextEnd;
            _nextEnd += Hop;
        }
        return due;
    }

    /// <summary>The last window of a stream of <paramref name="total"/> samples, or null when the last window already ended there.</summary>
    public WindowSpan? Flush(long total)
    {
        if (total <= _lastEnd) return null;
        _lastEnd = total;
        _nextEnd = long.MaxValue;
        int length = (int)Math.Min(Window, total);
        return new WindowSpan(total - length, length, Final: true);
    }
}
