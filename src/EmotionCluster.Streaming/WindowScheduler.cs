namespace EmotionCluster.Streaming;

/// <summary>
/// Samples [Start, Start + Length) of a stream. <see cref="Ahead"/>: not a window to predict but the stream's audio so
/// far, given to its noise gate ahead of the first window (<see cref="WindowScheduler"/>).
/// </summary>
public readonly record struct WindowSpan(long Start, int Length, bool Final = false, bool Ahead = false)
{
    public long End => Start + Length;
}

/// <summary>
/// Sliding windows over a stream: a window of <see cref="Window"/> samples every <see cref="Hop"/> samples, the first
/// once <see cref="Window"/> samples have arrived. At the end of the stream <see cref="Flush"/> adds one last window
/// ending at the last sample when audio arrived after the last window (the whole stream when it was shorter than a window).
/// <para>With <c>gateAhead</c> (a stream gated once, <see cref="EmotionCluster.Audio.StreamGate"/>) the stream's audio
/// so far is also due at every hop before the first window (<see cref="WindowSpan.Ahead"/> spans [0, k·hop)): the gate
/// then gates a hop at a time from the start, and the first window costs what every later one does instead of gating
/// all of its frames at once — which, for many streams starting together, was a burst of several times the usual work.</para>
/// </summary>
public sealed class WindowScheduler
{
    private long _nextEnd;
    private long _lastEnd;
    private long _nextAhead;

    public WindowScheduler(int window, int hop, bool gateAhead = false)
    {
        if (window < 1) throw new ArgumentOutOfRangeException(nameof(window), window, "the window must be at least one sample");
        if (hop < 1 || hop > window) throw new ArgumentOutOfRangeException(nameof(hop), hop, $"the hop must be in 1..{window} (the window)");
        Window = window;
        Hop = hop;
        _nextEnd = window;
        _nextAhead = gateAhead ? hop : long.MaxValue;
    }

    public int Window { get; }
    public int Hop { get; }

    /// <summary>The windows that became complete now that <paramref name="total"/> samples have arrived, oldest first.</summary>
    public List<WindowSpan> Advance(long total)
    {
        var due = new List<WindowSpan>();
        for (; _nextAhead < Window && _nextAhead <= total; _nextAhead += Hop) due.Add(new WindowSpan(0, (int)_nextAhead, Ahead: true));
        if (_nextEnd <= total) _nextAhead = long.MaxValue; // the first window has come: nothing more ahead
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
        _nextAhead = long.MaxValue;
        int length = (int)Math.Min(Window, total);
        return new WindowSpan(total - length, length, Final: true);
    }
}
