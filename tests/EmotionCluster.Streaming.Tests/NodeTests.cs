using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using EmotionCluster.Audio;
using Xunit;

namespace EmotionCluster.Streaming.Tests;

/// <summary>The WebSocket endpoint of a real node process: results, bad input, concurrency, the page, metrics.</summary>
[Collection(StreamingNodeCollection.Name)]
public sealed class NodeTests(StreamingNode node, ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private void Log(string line)
    {
        try { output.WriteLine(line); } catch (InvalidOperationException) { }
    }

    /// <summary>Streams mono PCM16 in 100 ms frames (optionally at real-time pace), ends, and collects every message until the close.</summary>
    private async Task<List<JsonElement>> StreamAsync(float[] samples, int rate, bool realtime, CancellationToken cancel, string? streamId = null)
    {
        using var client = new StreamClient();
        await client.ConnectAsync(StreamClient.StreamUri(node.Http), null, cancel);
        await client.StartAsync(rate, 1, "pcm16", streamId, cancel);
        var messages = new List<JsonElement>();
        var reader = Task.Run(async () =>
        {
            while (await client.ReceiveAsync(cancel) is { } m) lock (messages) messages.Add(m);
        }, cancel);
        byte[] pcm = StreamClient.Pcm16(samples);
        int frame = rate / 10 * 2;
        for (int at = 0; at < pcm.Length; at += frame)
        {
            await client.SendAudioAsync(pcm.AsMemory(at, Math.Min(frame, pcm.Length - at)), cancel);
            if (realtime) await Task.Delay(100, cancel);
        }
        await client.EndAsync(cancel);
        await reader.WaitAsync(Timeout, cancel);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
        return messages;
    }

    private static float[] Probabilities(JsonElement prediction) =>
        TinyModel.Labels.Select(l => prediction.GetProperty("probabilities").GetProperty(l).GetSingle()).ToArray();

    [Fact]
    public async Task A_streamed_clip_gets_the_hop_predictions_of_its_stream_path_and_an_end()
    {
        var cancel = TestContextToken();
        float[] clip = [.. TinyModel.Clip(0, 1.5, 1), .. TinyModel.Clip(2, 1.7, 2)];
        float[] sent = RawPcm.DecodePcm16(StreamClient.Pcm16(clip), 1);
        var messages = await StreamAsync(clip, 16000, realtime: false, cancel);
        foreach (var m in messages) Log(m.GetRawText());

        Assert.Equal("started", messages[0].GetProperty("type").GetString());
        Assert.Equal(TinyModel.Labels, messages[0].GetProperty("labels").EnumerateArray().Select(e => e.GetString()));
        var predictions = messages.Where(m => m.GetProperty("type").GetString() == "prediction").ToList();
        Assert.Equal(new[] { 2.0, 2.5, 3.0, 3.2 }, predictions.Select(p => p.GetProperty("t").GetDouble()));
        // the stream's path without the actors (the node's settings; the stream gated once, its windows normalized by
        // what it has heard): the node adds only batching across streams, equal within float rounding
        var replay = StreamReplay.Run(StreamingModel.Load(node.Models.ModelA), sent, 16000,
            new StreamingSettings { WindowSeconds = 2, HopSeconds = 0.5, Smoothing = "ema:0.5", MaxLagSeconds = 0 }).Hops;
        Assert.Equal(replay.Select(h => h.EndSeconds), predictions.Select(p => p.GetProperty("t").GetDouble()));
        foreach (var (p, hop) in predictions.Zip(replay))
        {
            float[] expected = hop.Probabilities;
            float[] actual = Probabilities(p);
            for (int c = 0; c < expected.Length; c++) Assert.InRange(actual[c], expected[c] - 1e-4f, expected[c] + 1e-4f);
            Assert.Contains(p.GetProperty("label").GetString(), TinyModel.Labels);
            Assert.Contains(p.GetProperty("smoothed").GetString(), TinyModel.Labels);
        }
        Assert.True(predictions[^1].GetProperty("final").GetBoolean());
        var end = messages[^1];
        Assert.Equal("end", end.GetProperty("type").GetString());
        Assert.Equal(4, end.GetProperty("predictions").GetInt32());
        Assert.Equal(0, end.GetProperty("droppedHops").GetInt32());
    }

    [Fact]
    public async Task Bad_frames_close_their_stream_with_an_error_while_another_stream_goes_on()
    {
        var cancel = TestContextToken();
        float[] clip = TinyModel.Clip(1, 3.0, 7);
        var good = StreamAsync(clip, 16000, realtime: true, cancel, streamId: "good-stream"); // ~3 s in real time

        async Task<(string? Error, WebSocketCloseStatus? Status)> Bad(Func<StreamClient, Task> send, bool start = true)
        {
            using var c = new StreamClient();
            await c.ConnectAsync(StreamClient.StreamUri(node.Http), null, cancel);
            if (start)
            {
                await c.StartAsync(16000, 1, "pcm16", null, cancel);
                Assert.Equal("started", (await c.ReceiveAsync(cancel))!.Value.GetProperty("type").GetString());
            }
            await send(c);
            string? error = null;
            while (await c.ReceiveAsync(cancel).WaitAsync(Timeout, cancel) is { } m)
                if (m.GetProperty("type").GetString() == "error") error = m.GetProperty("message").GetString();
            Log($"error: {error} / close: {c.CloseStatus}");
            return (error, c.CloseStatus);
        }

        var odd = await Bad(c => c.SendAudioAsync(new byte[321], cancel));
        Assert.Contains("321 bytes", odd.Error);
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, odd.Status);

        var garbage = await Bad(c => c.SendTextAsync("{sampleRate: oops", cancel), start: false);
        Assert.Contains("not JSON", garbage.Error);
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, garbage.Status);

        var oversized = await Bad(c => c.SendAudioAsync(new byte[65536 + 2], cancel));
        Assert.Contains("limit is 65536 bytes", oversized.Error);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, oversized.Status);

        var audioFirst = await Bad(c => c.SendAudioAsync(new byte[320], cancel), start: false);
        Assert.Contains("first message must be the JSON start message", audioFirst.Error);

        var unknownText = await Bad(c => c.SendTextAsync("""{"type":"nonsense"}""", cancel));
        Assert.Contains("{\"type\":\"end\"}", unknownText.Error);

        var nan = await Bad(async c =>
        {
            await c.StartAsync(16000, 1, "float32", null, cancel);
            Assert.Equal("started", (await c.ReceiveAsync(cancel))!.Value.GetProperty("type").GetString());
            await c.SendAudioAsync(BitConverter.GetBytes(0.5f).Concat(BitConverter.GetBytes(float.NaN)).ToArray(), cancel);
        }, start: false);
        Assert.Contains("NaN", nan.Error);
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, nan.Status);

        var inUse = await Bad(c => c.StartAsync(16000, 1, "pcm16", "good-stream", cancel), start: false);
        Assert.Contains("'good-stream' is in use", inUse.Error);
        Assert.Equal((WebSocketCloseStatus)1013, inUse.Status);

        var messages = await good; // unaffected: all its hops and a normal end
        Assert.Equal("end", messages[^1].GetProperty("type").GetString());
        Assert.Equal(3, messages.Count(m => m.GetProperty("type").GetString() == "prediction"));
        Assert.DoesNotContain(messages, m => m.GetProperty("type").GetString() == "error");
    }

    [Fact]
    public async Task Float32_stereo_at_44100_hz_is_resampled_to_the_models_rate()
    {
        var cancel = TestContextToken();
        float[] mono = TinyModel.Clip(2, 1.5, 11, rate: 44100);
        float[] stereo = mono.SelectMany(v => new[] { v, v }).ToArray();
        using var client = new StreamClient();
        await client.ConnectAsync(StreamClient.StreamUri(node.Http), null, cancel);
        await client.StartAsync(44100, 2, "float32", null, cancel);
        byte[] bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(stereo.AsSpan()).ToArray();
        for (int at = 0; at < bytes.Length; at += 35280) await client.SendAudioAsync(bytes.AsMemory(at, Math.Min(35280, bytes.Length - at)), cancel);
        await client.EndAsync(cancel);
        JsonElement? prediction = null;
        while (await client.ReceiveAsync(cancel).WaitAsync(Timeout, cancel) is { } m)
            if (m.GetProperty("type").GetString() == "prediction") prediction = m;
        Assert.NotNull(prediction);
        Assert.Equal(1.5, prediction.Value.GetProperty("t").GetDouble(), 6);
        float[] expected = TinyModel.Reference(node.Models.ModelA, WavWriter.ToBytes(mono, 44100, 1, SampleEncoding.Float32));
        float[] actual = Probabilities(prediction.Value);
        for (int c = 0; c < expected.Length; c++) Assert.InRange(actual[c], expected[c] - 1e-4f, expected[c] + 1e-4f);
    }

    [Fact]
    public async Task The_live_page_its_script_and_worklet_are_served_and_metrics_count_predictions()
    {
        var cancel = TestContextToken();
        using var http = new HttpClient { BaseAddress = new Uri(node.Http) };
        string page = await http.GetStringAsync("/live", cancel);
        Assert.Contains("<canvas id=\"chart\"", page);
        Assert.Contains("/live/live.js", page);
        Assert.Contains("getUserMedia", await http.GetStringAsync("/live/live.js", cancel));
        Assert.Contains("registerProcessor", await http.GetStringAsync("/live/worklet.js", cancel));
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/live/missing.js", cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync(StreamingHosting.WebSocketPath, cancel)).StatusCode);

        await StreamAsync(TinyModel.Clip(0, 1.0, 3), 16000, realtime: false, cancel);
        string metrics = await http.GetStringAsync("/metrics", cancel);
        string[] lines = metrics.Split('\n').Where(l => l.StartsWith("emotioncluster_streaming", StringComparison.Ordinal)).ToArray();
        foreach (string l in lines) Log(l);
        Assert.Contains(lines, l => l.StartsWith("emotioncluster_streaming_predictions", StringComparison.Ordinal) && !l.EndsWith(" 0"));
        Assert.Contains(lines, l => l.StartsWith("emotioncluster_streaming_hop_latency", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("emotioncluster_streaming_active_streams", StringComparison.Ordinal));
    }

    [Fact]
    public void The_cli_streams_a_wav_file_and_prints_the_timeline()
    {
        string wav = Path.Combine(node.Models.Dir, "cli.wav");
        WavWriter.Write(wav, new AudioClip([.. TinyModel.Clip(0, 6, 1, 22050), .. TinyModel.Clip(2, 6, 2, 22050)], 22050));
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = EmotionCluster.Cli.CliApp.Run(["stream", wav, "--node", node.Http], output, error);
        Log(output.ToString());
        Assert.True(exit == 0, error.ToString());
        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("22050 Hz", lines[0]);
        Assert.Equal(21, lines.Count(l => l.Contains("smoothed"))); // 12 s: windows ending at 2, 2.5, ..., 12
        Assert.StartsWith("21 predictions", lines[^1]);
        Assert.Contains("0 windows dropped", lines[^1]);
        Assert.Matches(@"; \d+ uncertain \(current emotion's probability below 0\.4\), 0 with an input level warning$", lines[^1].TrimEnd());

        var json = new StringWriter();
        Assert.Equal(0, EmotionCluster.Cli.CliApp.Run(["stream", wav, "--node", node.Http, "--json"], json, error));
        var types = json.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("type").GetString()).ToList();
        Assert.Equal("started", types[0]);
        Assert.Equal(21, types.Count(t => t == "prediction"));
        Assert.Equal("end", types[^1]);
    }

    [Fact]
    public void The_cli_names_a_missing_file_and_an_unreachable_node()
    {
        var error = new StringWriter();
        Assert.Equal(2, EmotionCluster.Cli.CliApp.Run(["stream", "/nonexistent.wav", "--node", node.Http], new StringWriter(), error));
        Assert.Contains("/nonexistent.wav: file not found", error.ToString());
        string wav = Path.Combine(node.Models.Dir, "short.wav");
        WavWriter.Write(wav, new AudioClip(TinyModel.Clip(0, 0.5, 1), 16000));
        error = new StringWriter();
        Assert.Equal(2, EmotionCluster.Cli.CliApp.Run(["stream", wav, "--node", $"http://127.0.0.1:{EmotionCluster.Testing.NodeProcess.FreePort()}"], new StringWriter(), error));
        Assert.Contains("cannot stream to ws://127.0.0.1:", error.ToString());
    }

    private static CancellationToken TestContextToken() => new CancellationTokenSource(TimeSpan.FromSeconds(90)).Token;
}
