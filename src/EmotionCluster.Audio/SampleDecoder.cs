using System.Buffers.Binary;

namespace EmotionCluster.Audio;

/// <summary>Interleaved little-endian sample bytes to mono floats; shared by <see cref="WavReader"/> and <see cref="RawPcm"/>.</summary>
internal static class SampleDecoder
{
    /// <summary>Float samples beyond this magnitude (60 dB over full scale) are treated as corrupt data.</summary>
    public const float MaxFloatMagnitude = 1000f;

    public static int BytesPerSample(SampleEncoding encoding) => encoding switch
    {
        SampleEncoding.PcmUnsigned8 => 1,
        SampleEncoding.PcmSigned16 => 2,
        SampleEncoding.PcmSigned24 => 3,
        SampleEncoding.PcmSigned32 or SampleEncoding.Float32 => 4,
        SampleEncoding.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "unknown sample encoding"),
    };

    /// <summary>
    /// Decodes whole frames of <paramref name="data"/> (a trailing partial frame is ignored) and averages the channels.
    /// Float samples that are NaN, infinite or beyond <see cref="MaxFloatMagnitude"/> are an <see cref="AudioFormatException"/>.
    /// </summary>
    public static float[] DecodeMono(ReadOnlySpan<byte> data, SampleEncoding encoding, int channels, string sourceName)
    {
        int bps = BytesPerSample(encoding);
        int frameBytes = bps * channels;
        int frames = data.Length / frameBytes;
        bool isFloat = encoding is SampleEncoding.Float32 or SampleEncoding.Float64;
        var mono = new float[frames];
        double scale = 1.0 / channels;
        for (int f = 0; f < frames; f++)
        {
            ReadOnlySpan<byte> frame = data.Slice(f * frameBytes, frameBytes);
            double sum = 0;
            for (int c = 0; c < channels; c++)
            {
                double v = Decode(frame.Slice(c * bps, bps), encoding);
                if (isFloat && !(Math.Abs(v) <= MaxFloatMagnitude)) // also catches NaN
                    throw new AudioFormatException(sourceName,
                        $"float sample at frame {f}, channel {c} is {v}; samples must be finite and near [-1, 1] (corrupt float data?)");
                sum += v;
            }
            mono[f] = (float)(sum * scale);
        }
        return mono;
    }

    private static double Decode(ReadOnlySpan<byte> s, SampleEncoding encoding) => encoding switch
    {
        SampleEncoding.PcmUnsigned8 => (s[0] - 128) / 128.0,
        SampleEncoding.PcmSigned16 => BinaryPrimitives.ReadInt16LittleEndian(s) / 32768.0,
        SampleEncoding.PcmSigned24 => (s[0] | (s[1] << 8) | ((sbyte)s[2] << 16)) / 8388608.0,
        SampleEncoding.PcmSigned32 => BinaryPrimitives.ReadInt32LittleEndian(s) / 2147483648.0,
        SampleEncoding.Float32 => BinaryPrimitives.ReadSingleLittleEndian(s),
        SampleEncoding.Float64 => BinaryPrimitives.ReadDoubleLittleEndian(s),
        _ => throw new ArgumentOutOfRangeException(nameof(encoding)),
    };
}
