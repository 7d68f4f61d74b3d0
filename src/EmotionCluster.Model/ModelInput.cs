using System.Text.Json;
using EmotionCluster.Extraction;
using EmotionCluster.Features;

namespace EmotionCluster.Model;

/// <summary>
/// What a trained model expects: the feature pipeline and the input shaping (the <see cref="Recipe"/>'s
/// <c>Features</c> and <c>Input</c>). The one place where features become model input, for training, evaluation,
/// <c>predict</c> and streamed windows alike.
/// </summary>
public sealed record ModelInput(FeaturePipelineSettings Features, InputSettings Input)
{
    /// <summary>
    /// The training set's band statistics (the model file's input prior) that a clip's or stream's own statistics are
    /// shrunk toward (<see cref="InputSettings.PriorFrames"/>); null: none (a model from before the prior, or training
    /// before it is known).
    /// </summary>
    public BandStatistics? Prior { get; init; }

    /// <summary>
    /// The audio one model input covers, in seconds: its <see cref="InputSettings.Frames"/> at the feature frame rate (3 s
    /// for the default recipe); 3 s for an encoder that gives one embedding per clip. <c>predict</c> scores long files and a
    /// stream is scored (unless its node sets another window) in windows of this length: the length the model was trained on.
    /// </summary>
    public double InputSeconds => Features.FramesPerSecond > 0 ? Input.Frames / Features.FramesPerSecond : 3.0;

    /// <summary>
    /// The input contract of a model file: version 2 files carry the whole <see cref="Recipe"/>; version 1 files carry
    /// either <c>{"Features":…,"Input":…}</c> (an <c>Input</c> without <c>SpeakerNorm</c> predates speaker
    /// normalization: None) or bare <see cref="FeaturePipelineSettings"/> (trainer nodes before the one recipe: no
    /// standardization, centre crop or pad with the clip's minimum to the model's frames).
    /// </summary>
    /// <exception cref="ArgumentException">the settings are not one of these forms or are invalid (the message says which).</exception>
    public static ModelInput Of(ModelManifest manifest)
    {
        if (manifest.Recipe is { } recipe) return recipe.ModelInput with { Prior = manifest.InputPrior };
        string json = manifest.FeatureSettings ?? throw new ArgumentException("the model file has neither a recipe nor feature settings");
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(json);
            root = doc.RootElement.Clone();
        }
        catch (JsonException e) { throw new ArgumentException($"model input settings are invalid: {e.Message}", e); }
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty(nameof(Features), out _) && root.TryGetProperty(nameof(Input), out var input))
        {
            ModelInput? m;
            try { m = JsonSerializer.Deserialize<ModelInput>(json, Recipe.Json); }
            catch (JsonException e) { throw new ArgumentException($"model input settings are invalid: {e.Message}", e); }
            if (m is null) throw new ArgumentException("model input settings are null");
            // model files written before speaker normalization existed have no key and were trained without it
            if (!(input.ValueKind == JsonValueKind.Object && input.TryGetProperty(nameof(InputSettings.SpeakerNorm), out _)))
                m = m with { Input = m.Input with { SpeakerNorm = SpeakerNormalization.None } };
            m.Features.Validate();
            m.Input.Validate();
            return m;
        }
        var pipeline = FeaturePipelineSettings.FromJson(json);
        return new ModelInput(pipeline, new InputSettings
        {
            Frames = manifest.Cnn.InputFrames, Standardize = false, PerBand = false, SpeakerNorm = SpeakerNormalization.None,
        });
    }

    /// <summary>
    /// The statistics <see cref="InputSettings.SpeakerNorm"/> normalizes by: per speaker, over every given clip of that
    /// speaker (each clip id once; audio only, never labels). Clips without a speaker (null or empty) get no entry: each
    /// is normalized by its own statistics.
    /// </summary>
    public static Dictionary<string, BandStatistics> SpeakerStatistics(IEnumerable<(string ClipId, string? Speaker, Spectrogram X)> clips) =>
        clips.Where(c => !string.IsNullOrEmpty(c.Speaker))
            .DistinctBy(c => c.ClipId)
            .GroupBy(c => c.Speaker!)
            .ToDictionary(g => g.Key, g => BandStatistics.Of(g.Select(c => c.X)));

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

    /// <summary>
    /// A training example drawn afresh: the clip normalized by <paramref name="context"/> (null: its own statistics) and
    /// standardized, then its centre window, or a random window (<paramref name="random"/>) of a long clip with
    /// <see cref="LongClipMode.Crops"/>. For <see cref="Recipe.Augmenter"/>'s sources.
    /// </summary>
    public Spectrogram TrainingWindow(Spectrogram features, BandStatistics? context, Random random)
    {
        var s = Standardized(features, context);
        return Input.LongClips == LongClipMode.Crops && s.Frames > Input.Frames
            ? FixedLength.CropOrPad(s, Input.Frames, CropMode.Random, random: random)
            : CentreWindow(s);
    }

    /// <summary>
    /// The statistics a clip is normalized by: those of its group (<paramref name="context"/>; null: the clip's own),
    /// shrunk toward <see cref="Prior"/> by <see cref="InputSettings.PriorFrames"/> when the model has one.
    /// </summary>
    public BandStatistics NormalizationOf(Spectrogram features, BandStatistics? context = null)
    {
        var own = context ?? BandStatistics.Of([features]);
        return Prior is { } prior && Input.PriorFrames > 0 ? own.Toward(prior, Input.PriorFrames) : own;
    }

    /// <summary>The clip speaker-normalized and standardized as configured, at its full length.</summary>
    public Spectrogram Standardized(Spectrogram features, BandStatistics? speaker = null)
    {
        if (Input.SpeakerNorm != SpeakerNormalization.None)
            features = NormalizationOf(features, speaker).Normalize(features, Input.SpeakerNorm);
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

    /// <summary>Each band to zero mean and unit variance over the clip's frames: the clip's own <see cref="BandStatistics"/>.</summary>
    public static Spectrogram StandardizeBands(Spectrogram s) =>
        s.Frames == 0 ? s : BandStatistics.Of([s]).Normalize(s, SpeakerNormalization.MeanVariance);

    /// <summary>The clip to zero mean and unit variance over all its bins and frames.</summary>
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
