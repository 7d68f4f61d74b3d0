namespace EmotionCluster.Audio;

/// <summary>How clips are brought to a common form before feature extraction.</summary>
public sealed record AudioSettings
{
    public const int MinTargetSampleRate = 4000;
    public const int MaxTargetSampleRate = 192_000;

    /// <summary>Every clip is resampled to this rate (Hz).</summary>
    public int TargetSampleRate { get; init; } = 16000;
    public PreprocessSettings Preprocess { get; init; } = new();

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> or <see cref="ArgumentNullException"/> naming the bad setting.</summary>
    public void Validate()
    {
        if (TargetSampleRate is < MinTargetSampleRate or > MaxTargetSampleRate)
            throw new ArgumentOutOfRangeException($"{nameof(AudioSettings)}.{nameof(TargetSampleRate)}", TargetSampleRate,
                $"{nameof(AudioSettings)}.{nameof(TargetSampleRate)} = {TargetSampleRate} Hz is invalid; it must be in " +
                $"{MinTargetSampleRate}..{MaxTargetSampleRate} Hz (16000 is usual for speech).");
        if (Preprocess is null)
            throw new ArgumentNullException($"{nameof(AudioSettings)}.{nameof(Preprocess)}",
                $"{nameof(AudioSettings)}.{nameof(Preprocess)} is missing; use {nameof(PreprocessSettings)}.{nameof(PreprocessSettings.Off)} to switch preprocessing off.");
        Preprocess.Validate();
    }
}

/// <summary>A clip ready for feature extraction, and what its file header said.</summary>
public sealed record LoadedAudio(AudioClip Clip, WavInfo Original);

/// <summary>
/// WAV file → mono (channels averaged) → <see cref="Resampler"/> to the target rate → <see cref="Preprocessor"/>.
/// Settings are validated on construction. Bad files are an <see cref="AudioFormatException"/> naming the file.
/// Stateless after construction, so one loader may serve many threads.
/// </summary>
public sealed class AudioLoader
{
    private readonly Preprocessor _preprocessor;

    public AudioLoader(AudioSettings? settings = null)
    {
        Settings = settings ?? new AudioSettings();
        Settings.Validate();
        _preprocessor = new Preprocessor(Settings.Preprocess);
    }

    public AudioSettings Settings { get; }

    public LoadedAudio Load(string path)
    {
        var (clip, info) = WavReader.Read(path);
        return new LoadedAudio(Prepare(clip), info);
    }

    public LoadedAudio Load(ReadOnlySpan<byte> wavBytes, string sourceName)
    {
        var (clip, info) = WavReader.Read(wavBytes, sourceName);
        return new LoadedAudio(Prepare(clip), info);
    }

    /// <summary>Resampling and preprocessing alone, for mono audio that did not come from a WAV file (e.g. <see cref="RawPcm"/>).</summary>
    public AudioClip Prepare(AudioClip clip)
    {
        ArgumentNullException.ThrowIfNull(clip);
        if (clip.SampleRate <= 0) throw new ArgumentOutOfRangeException(nameof(clip), clip.SampleRate, "the clip's sample rate must be positive");
        var resampled = clip.SampleRate == Settings.TargetSampleRate
            ? clip
            : new AudioClip(Resampler.Resample(clip.Samples, clip.SampleRate, Settings.TargetSampleRate), Settings.TargetSampleRate);
        return _preprocessor.Apply(resampled);
    }

    /// <summary>
    /// <see cref="Prepare"/> of <paramref name="samples"/> at <paramref name="sampleRate"/> into <c>[0, length)</c> of an
    /// array rented from <see cref="System.Buffers.ArrayPool{T}.Shared"/> (the same samples, bit for bit; return the array
    /// when done): no per-call arrays at the target rate (<see cref="Preprocessor.ApplyRented(ReadOnlySpan{float}, int, out int)"/>).
    /// </summary>
    public float[] PrepareRented(float[] samples, int sampleRate, out int length) => PrepareRented(samples, sampleRate, out length, null, 0);

    /// <summary>
    /// <see cref="PrepareRented(float[], int, out int)"/> for a stream's window at <paramref name="position"/>: gated by the
    /// stream's <paramref name="gate"/> (<see cref="Preprocessor.ApplyRented(ReadOnlySpan{float}, int, out int, StreamGate?, long)"/>)
    /// when the stream is at the target rate; a window that must be resampled first is gated on its own.
    /// </summary>
    public float[] PrepareRented(float[] samples, int sampleRate, out int length, StreamGate? gate, long position)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (sampleRate <= 0) throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "the clip's sample rate must be positive");
        if (sampleRate == Settings.TargetSampleRate) return _preprocessor.ApplyRented(samples, sampleRate, out length, gate, position);
        float[] atRate = Resampler.Resample(samples, sampleRate, Settings.TargetSampleRate);
        return _preprocessor.ApplyRented(atRate, Settings.TargetSampleRate, out length);
    }
}
