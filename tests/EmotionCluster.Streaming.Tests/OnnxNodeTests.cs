using System.Net.WebSockets;
using System.Text.Json;
using EmotionCluster.Audio;
using EmotionCluster.Model;
using EmotionCluster.Model.Onnx;
using EmotionCluster.Testing;

namespace EmotionCluster.Streaming.Tests;

/// <summary>
/// A predictor node process serving an exported ONNX model: streamed windows get the TorchSharp predictor's
/// probabilities (1e-4), and the process never maps libtorch — while the same node serving the <c>.ecm</c> does.
/// </summary>
[Collection(TinyModelCollection.Name)]
public sealed class OnnxNodeTests(TinyModel models)
{
    private static readonly string[] TorchLibraries = ["libtorch", "libc10", "LibTorchSharp"];

    /// <summary>A predictor-only node on loopback serving <paramref name="modelPath"/> with <paramref name="runtime"/>.</summary>
    private static (NodeProcess Node, string Http) StartNode(string dir, string name, string modelPath, string runtime)
    {
        string config = Path.Combine(dir, $"{name}.json");
        File.WriteAllText(config, JsonSerializer.Serialize(new
        {
            EmotionCluster = new
            {
                Streaming = new { ModelPath = modelPath, Runtime = runtime, MaxLagSeconds = 0 },
                Persistence = new { ConnectionString = $"Data Source={Path.Combine(dir, name + ".db")}" },
            },
        }));
        int port = NodeProcess.FreePort(), httpPort = NodeProcess.FreePort();
        var node = NodeProcess.Start(name, port,
            ["run", "--roles", "predictor", "--port", port.ToString(), "--http-port", httpPort.ToString(), "--config", config, "--store", Path.Combine(dir, "store-" + name)]);
        node.WaitForLine(l => l.StartsWith("http listening", StringComparison.Ordinal), TimeSpan.FromSeconds(90)).GetAwaiter().GetResult();
        return (node, $"http://127.0.0.1:{httpPort}");
    }

    private static async Task<List<JsonElement>> StreamAsync(string http, float[] samples, CancellationToken cancel)
    {
        using var client = new StreamClient();
        await client.ConnectAsync(StreamClient.StreamUri(http), null, cancel);
        await client.StartAsync(16000, 1, "pcm16", null, cancel);
        var messages = new List<JsonElement>();
        var reader = Task.Run(async () =>
        {
            while (await client.ReceiveAsync(cancel) is { } m) lock (messages) messages.Add(m);
        }, cancel);
        byte[] pcm = StreamClient.Pcm16(samples);
        for (int at = 0; at < pcm.Length; at += 3200) await client.SendAudioAsync(pcm.AsMemory(at, Math.Min(3200, pcm.Length - at)), cancel);
        await client.EndAsync(cancel);
        await reader.WaitAsync(TimeSpan.FromSeconds(60), cancel);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
        return messages;
    }

    private static string[] MappedTorchLibraries(int pid) =>
        File.ReadLines($"/proc/{pid}/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "")
            .Where(path => TorchLibraries.Any(path.Contains)).Distinct().ToArray();

    private static bool MapsOnnxRuntime(int pid) => File.ReadLines($"/proc/{pid}/maps").Any(l => l.Contains("libonnxruntime", StringComparison.Ordinal));

    [Fact]
    public async Task A_node_serving_an_onnx_model_predicts_like_torch_and_never_loads_libtorch()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        string dir = Path.Combine(models.Dir, "onnx-node-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        string onnx = Path.Combine(dir, "a.onnx");
        OnnxExport.Export(models.ModelA, onnx);
        float[] clip = TinyModel.Clip(0, 2.6, 3);
        float[] sent = RawPcm.DecodePcm16(StreamClient.Pcm16(clip), 1);

        var (node, http) = StartNode(dir, "onnx-node", onnx, "auto");
        using (node)
        {
            try
            {
                var predictions = (await StreamAsync(http, clip, cancel.Token)).Where(m => m.GetProperty("type").GetString() == "prediction").ToList();
                Assert.NotEmpty(predictions);
                // the same stream's path in this process with TorchSharp (the .ecm; the node's default settings)
                var replay = StreamReplay.Run(StreamingModel.Load(models.ModelA, ModelRuntime.Torch), sent, 16000, new StreamingSettings { MaxLagSeconds = 0 }).Hops;
                Assert.Equal(replay.Select(h => h.EndSeconds), predictions.Select(p => p.GetProperty("t").GetDouble()));
                foreach (var (p, hop) in predictions.Zip(replay))
                {
                    float[] expected = hop.Probabilities;
                    float[] actual = TinyModel.Labels.Select(l => p.GetProperty("probabilities").GetProperty(l).GetSingle()).ToArray();
                    for (int c = 0; c < expected.Length; c++) Assert.InRange(actual[c], expected[c] - 1e-4f, expected[c] + 1e-4f);
                }
                Assert.True(MapsOnnxRuntime(node.Pid), "the node should have mapped libonnxruntime");
                Assert.Empty(MappedTorchLibraries(node.Pid));
            }
            finally { node.Terminate(); }
        }

        // the control: the same node serving the .ecm maps libtorch (so the check above can see it)
        var (torchNode, torchHttp) = StartNode(dir, "torch-node", models.ModelA, "auto");
        using (torchNode)
        {
            try
            {
                Assert.Contains(await StreamAsync(torchHttp, clip, cancel.Token), m => m.GetProperty("type").GetString() == "prediction");
                Assert.NotEmpty(MappedTorchLibraries(torchNode.Pid));
            }
            finally { torchNode.Terminate(); }
        }
    }
}
