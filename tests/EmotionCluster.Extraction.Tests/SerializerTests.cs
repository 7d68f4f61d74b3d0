using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;
using EmotionCluster.Extraction;
using EmotionCluster.Wire;
using Xunit;

namespace EmotionCluster.Extraction.Tests;

public class SerializerTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("serializer-tests");
    private EmotionClusterSerializer Serializer => new((ExtendedActorSystem)_system);

    public static TheoryData<object> Messages() => new()
    {
        new ExtractClip("03a01Wa.wav", "/data/emodb/wav/03a01Wa.wav", "{\"mel\":{\"nMels\":64}}", true),
        new ExtractClip("ünïcode/clip 1.wav", "", "{}", false),
        new AudioRequest("a/b.wav"),
        new DataChunk("clip|abc", 2, 5, 300_000, Enumerable.Range(0, 65536).Select(i => (byte)i).ToArray()),
        new DataChunk("empty", 0, 1, 0, []),
        new ClipExtracted("c", new string('a', 64), "0123456789abcdef", "akka.tcp://emotioncluster@127.0.0.1:4053", true, 64, 312),
        new ClipFailed("c", "akka.tcp://x@h:1", "c.wav: not a RIFF/WAVE file"),
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void Every_message_round_trips(object message)
    {
        var s = Serializer;
        byte[] bytes = s.ToBinary(message);
        object back = s.FromBinary(bytes, s.Manifest(message));
        Assert.Equal(message.GetType(), back.GetType());
        if (message is DataChunk d)
        {
            var b = (DataChunk)back;
            Assert.Equal((d.TransferId, d.Index, d.Count, d.TotalBytes), (b.TransferId, b.Index, b.Count, b.TotalBytes));
            Assert.Equal(d.Bytes, b.Bytes);
        }
        else Assert.Equal(message, back);
    }

    [Fact]
    public void The_actor_system_picks_this_serializer_for_cluster_messages_when_bound()
    {
        var config = Akka.Configuration.ConfigurationFactory.ParseString($$"""
            akka.actor.serializers.ec = "{{typeof(EmotionClusterSerializer).AssemblyQualifiedName}}"
            akka.actor.serialization-bindings { "{{typeof(IEmotionClusterMessage).AssemblyQualifiedName}}" = ec }
            akka.actor.serialization-identifiers { "{{typeof(EmotionClusterSerializer).AssemblyQualifiedName}}" = {{EmotionClusterSerializer.SerializerId}} }
            """);
        using var system = ActorSystem.Create("bound", config);
        Serializer found = system.Serialization.FindSerializerFor(new AudioRequest("x"));
        Assert.IsType<EmotionClusterSerializer>(found);
    }

    [Fact]
    public void Data_chunk_payload_is_raw_bytes_not_text()
    {
        var chunk = new DataChunk("t", 0, 1, 65536, new byte[65536]);
        int size = Serializer.ToBinary(chunk).Length;
        Assert.InRange(size, 65536, 65536 + 64); // header overhead only
    }

    [Fact]
    public void Unknown_manifest_is_a_clear_error()
    {
        var e = Assert.Throws<SerializationException>(() => Serializer.FromBinary([1, 2, 3], "ZZ"));
        Assert.Contains("unknown cluster manifest 'ZZ'", e.Message);
    }

    [Fact]
    public void Truncated_or_padded_payloads_are_clear_errors()
    {
        var s = Serializer;
        byte[] good = s.ToBinary(new ClipFailed("c", "n", "reason"));
        Assert.Contains("malformed cluster 'CF'", Assert.Throws<SerializationException>(() => s.FromBinary(good[..^3], "CF")).Message);
        Assert.Contains("trailing bytes", Assert.Throws<SerializationException>(() => s.FromBinary([.. good, 0], "CF")).Message);
        // A byte-array length claim larger than the payload must not allocate or read past the end.
        byte[] chunk = s.ToBinary(new DataChunk("t", 0, 1, 4, [1, 2, 3, 4]));
        chunk[^8] = 0xFF; chunk[^7] = 0xFF; chunk[^6] = 0xFF; chunk[^5] = 0x7F;
        Assert.Throws<SerializationException>(() => s.FromBinary(chunk, "DC"));
    }

    [Fact]
    public void Random_bytes_never_crash_the_deserializer()
    {
        var s = Serializer;
        var property = FsCheck.Fluent.Prop.ForAll<byte[]>(bytes =>
        {
            foreach (string manifest in new[] { "XC", "AR", "DC", "CE", "CF" })
            {
                try { s.FromBinary(bytes ?? [], manifest); }
                catch (SerializationException) { }
            }
        });
        FsCheck.Check.One(FsCheck.Config.QuickThrowOnFailure.WithMaxTest(500), property);
    }

    public void Dispose() => _system.Dispose();
}
