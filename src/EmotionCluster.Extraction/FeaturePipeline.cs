using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using EmotionCluster.Audio;
using EmotionCluster.Features;

namespace EmotionCluster.Extraction;

/// <summary>
/// Everything that decides a clip's features: how audio is loaded and cleaned (<see cref="AudioSettings"/>) and the
/// log-mel parameters (<see cref="MelSettings"/>). Travels between nodes as JSON; its hash keys the feature store.
/// </summary>
public sealed record FeaturePipelineSettings
{
    /// <summary>Bump when the extraction code changes its output for the same settings.</summary>
    public const int PipelineVersion = 1;

    public AudioSettings Audio { get; init; } = new();
    public MelSettings Mel { get; init; } = new();
    /// <summary>Log-mel spectrogram (the default) or MFCCs computed from it.</summary>
    public FeatureKind Kind { get; init; } = FeatureKind.LogMel;
    /// <summary>Number of MFCCs when <see cref="Kind"/> is <see cref="FeatureKind.Mfcc"/> (at most <see cref="MelSettings.NMels"/>).</summary>
    public int MfccCount { get; init; } = 40;

    /// <summary>
    /// A frozen pretrained encoder (an ONNX file) whose embeddings are the features instead of the log-mel bands (which
    /// it may take as its input); null: none. Its SHA-256 is hashed into <see cref="Hash"/>, its path is not.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public EncoderSettings? Encoder { get; init; }

    /// <summary>Rows of one feature matrix: mel bands, MFCCs or the encoder's embedding size.</summary>
    public int Bins => Encoder?.Dimensions ?? (Kind == FeatureKind.Mfcc ? MfccCount : Mel.NMels);

    /// <summary>Feature frames per second of audio: the mel hop's, or the encoder's embedding rate (0: one per clip). Not written (nor hashed).</summary>
    [JsonIgnore]
    public double FramesPerSecond => Encoder?.FramesPerSecond ?? (double)Mel.SampleRate / Mel.HopLength;

    /// <summary>
    /// These settings with the encoder file at <paramref name="path"/> (checked against the recorded SHA-256 when a
    /// featurizer opens it); null: unchanged.
    /// </summary>
    /// <exception cref="ArgumentException">a path is given but these settings use no encoder.</exception>
    public FeaturePipelineSettings WithEncoderAt(string? path) =>
        path is null ? this
        : Encoder is null ? throw new ArgumentException($"--encoder {path}: the model uses no encoder (its features are {Kind}); leave --encoder out.")
        : this with { Encoder = Encoder with { Path = System.IO.Path.GetFullPath(path) } };

    public static FeaturePipelineSettings Default { get; } = new();

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = false,
        Converters = { new JsonStringEnumConverter() },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        Audio.Validate();
        Mel.Validate();
        if (!Enum.IsDefined(Kind)) throw new ArgumentException($"Kind {(int)Kind} is not a feature kind; use LogMel or Mfcc.");
        if (Kind == FeatureKind.Mfcc && (MfccCount < 1 || MfccCount > Mel.NMels))
            throw new ArgumentException($"MfccCount {MfccCount} must be between 1 and Mel.NMels ({Mel.NMels}).");
        if (Mel.SampleRate != Audio.TargetSampleRate)
            throw new ArgumentException($"Mel.SampleRate ({Mel.SampleRate} Hz) must equal Audio.TargetSampleRate ({Audio.TargetSampleRate} Hz): audio is resampled to the target rate before the mel spectrogram.");
        if (Encoder is { } e)
        {
            e.Validate();
            if (e.SampleRate != Audio.TargetSampleRate)
                throw new ArgumentException($"Encoder.SampleRate ({e.SampleRate} Hz) must equal Audio.TargetSampleRate ({Audio.TargetSampleRate} Hz): audio is resampled to the encoder's rate (--encoder-rate sets both).");
            if (e.Input == EncoderInput.LogMel && Kind != FeatureKind.LogMel)
                throw new ArgumentException($"a log-mel encoder takes log-mel features, but Kind is {Kind}: set Kind to LogMel.");
        }
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <exception cref="ArgumentException">malformed JSON, unknown keys or invalid values (the message says which).</exception>
    public static FeaturePipelineSettings FromJson(string json)
    {
        FeaturePipelineSettings? s;
        try { s = JsonSerializer.Deserialize<FeaturePipelineSettings>(json, Json); }
        catch (JsonException e) { throw new ArgumentException($"feature settings JSON is invalid: {e.Message}", e); }
        if (s is null) throw new ArgumentException("feature settings JSON is null");
        s.Validate();
        return s;
    }

