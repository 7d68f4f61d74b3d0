namespace EmotionCluster.Cluster;

/// <summary>Every extraction message that crosses the wire; each is in <see cref="ClusterWire.Protocol"/> (serializer <see cref="EmotionClusterSerializer"/>).</summary>
public interface IEmotionClusterMessage;

/// <summary>A message addressed to the sharded entity that owns one clip.</summary>
public interface IWithClipId
{
    string ClipId { get; }
}

/// <summary>
/// Extract one clip. The extractor reads <see cref="SourcePath"/> when it is given and exists on its node,
/// otherwise it asks the sender for the bytes (<see cref="AudioRequest"/>). <see cref="SettingsJson"/> is the feature
/// pipeline's settings, so every node computes the same thing. With <see cref="ReturnFeatures"/> the
/// features travel back in <see cref="DataChunk"/>s before the <see cref="ClipExtracted"/> reply.
/// </summary>
public sealed record ExtractClip(string ClipId, string SourcePath, string SettingsJson, bool ReturnFeatures)
    : IWithClipId, IEmotionClusterMessage;

/// <summary>An extractor asks the coordinator for a clip's audio bytes (it does not have the file).</summary>
public sealed record AudioRequest(string ClipId) : IWithClipId, IEmotionClusterMessage;

/// <summary>
/// One piece of a payload larger than a remote frame (audio bytes, feature tensors). Pieces of one transfer go
/// from one actor to another, so they arrive in order; <see cref="ChunkAssembler"/> puts them together.
/// </summary>
public sealed record DataChunk(string TransferId, int Index, int Count, long TotalBytes, byte[] Bytes) : IEmotionClusterMessage;

/// <summary>The clip's features are in the store (and, if asked for, were sent just before this).</summary>
public sealed record ClipExtracted(string ClipId, string ContentHash, string SettingsHash, string Node, bool Cached, int Bins, int Frames)
    : IWithClipId, IEmotionClusterMessage;

/// <summary>The clip could not be extracted; <see cref="Reason"/> names the file and what is wrong.</summary>
public sealed record ClipFailed(string ClipId, string Node, string Reason) : IWithClipId, IEmotionClusterMessage;

/// <summary>
/// A node wrote a model artifact that predictors should use (the trainer's new best model). Published on the local
/// actor system's event stream only (never sent over the wire): the streaming part of the node picks it up and sends
/// the file's bytes to every predictor node.
/// </summary>
public sealed record ModelFileSaved(string Path, string RunId, int Epoch, double ValidationUar);
