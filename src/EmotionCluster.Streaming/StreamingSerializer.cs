using System.Runtime.InteropServices;
using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Serialization;
using EmotionCluster.Audio;

namespace EmotionCluster.Streaming;

/// <summary>
/// Binary serializer of <see cref="IStreamingMessage"/>s (float arrays as raw little-endian bytes, actor refs as paths).
/// Fields added to a message later go at its end, and the reader takes a message without them (from a node of the
/// earlier version) with their defaults: <see cref="StreamPrediction"/>'s uncertain flag and input level (issue 15).
/// </summary>
public sealed class StreamingSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int SerializerId = 7346;
    public const string Name = "emotioncluster-streaming";

    public override int Identifier => SerializerId;

    public override string Manifest(object o) => o switch
    {
        StartStream => "SS",
        AudioFrame => "AF",
        EndStream => "ES",
        StopStream => "SX",
        StreamStarted => "ST2",
        FrameAck => "FA",
        StreamPrediction => "SP",
        StreamOverload => "SO",
        StreamFailed => "SF",
        StreamEnded => "SE",
        ModelPublished => "MP",
        _ => throw new SerializationException($"{o.GetType().FullName} is not a streaming message"),
    };

    public override byte[] ToBinary(object obj)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            switch (obj)
            {
                case StartStream m: w.Write(m.StreamId); w.Write(m.SampleRate); w.Write(Akka.Serialization.Serialization.SerializedActorPath(m.ReplyTo)); break;
                case AudioFrame m: w.Write(m.StreamId); w.Write(m.Seq); Floats(w, m.Samples); break;
                case EndStream m: w.Write(m.StreamId); break;
                case StopStream m: w.Write(m.StreamId); break;
                case StreamStarted m: w.Write(m.StreamId); w.Write(m.ModelId); Strings(w, m.Labels); w.Write(m.ModelSampleRate); w.Write(m.WindowSeconds); break;
                case FrameAck m: w.Write(m.StreamId); w.Write(m.Seq); break;
                case StreamPrediction m:
                    w.Write(m.StreamId); w.Write(m.ModelId); w.Write(m.StartSeconds); w.Write(m.EndSeconds); Strings(w, m.Labels);
                    Floats(w, m.Probabilities); w.Write(m.Label); w.Write(m.Smoothed); Floats(w, m.SmoothedProbabilities);
                    w.Write(m.LatencyMs); w.Write(m.Final);
                    w.Write(m.Uncertain); w.Write(m.Level is not null);
                    if (m.Level is { } level)
                    {
                        w.Write(level.RmsDbfs); w.Write(level.ActiveDbfs); w.Write(level.PeakDbfs); w.Write(level.ClippedFraction); w.Write(level.Samples);
                    }
                    break;
                case StreamOverload m: w.Write(m.StreamId); w.Write(m.DroppedHops); break;
                case StreamFailed m: w.Write(m.StreamId); w.Write((int)m.Kind); w.Write(m.Message); break;
                case StreamEnded m: w.Write(m.StreamId); w.Write(m.Predictions); w.Write(m.DroppedHops); break;
                case ModelPublished m:
                    w.Write(m.ModelId); w.Write(m.Path is not null); if (m.Path is not null) w.Write(m.Path);
                    w.Write(m.ChunkIndex); w.Write(m.ChunkCount); w.Write(m.Bytes.Length); w.Write(m.Bytes);
                    break;
                default: throw new SerializationException($"{obj.GetType().FullName} is not a streaming message");
            }
        }
        return ms.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes, writable: false), Encoding.UTF8);
            object result = manifest switch
            {
                "SS" => new StartStream(r.ReadString(), r.ReadInt32(), system.Provider.ResolveActorRef(r.ReadString())),
                "AF" => new AudioFrame(r.ReadString(), r.ReadInt64(), Floats(r)),
                "ES" => new EndStream(r.ReadString()),
                "SX" => new StopStream(r.ReadString()),
                "ST2" => new StreamStarted(r.ReadString(), r.ReadString(), Strings(r), r.ReadInt32(), r.ReadDouble()),
                "ST" => new StreamStarted(r.ReadString(), r.ReadString(), Strings(r), r.ReadInt32(), 2.0), // before the window was the model's: always 2 s
                "FA" => new FrameAck(r.ReadString(), r.ReadInt64()),
                "SP" => Prediction(r),
                "SO" => new StreamOverload(r.ReadString(), r.ReadInt64()),
                "SF" => new StreamFailed(r.ReadString(), (StreamErrorKind)r.ReadInt32(), r.ReadString()),
                "SE" => new StreamEnded(r.ReadString(), r.ReadInt32(), r.ReadInt64()),
                "MP" => new ModelPublished(r.ReadString(), r.ReadBoolean() ? r.ReadString() : null, r.ReadInt32(), r.ReadInt32(), Bytes(r)),
                _ => throw new SerializationException($"unknown streaming manifest '{manifest}' ({bytes.Length} bytes); are all nodes on the same version?"),
            };
            if (r.BaseStream.Position != bytes.Length)
                throw new SerializationException($"streaming message '{manifest}' has {bytes.Length - r.BaseStream.Position} trailing bytes");
            return result;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or FormatException or ArgumentException or OverflowException)
        {
            throw new SerializationException($"malformed streaming message '{manifest}' ({bytes.Length} bytes): {e.Message}", e);
        }
    }

    private static StreamPrediction Prediction(BinaryReader r)
    {
        var p = new StreamPrediction(r.ReadString(), r.ReadString(), r.ReadDouble(), r.ReadDouble(), Strings(r), Floats(r),
            r.ReadInt32(), r.ReadInt32(), Floats(r), r.ReadDouble(), r.ReadBoolean());
        if (r.BaseStream.Position == r.BaseStream.Length) return p; // from a node before the uncertain flag and the level
        bool uncertain = r.ReadBoolean();
        InputLevel? level = r.ReadBoolean()
            ? new InputLevel(r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadInt32())
            : null;
        return p with { Uncertain = uncertain, Level = level };
    }

    private static void Floats(BinaryWriter w, float[] values)
    {
        w.Write(values.Length);
        w.Write(MemoryMarshal.AsBytes(values.AsSpan()));
    }

    private static float[] Floats(BinaryReader r)
    {
        int n = r.ReadInt32();
        long left = r.BaseStream.Length - r.BaseStream.Position;
        if (n < 0 || (long)n * sizeof(float) > left) throw new FormatException($"float array length {n} exceeds the {left} bytes left");
        var values = new float[n];
        r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    private static byte[] Bytes(BinaryReader r)
    {
        int n = r.ReadInt32();
        long left = r.BaseStream.Length - r.BaseStream.Position;
        if (n < 0 || n > left) throw new FormatException($"byte array length {n} exceeds the {left} bytes left");
        return r.ReadBytes(n);
    }

    private static void Strings(BinaryWriter w, string[] values)
    {
        w.Write(values.Length);
        foreach (string s in values) w.Write(s);
    }

    private static string[] Strings(BinaryReader r)
    {
        int n = r.ReadInt32();
        if (n < 0 || n > 10_000) throw new FormatException($"string array length {n} is out of range");
        var values = new string[n];
        for (int i = 0; i < n; i++) values[i] = r.ReadString();
        return values;
    }
}
