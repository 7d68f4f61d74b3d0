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
