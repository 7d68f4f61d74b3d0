namespace EmotionCluster.Audio;

/// <summary>
/// Headerless interleaved little-endian audio (e.g. frames of a live stream) to mono floats, channels averaged.
/// A buffer that does not hold whole frames, a bad channel count, or non-finite float samples are an
/// <see cref="AudioFormatException"/> naming <c>sourceName</c>.
/// </summary>
public static class RawPcm
{
    /// <summary>Signed 16-bit PCM (2 bytes a sample) scaled to [-1, 1).</summary>
    public static float[] DecodePcm16(ReadOnlySpan<byte> bytes, int channels, string sourceName = "PCM16 stream") =>
        Decode(bytes, channels, SampleEncoding.PcmSigned16, sourceName);

    /// <summary>IEEE float 32-bit (4 bytes a sample); NaN, infinite or absurdly large samples are rejected.</summary>
    public static float[] DecodeFloat32(ReadOnlySpan<byte> bytes, int channels, string sourceName = "float32 stream") =>
        Decode(bytes, channels, SampleEncoding.Float32, sourceName);

    private static float[] Decode(ReadOnlySpan<byte> bytes, int channels, SampleEncoding encoding, string sourceName)
    {
        if (channels < 1 || channels > WavReader.MaxChannels)
            throw new AudioFormatException(sourceName, $"channel count {channels} is invalid; 1..{WavReader.MaxChannels} are supported");
        int bytesPerSample = SampleDecoder.BytesPerSample(encoding);
        int frameBytes = bytesPerSample * channels;
        if (bytes.Length % frameBytes != 0)
        {
            string what = bytes.Length % bytesPerSample != 0
                ? $"is not a whole number of {bytesPerSample}-byte samples"
                : $"is not a whole number of {channels}-channel frames ({frameBytes} bytes each)";
            throw new AudioFormatException(sourceName, $"{bytes.Length} bytes {what}; send whole frames");
        }
        return SampleDecoder.DecodeMono(bytes, encoding, channels, sourceName);
    }
}
