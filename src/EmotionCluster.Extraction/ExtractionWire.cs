using Akka.Actor;
using EmotionCluster.Wire;

namespace EmotionCluster.Extraction;

/// <summary>
/// The wire format of the extraction messages (<see cref="IEmotionClusterMessage"/>): length-prefixed UTF-8 strings,
/// raw little-endian numbers, byte arrays copied as they are (feature tensors travel as raw float bytes).
/// </summary>
public static class ExtractionWire
{
    public static readonly WireProtocol Protocol = WireProtocol.Define("cluster", EmotionClusterSerializer.SerializerId, typeof(IEmotionClusterMessage))
        .Serializer(system => new EmotionClusterSerializer(system))
        .Message<ExtractClip>("ExtractClip", 1, (w, m) => { w.Write(m.ClipId); w.Write(m.SourcePath); w.Write(m.SettingsJson); w.Write(m.ReturnFeatures); }, ReadExtractClip)
        .Message<AudioRequest>("AudioRequest", 1, (w, m) => w.Write(m.ClipId), ReadAudioRequest)
        .Message<DataChunk>("DataChunk", 1, (w, m) => { w.Write(m.TransferId); w.Write(m.Index); w.Write(m.Count); w.Write(m.TotalBytes); w.WriteBytes(m.Bytes); }, ReadDataChunk)
        .Message<ClipExtracted>("ClipExtracted", 1,
            (w, m) => { w.Write(m.ClipId); w.Write(m.ContentHash); w.Write(m.SettingsHash); w.Write(m.Node); w.Write(m.Cached); w.Write(m.Bins); w.Write(m.Frames); },
            ReadClipExtracted)
        .Message<ClipFailed>("ClipFailed", 1, (w, m) => { w.Write(m.ClipId); w.Write(m.Node); w.Write(m.Reason); }, ReadClipFailed)
        // the manifests before versioning (same layouts)
        .Reads("XC", ReadExtractClip).Reads("AR", ReadAudioRequest).Reads("DC", ReadDataChunk).Reads("CE", ReadClipExtracted).Reads("CF", ReadClipFailed)
        .Build();

    private static ExtractClip ReadExtractClip(BinaryReader r) => new(r.ReadString(), r.ReadString(), r.ReadString(), r.ReadBoolean());

    private static AudioRequest ReadAudioRequest(BinaryReader r) => new(r.ReadString());

    private static DataChunk ReadDataChunk(BinaryReader r) => new(r.ReadString(), r.ReadInt32(), r.ReadInt32(), r.ReadInt64(), r.ReadBytes());

    private static ClipExtracted ReadClipExtracted(BinaryReader r) =>
        new(r.ReadString(), r.ReadString(), r.ReadString(), r.ReadString(), r.ReadBoolean(), r.ReadInt32(), r.ReadInt32());

    private static ClipFailed ReadClipFailed(BinaryReader r) => new(r.ReadString(), r.ReadString(), r.ReadString());
}

/// <summary>The Akka serializer of <see cref="ExtractionWire.Protocol"/> (id <see cref="SerializerId"/>).</summary>
public sealed class EmotionClusterSerializer(ExtendedActorSystem system) : WireSerializer(system, ExtractionWire.Protocol)
{
    public const int SerializerId = 7341;
}
