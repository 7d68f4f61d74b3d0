using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using EmotionCluster.Extraction;
using EmotionCluster.Features;

namespace EmotionCluster.Model;

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

    /// <summary>
    /// With <see cref="SpeakerNorm"/>: the statistics a clip is normalized by are shrunk toward the training set's (the
    /// model file's input prior), the prior weighing as much as this many frames of the clip's own group
    /// (<see cref="BandStatistics.Toward"/>). A lone 3 s clip (what <c>predict FILE</c> and a stream's first seconds
    /// have) is normalized half by the prior, half by itself; all of a speaker's clips almost entirely by themselves.
    /// Training then draws each example's statistics from a random subset of its speaker's clips
    /// (<see cref="AugmentationSettings.SpeakerContexts"/>) and selects the model on lone-clip validation scores.
    /// 0: no prior (each lone clip normalized by itself alone; what model files from before 2026-12-07 mean).
    /// </summary>
    public int PriorFrames { get; init; } = 300;

    public void Validate()
    {
        if (Frames is < 1 or > 10_000) throw new ArgumentException($"Input.Frames {Frames} is outside 1..10000.");
        if (!Enum.IsDefined(LongClips)) throw new ArgumentException($"Input.LongClips {LongClips} is unknown; use Crops or CenterCrop.");
        if (CropHopFrames is < 1 or > 10_000) throw new ArgumentException($"Input.CropHopFrames {CropHopFrames} is outside 1..10000.");
        if (!Enum.IsDefined(SpeakerNorm)) throw new ArgumentException($"Input.SpeakerNorm {SpeakerNorm} is unknown; use None, Mean or MeanVariance.");
        if (PriorFrames is < 0 or > 1_000_000) throw new ArgumentException($"Input.PriorFrames {PriorFrames} is outside 0..1000000; 0 turns the prior off.");
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

    /// <summary>
    /// With speaker normalization and <see cref="InputSettings.PriorFrames"/>: each time an example enters a batch its
    /// statistics come from a random context of its speaker's training clips, as users' contexts vary
    /// (<see cref="SpeakerContexts.Draw"/>): the clip alone (as <c>predict FILE</c>), a few clips, all of them, or clips
    /// of one emotion only.
    /// </summary>
    public bool SpeakerContexts { get; init; } = true;

    /// <summary>
    /// Each time an example enters a batch, a random recording condition on its log-mel features
    /// (<see cref="EmotionCluster.Features.RecordingConditions.Apply"/>: noise — white, pink, babble of other training
    /// clips — at 5–30 dB SNR, reverberation, telephone band, gain), before normalization. Log-mel features only.
    /// </summary>
    public bool RecordingConditions { get; init; }

    /// <summary>
    /// Multi-condition training on the waveform: each training clip is also recorded again this many times under random
    /// conditions (<see cref="EmotionCluster.Audio.RecordedVariant"/>: a room, white/pink noise or babble of its own
    /// speaker's other clips at 5–30 dB SNR, a telephone line), each variant extracted by the feature pipeline like any
    /// file (the run's extraction, cached in the feature store). Each time an example enters a batch, one of its variants
    /// takes the clip's place with probability <see cref="VariantShare"/>. 0 (the default): none.
    /// </summary>
    public int RecordedVariants { get; init; }

    /// <summary>With <see cref="RecordedVariants"/>: how often an example is drawn as one of its variants instead of as recorded.</summary>
    public double VariantShare { get; init; } = 0.5;

    /// <summary>With <see cref="RecordedVariants"/>: the lowest signal-to-noise ratio of a variant's noise (drawn uniformly up to 30 dB).</summary>
    public double VariantMinSnrDb { get; init; } = EmotionCluster.Audio.RecordedVariant.MinSnrDb;

    /// <summary>With <see cref="RecordedVariants"/>: whether variants may be recorded in a reverberant room (false: noise and telephone lines only).</summary>
    public bool VariantRooms { get; init; } = true;

    public void Validate()
    {
        if (MaxShiftFrames < 0 || FrequencyMasks < 0 || MaxFrequencyWidth < 0 || TimeMasks < 0 || MaxTimeWidth < 0)
            throw new ArgumentException("Augmentation counts and widths must be zero or more.");
        if (RecordedVariants is < 0 or > 16)
            throw new ArgumentException($"Augmentation.RecordedVariants {RecordedVariants} is outside 0..16; 0 turns multi-condition training off.");
        if (!(VariantShare is > 0 and <= 1))
            throw new ArgumentException($"Augmentation.VariantShare {VariantShare} is outside (0, 1]: it is the probability that an example is drawn as one of its recorded variants.");
        if (!(VariantMinSnrDb is >= -10 and <= EmotionCluster.Audio.RecordedVariant.MaxSnrDb))
            throw new ArgumentException($"Augmentation.VariantMinSnrDb {VariantMinSnrDb} is outside -10..{EmotionCluster.Audio.RecordedVariant.MaxSnrDb} dB: it is the lowest SNR of a recorded variant's noise.");
    }

    public string Describe() => !Enabled ? "none"
        : (RecordingConditions ? "simulated recording conditions (noise 5–30 dB SNR: white, pink, babble; reverberation; telephone band; gain); " : "") +
          (RecordedVariants > 0 ? $"each clip also recorded again {RecordedVariants} times under random conditions ({(VariantRooms ? "room, " : "")}noise {VariantMinSnrDb:0.#}–{EmotionCluster.Audio.RecordedVariant.MaxSnrDb:0} dB SNR, telephone line), drawn instead of the clip {VariantShare:0%} of the time; " : "") +
          (SpeakerContexts ? "speaker statistics from a random context of the speaker's clips (alone, a few, all, one emotion's); " : "") +
          $"random time shift up to ±{MaxShiftFrames} frames; SpecAugment: {TimeMasks} time masks up to {MaxTimeWidth} frames, " +
          $"{FrequencyMasks} frequency masks up to {MaxFrequencyWidth} bands (fresh draw every epoch)";
}

