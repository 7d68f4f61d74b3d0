using System.Buffers.Binary;
using Xunit;

namespace EmotionCluster.Audio.Tests;

public class RawPcmTests
{
    [Fact]
    public void Pcm16_mono_is_scaled_to_plus_minus_one()
    {
        byte[] bytes = new byte[8];
        short[] values = [0, 16384, -32768, 32767];
        for (int i = 0; i < 4; i++) BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(2 * i), values[i]);

        Assert.Equal([0f, 0.5f, -1f, 32767 / 32768f], RawPcm.DecodePcm16(bytes, 1));
    }

    [Fact]
    public void Pcm16_stereo_is_averaged()
    {
        byte[] bytes = new byte[8];
        short[] values = [16384, 0, -16384, -16384]; // frames (0.5, 0), (-0.5, -0.5)
        for (int i = 0; i < 4; i++) BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(2 * i), values[i]);

        Assert.Equal([0.25f, -0.5f], RawPcm.DecodePcm16(bytes, 2));
    }

    [Fact]
    public void Float32_decodes_and_averages()
    {
        byte[] bytes = new byte[16];
        float[] values = [0.5f, 0.25f, -1f, 1f];
        for (int i = 0; i < 4; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);

        Assert.Equal(values, RawPcm.DecodeFloat32(bytes, 1));
        Assert.Equal([0.375f, 0f], RawPcm.DecodeFloat32(bytes, 2));
    }

    [Fact]
    public void Empty_buffer_is_no_samples() => Assert.Empty(RawPcm.DecodePcm16([], 1));

    [Fact]
    public void Odd_byte_count_is_rejected_with_the_reason()
    {
        var e = Assert.Throws<AudioFormatException>(() => RawPcm.DecodePcm16(new byte[5], 1, "mic-7"));
        Assert.Equal("mic-7", e.SourceName);
        Assert.Contains("5 bytes", e.Reason);
        Assert.Contains("2-byte samples", e.Reason);
    }

    [Fact]
    public void Partial_frame_is_rejected_with_the_reason()
    {
        var e = Assert.Throws<AudioFormatException>(() => RawPcm.DecodePcm16(new byte[6], 2));
        Assert.Contains("2-channel frames", e.Reason);
        Assert.Throws<AudioFormatException>(() => RawPcm.DecodeFloat32(new byte[6], 1));
        Assert.Throws<AudioFormatException>(() => RawPcm.DecodeFloat32(new byte[12], 2));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(65)]
    public void Bad_channel_count_is_rejected(int channels) =>
        Assert.Contains("channel count", Assert.Throws<AudioFormatException>(() => RawPcm.DecodePcm16(new byte[4], channels)).Reason);

    [Fact]
    public void Non_finite_float_is_rejected()
    {
        byte[] bytes = new byte[8];
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4), float.NaN);
        Assert.Contains("frame 1", Assert.Throws<AudioFormatException>(() => RawPcm.DecodeFloat32(bytes, 1)).Reason);
    }
}