    /// <summary>Hash of the canonical JSON plus the pipeline version (the encoder by its SHA-256 and contract, not its path).</summary>
    public string Hash() => FeatureKey.HashSettings($"v{PipelineVersion}:{(Encoder is null ? this : this with { Encoder = Encoder with { Path = "" } }).ToJson()}");
}

/// <summary>What a feature matrix holds.</summary>
public enum FeatureKind { LogMel, Mfcc }

/// <summary>
/// WAV bytes → <see cref="AudioLoader"/> (downmix, resample, preprocess) → <see cref="LogMelExtractor"/> (or MFCCs), and
/// with <see cref="FeaturePipelineSettings.Encoder"/> → the frozen encoder (<see cref="OnnxEncoder"/>) on the samples or
/// the log-mel spectrogram. Constructing one with an encoder checks the encoder file (<see cref="OnnxEncoder.Open"/>).
/// </summary>
public sealed class PipelineFeaturizer : IClipFeaturizer
{
    private readonly AudioLoader _loader;
    private readonly LogMelExtractor? _mel;
    private readonly MfccExtractor? _mfcc;
    private readonly OnnxEncoder? _encoder;

    /// <exception cref="EncoderException">the settings' encoder file is missing, different or unfitting (the message names the fix).</exception>
    public PipelineFeaturizer(FeaturePipelineSettings settings)
    {
        settings.Validate();
        Settings = settings;
        SettingsHash = settings.Hash();
        _loader = new AudioLoader(settings.Audio);
        if (settings.Encoder is { } encoder) _encoder = OnnxEncoder.Open(encoder, settings.Mel.NMels);
        if (settings.Kind == FeatureKind.Mfcc) _mfcc = new MfccExtractor(settings.MfccCount, settings.Mel);
        else if (_encoder is null || _encoder.Settings.Input == EncoderInput.LogMel) _mel = new LogMelExtractor(settings.Mel);
    }

    public FeaturePipelineSettings Settings { get; }
    public string SettingsHash { get; }

    public Spectrogram Extract(byte[] wavBytes, string clipName)
    {
        AudioClip clip = _loader.Load(wavBytes, clipName).Clip;
        if (clip.Samples.Length == 0) throw new AudioFormatException(clipName, "no audio left after preprocessing");
        return Compute(clip.Samples);
    }

    /// <summary>The features of preprocessed samples at the target rate (what <see cref="AudioLoader"/> gives): log-mel, MFCCs or the encoder's embeddings.</summary>
    public Spectrogram Compute(ReadOnlySpan<float> samples) =>
        _encoder is null ? _mfcc?.Compute(samples) ?? _mel!.Compute(samples)
        : _encoder.Settings.Input == EncoderInput.Waveform ? _encoder.Encode(samples)
        : _encoder.Encode(_mel!.Compute(samples));
}

/// <summary>One <see cref="PipelineFeaturizer"/> per distinct settings JSON, all writing to one store.</summary>
public sealed class PipelineServiceFactory(IFeatureStore store) : IExtractionServiceFactory
{
    private readonly ConcurrentDictionary<string, ClipExtractionService> _services = new();

    public ClipExtractionService ForSettings(string settingsJson) =>
        _services.GetOrAdd(settingsJson, json => new ClipExtractionService(new PipelineFeaturizer(FeaturePipelineSettings.FromJson(json)), store));
}
