using System.Text.Json;
using System.Text.Json.Serialization;
using EmotionCluster.Extraction;
using EmotionCluster.Features;
using EmotionCluster.Model;

namespace EmotionCluster.Experiments;

/// <summary>How a feature matrix becomes the model's input: per-clip standardization, then a centre crop or pad in time.</summary>
public sealed record InputSettings
{
    /// <summary>Frames per example (300 = 3 s at a 10 ms hop).</summary>
    public int Frames { get; init; } = 300;
    /// <summary>Subtract the clip's mean and divide by its standard deviation (over all bins and frames) before cropping.</summary>
    public bool Standardize { get; init; } = true;
    /// <summary>With <see cref="Standardize"/>: take the mean and deviation per band (over the clip's frames) instead of over the whole clip.</summary>
    public bool PerBand { get; init; }

    /// <summary>
    /// Clips longer than <see cref="Frames"/>: <see cref="LongClipMode.CenterCrop"/> (the default) keeps only the centre
    /// window for training and scoring; <see cref="LongClipMode.Crops"/> trains on a random window of the whole clip each
    /// time it enters a batch and scores the mean probabilities of windows every <see cref="CropHopFrames"/> frames that
    /// cover it end to end. Shorter clips are padded either way. On EMO-DB LOSO folds 03 and 08 Crops gave UAR 0.786 /
    /// 0.596 against 0.801 / 0.643 for the centre crop (docs/accuracy.md), so it is not the default.
    /// </summary>
    public LongClipMode LongClips { get; init; } = LongClipMode.CenterCrop;
    /// <summary>With <see cref="LongClipMode.Crops"/>: frames between the starts of consecutive scoring windows (at most <see cref="Frames"/> are used).</summary>
    public int CropHopFrames { get; init; } = 150;

    /// <summary>
    /// Speaker-level normalization before the per-clip standardization (<see cref="SpeakerNormalization"/>): every band
    /// to zero mean and unit variance over all clips of the clip's speaker (the default), minus its mean only, or none.
    /// Training, cross-validation and <c>evaluate</c> group clips by the corpus' speakers; a clip without a known speaker
    /// (<c>predict</c> without <c>--same-speaker</c>, a streamed window) is its own group. On EMO-DB leave-one-speaker-out
    /// it raised mean UAR from 0.688 to the figure in docs/accuracy.md. A model file without this key predates it: None.
    /// </summary>
    public SpeakerNormalization SpeakerNorm { get; init; } = SpeakerNormalization.MeanVariance;

    public void Validate()
    {
        if (Frames is < 1 or > 10_000) throw new ArgumentException($"Input.Frames {Frames} is outside 1..10000.");
        if (!Enum.IsDefined(LongClips)) throw new ArgumentException($"Input.LongClips {LongClips} is unknown; use Crops or CenterCrop.");
        if (CropHopFrames is < 1 or > 10_000) throw new ArgumentException($"Input.CropHopFrames {CropHopFrames} is outside 1..10000.");
        if (!Enum.IsDefined(SpeakerNorm)) throw new ArgumentException($"Input.SpeakerNorm {SpeakerNorm} is unknown; use None, Mean or MeanVariance.");
    }
}

/// <summary>What happens to clips longer than the model's input (<see cref="InputSettings.LongClips"/>).</summary>
public enum LongClipMode
{
    /// <summary>Random windows in training; the mean over overlapping windows covering the clip in scoring.</summary>
    Crops,
    /// <summary>Only the centre window, in training and scoring.</summary>
    CenterCrop,
}

/// <summary>
/// Training-time augmentation, applied afresh each time an example enters a batch (seeded by the training seed):
/// a random time shift inside the fixed-length window and SpecAugment masks. Evaluation never augments.
/// </summary>
public sealed record AugmentationSettings
{
    public bool Enabled { get; init; } = true;
    /// <summary>Largest shift of the content in frames, either way (the gap is filled with the clip's minimum).</summary>
    public int MaxShiftFrames { get; init; } = 30;
    public int FrequencyMasks { get; init; } = 2;
    public int MaxFrequencyWidth { get; init; } = 8;
    public int TimeMasks { get; init; } = 2;
    public int MaxTimeWidth { get; init; } = 25;

    public void Validate()
    {
        if (MaxShiftFrames < 0 || FrequencyMasks < 0 || MaxFrequencyWidth < 0 || TimeMasks < 0 || MaxTimeWidth < 0)
            throw new ArgumentException("Augmentation counts and widths must be zero or more.");
    }