/// <summary>
/// The one training contract: how audio becomes features (<see cref="Features"/>), how features become the model's
/// input (<see cref="Input"/>), the training-time augmentation, the CNN and the optimization (schedule, early stopping,
/// class weights). One JSON form (<see cref="ToJson"/>), written into every model file and every training manifest, and
/// read by every path that trains or scores: the CLI's jobs, trainer nodes, <c>evaluate</c>, <c>predict</c> and
/// streaming. The CNN's class count and input size follow from the labels and features; the values here are the rest.
/// </summary>
public record Recipe
{
    public FeaturePipelineSettings Features { get; init; } = new();
    public InputSettings Input { get; init; } = new();
    public AugmentationSettings Augmentation { get; init; } = new();
    public CnnSettings Cnn { get; init; } = new();
    public TrainingSettings Training { get; init; } = new();

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public virtual void Validate()
    {
        Features.Validate();
        Input.Validate();
        Augmentation.Validate();
        if (Augmentation.Enabled && Augmentation.RecordingConditions && Features.Kind != FeatureKind.LogMel)
            throw new ArgumentException($"Augmentation.RecordingConditions simulates recordings on log-mel features; Features.Kind is {Features.Kind}: set it to LogMel or turn RecordingConditions off.");
        if (Augmentation.Enabled && Augmentation.RecordingConditions && Features.Encoder is not null)
            throw new ArgumentException("Augmentation.RecordingConditions simulates recordings on log-mel features, and the features are a pretrained encoder's embeddings: turn RecordingConditions off.");
        Training.Validate();
    }

    /// <summary>The recipe alone (no experiment keys of a derived type), as written into model files and manifests.</summary>
    public string RecipeJson() => JsonSerializer.Serialize(AsRecipe(), Json);

    /// <summary>This recipe's values as a plain <see cref="Recipe"/> (a derived experiment's own keys dropped).</summary>
    public Recipe AsRecipe() => new() { Features = Features, Input = Input, Augmentation = Augmentation, Cnn = Cnn, Training = Training };

