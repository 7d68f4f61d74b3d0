using System.Buffers.Binary;

namespace EmotionCluster.Audio;

/// <summary>Writes mono or interleaved multi-channel WAV files (PCM 8/16/24/32 or float 32/64).</summary>
public static class WavWriter
{
    public static void Write(string path, AudioClip clip, SampleEncoding encoding = SampleEncoding.PcmSigned16) =>
        File.WriteAllBytes(path, ToBytes(clip.Samples, clip.SampleRate, 1, encoding));

    /// <summary>WAV bytes for <paramref name="interleaved"/> samples in [-1, 1] with <paramref name="channels"/> channels.</summary>
    public static byte[] ToBytes(ReadOnlySpan<float> interleaved, int sampleRate, int channels = 1,
        SampleEncoding encoding = SampleEncoding.PcmSigned16, bool extensible = false)
    {
        if (channels < 1 || channels > WavReader.MaxChannels)
            throw new ArgumentOutOfRangeException(nameof(channels), channels, $"1..{WavReader.MaxChannels} channels can be written");
        if (sampleRate < WavReader.MinSampleRate || sampleRate > WavReader.MaxSampleRate)
            throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, $"{WavReader.MinSampleRate}..{WavReader.MaxSampleRate} Hz can be written");
        if (interleaved.Length % channels != 0) throw new ArgumentException("sample count is not a multiple of the channel count");
        for (int i = 0; i < interleaved.Length; i++)
            if (!float.IsFinite(interleaved[i])) throw new ArgumentException($"sample {i} is {interleaved[i]}; only finite samples can be written", nameof(interleaved));
        int bits = encoding switch
        {
            SampleEncoding.PcmUnsigned8 => 8, SampleEncoding.PcmSigned16 => 16, SampleEncoding.PcmSigned24 => 24,
            SampleEncoding.PcmSigned32 => 32, SampleEncoding.Float32 => 32, SampleEncoding.Float64 => 64,
            _ => throw new ArgumentOutOfRangeException(nameof(encoding)),
        };
        bool isFloat = encoding is SampleEncoding.Float32 or SampleEncoding.Float64;
        int bps = bits / 8;
        long dataBytes = (long)interleaved.Length * bps;
        int fmtSize = extensible ? 40 : 16;
        long fileBytes = 12 + 8 + fmtSize + 8 + dataBytes + (dataBytes & 1); // an odd-sized chunk gets a pad byte
        if (fileBytes > WavReader.MaxFileBytes) throw new ArgumentException($"{fileBytes} bytes of WAV exceed the {WavReader.MaxFileBytes}-byte limit", nameof(interleaved));
        var b = new byte[fileBytes];
        var s = b.AsSpan();
        "RIFF"u8.CopyTo(s);
        BinaryPrimitives.WriteUInt32LittleEndian(s[4..], (uint)(b.Length - 8));
        "WAVE"u8.CopyTo(s[8..]);
        "fmt "u8.CopyTo(s[12..]);
        BinaryPrimitives.WriteUInt32LittleEndian(s[16..], (uint)fmtSize);
        ushort tag = extensible ? (ushort)0xFFFE : isFloat ? (ushort)3 : (ushort)1;
        BinaryPrimitives.WriteUInt16LittleEndian(s[20..], tag);
        BinaryPrimitives.WriteUInt16LittleEndian(s[22..], (ushort)channels);
        BinaryPrimitives.WriteUInt32LittleEndian(s[24..], (uint)sampleRate);
        BinaryPrimitives.WriteUInt32LittleEndian(s[28..], (uint)(sampleRate * bps * channels));
        BinaryPrimitives.WriteUInt16LittleEndian(s[32..], (ushort)(bps * channels));
        BinaryPrimitives.WriteUInt16LittleEndian(s[34..], (ushort)bits);
        if (extensible)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(s[36..], 22);
            BinaryPrimitives.WriteUInt16LittleEndian(s[38..], (ushort)bits);
            BinaryPrimitives.WriteUInt32LittleEndian(s[40..], 0);
            // KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT: {0000000X-0000-0010-8000-00aa00389b71}
            BinaryPrimitives.WriteUInt16LittleEndian(s[44..], isFloat ? (ushort)3 : (ushort)1);
            new byte[] { 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71 }.CopyTo(s[46..]);
        }
        int d = 20 + fmtSize;
        "data"u8.CopyTo(s[d..]);
        BinaryPrimitives.WriteUInt32LittleEndian(s[(d + 4)..], (uint)dataBytes);
        var data = s[(d + 8)..];
        for (int i = 0; i < interleaved.Length; i++)
        {
            double v = Math.Clamp((double)interleaved[i], -1.0, 1.0);
            var o = data.Slice(i * bps, bps);
            switch (encoding)
            {
                case SampleEncoding.PcmUnsigned8: o[0] = (byte)Math.Clamp(Math.Round(v * 128 + 128), 0, 255); break;
                case SampleEncoding.PcmSigned16: BinaryPrimitives.WriteInt16LittleEndian(o, (short)Math.Clamp(Math.Round(v * 32768), short.MinValue, short.MaxValue)); break;
                case SampleEncoding.PcmSigned24:
                    int x = (int)Math.Clamp(Math.Round(v * 8388608), -8388608, 8388607);
                    o[0] = (byte)x; o[1] = (byte)(x >> 8); o[2] = (byte)(x >> 16); break;
                case SampleEncoding.PcmSigned32: BinaryPrimitives.WriteInt32LittleEndian(o, (int)Math.Clamp(Math.Round(v * 2147483648.0), int.MinValue, int.MaxValue)); break;
                case SampleEncoding.Float32: BinaryPrimitives.WriteSingleLittleEndian(o, interleaved[i]); break;
                case SampleEncoding.Float64: BinaryPrimitives.WriteDoubleLittleEndian(o, interleaved[i]); break;
            }
        }
        return b;
    }
}
