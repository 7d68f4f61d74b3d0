using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EmotionCluster.Wire;

/// <summary>One piece of a payload: index <see cref="Index"/> of <see cref="Count"/>, its raw bytes.</summary>
public readonly record struct Chunk(int Index, int Count, byte[] Bytes);

/// <summary>
/// Splitting of payloads larger than a remote frame (audio, feature tensors, trainer state, gradients, model files)
/// into <see cref="Chunk"/>s; <see cref="ChunkTransport{TKey,T}"/> puts them back together. The messages that carry
/// chunks (<see cref="DataChunk"/>, the trainer's gradient frames, published models) add only their own addressing.
/// </summary>
public static class ChunkTransport
{
    /// <summary>Default chunk size: well under Akka.Remote's default 128 kB frame.</summary>
    public const int DefaultChunkBytes = 64 * 1024;

    /// <summary>
    /// The pieces of <paramref name="values"/> (as raw little-endian bytes), each at most <paramref name="chunkBytes"/>
    /// bytes and a whole number of values; at least one (empty for an empty payload).
    /// </summary>
    public static IEnumerable<Chunk> Split<T>(T[] values, int chunkBytes = DefaultChunkBytes) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(values);
        int size = Unsafe.SizeOf<T>();
        if (chunkBytes < size) throw new ArgumentOutOfRangeException(nameof(chunkBytes), chunkBytes, $"a chunk must hold at least one value ({size} bytes)");
        int perChunk = chunkBytes / size;
        int count = Math.Max(1, (values.Length + perChunk - 1) / perChunk);
        for (int i = 0; i < count; i++)
        {
            int start = i * perChunk;
            yield return new Chunk(i, count, Bytes(values, start, Math.Min(perChunk, values.Length - start)));
        }
    }

    private static byte[] Bytes<T>(T[] values, int start, int length) where T : unmanaged =>
        MemoryMarshal.AsBytes(values.AsSpan(start, length)).ToArray();
}

/// <summary>
/// Reassembles chunked payloads, several at once, each under its own key (a transfer id; a step and rank). The chunks of
/// one transfer come from one sender, so they arrive in order. Rules:
/// <list type="bullet">
/// <item>chunk 0 opens the transfer (and replaces an unfinished one under the same key: the sender started over);</item>
/// <item>a chunk already taken (a duplicate) is ignored;</item>
/// <item>a chunk that skips ahead (one is missing), disagrees with the first on the count or the total, or makes the
/// payload larger than declared or than the limit ends the transfer with an <see cref="InvalidDataException"/> naming it.</item>
/// </list>
/// Not thread-safe: one actor owns an instance.
/// </summary>
/// <typeparam name="TKey">what tells transfers apart.</typeparam>
/// <typeparam name="T">the payload's element type (bytes, floats): the payload must be a whole number of them.</typeparam>
public sealed class ChunkTransport<TKey, T> where TKey : notnull where T : unmanaged
{
    private static readonly int Size = Unsafe.SizeOf<T>();
    private readonly Dictionary<TKey, Transfer> _open = new();
    private readonly long _maxBytes;
    private readonly Func<TKey, string> _describe;

    /// <param name="maxBytes">the largest payload accepted.</param>
    /// <param name="describe">names a transfer in error messages (<c>transfer 'clip-7'</c>).</param>
    public ChunkTransport(long maxBytes, Func<TKey, string> describe)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        _maxBytes = maxBytes;
        _describe = describe;
    }

    public int OpenTransfers => _open.Count;

    /// <summary>Adds a chunk; returns the whole payload when the last one arrived, else null.</summary>
    /// <param name="totalBytes">the payload's size as the sender declares it with every chunk; null: not declared.</param>
    /// <exception cref="InvalidDataException">a malformed chunk, one missing, or a payload too large (the message names the transfer).</exception>
    public T[]? Add(TKey key, int index, int count, long? totalBytes, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (count < 1 || index < 0 || index >= count || totalBytes < 0)
            throw Fail(key, $"malformed chunk {index}/{count} of {totalBytes} bytes");
        if (totalBytes is { } declared && (declared > _maxBytes || declared % Size != 0))
            throw Fail(key, $"a payload of {declared} bytes is not a whole number of {Size}-byte values of at most {_maxBytes} bytes");
        if (index == 0)
        {
            _open[key] = new Transfer(count, totalBytes);
        }
        else if (!_open.ContainsKey(key))
        {
            throw Fail(key, $"chunk {index} arrived before chunk 0");
        }
        var t = _open[key];
        if (index < t.Next && count == t.Count && totalBytes == t.Total) return null; // a duplicate of a chunk already taken
        if (index != t.Next || count != t.Count || totalBytes != t.Total)
        {
            _open.Remove(key);
            throw Fail(key, $"chunk {index}/{count} does not continue the transfer (expected {t.Next}/{t.Count}{(index > t.Next ? $": chunk {t.Next} is missing" : "")})");
        }
        long limit = t.Total ?? _maxBytes;
        if (t.Received + bytes.Length > limit)
        {
            _open.Remove(key);
            throw Fail(key, $"chunk {index}/{count} makes the payload {t.Received + bytes.Length} bytes, more than the {limit} bytes {(t.Total is null ? "allowed" : "declared")}");
        }
        t.Pieces.Add(bytes);
        t.Received += bytes.Length;
        t.Next++;
        if (t.Next < t.Count) return null;
        _open.Remove(key);
        if (t.Total is { } total && t.Received != total) throw Fail(key, $"transfer ended with {t.Received} of {total} bytes");
        if (t.Received % Size != 0) throw Fail(key, $"transfer ended with {t.Received} bytes, not a whole number of {Size}-byte values");
        var result = new T[t.Received / Size];
        var target = MemoryMarshal.AsBytes(result.AsSpan());
        int at = 0;
        foreach (byte[] piece in t.Pieces)
        {
            piece.CopyTo(target[at..]);
            at += piece.Length;
        }
        return result;
    }

    /// <summary>Forgets the unfinished transfer under <paramref name="key"/> (its sender went away).</summary>
    public void Abandon(TKey key) => _open.Remove(key);

    /// <summary>Forgets the unfinished transfers whose keys match; returns how many.</summary>
    public int AbandonWhere(Func<TKey, bool> match)
    {
        var stale = _open.Keys.Where(match).ToList();
        foreach (var key in stale) _open.Remove(key);
        return stale.Count;
    }

    private InvalidDataException Fail(TKey key, string what) => new($"{_describe(key)}: {what}");

    private sealed class Transfer(int count, long? total)
    {
        public int Count { get; } = count;
        public long? Total { get; } = total;
        public List<byte[]> Pieces { get; } = [];
        public int Next { get; set; }
        public long Received { get; set; }
    }
}
