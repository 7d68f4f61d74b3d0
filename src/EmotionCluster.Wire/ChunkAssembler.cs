namespace EmotionCluster.Wire;

/// <summary>Splits payloads into <see cref="DataChunk"/>s and reassembles them (over <see cref="ChunkTransport{TKey,T}"/>).</summary>
public sealed class ChunkAssembler
{
    /// <summary>Default chunk size: well under Akka.Remote's default 128 kB frame.</summary>
    public const int DefaultChunkBytes = ChunkTransport.DefaultChunkBytes;
    public const long MaxTransferBytes = 256L * 1024 * 1024;

    private readonly ChunkTransport<string, byte> _transport = new(MaxTransferBytes, id => $"transfer '{id}'");

    public static IEnumerable<DataChunk> Split(string transferId, byte[] payload, int chunkBytes = DefaultChunkBytes) =>
        ChunkTransport.Split(payload, chunkBytes).Select(c => new DataChunk(transferId, c.Index, c.Count, payload.Length, c.Bytes));

    /// <summary>Adds a chunk; returns the whole payload when the last one arrived, else null.</summary>
    /// <exception cref="InvalidDataException">a chunk missing, inconsistent sizes or counts.</exception>
    public byte[]? Add(DataChunk chunk) => _transport.Add(chunk.TransferId, chunk.Index, chunk.Count, chunk.TotalBytes, chunk.Bytes);

    public void Abandon(string transferId) => _transport.Abandon(transferId);

    public int OpenTransfers => _transport.OpenTransfers;
}