    public string Describe() => !Enabled ? "none"
        : $"random time shift up to ±{MaxShiftFrames} frames; SpecAugment: {TimeMasks} time masks up to {MaxTimeWidth} frames, " +
          $"{FrequencyMasks} frequency masks up to {MaxFrequencyWidth} bands (fresh draw every epoch)";
}

/// <summary>
/// Everything an experiment uses, loadable from a JSON file (<c>--config</c>) and overridden by command-line flags.
/// The CNN's class count and input size follow from the labels and features; the values here are the rest.
/// </summary>
public sealed record ExperimentSettings
{
    public FeaturePipelineSettings Features { get; init; } = new();
    public InputSettings Input { get; init; } = new();
    public AugmentationSettings Augmentation { get; init; } = new();
    public CnnSettings Cnn { get; init; } = new();
    public TrainingSettings Training { get; init; } = new();
    /// <summary>
    /// How each leave-one-speaker-out fold picks its early-stopping set: a stratified 20% slice of the training speakers'
    /// clips (the default: larger, steadier model selection; the test speaker stays unseen) or the next speaker
    /// (speaker-independent but small). On EMO-DB folds 03 and 10 the slice gave UAR 0.773 / 0.557 against 0.755 / 0.511
    /// (docs/accuracy.md).
    /// </summary>
    public EmotionCluster.Corpora.LosoValidation LosoValidation { get; init; } = EmotionCluster.Corpora.LosoValidation.StratifiedSlice;
    /// <summary>Keep only these emotions (e.g. the five AESDD ones); null keeps every emotion of the corpus.</summary>
    public IReadOnlyList<string>? Emotions { get; init; }

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public void Validate()
    {
        Features.Validate();
        Input.Validate();
        Augmentation.Validate();
        Training.Validate();
        if (Emotions is { Count: < 2 }) throw new ArgumentException("Emotions must name at least two emotions (or be null for all).");
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <exception cref="ArgumentException">the JSON is malformed, has unknown keys or invalid values (the message says which).</exception>
    public static ExperimentSettings FromJson(string json, string source = "settings")
    {
        ExperimentSettings? s;
        try { s = JsonSerializer.Deserialize<ExperimentSettings>(json, Json); }
        catch (JsonException e) { throw new ArgumentException($"{source}: invalid experiment settings JSON: {e.Message}", e); }
        if (s is null) throw new ArgumentException($"{source}: the settings JSON is null");
        try { s.Validate(); }
        catch (ArgumentException e) { throw new ArgumentException($"{source}: {e.Message}", e); }
        return s;
    }

    public static ExperimentSettings Load(string path)
    {
        if (!File.Exists(path)) throw new ArgumentException($"{path}: settings file not found");
        return FromJson(File.ReadAllText(path), path);
    }

    /// <summary>The CNN for <paramref name="classes"/> labels on this input.</summary>
    public CnnSettings CnnFor(int classes) => Cnn with { Classes = classes, InputBins = Features.Bins, InputFrames = Input.Frames };

    public ModelInput ModelInput => new(Features, Input);
}

/// <summary>
/// What a trained model expects: the feature pipeline and the input shaping. Saved in the model artifact, so
/// <c>predict</c> on another machine computes exactly the features the model was trained on.
/// </summary>
public sealed record ModelInput(FeaturePipelineSettings Features, InputSettings Input)
{
    public string ToJson() => JsonSerializer.Serialize(this, ExperimentSettings.Json);

    public static ModelInput FromJson(string json)
    {
        ModelInput? m;
        bool speakerNormWritten;
        try
        {
            m = JsonSerializer.Deserialize<ModelInput>(json, ExperimentSettings.Json);
            using var doc = JsonDocument.Parse(json);
            speakerNormWritten = doc.RootElement.TryGetProperty(nameof(Input), out var input) && input.ValueKind == JsonValueKind.Object
                && input.TryGetProperty(nameof(InputSettings.SpeakerNorm), out _);
        }
        catch (JsonException e) { throw new ArgumentException($"model input settings are invalid: {e.Message}", e); }
        if (m is null) throw new ArgumentException("model input settings are null");
        // model files written before speaker normalization existed have no key and were trained without it
        if (!speakerNormWritten) m = m with { Input = m.Input with { SpeakerNorm = SpeakerNormalization.None } };
        m.Features.Validate();
        m.Input.Validate();
        return m;
    }

