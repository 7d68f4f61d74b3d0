namespace EmotionCluster.Wire;

/// <summary>
/// One piece of a payload larger than a remote frame (audio bytes, feature tensors). Pieces of one transfer go
/// from one actor to another, so they arrive in order; <see cref="ChunkAssembler"/> puts them together.
/// </summary>
public sealed record DataChunk(string TransferId, int Index, int Count, long TotalBytes, byte[] Bytes) : IEmotionClusterMessage;
