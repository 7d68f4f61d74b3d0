using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using Akka.Actor;
using EmotionCluster.Audio;
using Xunit;

namespace EmotionCluster.Streaming.Tests;

/// <summary>Issue 15, "honest live output": hops whose smoothed emotion is unsure say so, windows too quiet or clipped are flagged.</summary>
public sealed class UncertainHopTests
{
    private static StreamSession Session(string smoothing = "none", double uncertainBelow = 0.4) =>
        new(100, new StreamingSettings { WindowSeconds = 1, HopSeconds = 0.5, MaxBufferedSeconds = 2, Smoothing = smoothing, UncertainBelow = uncertainBelow });

    [Fact]
    public void A_hop_is_uncertain_while_the_smoothed_top_probability_is_below_the_threshold()
    {
        var s = Session();
        HopResult sure = s.Complete(new WindowSpan(0, 100), [0.7f, 0.2f, 0.1f]);
        HopResult unsure = s.Complete(new WindowSpan(50, 100), [0.35f, 0.33f, 0.32f]);
        HopResult atThreshold = s.Complete(new WindowSpan(100, 100), [0.4f, 0.35f, 0.25f]);

        Assert.False(sure.Uncertain);
        Assert.Equal(0.7f, sure.Confidence);
        Assert.True(unsure.Uncertain);
        Assert.Equal(0.35f, unsure.Confidence);
        Assert.False(atThreshold.Uncertain); // "below" is strict
    }

    [Fact]
    public void Uncertainty_is_judged_on_the_smoothed_probabilities_not_on_the_hop()
    {
        var s = Session("ema:0.5");
        s.Complete(new WindowSpan(0, 100), [0.9f, 0.1f, 0f]);
        s.Complete(new WindowSpan(50, 100), [0f, 0.1f, 0.9f]); // smoothed: 0.45, 0.1, 0.45
        HopResult third = s.Complete(new WindowSpan(100, 100), [0f, 0.9f, 0.1f]); // smoothed: 0.225, 0.5, 0.275; the hop alone is 0.9 sure

        Assert.Equal(1, third.Smoothed.Label);
        Assert.Equal(0.5f, third.Confidence, 1e-6f);
        Assert.False(third.Uncertain);

        var s2 = Session("ema:0.5");
        s2.Complete(new WindowSpan(0, 100), [0.1f, 0.8f, 0.1f]);
        HopResult flip = s2.Complete(new WindowSpan(50, 100), [0.1f, 0f, 0.9f]); // the hop is 0.9 sure, smoothed 0.1, 0.4, 0.5
        Assert.Equal(0.5f, flip.Confidence, 1e-6f);
        HopResult flop = s2.Complete(new WindowSpan(100, 100), [0.9f, 0.05f, 0.05f]); // smoothed 0.5, 0.225, 0.275: still 0.5
        Assert.False(flop.Uncertain);
        HopResult torn = s2.Complete(new WindowSpan(150, 100), [0f, 0.9f, 0.1f]); // smoothed 0.25, 0.5625, 0.1875
        Assert.False(torn.Uncertain);
        HopResult split = s2.Complete(new WindowSpan(200, 100), [0.45f, 0f, 0.55f]); // smoothed 0.35, 0.28125, 0.36875
        Assert.Equal(0.36875f, split.Confidence, 1e-6f);
        Assert.True(split.Uncertain); // though every hop alone had a winner at 0.55 or more
    }

    [Fact]
    public void With_majority_smoothing_the_confidence_is_the_voted_emotions_mean_probability()
    {
        var s = Session("majority:3");
        s.Complete(new WindowSpan(0, 100), [0.5f, 0.45f, 0.05f]);
        s.Complete(new WindowSpan(50, 100), [0.1f, 0.8f, 0.1f]);
        HopResult r = s.Complete(new WindowSpan(100, 100), [0.38f, 0.32f, 0.3f]); // votes 0, 1, 0: label 0, mean 0.3267

        Assert.Equal(0, r.Smoothed.Label);
        Assert.Equal((0.5f + 0.1f + 0.38f) / 3, r.Confidence, 1e-6f);
        Assert.True(r.Uncertain);
    }

