using Akka.Actor;
using EmotionCluster.Audio;

namespace EmotionCluster.Streaming;

/// <summary>Every streaming message that may cross the wire; bound to <see cref="StreamingSerializer"/>.</summary>
public interface IStreamingMessage;

/// <summary>A message for the predictor entity of one stream.</summary>
public interface IWithStreamId
{
    string StreamId { get; }
}

/// <summary>Starts a stream of mono audio at <see cref="SampleRate"/>; results go to <see cref="ReplyTo"/>.</summary>
public sealed record StartStream(string StreamId, int SampleRate, IActorRef ReplyTo) : IWithStreamId, IStreamingMessage;

/// <summary>Mono samples of a started stream (at most <see cref="MaxSamples"/>, so a frame stays under the remote frame limit).</summary>
public sealed record AudioFrame(string StreamId, long Seq, float[] Samples) : IWithStreamId, IStreamingMessage
{
    public const int MaxSamples = 16 * 1024;
}

/// <summary>No more audio: predict the rest, answer <see cref="StreamEnded"/>.</summary>
public sealed record EndStream(string StreamId) : IWithStreamId, IStreamingMessage;

/// <summary>The client went away: stop at once.</summary>
public sealed record StopStream(string StreamId) : IWithStreamId, IStreamingMessage;

/// <summary>The stream is open on model <see cref="ModelId"/>; <see cref="WindowSeconds"/>: its audio per prediction (the node's, or the model's input length).</summary>
public sealed record StreamStarted(string StreamId, string ModelId, string[] Labels, int ModelSampleRate, double WindowSeconds) : IWithStreamId, IStreamingMessage;

/// <summary>The predictor took frame <see cref="Seq"/> (the socket side counts frames in flight with these).</summary>
public sealed record FrameAck(string StreamId, long Seq) : IWithStreamId, IStreamingMessage;

/// <summary>
/// One hop: window [StartSeconds, EndSeconds) of the stream, its probabilities and the smoothed emotion; whether the
/// smoothed emotion is too unsure to show (<see cref="Uncertain"/>) and the window's input level (null from a node
/// that does not measure it).
/// </summary>
public sealed record StreamPrediction(string StreamId, string ModelId, double StartSeconds, double EndSeconds, string[] Labels,
    float[] Probabilities, int Label, int Smoothed, float[] SmoothedProbabilities, double LatencyMs, bool Final,
    bool Uncertain = false, InputLevel? Level = null) : IWithStreamId, IStreamingMessage
{
    /// <summary>The smoothed probability of the smoothed emotion.</summary>
    public float Confidence => SmoothedProbabilities[Smoothed];
}

/// <summary>Windows dropped because inference fell behind the client (total so far).</summary>
public sealed record StreamOverload(string StreamId, long DroppedHops) : IWithStreamId, IStreamingMessage;

public sealed record StreamFailed(string StreamId, StreamErrorKind Kind, string Message) : IWithStreamId, IStreamingMessage;

public sealed record StreamEnded(string StreamId, int Predictions, long DroppedHops) : IWithStreamId, IStreamingMessage;

/// <summary>
/// A new model for every predictor node, published on the DistributedPubSub topic <see cref="ModelPublishing.Topic"/>:
/// either a <see cref="Path"/> every node can read (shared storage), or the file's bytes in chunks of at most
/// <see cref="ModelPublishing.ChunkBytes"/> (index <see cref="ChunkIndex"/> of <see cref="ChunkCount"/>), all with one <see cref="ModelId"/>.
/// </summary>
public sealed record ModelPublished(string ModelId, string? Path, int ChunkIndex, int ChunkCount, byte[] Bytes) : IStreamingMessage;
