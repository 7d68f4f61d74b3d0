using EmotionCluster.Wire;

namespace EmotionCluster.Extraction;

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

/// <summary>The clip's features are in the store (and, if asked for, were sent just before this).</summary>
public sealed record ClipExtracted(string ClipId, string ContentHash, string SettingsHash, string Node, bool Cached, int Bins, int Frames)
    : IWithClipId, IEmotionClusterMessage;

/// <summary>The clip could not be extracted; <see cref="Reason"/> names the file and what is wrong.</summary>
public sealed record ClipFailed(string ClipId, string Node, string Reason) : IWithClipId, IEmotionClusterMessage;
