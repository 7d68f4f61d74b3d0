using System.Net.WebSockets;
using System.Text;
using Akka.Actor;
using EmotionCluster.Audio;

namespace EmotionCluster.Streaming.Tests;

public sealed class ProtocolTests
{
    private static StartRequest Start(string json) => StartRequest.Parse(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Start_message_with_defaults()
    {
        var s = Start("""{"sampleRate":44100}""");
        Assert.Equal(new StartRequest(44100, 1, StreamFormat.Pcm16, null), s);
        Assert.Equal(new StartRequest(16000, 2, StreamFormat.Float32, "mic-1"), Start("""{"sampleRate":16000,"channels":2,"format":"float32","streamId":"mic-1"}"""));
    }

    [Theory]
    [InlineData("not json", "not JSON")]
    [InlineData("[1,2]", "JSON object")]
    [InlineData("""{"channels":1}""", "lacks \"sampleRate\"")]
    [InlineData("""{"sampleRate":100}""", "outside 4000..192000")]
    [InlineData("""{"sampleRate":16000,"channels":9}""", "channels 9")]
    [InlineData("""{"sampleRate":16000,"format":"mp3"}""", "format 'mp3' is unknown")]
    [InlineData("""{"sampleRate":16000,"streamId":"a/b"}""", "streamId 'a/b'")]
    [InlineData("""{"sampleRate":16000.5}""", "whole number")]
    public void Bad_start_messages_are_typed_errors(string json, string expected)
    {
        var e = Assert.Throws<StreamProtocolException>(() => Start(json));
        Assert.Equal(StreamErrorKind.BadMessage, e.Kind);
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, e.CloseStatus);
        Assert.Contains(expected, e.Message);
        Assert.Contains("sampleRate", e.Message); // says what to send
    }

    [Fact]
    public void Pcm16_frames_decode_and_stereo_is_averaged()
    {
        var d = new FrameDecoder(new StartRequest(16000, 2, StreamFormat.Pcm16, null), 1024);
        byte[] frame = [0x00, 0x40, 0x00, 0x20, 0x00, 0xC0, 0x00, 0xC0]; // (0.5, 0.25), (-0.5, -0.5)
        Assert.Equal([0.375f, -0.5f], d.Decode(frame));
    }

    [Fact]
    public void Odd_bytes_partial_frames_nan_and_oversized_frames_are_typed_errors()
    {
        var pcm = new FrameDecoder(new StartRequest(16000, 1, StreamFormat.Pcm16, null), 1024);
        var odd = Assert.Throws<StreamProtocolException>(() => pcm.Decode(new byte[101]));
        Assert.Equal(StreamErrorKind.BadAudio, odd.Kind);
        Assert.Contains("101 bytes", odd.Message);

        var stereo = new FrameDecoder(new StartRequest(16000, 2, StreamFormat.Pcm16, null), 1024);
        Assert.Contains("2-channel frames", Assert.Throws<StreamProtocolException>(() => stereo.Decode(new byte[6])).Message);

        var floats = new FrameDecoder(new StartRequest(16000, 1, StreamFormat.Float32, null), 1024);
        var nan = BitConverter.GetBytes(float.NaN).Concat(BitConverter.GetBytes(0.5f)).ToArray();
        var e = Assert.Throws<StreamProtocolException>(() => floats.Decode(nan));
        Assert.Equal(StreamErrorKind.BadAudio, e.Kind);
        Assert.Contains("NaN", e.Message);
        Assert.Equal(0.5f, floats.Decode(BitConverter.GetBytes(0.5f))[0]);

        var big = Assert.Throws<StreamProtocolException>(() => pcm.Decode(new byte[1026]));
        Assert.Equal(StreamErrorKind.TooBig, big.Kind);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, big.CloseStatus);
    }
}
