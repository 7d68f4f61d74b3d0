namespace EmotionCluster.Audio;

/// <summary>Mono audio as float samples in [-1, 1] at a known sample rate.</summary>
public sealed record AudioClip(float[] Samples, int SampleRate)
{
    public double DurationSeconds => SampleRate > 0 ? (double)Samples.Length / SampleRate : 0;
}

public enum SampleEncoding { PcmUnsigned8, PcmSigned16, PcmSigned24, PcmSigned32, Float32, Float64 }

/// <summary>What the file header said, before downmixing and resampling.</summary>
public sealed record WavInfo(SampleEncoding Encoding, int BitsPerSample, int Channels, int SampleRate, long Frames)
{
    public double DurationSeconds => SampleRate > 0 ? (double)Frames / SampleRate : 0;

    /// <summary>Short human-readable format, e.g. "PCM16 mono 16000 Hz".</summary>
    public string Describe() =>
        $"{(Encoding is SampleEncoding.Float32 or SampleEncoding.Float64 ? "FLOAT" : "PCM")}{BitsPerSample} " +
        $"{(Channels == 1 ? "mono" : Channels == 2 ? "stereo" : $"{Channels}ch")} {SampleRate} Hz";
}

/// <summary>Audio that cannot be used, with the file (or stream) name and the reason.</summary>
public sealed class AudioFormatException : Exception
{
    public AudioFormatException(string source, string reason, Exception? inner = null)
        : base($"{source}: {reason}", inner)
    {
        SourceName = source;
        Reason = reason;
    }

    public string SourceName { get; }
    public string Reason { get; }
}
