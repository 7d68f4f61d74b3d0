using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace EmotionCluster.Streaming;

/// <summary>
/// A client of <c>/ws/stream</c> (used by the tests and the benchmark; the CLI has its own copy so it needs no ASP.NET):
/// connect, send the start message, binary frames, <c>{"type":"end"}</c>; read JSON messages as they come.
/// </summary>
public sealed class StreamClient : IDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly byte[] _buffer = new byte[64 * 1024];

    public WebSocket Socket => _socket;
    /// <summary>The HTTP status of a refused upgrade (e.g. 401), when the connection failed.</summary>
    public int? RefusedStatus => _socket.HttpStatusCode == 0 ? null : (int)_socket.HttpStatusCode;

    /// <summary><paramref name="node"/> is the node's HTTP address, e.g. <c>http://127.0.0.1:8080</c>.</summary>
    public static Uri StreamUri(string node, string? queryToken = null)
    {
        var b = new UriBuilder(node.TrimEnd('/') + StreamingHosting.WebSocketPath);
        b.Scheme = b.Scheme == "https" ? "wss" : "ws";
        if (queryToken is not null) b.Query = "token=" + Uri.EscapeDataString(queryToken);
        return b.Uri;
    }

    public async Task ConnectAsync(Uri uri, string? bearer, CancellationToken cancel)
    {
        _socket.Options.CollectHttpResponseDetails = true;
        if (bearer is not null) _socket.Options.SetRequestHeader("Authorization", $"Bearer {bearer}");
        await _socket.ConnectAsync(uri, cancel);
    }

    public Task SendTextAsync(string json, CancellationToken cancel) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, cancel);

    public Task StartAsync(int sampleRate, int channels, string format, string? streamId, CancellationToken cancel) =>
        SendTextAsync(JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["sampleRate"] = sampleRate, ["channels"] = channels, ["format"] = format, ["streamId"] = streamId,
        }), cancel);

    public Task SendAudioAsync(ReadOnlyMemory<byte> frame, CancellationToken cancel) =>
        _socket.SendAsync(frame, WebSocketMessageType.Binary, true, cancel).AsTask();

    public Task EndAsync(CancellationToken cancel) => SendTextAsync("{\"type\":\"end\"}", cancel);

    /// <summary>The next JSON message, or null when the server closed the socket (see <see cref="CloseStatus"/>).</summary>
    public async Task<JsonElement?> ReceiveAsync(CancellationToken cancel)
    {
        using var message = new MemoryStream();
        while (true)
        {
            var result = await _socket.ReceiveAsync(_buffer, cancel);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                if (_socket.State == WebSocketState.CloseReceived)
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", cancel);
                return null;
            }
            message.Write(_buffer, 0, result.Count);
            if (!result.EndOfMessage) continue;
            using var doc = JsonDocument.Parse(message.ToArray());
            return doc.RootElement.Clone();
        }
    }

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    /// <summary>PCM16 little-endian bytes of mono or interleaved samples in [-1, 1].</summary>
    public static byte[] Pcm16(ReadOnlySpan<float> samples)
    {
        var bytes = new byte[samples.Length * 2];
        for (int i = 0; i < samples.Length; i++)
        {
            short v = (short)Math.Clamp(Math.Round(samples[i] * 32768.0), short.MinValue, short.MaxValue);
            bytes[2 * i] = (byte)v;
            bytes[2 * i + 1] = (byte)(v >> 8);
        }
        return bytes;
    }

    public void Dispose() => _socket.Dispose();
}
