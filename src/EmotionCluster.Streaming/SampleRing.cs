namespace EmotionCluster.Streaming;

/// <summary>
/// The last <see cref="Capacity"/> samples of a stream. Positions are absolute (sample index since the stream began);
/// appending past the capacity overwrites the oldest samples, so memory stays fixed whatever the client sends.
/// </summary>
public sealed class SampleRing
{
    private readonly float[] _buffer;

    public SampleRing(int capacity)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "a ring buffer needs room for at least one sample");
        // on the pinned-object heap: a stream's ring (640 kB for 10 s at 16 kHz) lives as long as the stream, and a
        // hundred of them arriving together would otherwise be copied from generation to generation by the collector
        _buffer = GC.AllocateArray<float>(capacity, pinned: true);
    }

    public int Capacity => _buffer.Length;
    /// <summary>Samples appended since the start.</summary>
    public long Total { get; private set; }
    /// <summary>Position of the oldest sample still held.</summary>
    public long Oldest => Math.Max(0, Total - _buffer.Length);

    public void Append(ReadOnlySpan<float> samples)
    {
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
        if (!Holds(start, destination.Length))
            throw new ArgumentOutOfRangeException(nameof(start), start,
                $"samples {start}..{start + destination.Length} are not in the ring (it holds {Oldest}..{Total})");
        int at = (int)(start % _buffer.Length);
        int first = Math.Min(destination.Length, _buffer.Length - at);
        _buffer.AsSpan(at, first).CopyTo(destination);
        _buffer.AsSpan(0, destination.Length - first).CopyTo(destination[first..]);
    }
}
