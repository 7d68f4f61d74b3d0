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

    /// <summary>Rows of one feature matrix: mel bands or MFCCs.</summary>
    public int Bins => Kind == FeatureKind.Mfcc ? MfccCount : Mel.NMels;

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

    /// <summary>Hash of the canonical JSON plus the pipeline version.</summary>
    public string Hash() => FeatureKey.HashSettings($"v{PipelineVersion}:{ToJson()}");
}

/// <summary>What a feature matrix holds.</summary>
public enum FeatureKind { LogMel, Mfcc }

/// <summary>WAV bytes → <see cref="AudioLoader"/> (downmix, resample, preprocess) → <see cref="LogMelExtractor"/>.</summary>
public sealed class PipelineFeaturizer : IClipFeaturizer
{
    private readonly AudioLoader _loader;
    private readonly LogMelExtractor? _mel;
    private readonly MfccExtractor? _mfcc;

    public PipelineFeaturizer(FeaturePipelineSettings settings)
    {
        settings.Validate();
        Settings = settings;
        SettingsHash = settings.Hash();
        _loader = new AudioLoader(settings.Audio);
        if (settings.Kind == FeatureKind.Mfcc) _mfcc = new MfccExtractor(settings.MfccCount, settings.Mel);
        else _mel = new LogMelExtractor(settings.Mel);
    }

    public FeaturePipelineSettings Settings { get; }
    public string SettingsHash { get; }

    public Spectrogram Extract(byte[] wavBytes, string clipName)
    {
        AudioClip clip = _loader.Load(wavBytes, clipName).Clip;
        if (clip.Samples.Length == 0) throw new AudioFormatException(clipName, "no audio left after preprocessing");
        return _mfcc?.Compute(clip.Samples) ?? _mel!.Compute(clip.Samples);
    }
}

/// <summary>One <see cref="PipelineFeaturizer"/> per distinct settings JSON, all writing to one store.</summary>
public sealed class PipelineServiceFactory(IFeatureStore store) : IExtractionServiceFactory
{
    private readonly ConcurrentDictionary<string, ClipExtractionService> _services = new();

    public ClipExtractionService ForSettings(string settingsJson) =>
        _services.GetOrAdd(settingsJson, json => new ClipExtractionService(new PipelineFeaturizer(FeaturePipelineSettings.FromJson(json)), store));
}
