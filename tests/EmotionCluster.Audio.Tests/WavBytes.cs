using System.Buffers.Binary;
using System.Text;

namespace EmotionCluster.Audio.Tests;

/// <summary>Builds valid and deliberately broken WAV byte strings.</summary>
internal static class WavBytes
{
    /// <summary>A valid 16-bit mono WAV of <paramref name="frames"/> samples of a ramp.</summary>
    public static byte[] Pcm16(int frames = 100, int rate = 16000, int channels = 1) =>
        WavWriter.ToBytes(Enumerable.Range(0, frames * channels).Select(i => (i % 200 - 100) / 128f).ToArray(), rate, channels);

    public static byte[] Chunk(string id, ReadOnlySpan<byte> body, bool pad = true)
    {
        var b = new byte[8 + body.Length + (pad ? body.Length & 1 : 0)];
        Encoding.ASCII.GetBytes(id).CopyTo(b, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), (uint)body.Length);
        body.CopyTo(b.AsSpan(8));
        return b;
    }

    /// <summary>RIFF/WAVE around the given chunks, in the given order.</summary>
    public static byte[] Riff(params byte[][] chunks)
    {
        byte[] body = chunks.SelectMany(c => c).ToArray();
        var b = new byte[12 + body.Length];
        "RIFF"u8.CopyTo(b);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), (uint)(4 + body.Length));
        "WAVE"u8.CopyTo(b.AsSpan(8));
        body.CopyTo(b, 12);
        return b;
    }

    public static byte[] FmtBody(ushort tag, ushort channels, uint rate, ushort bits)
    {
        var f = new byte[16];
        BinaryPrimitives.WriteUInt16LittleEndian(f, tag);
        BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(2), channels);
        BinaryPrimitives.WriteUInt32LittleEndian(f.AsSpan(4), rate);
        BinaryPrimitives.WriteUInt32LittleEndian(f.AsSpan(8), rate * channels * (uint)(bits / 8));
        BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(12), (ushort)(channels * bits / 8));
        BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(14), bits);
        return f;
    }

    public static byte[] With(this byte[] bytes, int offset, params byte[] patch)
    {
        byte[] copy = (byte[])bytes.Clone();
        patch.CopyTo(copy, offset);
        return copy;
    }

    public static byte[] WithUInt32(this byte[] bytes, int offset, uint value)
    {
        byte[] copy = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(offset), value);
        return copy;
    }

    public static byte[] WithUInt16(this byte[] bytes, int offset, ushort value)
    {
        byte[] copy = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(offset), value);
        return copy;
    }

    /// <summary>Offsets in a plain 44-byte-header file from <see cref="WavWriter"/>.</summary>
    public const int Channels = 22, SampleRate = 24, BlockAlign = 32, Bits = 34, DataSize = 40, Data = 44;
}
