using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Serialization;

namespace EmotionCluster.Cluster;

/// <summary>
/// Binary serializer for every <see cref="IEmotionClusterMessage"/>: length-prefixed UTF-8 strings, raw
/// little-endian numbers, byte arrays copied as they are (feature tensors travel as raw float bytes).
/// Unknown manifests and malformed payloads raise <see cref="SerializationException"/> naming the problem.
/// </summary>
public sealed class EmotionClusterSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int SerializerId = 7341;
    public const string Name = "emotioncluster";

    private static readonly Dictionary<Type, string> Manifests = new();
    private static readonly Dictionary<string, Func<BinaryReader, object>> Readers = new();
    private static readonly Dictionary<Type, Action<BinaryWriter, object>> Writers = new();

    static EmotionClusterSerializer()
    {
        Register<ExtractClip>("XC", (w, m) => { w.Write(m.ClipId); w.Write(m.SourcePath); w.Write(m.SettingsJson); w.Write(m.ReturnFeatures); },
            r => new ExtractClip(r.ReadString(), r.ReadString(), r.ReadString(), r.ReadBoolean()));
        Register<AudioRequest>("AR", (w, m) => w.Write(m.ClipId), r => new AudioRequest(r.ReadString()));
        Register<DataChunk>("DC", (w, m) => { w.Write(m.TransferId); w.Write(m.Index); w.Write(m.Count); w.Write(m.TotalBytes); WriteBytes(w, m.Bytes); },
            r => new DataChunk(r.ReadString(), r.ReadInt32(), r.ReadInt32(), r.ReadInt64(), ReadBytes(r)));
        Register<ClipExtracted>("CE", (w, m) => { w.Write(m.ClipId); w.Write(m.ContentHash); w.Write(m.SettingsHash); w.Write(m.Node); w.Write(m.Cached); w.Write(m.Bins); w.Write(m.Frames); },
            r => new ClipExtracted(r.ReadString(), r.ReadString(), r.ReadString(), r.ReadString(), r.ReadBoolean(), r.ReadInt32(), r.ReadInt32()));
        Register<ClipFailed>("CF", (w, m) => { w.Write(m.ClipId); w.Write(m.Node); w.Write(m.Reason); },
            r => new ClipFailed(r.ReadString(), r.ReadString(), r.ReadString()));
    }

    /// <summary>Adds a message type (used by the other cluster assemblies' message sets too).</summary>
    public static void Register<T>(string manifest, Action<BinaryWriter, T> write, Func<BinaryReader, T> read) where T : IEmotionClusterMessage
    {
        lock (Manifests)
        {
            if (Readers.ContainsKey(manifest) && Manifests.GetValueOrDefault(typeof(T)) != manifest)
                throw new InvalidOperationException($"manifest '{manifest}' is registered twice");
            Manifests[typeof(T)] = manifest;
            Readers[manifest] = r => read(r)!;
            Writers[typeof(T)] = (w, o) => write(w, (T)o);
        }
    }

    public override int Identifier => SerializerId;

    public override string Manifest(object o) => Manifests.TryGetValue(o.GetType(), out string? m)
        ? m
        : throw new SerializationException($"{o.GetType().FullName} is not registered with {nameof(EmotionClusterSerializer)}");

    public override byte[] ToBinary(object obj)
    {
        if (!Writers.TryGetValue(obj.GetType(), out var write))
            throw new SerializationException($"{obj.GetType().FullName} is not registered with {nameof(EmotionClusterSerializer)}");
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true)) write(w, obj);
        return ms.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!Readers.TryGetValue(manifest, out var read))
            throw new SerializationException($"unknown message manifest '{manifest}' ({bytes.Length} bytes); are all nodes on the same version?");
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes, writable: false), Encoding.UTF8);
            object result = read(r);
            if (r.BaseStream.Position != bytes.Length)
                throw new SerializationException($"message '{manifest}' has {bytes.Length - r.BaseStream.Position} trailing bytes");
            return result;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or FormatException or ArgumentException or OverflowException)
        {
            throw new SerializationException($"malformed '{manifest}' message ({bytes.Length} bytes): {e.Message}", e);
        }
    }

    public static void WriteBytes(BinaryWriter w, byte[] bytes) { w.Write(bytes.Length); w.Write(bytes); }

    public static byte[] ReadBytes(BinaryReader r)
    {
        int n = r.ReadInt32();
        long left = r.BaseStream.Length - r.BaseStream.Position;
        if (n < 0 || n > left) throw new FormatException($"byte array length {n} exceeds the {left} bytes left");
        return r.ReadBytes(n);
    }

    public static void WriteFloats(BinaryWriter w, float[] values)
    {
        w.Write(values.Length);
        w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
    }

    public static float[] ReadFloats(BinaryReader r)
    {
        int n = r.ReadInt32();
        long left = r.BaseStream.Length - r.BaseStream.Position;
        if (n < 0 || (long)n * sizeof(float) > left) throw new FormatException($"float array length {n} exceeds the {left} bytes left");
        var values = new float[n];
        r.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }
}
