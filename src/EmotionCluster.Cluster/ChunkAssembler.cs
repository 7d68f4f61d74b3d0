namespace EmotionCluster.Cluster;

/// <summary>Splits payloads into <see cref="DataChunk"/>s and reassembles them.</summary>
public sealed class ChunkAssembler
{
    /// <summary>Default chunk size: well under Akka.Remote's default 128 kB frame.</summary>
    public const int DefaultChunkBytes = 64 * 1024;
    public const long MaxTransferBytes = 256L * 1024 * 1024;

    private readonly Dictionary<string, Transfer> _open = new();

    public static IEnumerable<DataChunk> Split(string transferId, byte[] payload, int chunkBytes = DefaultChunkBytes)
    {
        if (chunkBytes < 1) throw new ArgumentOutOfRangeException(nameof(chunkBytes));
        int count = Math.Max(1, (payload.Length + chunkBytes - 1) / chunkBytes);
        for (int i = 0; i < count; i++)
        {
            int start = i * chunkBytes;
            int len = Math.Min(chunkBytes, payload.Length - start);
            yield return new DataChunk(transferId, i, count, payload.Length, payload.AsSpan(start, len).ToArray());
        }
    }

    /// <summary>Adds a chunk; returns the whole payload when the last one arrived, else null.</summary>
    /// <exception cref="InvalidDataException">chunks out of order, inconsistent sizes or counts.</exception>
    public byte[]? Add(DataChunk chunk)
    {
        if (chunk.Count < 1 || chunk.Index < 0 || chunk.Index >= chunk.Count || chunk.TotalBytes < 0 || chunk.TotalBytes > MaxTransferBytes)
            throw Fail(chunk, $"malformed chunk {chunk.Index}/{chunk.Count} of {chunk.TotalBytes} bytes");
        if (!_open.TryGetValue(chunk.TransferId, out Transfer? t))
        {
            if (chunk.Index != 0) throw Fail(chunk, $"chunk {chunk.Index} arrived before chunk 0");
            t = new Transfer(chunk.Count, new byte[chunk.TotalBytes]);
            _open[chunk.TransferId] = t;
        }
        if (chunk.Index != t.Next || chunk.Count != t.Count || chunk.TotalBytes != t.Buffer.Length
            || t.Written + chunk.Bytes.Length > t.Buffer.Length)
        {
            _open.Remove(chunk.TransferId);
            throw Fail(chunk, $"chunk {chunk.Index}/{chunk.Count} does not continue the transfer (expected {t.Next}/{t.Count})");
        }
        chunk.Bytes.CopyTo(t.Buffer, t.Written);
        t.Written += chunk.Bytes.Length;
        t.Next++;
        if (t.Next < t.Count) return null;
        _open.Remove(chunk.TransferId);
        if (t.Written != t.Buffer.Length) throw Fail(chunk, $"transfer ended with {t.Written} of {t.Buffer.Length} bytes");
        return t.Buffer;
    }

    public void Abandon(string transferId) => _open.Remove(transferId);

    public int OpenTransfers => _open.Count;

    private static InvalidDataException Fail(DataChunk c, string what) => new($"transfer '{c.TransferId}': {what}");

    private sealed class Transfer(int count, byte[] buffer)
    {
        public int Count { get; } = count;
        public byte[] Buffer { get; } = buffer;
        public int Next { get; set; }
        public int Written { get; set; }
    }
}
