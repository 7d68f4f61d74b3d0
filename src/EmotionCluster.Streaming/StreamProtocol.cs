using System.Net.WebSockets;
using System.Text.Json;
using EmotionCluster.Audio;

namespace EmotionCluster.Streaming;

public enum StreamFormat { Pcm16, Float32 }

/// <summary>What went wrong with a client's stream; decides the WebSocket close status.</summary>
public enum StreamErrorKind
{
    /// <summary>The start message or a control message is not valid JSON or lacks what it needs (1007).</summary>
    BadMessage,
    /// <summary>A binary frame is not whole samples, or holds NaN/infinite/absurd floats (1007).</summary>
    BadAudio,
    /// <summary>A message is larger than MaxFrameBytes (1009).</summary>
    TooBig,
    /// <summary>The node takes no more streams, or the stream id is in use (1013).</summary>
    Unavailable,
    /// <summary>The node has no model or inference failed (1011).</summary>
    ServerError,
}

/// <summary>A stream that cannot go on; the message says what the client sent and what to do.</summary>
public sealed class StreamProtocolException(StreamErrorKind kind, string message, Exception? inner = null) : Exception(message, inner)
{
    public StreamErrorKind Kind { get; } = kind;

    public WebSocketCloseStatus CloseStatus => CloseStatusFor(Kind);

    public static WebSocketCloseStatus CloseStatusFor(StreamErrorKind kind) => kind switch
    {
        StreamErrorKind.BadMessage or StreamErrorKind.BadAudio => WebSocketCloseStatus.InvalidPayloadData,
        StreamErrorKind.TooBig => WebSocketCloseStatus.MessageTooBig,
        StreamErrorKind.Unavailable => (WebSocketCloseStatus)1013, // try again later
        _ => WebSocketCloseStatus.InternalServerError,
    };
}

/// <summary>The client's first message: <c>{"sampleRate":16000,"channels":1,"format":"pcm16","streamId":"optional"}</c>.</summary>
public sealed record StartRequest(int SampleRate, int Channels, StreamFormat Format, string? StreamId)
{
    public const int MinSampleRate = 4000;
    public const int MaxSampleRate = 192_000;
    public const int MaxStreamIdLength = 64;

    /// <exception cref="StreamProtocolException">anything but a valid start message.</exception>
    public static StartRequest Parse(ReadOnlySpan<byte> json)
    {
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(json.ToArray());
            root = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw Bad($"the start message is not JSON ({e.Message})");
        }
        if (root.ValueKind != JsonValueKind.Object) throw Bad("the start message must be a JSON object");
        int rate = Int(root, "sampleRate");
        if (rate is < MinSampleRate or > MaxSampleRate) throw Bad($"sampleRate {rate} is outside {MinSampleRate}..{MaxSampleRate} Hz");
        int channels = root.TryGetProperty("channels", out _) ? Int(root, "channels") : 1;
        if (channels is < 1 or > 8) throw Bad($"channels {channels} is outside 1..8");
        StreamFormat format = StreamFormat.Pcm16;
        if (root.TryGetProperty("format", out JsonElement f))
            format = f.ValueKind == JsonValueKind.String ? f.GetString() switch
            {
                "pcm16" => StreamFormat.Pcm16,
                "float32" => StreamFormat.Float32,
                var other => throw Bad($"format '{other}' is unknown; use \"pcm16\" (signed 16-bit little-endian) or \"float32\" (IEEE little-endian)"),
            } : throw Bad("format must be a string: \"pcm16\" or \"float32\"");
        string? id = null;
        if (root.TryGetProperty("streamId", out JsonElement s) && s.ValueKind != JsonValueKind.Null)
        {
            id = s.ValueKind == JsonValueKind.String ? s.GetString() : throw Bad("streamId must be a string");
            if (string.IsNullOrEmpty(id) || id.Length > MaxStreamIdLength || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
                throw Bad($"streamId '{id}' must be 1..{MaxStreamIdLength} letters, digits, '-', '_' or '.'");
        }
        return new StartRequest(rate, channels, format, id);
    }

    /// <summary>Bytes of one sample frame (all channels).</summary>
    public int FrameBytes => Channels * (Format == StreamFormat.Pcm16 ? 2 : 4);

    private static int Int(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out JsonElement v)) throw Bad($"the start message lacks \"{name}\"");
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int n)) throw Bad($"\"{name}\" must be a whole number");
        return n;
    }

    private static StreamProtocolException Bad(string what) =>
        new(StreamErrorKind.BadMessage, $"{what}. Send {{\"sampleRate\":16000,\"channels\":1,\"format\":\"pcm16\"}} first, then binary audio frames.");
}

/// <summary>Binary frames of a started stream to mono floats, with the checks of <see cref="RawPcm"/> and a size limit.</summary>
public sealed class FrameDecoder(StartRequest start, int maxFrameBytes)
{
    public StartRequest Start { get; } = start;
    public int MaxFrameBytes { get; } = maxFrameBytes;

    /// <exception cref="StreamProtocolException">an oversized frame, partial samples or frames, or bad float samples.</exception>
    public float[] Decode(ReadOnlySpan<byte> frame)
    {
        if (frame.Length > MaxFrameBytes)
            throw new StreamProtocolException(StreamErrorKind.TooBig,
                $"audio frame of {frame.Length} bytes is larger than the limit of {MaxFrameBytes} bytes; send smaller frames (e.g. 100 ms each)");
        try
        {
            return Start.Format == StreamFormat.Pcm16
                ? RawPcm.DecodePcm16(frame, Start.Channels, "pcm16 audio frame")
                : RawPcm.DecodeFloat32(frame, Start.Channels, "float32 audio frame");
        }
        catch (AudioFormatException e)
        {
            throw new StreamProtocolException(StreamErrorKind.BadAudio, e.Message, e);
        }
    }
}
