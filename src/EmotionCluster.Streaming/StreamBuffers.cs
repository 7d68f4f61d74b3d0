namespace EmotionCluster.Streaming;

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
