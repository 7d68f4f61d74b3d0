namespace EmotionCluster.Streaming;

/// <summary>
/// The last <see cref="Capacity"/> samples of a stream. Positions are absolute (sample index since the stream began);
/// appending past the capacity overwrites the oldest samples, so memory stays fixed whatever the client sends.
/// </summary>
public sealed class SampleRing : IDisposable
{
    private float[] _buffer;

    public SampleRing(int capacity)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "a ring buffer needs room for at least one sample");
        _buffer = StreamBuffers.Rent(capacity);
    }

    /// <summary>Gives the buffer back to <see cref="StreamBuffers"/> for the next stream; the ring must not be used after.</summary>
    public void Dispose()
    {
        float[] buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0) StreamBuffers.Return(buffer);
    }

    public int Capacity => _buffer.Length;
    /// <summary>Samples appended since the start.</summary>
    public long Total { get; private set; }
    /// <summary>Position of the oldest sample still held.</summary>
    public long Oldest => Math.Max(0, Total - _buffer.Length);

    public void Append(ReadOnlySpan<float> samples)
    {
        ObjectDisposedException.ThrowIf(_buffer.Length == 0, this);
        if (samples.Length >= _buffer.Length)
        {
            Total += samples.Length - _buffer.Length;
            samples = samples[^_buffer.Length..];
        }
        int at = (int)(Total % _buffer.Length);
        int first = Math.Min(samples.Length, _buffer.Length - at);
        samples[..first].CopyTo(_buffer.AsSpan(at));
        samples[first..].CopyTo(_buffer);
        Total += samples.Length;
    }

    /// <summary>True when every sample of [start, start + length) is still held.</summary>
    public bool Holds(long start, int length) => start >= Oldest && length >= 0 && start + length <= Total;

    /// <summary>Copies samples [start, start + destination.Length).</summary>
    /// <exception cref="ArgumentOutOfRangeException">the range was overwritten already or is not there yet.</exception>
    public void CopyTo(long start, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(_buffer.Length == 0, this);
        if (!Holds(start, destination.Length))
            throw new ArgumentOutOfRangeException(nameof(start), start,
                $"samples {start}..{start + destination.Length} are not in the ring (it holds {Oldest}..{Total})");
        int at = (int)(start % _buffer.Length);
        int first = Math.Min(destination.Length, _buffer.Length - at);
        _buffer.AsSpan(at, first).CopyTo(destination);
        _buffer.AsSpan(0, destination.Length - first).CopyTo(destination[first..]);
    }
}

/// <summary>
/// Long-lived per-stream arrays (ring buffers, window buffers), reused from stream to stream: on the pinned-object heap,
/// so the collector never copies them, and kept when a stream ends (up to <see cref="MaxRetainedPerLength"/> of each
/// length), so a hundred streams starting together neither allocate and zero 64 MB nor leave it for a full collection
/// when they end. A reused array holds an earlier stream's audio: its owners read only what they wrote.
/// </summary>
public static class StreamBuffers
{
    /// <summary>Arrays of one length kept for reuse (the node's <c>MaxStreams</c> default is 256).</summary>
    public const int MaxRetainedPerLength = 256;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, System.Collections.Concurrent.ConcurrentBag<float[]>> Free = new();

    /// <summary>An array of exactly <paramref name="length"/> floats (contents unspecified).</summary>
    public static float[] Rent(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        return Free.TryGetValue(length, out var bag) && bag.TryTake(out float[]? reused) ? reused : GC.AllocateUninitializedArray<float>(length, pinned: true);
    }

    /// <summary>Keeps <paramref name="array"/> for the next <see cref="Rent"/> of its length (or lets it go when enough are kept).</summary>
    public static void Return(float[] array)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (array.Length == 0) return;
        var bag = Free.GetOrAdd(array.Length, _ => new());
        if (bag.Count < MaxRetainedPerLength) bag.Add(array);
    }

    /// <summary>Arrays of <paramref name="length"/> kept now (for tests and diagnostics).</summary>
    public static int Retained(int length) => Free.TryGetValue(length, out var bag) ? bag.Count : 0;
}
