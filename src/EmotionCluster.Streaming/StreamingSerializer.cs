using Akka.Actor;
using EmotionCluster.Audio;
using EmotionCluster.Wire;

namespace EmotionCluster.Streaming;

/// <summary>
/// The wire format of <see cref="IStreamingMessage"/>s (float arrays as raw little-endian bytes, actor refs as paths).
/// Fields added to a message later go at its end, and the reader takes a message without them (from a node of the
/// earlier version) with their defaults: <see cref="StreamPrediction"/>'s uncertain flag and input level (issue 15).
/// </summary>
public static class StreamingWire
{
    public static readonly WireProtocol Protocol = WireProtocol.Define("streaming", StreamingSerializer.SerializerId, typeof(IStreamingMessage))
        .Serializer(system => new StreamingSerializer(system))
        .Message<StartStream>("StartStream", 1,
            (w, m) => { w.Write(m.StreamId); w.Write(m.SampleRate); w.Write(Akka.Serialization.Serialization.SerializedActorPath(m.ReplyTo)); }, ReadStartStream)
        .Message<AudioFrame>("AudioFrame", 1, (w, m) => { w.Write(m.StreamId); w.Write(m.Seq); w.WriteFloats(m.Samples); }, ReadAudioFrame)
        .Message<EndStream>("EndStream", 1, (w, m) => w.Write(m.StreamId), ReadEndStream)
        .Message<StopStream>("StopStream", 1, (w, m) => w.Write(m.StreamId), ReadStopStream)
        .Message<StreamStarted>("StreamStarted", 2,
            (w, m) => { w.Write(m.StreamId); w.Write(m.ModelId); w.WriteStrings(m.Labels); w.Write(m.ModelSampleRate); w.Write(m.WindowSeconds); },
            r => new StreamStarted(r.ReadString(), r.ReadString(), r.ReadStrings(), r.ReadInt32(), r.ReadDouble()))
        .Reads("StreamStarted.1", ReadStreamStarted)
        .Message<FrameAck>("FrameAck", 1, (w, m) => { w.Write(m.StreamId); w.Write(m.Seq); }, ReadFrameAck)
        .Message<StreamPrediction>("StreamPrediction", 1, WritePrediction, r => ReadPredictionExtensions(ReadPrediction(r), r))
        .Message<StreamOverload>("StreamOverload", 1, (w, m) => { w.Write(m.StreamId); w.Write(m.DroppedHops); }, ReadOverload)
        .Message<StreamFailed>("StreamFailed", 1, (w, m) => { w.Write(m.StreamId); w.Write((int)m.Kind); w.Write(m.Message); }, ReadFailed)
        .Message<StreamEnded>("StreamEnded", 1, (w, m) => { w.Write(m.StreamId); w.Write(m.Predictions); w.Write(m.DroppedHops); }, ReadEnded)
        .Message<ModelPublished>("ModelPublished", 1,
            (w, m) => { w.Write(m.ModelId); w.WriteOptional(m.Path); w.Write(m.ChunkIndex); w.Write(m.ChunkCount); w.WriteBytes(m.Bytes); },
            ReadModelPublished)
        // the manifests before versioning (same layouts)
        .Reads("SS", ReadStartStream).Reads("AF", ReadAudioFrame).Reads("ES", ReadEndStream).Reads("SX", ReadStopStream).Reads("ST", ReadStreamStarted)
        .Reads("FA", ReadFrameAck).Reads("SO", ReadOverload).Reads("SF", ReadFailed).Reads("SE", ReadEnded).Reads("MP", ReadModelPublished)
        .Reads("SP", r => // the uncertain flag and the level may be missing: from a node before them
        {
            var p = ReadPrediction(r);
            return r.BaseStream.Position == r.BaseStream.Length ? p : ReadPredictionExtensions(p, r);
        })
        .Build();

    private static StartStream ReadStartStream(BinaryReader r, ExtendedActorSystem? system) =>
        new(r.ReadString(), r.ReadInt32(),
            (system ?? throw new InvalidOperationException("reading an actor ref needs the actor system")).Provider.ResolveActorRef(r.ReadString()));

    private static AudioFrame ReadAudioFrame(BinaryReader r) => new(r.ReadString(), r.ReadInt64(), r.ReadFloats());

    private static EndStream ReadEndStream(BinaryReader r) => new(r.ReadString());

    private static StopStream ReadStopStream(BinaryReader r) => new(r.ReadString());

    /// <summary>Version 1 (and "ST"): before a stream's window was its model's input length, every window was 2 s.</summary>
    private static StreamStarted ReadStreamStarted(BinaryReader r) => new(r.ReadString(), r.ReadString(), r.ReadStrings(), r.ReadInt32(), 2.0);

    private static FrameAck ReadFrameAck(BinaryReader r) => new(r.ReadString(), r.ReadInt64());

    private static StreamOverload ReadOverload(BinaryReader r) => new(r.ReadString(), r.ReadInt64());

    private static StreamFailed ReadFailed(BinaryReader r) => new(r.ReadString(), (StreamErrorKind)r.ReadInt32(), r.ReadString());

    private static StreamEnded ReadEnded(BinaryReader r) => new(r.ReadString(), r.ReadInt32(), r.ReadInt64());

    private static ModelPublished ReadModelPublished(BinaryReader r) => new(r.ReadString(), r.ReadOptionalString(), r.ReadInt32(), r.ReadInt32(), r.ReadBytes());

    private static void WritePrediction(BinaryWriter w, StreamPrediction m)
    {
        w.Write(m.StreamId); w.Write(m.ModelId); w.Write(m.StartSeconds); w.Write(m.EndSeconds); w.WriteStrings(m.Labels);
        w.WriteFloats(m.Probabilities); w.Write(m.Label); w.Write(m.Smoothed); w.WriteFloats(m.SmoothedProbabilities);
        w.Write(m.LatencyMs); w.Write(m.Final);
        w.Write(m.Uncertain);
        w.WriteOptional(m.Level, static (w, level) =>
        {
            w.Write(level.RmsDbfs); w.Write(level.ActiveDbfs); w.Write(level.PeakDbfs); w.Write(level.ClippedFraction); w.Write(level.Samples);
        });
    }

    /// <summary>The prediction up to <see cref="StreamPrediction.Final"/> (the layout before issue 15).</summary>
    private static StreamPrediction ReadPrediction(BinaryReader r) =>
        new(r.ReadString(), r.ReadString(), r.ReadDouble(), r.ReadDouble(), r.ReadStrings(), r.ReadFloats(),
            r.ReadInt32(), r.ReadInt32(), r.ReadFloats(), r.ReadDouble(), r.ReadBoolean());

    /// <summary>The uncertain flag and the input level.</summary>
    private static StreamPrediction ReadPredictionExtensions(StreamPrediction p, BinaryReader r)
    {
        bool uncertain = r.ReadBoolean();
        var level = r.ReadOptional(static r => new InputLevel(r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadInt32()));
        return p with { Uncertain = uncertain, Level = level };
    }
}

/// <summary>The Akka serializer of <see cref="StreamingWire.Protocol"/> (id <see cref="SerializerId"/>).</summary>
public sealed class StreamingSerializer(ExtendedActorSystem system) : WireSerializer(system, StreamingWire.Protocol)
{
    public const int SerializerId = 7346;
}
