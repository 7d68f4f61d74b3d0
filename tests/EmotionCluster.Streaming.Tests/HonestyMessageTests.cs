using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using Akka.Actor;
using EmotionCluster.Audio;
using Xunit;

namespace EmotionCluster.Streaming.Tests;

public sealed class HonestyMessageTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("honesty-test");

    private static StreamPrediction Prediction(bool uncertain, InputLevel? level) =>
        new("s1", "m@abc", 0.5, 2.5, ["anger", "fear"], [0.45f, 0.55f], 1, 1, [0.42f, 0.58f], 3.5, false, uncertain, level);

    private static JsonElement Json(StreamPrediction p)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            StreamJson.WriteHonesty(w, p);
            w.WriteEndObject();
        }
        return JsonDocument.Parse(buffer.WrittenMemory).RootElement.Clone();
    }

    [Fact]
    public void The_uncertain_flag_and_the_level_cross_the_wire()
    {
        var serializer = new StreamingSerializer((ExtendedActorSystem)_system);
        var level = new InputLevel(-50.5, -48.25, -30, 0.002, 32000);
        var p = Prediction(uncertain: true, level);

        var back = (StreamPrediction)serializer.FromBinary(serializer.ToBinary(p), serializer.Manifest(p));

        Assert.True(back.Uncertain);
        Assert.Equal(level, back.Level);
        Assert.Equal(LevelWarning.TooQuiet | LevelWarning.Clipped, back.Level!.Warnings);
        Assert.Null(((StreamPrediction)serializer.FromBinary(serializer.ToBinary(Prediction(false, null)), "SP")).Level);
    }

    [Fact]
    public void A_prediction_from_a_node_before_the_fields_reads_with_their_defaults()
    {
        var serializer = new StreamingSerializer((ExtendedActorSystem)_system);
        byte[] current = serializer.ToBinary(Prediction(uncertain: false, level: null));
        byte[] earlier = current[..^2]; // the earlier layout ended at Final; the new one adds two booleans (uncertain, has level)

        var back = (StreamPrediction)serializer.FromBinary(earlier, "SP");

        Assert.Equal(2.5, back.EndSeconds);
        Assert.False(back.Final);
        Assert.False(back.Uncertain);
        Assert.Null(back.Level);
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary(current[..^1], "SP")); // half an extension is still an error
    }

    [Fact]
    public void The_json_says_uncertain_names_the_warnings_and_gives_the_line()
    {
        JsonElement m = Json(Prediction(uncertain: true, new InputLevel(-55, -52.3, -20, 0, 32000)));

        Assert.True(m.GetProperty("uncertain").GetBoolean());
        Assert.Equal(0.58, m.GetProperty("confidence").GetDouble(), 4);
        Assert.Equal(["quiet"], m.GetProperty("warnings").EnumerateArray().Select(e => e.GetString()));
        Assert.StartsWith("too quiet: active speech level -52.3 dBFS", m.GetProperty("warning").GetString());
        Assert.Equal(-52.3, m.GetProperty("level").GetProperty("activeDbfs").GetDouble());
        Assert.Equal(0, m.GetProperty("level").GetProperty("clippedFraction").GetDouble());
    }

    [Fact]
    public void A_sure_hop_at_a_fine_level_has_no_warning_line_and_an_unmeasured_one_no_level()
    {
        JsonElement fine = Json(Prediction(uncertain: false, new InputLevel(-20, -18, -1, 0, 32000)));
        Assert.False(fine.GetProperty("uncertain").GetBoolean());
        Assert.Empty(fine.GetProperty("warnings").EnumerateArray());
        Assert.False(fine.TryGetProperty("warning", out _));
        Assert.True(fine.TryGetProperty("level", out _));

        JsonElement unmeasured = Json(Prediction(uncertain: false, null));
        Assert.Empty(unmeasured.GetProperty("warnings").EnumerateArray());
        Assert.False(unmeasured.TryGetProperty("level", out _));
    }

    [Fact]
    public void The_cli_line_shows_uncertain_and_the_level_tags_and_reads_an_earlier_nodes_message()
    {
        JsonElement now = JsonDocument.Parse("""
            {"type":"prediction","t":2.5,"start":0.5,"probabilities":{"anger":0.3,"fear":0.7},"label":"fear","smoothed":"fear",
             "uncertain":true,"confidence":0.35,"warnings":["quiet","clipped"]}
            """).RootElement;
        JsonElement earlier = JsonDocument.Parse("""
            {"type":"prediction","t":2.5,"start":0.5,"probabilities":{"anger":0.3,"fear":0.7},"label":"fear","smoothed":"fear"}
            """).RootElement;

        string line = EmotionCluster.Cli.StreamCommands.Line(now);
        Assert.Contains("smoothed uncertain (fear?)", line);
        Assert.EndsWith("fear 0.70  [quiet]  [clipped]", line);
        string old = EmotionCluster.Cli.StreamCommands.Line(earlier);
        Assert.Contains("smoothed fear ", old);
        Assert.DoesNotContain("uncertain", old);
        Assert.EndsWith("fear 0.70", old);
    }

    public void Dispose() => _system.Dispose();
}
