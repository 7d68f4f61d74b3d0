using System.Net.WebSockets;
using System.Text;
using Akka.Actor;
using EmotionCluster.Audio;

namespace EmotionCluster.Streaming.Tests;

public sealed class SerializerTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("serializer-test");

    [Fact]
    public void Every_message_round_trips()
    {
        var serializer = new StreamingSerializer((ExtendedActorSystem)_system);
        object[] messages =
        [
            new StartStream("s1", 44100, _system.DeadLetters),
            new AudioFrame("s1", 7, [0.5f, -0.25f, float.Epsilon]),
            new EndStream("s1"), new StopStream("s1"),
            new StreamStarted("s1", "m@abc", ["a", "b"], 16000, 3.0),
            new FrameAck("s1", 9),
            new StreamPrediction("s1", "m@abc", 0.5, 2.5, ["a", "b"], [0.25f, 0.75f], 1, 0, [0.6f, 0.4f], 12.5, true),
            new StreamOverload("s1", 3),
            new StreamFailed("s1", StreamErrorKind.TooBig, "too big"),
            new StreamEnded("s1", 4, 1),
            new ModelPublished("m", null, 1, 3, [1, 2, 3]),
            new ModelPublished("m", "/models/m.zip", 0, 1, []),
        ];
        foreach (object m in messages)
        {
            object back = serializer.FromBinary(serializer.ToBinary(m), serializer.Manifest(m));
            Assert.Equal(System.Text.Json.JsonSerializer.Serialize(m, m.GetType(), Json), System.Text.Json.JsonSerializer.Serialize(back, back.GetType(), Json));
        }
    }

    [Fact]
    public void Truncated_payloads_and_unknown_manifests_are_serialization_errors()
    {
        var serializer = new StreamingSerializer((ExtendedActorSystem)_system);
        byte[] bytes = serializer.ToBinary(new AudioFrame("s1", 1, new float[10]));
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary(bytes[..^3], "AF"));
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary(bytes, "ZZ"));
    }

    private static readonly System.Text.Json.JsonSerializerOptions Json = new() { Converters = { new ActorRefPath() } };

    private sealed class ActorRefPath : System.Text.Json.Serialization.JsonConverter<IActorRef>
    {
        public override IActorRef Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options) => throw new NotSupportedException();
        public override void Write(System.Text.Json.Utf8JsonWriter writer, IActorRef value, System.Text.Json.JsonSerializerOptions options) => writer.WriteStringValue(value.Path.ToString());
    }

    public void Dispose() => _system.Dispose();
}