    [Fact]
    public void Zero_turns_the_uncertain_state_off_and_the_default_is_0_4()
    {
        Assert.Equal(0.4, new StreamingSettings().UncertainBelow);
        var s = Session(uncertainBelow: 0);
        Assert.False(s.Complete(new WindowSpan(0, 100), [0.34f, 0.33f, 0.33f]).Uncertain);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void A_threshold_outside_0_to_1_is_refused_naming_the_setting(double value)
    {
        var e = Assert.Throws<ArgumentException>(new StreamingSettings { UncertainBelow = value }.Validate);
        Assert.Contains("EmotionCluster:Streaming: UncertainBelow", e.Message);
        Assert.Contains("0 turns it off", e.Message);
    }

    [Fact]
    public void The_windows_level_is_carried_with_its_warnings()
    {
        var s = Session();
        InputLevel quiet = InputLevel.Measure(new float[100], 100);
        HopResult r = s.Complete(new WindowSpan(0, 100), [0.8f, 0.1f, 0.1f], quiet);
        Assert.Same(quiet, r.Level);
        Assert.Equal(LevelWarning.TooQuiet, r.Warnings);
        Assert.Equal(LevelWarning.None, s.Complete(new WindowSpan(50, 100), [0.8f, 0.1f, 0.1f]).Warnings); // not measured: no warning
    }
}

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

/// <summary>The same through a real node process: a quiet stretch, a clipped stretch, the uncertain flag against the node's threshold.</summary>
[Collection(StreamingNodeCollection.Name)]
public sealed class HonestyNodeTests(StreamingNode node, ITestOutputHelper output)
{
    [Fact]
    public async Task Quiet_and_clipped_windows_are_flagged_and_every_hop_says_whether_it_is_sure()
    {
        var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(90)).Token;
        const int rate = 16000;
        float[] normal = TinyModel.Clip(0, 2, 1); // peak about 0.9: level fine
        float[] quiet = TinyModel.Clip(0, 2, 2).Select(v => v * 0.01f).ToArray(); // 40 dB down: about −51 dBFS
        float[] clipped = TinyModel.Clip(0, 2, 3).Select(v => Math.Clamp(v * 4, -1f, 1f)).ToArray();
        float[] audio = [.. normal, .. quiet, .. clipped];

        using var client = new StreamClient();
        await client.ConnectAsync(StreamClient.StreamUri(node.Http), null, cancel);
        await client.StartAsync(rate, 1, "pcm16", null, cancel);
        var messages = new List<JsonElement>();
        var reader = Task.Run(async () => { while (await client.ReceiveAsync(cancel) is { } m) messages.Add(m); }, cancel);
        byte[] pcm = StreamClient.Pcm16(audio);
        for (int at = 0; at < pcm.Length; at += rate / 10 * 2) await client.SendAudioAsync(pcm.AsMemory(at, Math.Min(rate / 10 * 2, pcm.Length - at)), cancel);
        await client.EndAsync(cancel);
        await reader.WaitAsync(TimeSpan.FromSeconds(60), cancel);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);

        double threshold = messages[0].GetProperty("uncertainBelow").GetDouble();
        Assert.Equal(0.4, threshold);
        var hops = messages.Where(m => m.GetProperty("type").GetString() == "prediction").GroupBy(m => m.GetProperty("t").GetDouble()).ToDictionary(g => g.Key, g => g.First());
        foreach (var (t, m) in hops)
        {
            try { output.WriteLine(m.GetRawText()); } catch (InvalidOperationException) { }
            float top = m.GetProperty("smoothedProbabilities").GetProperty(m.GetProperty("smoothed").GetString()!).GetSingle();
            Assert.Equal(top < threshold, m.GetProperty("uncertain").GetBoolean());
            Assert.Equal(top, m.GetProperty("confidence").GetDouble(), 4);
        }
        string[] Warnings(double t) => hops[t].GetProperty("warnings").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Empty(Warnings(2.0)); // [0, 2): the normal clip
        Assert.Equal(["quiet"], Warnings(4.0)); // [2, 4): the quiet one
        Assert.StartsWith("too quiet", hops[4.0].GetProperty("warning").GetString());
        Assert.Equal(["clipped"], Warnings(6.0)); // [4, 6): the clipped one
        Assert.InRange(hops[6.0].GetProperty("level").GetProperty("clippedFraction").GetDouble(), 0.01, 1);
        Assert.InRange(hops[4.0].GetProperty("level").GetProperty("activeDbfs").GetDouble(), -60, -45);
    }
}
