using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using Akka.Actor;
using EmotionCluster.Audio;
using Xunit;

namespace EmotionCluster.Streaming.Tests;

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
