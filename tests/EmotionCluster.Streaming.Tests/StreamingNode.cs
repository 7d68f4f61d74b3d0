using System.Text.Json;
using EmotionCluster.Testing;

namespace EmotionCluster.Streaming.Tests;

/// <summary>A real node process (src/EmotionCluster.Node) with the streaming part and a tiny model, on loopback.</summary>
public sealed class StreamingNode : IDisposable
{
    public TinyModel Models { get; } = new();
    public NodeProcess Process { get; }
    public string Http { get; }
    public string? Token { get; }
    public string ConfigFile { get; }

    public StreamingNode() : this(null) { }

    private StreamingNode(string? token, double windowSeconds = 2, string? modelPath = null)
    {
        Token = token;
        ConfigFile = Path.Combine(Models.Dir, $"node-{Guid.NewGuid():N}.json");
        File.WriteAllText(ConfigFile, JsonSerializer.Serialize(new
        {
            EmotionCluster = new
            {
                // MaxLagSeconds off: on a loaded CI machine a burst of windows may wait longer than 2 s, and these tests count
                // every hop (the lag rule has its unit test)
                Streaming = new { ModelPath = modelPath ?? Models.ModelA, WindowSeconds = windowSeconds, HopSeconds = 0.5, MaxFrameBytes = 65536, Smoothing = "ema:0.5", MaxLagSeconds = 0 },
                Persistence = new { ConnectionString = $"Data Source={Path.Combine(Models.Dir, "journal.db")}" }, // not the shared default under bin/
            },
        }));
        int port = NodeProcess.FreePort(), httpPort = NodeProcess.FreePort();
        var args = new List<string> { "run", "--port", port.ToString(), "--http-port", httpPort.ToString(), "--config", ConfigFile, "--store", Path.Combine(Models.Dir, "store") };
        if (token is not null) args.AddRange(["--token", token]);
        Process = NodeProcess.Start(token is null ? "stream-node" : "stream-node-token", port, args);
        Http = $"http://127.0.0.1:{httpPort}";
        Process.WaitForLine(l => l.StartsWith("http listening", StringComparison.Ordinal), TimeSpan.FromSeconds(90)).GetAwaiter().GetResult();
    }

    public static StreamingNode WithToken(string token) => new(token);

    /// <summary>A node serving the model file at <paramref name="modelPath"/> (2 s windows, 0.5 s hop, as the tests of this class count hops).</summary>
    public static StreamingNode WithModel(string modelPath) => new(null, modelPath: modelPath);

    public void Dispose()
    {
        Process.Terminate();
        try { Process.WaitForExit(TimeSpan.FromSeconds(15)).GetAwaiter().GetResult(); }
        catch (TimeoutException) { }
        // set EMOTIONCLUSTER_TEST_NODE_LOGS=DIR to keep each node's output
        if (Environment.GetEnvironmentVariable("EMOTIONCLUSTER_TEST_NODE_LOGS") is { Length: > 0 } logs)
            File.WriteAllText(Path.Combine(logs, $"{Process.Name}-{Process.Port}.log"), Process.Output);
        Process.Dispose();
        Models.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class StreamingNodeCollection : ICollectionFixture<StreamingNode>
{
    public const string Name = "streaming node";
}
