using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Serialization;

namespace EmotionCluster.Wire;

/// <summary>
/// The Akka serializer of one <see cref="WireProtocol"/>: the message's manifest from the table, its bytes from the
/// table's writer, and back. Unknown types and manifests and malformed payloads (truncated, trailing bytes, counts past
/// the end) raise <see cref="SerializationException"/> naming the protocol, the manifest and the problem.
/// </summary>
public abstract class WireSerializer(ExtendedActorSystem system, WireProtocol protocol) : SerializerWithStringManifest(system)
{
    public WireProtocol Protocol { get; } = protocol;

    public override int Identifier => Protocol.SerializerId;

    public override string Manifest(object o) => Protocol.ManifestOf(o.GetType()) ?? throw NotInTable(o);

    public override byte[] ToBinary(object obj)
    {
        if (!Protocol.TryGetWriter(obj.GetType(), out var entry)) throw NotInTable(obj);
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true)) entry.Write(w, obj);
        return ms.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!Protocol.TryGetReader(manifest, out var read))
            throw new SerializationException($"unknown {Protocol.Name} manifest '{manifest}' ({bytes.Length} bytes); are all nodes on the same version, or was it written by a newer one?");
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes, writable: false), Encoding.UTF8);
            object result = read(r, system);
            if (r.BaseStream.Position != bytes.Length)
                throw new SerializationException($"{Protocol.Name} '{manifest}' payload has {bytes.Length - r.BaseStream.Position} trailing bytes");
            return result;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or FormatException or ArgumentException or OverflowException)
        {
            throw new SerializationException($"malformed {Protocol.Name} '{manifest}' payload ({bytes.Length} bytes): {e.Message}", e);
        }
    }

    private SerializationException NotInTable(object o) =>
        new($"{o.GetType().FullName} is not in the {Protocol.Name} wire protocol ({GetType().Name}); add it to the protocol's table");
}