    /// <summary>
    /// Standardizes (when configured) and centre-crops or pads <paramref name="features"/> to the model's frame count.
    /// <paramref name="speaker"/>: the statistics of the clip's speaker for <see cref="InputSettings.SpeakerNorm"/>
    /// (null: the clip's own).
    /// </summary>
    public Spectrogram Shape(Spectrogram features, BandStatistics? speaker = null) => CentreWindow(Standardized(features, speaker));

    /// <summary>A standardized clip centre-cropped or padded (with 0 when standardized, else its minimum) to the input length.</summary>
    private Spectrogram CentreWindow(Spectrogram standardized) =>
        FixedLength.CropOrPad(standardized, Input.Frames, CropMode.Center, padValue: Input.Standardize ? 0f : null);

    /// <summary>
    /// The windows a clip is scored on: one centre-cropped or padded window (as <see cref="Shape"/>) when the clip fits
    /// the input or <see cref="InputSettings.LongClips"/> is <see cref="LongClipMode.CenterCrop"/>; otherwise windows
    /// starting every <see cref="InputSettings.CropHopFrames"/> frames, the last one ending at the clip's end.
    /// </summary>
    public IReadOnlyList<Spectrogram> Crops(Spectrogram features, BandStatistics? speaker = null)
    {
        Spectrogram s = Standardized(features, speaker);
        int n = Input.Frames;
        if (Input.LongClips == LongClipMode.CenterCrop || s.Frames <= n) return [CentreWindow(s)];
        var starts = new List<int>();
        for (int start = 0; start + n < s.Frames; start += Math.Min(Input.CropHopFrames, n)) starts.Add(start);
        starts.Add(s.Frames - n);
        return starts.Select(start => Window(s, start, n)).ToList();
    }

    /// <summary>The clip speaker-normalized and standardized as configured, at its full length.</summary>
    public Spectrogram Standardized(Spectrogram features, BandStatistics? speaker = null)
    {
        if (Input.SpeakerNorm != SpeakerNormalization.None)
            features = (speaker ?? BandStatistics.Of([features])).Normalize(features, Input.SpeakerNorm);
        return !Input.Standardize ? features : Input.PerBand ? StandardizeBands(features) : Standardize(features);
    }

    /// <summary>Frames [<paramref name="start"/>, start + <paramref name="frames"/>) of every band.</summary>
    private static Spectrogram Window(Spectrogram s, int start, int frames)
    {
        if (start < 0 || start + frames > s.Frames) throw new ArgumentOutOfRangeException(nameof(start), $"window {start}+{frames} is outside 0..{s.Frames}");
        var data = new float[s.Bins * frames];
        for (int b = 0; b < s.Bins; b++) Array.Copy(s.Data, b * s.Frames + start, data, b * frames, frames);
        return new Spectrogram(data, s.Bins, frames);
    }

    /// <summary>Each band to zero mean and unit variance over the clip's frames (cepstral-mean-and-variance style).</summary>
    public static Spectrogram StandardizeBands(Spectrogram s)
    {
        var data = new float[s.Data.Length];
        for (int b = 0; b < s.Bins; b++)
        {
            var row = s.Data.AsSpan(b * s.Frames, s.Frames);
            double sum = 0, sq = 0;
            foreach (float v in row) { sum += v; sq += (double)v * v; }
            double mean = s.Frames == 0 ? 0 : sum / s.Frames;
            double std = s.Frames == 0 ? 1 : Math.Sqrt(Math.Max(sq / s.Frames - mean * mean, 0));
            float scale = (float)(1.0 / Math.Max(std, 1e-3));
            for (int t = 0; t < s.Frames; t++) data[b * s.Frames + t] = (float)((row[t] - mean) * scale);
        }
        return new Spectrogram(data, s.Bins, s.Frames);
    }

    public static Spectrogram Standardize(Spectrogram s)
    {
        if (s.Data.Length == 0) return s;
        double sum = 0, sq = 0;
        foreach (float v in s.Data) { sum += v; sq += (double)v * v; }
        double mean = sum / s.Data.Length;
        double std = Math.Sqrt(Math.Max(sq / s.Data.Length - mean * mean, 0));
        float scale = (float)(1.0 / Math.Max(std, 1e-5));
        var data = new float[s.Data.Length];
        for (int i = 0; i < data.Length; i++) data[i] = (float)((s.Data[i] - mean) * scale);
        return new Spectrogram(data, s.Bins, s.Frames);
    }
}
