using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using EmotionCluster.Audio;
using EmotionCluster.Streaming;

namespace EmotionCluster.Cli;

/// <summary>
/// <c>emotioncluster stream FILE.wav --node URL [--token-file FILE] [--realtime] [--json]</c>: sends a WAV file to a node's
/// live-streaming WebSocket (<c>/ws/stream</c>, docs/streaming.md) as 16-bit mono PCM at the file's rate, in 100 ms
/// frames, and prints the emotion timeline. Without <c>--realtime</c> it sends as fast as the node keeps up (never more
/// than half the node's buffer ahead of the last prediction, so no window is dropped).
/// </summary>
public static class StreamCommands
{
    public const string Path = "/ws/stream";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "WAV file (any rate, PCM or float; channels are averaged)." };
        var node = new Option<string?>("--node") { Description = $"The node's HTTP endpoint, e.g. http://127.0.0.1:8080 (default: ${CtlCommands.NodeVariable}, else {CtlCommands.DefaultNode})." };
        var token = new Option<string?>("--token") { Description = $"Bearer token of the node. Discouraged: ps shows it; use --token-file or ${CtlCommands.TokenVariable}." };
        var tokenFile = CtlCommands.TokenFileOption();
        var realtime = new Option<bool>("--realtime") { Description = "Send at the audio's own pace (like a microphone) instead of as fast as possible." };
        var json = new Option<bool>("--json") { Description = "Print every message from the node as one JSON line." };
        var command = new Command("stream", "Stream a WAV file to a node's live emotion recognition and print the timeline.")
        {
            file, node, token, tokenFile, realtime, json,
        };
        command.SetAction(parseResult => CliErrors.Run(parseResult, output => RunAsync(output,
            parseResult.GetValue(file)!,
            CtlCommands.ResolveNode(parseResult.GetValue(node), Environment.GetEnvironmentVariable),
            CtlCommands.ResolveToken(parseResult.GetValue(token), Environment.GetEnvironmentVariable, parseResult.GetValue(tokenFile)),
            parseResult.GetValue(realtime), parseResult.GetValue(json)).GetAwaiter().GetResult()));
        return command;
    }

    public static async Task<int> RunAsync(TextWriter output, string wavPath, Uri node, string? token, bool realtime, bool json)
    {
        if (!File.Exists(wavPath)) throw new CliException($"{wavPath}: file not found");
        var (clip, info) = WavReader.Read(wavPath);
        if (clip.Samples.Length == 0) throw new CliException($"{wavPath}: the file holds no audio");
        byte[] pcm = StreamClient.Pcm16(clip.Samples);
        var uri = new UriBuilder(node) { Scheme = node.Scheme == "https" ? "wss" : "ws", Path = Path }.Uri;

        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (token is not null) socket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
        using var cancel = new CancellationTokenSource();
        try
        {
            await socket.ConnectAsync(uri, cancel.Token).WaitAsync(Timeout);
        }
        catch (Exception e) when (e is WebSocketException or HttpRequestException or TimeoutException)
        {
            throw new CliException(socket.HttpStatusCode == System.Net.HttpStatusCode.Unauthorized
                ? $"{node} refused the token; pass the node's token with --token-file FILE or ${CtlCommands.TokenVariable}"
                : $"cannot stream to {uri}: {e.Message} (is the node running with an HTTP endpoint?)");
        }

        string start = JsonSerializer.Serialize(new { sampleRate = clip.SampleRate, channels = 1, format = "pcm16" });
        await socket.SendAsync(Encoding.UTF8.GetBytes(start), WebSocketMessageType.Text, true, cancel.Token);
        JsonElement started = await Receive(socket, cancel.Token).WaitAsync(Timeout) ?? throw new CliException($"{node} closed the stream before starting it");
        if (json) output.WriteLine(started.GetRawText());
        if (Type(started) == "error") throw new CliException($"the node refused the stream: {started.GetProperty("message").GetString()}");
        // without --realtime: stay at most this far ahead of the last prediction, within the node's buffer
        double ahead = Math.Max(started.GetProperty("maxBufferedSeconds").GetDouble() / 2, started.GetProperty("windowSeconds").GetDouble());
        if (!json)
            output.WriteLine($"{System.IO.Path.GetFileName(wavPath)}: {info.Describe()}, {clip.DurationSeconds:0.00} s; model {started.GetProperty("model").GetString()}, " +
                $"window {started.GetProperty("windowSeconds").GetDouble():0.##} s every {started.GetProperty("hopSeconds").GetDouble():0.##} s");

        double lastPrediction = 0; // seconds of audio predicted so far (flow control without --realtime)
        int predictions = 0, uncertain = 0, warned = 0;
        string? lastWarning = null;
        string? failure = null;
        JsonElement? end = null;
        var receiver = Task.Run(async () =>
        {
            while (await Receive(socket, cancel.Token) is { } m)
            {
                if (json) lock (output) output.WriteLine(m.GetRawText());
                switch (Type(m))
                {
                    case "prediction":
                        predictions++;
                        Volatile.Write(ref lastPrediction, m.GetProperty("t").GetDouble());
                        if (Flag(m, "uncertain")) uncertain++;
                        string? warning = m.TryGetProperty("warning", out var w) ? w.GetString() : null;
                        if (warning is not null) warned++;
                        if (!json) lock (output)
                        {
                            // the level's full text once when it changes; each line carries its short tags
                            if (warning is not null && StartOf(warning) != StartOf(lastWarning)) output.WriteLine($"  warning: {warning}");
                            output.WriteLine(Line(m));
                        }
                        lastWarning = warning;
                        break;
                    case "overload":
                        if (!json) lock (output) output.WriteLine($"  overload: {m.GetProperty("droppedHops").GetInt64()} windows, {m.GetProperty("droppedFrames").GetInt64()} frames dropped so far");
                        break;
                    case "error":
                        failure = m.GetProperty("message").GetString();
                        break;
                    case "end":
                        end = m;
                        break;
                }
            }
        });

        int frameBytes = clip.SampleRate / 10 * 2; // 100 ms
        var clock = Stopwatch.StartNew();
        for (int at = 0; at < pcm.Length && !receiver.IsCompleted; at += frameBytes)
        {
            double sentSeconds = at / 2.0 / clip.SampleRate;
            if (realtime)
            {
                var due = TimeSpan.FromSeconds(sentSeconds) - clock.Elapsed;
                if (due > TimeSpan.Zero) await Task.Delay(due);
            }
            else
            {
                while (sentSeconds - Volatile.Read(ref lastPrediction) > ahead && !receiver.IsCompleted) await Task.Delay(5);
            }
            if (socket.State != WebSocketState.Open) break;
            await socket.SendAsync(pcm.AsMemory(at, Math.Min(frameBytes, pcm.Length - at)), WebSocketMessageType.Binary, true, cancel.Token);
        }
        if (socket.State == WebSocketState.Open)
            await socket.SendAsync("{\"type\":\"end\"}"u8.ToArray(), WebSocketMessageType.Text, true, cancel.Token);
        await receiver.WaitAsync(Timeout + TimeSpan.FromSeconds(clip.DurationSeconds));

        if (failure is not null) throw new CliException($"the node ended the stream: {failure}");
        if (end is null) throw new CliException($"the stream closed without an end message ({socket.CloseStatus} {socket.CloseStatusDescription})");
        if (!json)
            output.WriteLine($"{predictions} predictions in {clock.Elapsed.TotalSeconds:0.0} s; {end.Value.GetProperty("droppedHops").GetInt64()} windows dropped; " +
                $"{uncertain} uncertain (current emotion's probability below {(started.TryGetProperty("uncertainBelow", out var u) ? u.GetDouble().ToString("0.##", CultureInfo.InvariantCulture) : "the node's threshold")}), " +
                $"{warned} with an input level warning");
        return CliErrors.Ok;
    }

    /// <summary>
    /// One hop: the window, this hop's label, the smoothed emotion (or <c>uncertain (anger?)</c> when the node marked it
    /// so), the probabilities, and <c>[quiet]</c> / <c>[clipped]</c> for the window's level. Fields a node of an
    /// earlier version does not send are left out.
    /// </summary>
    public static string Line(JsonElement m)
    {
        var probabilities = m.GetProperty("probabilities").EnumerateObject().Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Name} {p.Value.GetDouble():0.00}"));
        string smoothed = m.GetProperty("smoothed").GetString() ?? "";
        if (Flag(m, "uncertain")) smoothed = $"uncertain ({smoothed}?)";
        string tags = m.TryGetProperty("warnings", out var warnings) && warnings.ValueKind == JsonValueKind.Array
            ? string.Concat(warnings.EnumerateArray().Select(w => $"  [{w.GetString()}]"))
            : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{m.GetProperty("start").GetDouble(),7:0.00}-{m.GetProperty("t").GetDouble(),6:0.00} s  {m.GetProperty("label").GetString(),-10} smoothed {smoothed,-10} {string.Join("  ", probabilities)}{tags}");
    }

    private static bool Flag(JsonElement m, string name) => m.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    /// <summary>The kind of a warning line ("too quiet", "clipped"), without the numbers that change from hop to hop.</summary>
    private static string? StartOf(string? warning) => warning?.Split(':')[0];

    private static string? Type(JsonElement m) => m.TryGetProperty("type", out var t) ? t.GetString() : null;

    private static async Task<JsonElement?> Receive(ClientWebSocket socket, CancellationToken cancel)
    {
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            WebSocketReceiveResult r;
            try { r = await socket.ReceiveAsync(buffer, cancel); }
            catch (WebSocketException) { return null; }
            if (r.MessageType == WebSocketMessageType.Close)
            {
                if (socket.State == WebSocketState.CloseReceived) await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", cancel);
                return null;
            }
            message.Write(buffer, 0, r.Count);
            if (r.EndOfMessage)
            {
                using var doc = JsonDocument.Parse(message.ToArray());
                return doc.RootElement.Clone();
            }
        }
    }
}