    /// <summary>
    /// 16 hex digits of SHA-256 over <see cref="RecipeJson"/> without the per-machine keys (<c>Training.Device</c>,
    /// <c>Training.Threads</c>): equal on every node that trains this recipe.
    /// </summary>
    public string Hash() => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(PortableJson())))[..16];

    /// <summary>
    /// <see cref="RecipeJson"/> with the per-machine keys at fixed values (<c>Training.Device</c> "cpu",
    /// <c>Training.Threads</c> 0): the same on every node that trains this recipe (the run's settings in the journal).
    /// </summary>
    public string PortableJson() => (AsRecipe() with { Training = Training with { Device = "cpu", Threads = 0 } }).RecipeJson();

    /// <exception cref="ArgumentException">the JSON is malformed, has unknown keys or invalid values (the message says which).</exception>
    public static Recipe FromJson(string json, string source = "recipe") => Parse<Recipe>(json, source, "recipe");

    /// <summary>A recipe (or a derived experiment) from JSON, validated; errors name <paramref name="source"/>.</summary>
    protected static T Parse<T>(string json, string source, string what) where T : Recipe
    {
        T? r;
        try { r = JsonSerializer.Deserialize<T>(json, Json); }
        catch (JsonException e) { throw new ArgumentException($"{source}: invalid {what} JSON: {e.Message}", e); }
        if (r is null) throw new ArgumentException($"{source}: the {what} JSON is null");
        try { r.Validate(); }
        catch (ArgumentException e) { throw new ArgumentException($"{source}: {e.Message}", e); }
        return r;
    }

    /// <summary>The CNN for <paramref name="classes"/> labels on this input.</summary>
    public CnnSettings CnnFor(int classes) => Cnn with { Classes = classes, InputBins = Features.Bins, InputFrames = Input.Frames };

    [JsonIgnore]
    public ModelInput ModelInput => new(Features, Input);

    /// <summary>
    /// The training-time augmentation as a per-example transform (the same draw for the same example, epoch and seed,
    /// on any replica); null when off. With <paramref name="sources"/> an example found there (by reference) is first
    /// drawn afresh from its source (<see cref="ModelInput.TrainingWindow"/>: a random speaker context, a random window of
    /// a long clip) before the shift and masks.
    /// </summary>
    public Func<Spectrogram, Random, Spectrogram>? Augmenter(IReadOnlyDictionary<Spectrogram, Func<Random, Spectrogram>>? sources = null)
    {
        var a = Augmentation;
        if (!a.Enabled) return null;
        int frames = Input.Frames;
        float? fill = Input.Standardize ? 0f : null; // the same fill as the padding
        return (x, random) =>
        {
            Spectrogram s = x;
            if (sources is not null && sources.TryGetValue(x, out var source)) s = source(random);
            if (a.MaxShiftFrames > 0)
            {
                int shift = random.Next(-a.MaxShiftFrames, a.MaxShiftFrames + 1);
                if (shift != 0) s = Shift(s, shift, fill);
            }
            return SpecAugment.Apply(s, a.FrequencyMasks, Math.Min(a.MaxFrequencyWidth, s.Bins - 1), a.TimeMasks, Math.Min(a.MaxTimeWidth, s.Frames - 1), random);
        };
    }

    /// <summary>Content moved by <paramref name="shift"/> frames (positive: later), the gap filled with <paramref name="fillValue"/> (default: the minimum).</summary>
    public static Spectrogram Shift(Spectrogram s, int shift, float? fillValue = null)
    {
        float fill = fillValue ?? s.Data.Min();
        var data = new float[s.Data.Length];
        Array.Fill(data, fill);
        int frames = s.Frames;
        for (int b = 0; b < s.Bins; b++)
            for (int t = Math.Max(0, shift); t < Math.Min(frames, frames + shift); t++)
                data[b * frames + t] = s.Data[b * frames + t - shift];
        return new Spectrogram(data, s.Bins, frames);
    }
}

/// <summary>A recipe trained on a pretrained encoder's embeddings (<see cref="FeaturePipelineSettings.Encoder"/>).</summary>
public static class EncoderRecipe
{
    /// <summary>Seconds of audio one example covers (the log-mel default: 300 frames at a 10 ms hop).</summary>
    public const double ExampleSeconds = 3.0;

    /// <summary>
    /// <paramref name="recipe"/> with <paramref name="encoder"/>'s embeddings as the features: audio resampled to the
    /// encoder's rate, and every length counted in frames (the input, the time shift and masks, the prior's weight, the
    /// crop hop) rescaled from the log-mel defaults' seconds to the encoder's frame rate; at least
    /// 2^blocks input frames (the CNN halves them once per block). Recording-condition augmentation (log-mel only) is off.
    /// </summary>
    public static T With<T>(T recipe, EncoderSettings encoder) where T : Recipe
    {
        double fps = encoder.FramesPerSecond;
        int Frames(double seconds, int min) => Math.Max(min, (int)Math.Round(seconds * fps));
        int minFrames = 1 << recipe.Cnn.Channels.Count;
        var features = recipe.Features with
        {
            Kind = FeatureKind.LogMel,
            Audio = recipe.Features.Audio with { TargetSampleRate = encoder.SampleRate },
            Mel = recipe.Features.Mel with { SampleRate = encoder.SampleRate },
            Encoder = encoder,
        };
        Recipe r = recipe with
        {
            Features = features,
            Input = recipe.Input with
            {
                Frames = Frames(ExampleSeconds, minFrames), CropHopFrames = Frames(ExampleSeconds / 2, 1), PriorFrames = Frames(ExampleSeconds, 1),
            },
            Augmentation = recipe.Augmentation with { MaxShiftFrames = Frames(0.3, 0), MaxTimeWidth = Frames(0.25, 0), RecordingConditions = false },
        };
        return (T)r;
    }
}
