using EmotionCluster.Corpora;
using EmotionCluster.Extraction;
using EmotionCluster.Features;

namespace EmotionCluster.Experiments;

/// <summary>A clip that has no features, and why (corrupt audio, unreadable file, ...).</summary>
public sealed record ClipFailure(ClipInfo Clip, string Error);

/// <summary>
/// The features of a corpus' clips, extracted through an <see cref="IFeatureProvider"/> (the sharded extraction of a
/// cluster node by default). Clips whose extraction failed are listed in <see cref="Failures"/> and left out of
/// <see cref="Clips"/>; one bad file never stops the run.
/// </summary>
public sealed class FeatureSet
{
    private readonly Dictionary<string, Spectrogram> _features;
    private readonly IReadOnlyDictionary<string, IReadOnlyList<RecordedVariantFeatures>> _variants;

    private FeatureSet(IReadOnlyList<ClipInfo> clips, Dictionary<string, Spectrogram> features, IReadOnlyList<ClipFailure> failures, int cached,
        IReadOnlyDictionary<string, IReadOnlyList<RecordedVariantFeatures>>? variants = null)
    {
        Clips = clips;
        _features = features;
        Failures = failures;
        Cached = cached;
        _variants = variants ?? new Dictionary<string, IReadOnlyList<RecordedVariantFeatures>>();
    }

    /// <summary>Clips with features, in the input order.</summary>
    public IReadOnlyList<ClipInfo> Clips { get; }
    public IReadOnlyList<ClipFailure> Failures { get; }
    /// <summary>How many clips were read from the feature store instead of being computed.</summary>
    public int Cached { get; }

    public Spectrogram this[ClipInfo clip] => _features.TryGetValue(clip.Id, out var s) ? s
        : throw new KeyNotFoundException($"no features for clip {clip.Id} ({clip.Path})");

    /// <summary>The clip's recorded variants (<see cref="TrainingVariants"/>; none unless the recipe asks for them).</summary>
    public IReadOnlyList<RecordedVariantFeatures> VariantsOf(ClipInfo clip) => _variants.TryGetValue(clip.Id, out var v) ? v : [];

    /// <summary>These features with each clip's recorded variants (by clip id).</summary>
    public FeatureSet WithVariants(IReadOnlyDictionary<string, IReadOnlyList<RecordedVariantFeatures>> variants) =>
        new(Clips, _features, Failures, Cached, variants);

    /// <summary>The clips in <paramref name="keep"/> only (input order kept).</summary>
    public FeatureSet Subset(IReadOnlySet<ClipInfo> keep)
    {
        var clips = Clips.Where(keep.Contains).ToList();
        return new(clips, clips.ToDictionary(c => c.Id, c => _features[c.Id]), Failures, Cached,
            clips.Where(c => _variants.ContainsKey(c.Id)).ToDictionary(c => c.Id, c => _variants[c.Id]));
    }

    public static FeatureSet FromMemory(IReadOnlyList<(ClipInfo Clip, Spectrogram Features)> items) =>
        new(items.Select(i => i.Clip).ToList(), items.ToDictionary(i => i.Clip.Id, i => i.Features), [], 0);

    public static async Task<FeatureSet> ExtractAsync(IReadOnlyList<ClipInfo> clips, FeaturePipelineSettings settings, IFeatureProvider provider,
        IProgress<BatchProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var duplicate = clips.GroupBy(c => c.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"clip id '{duplicate.Key}' occurs {duplicate.Count()} times; clip ids must be unique");
        var outcomes = await provider.ExtractAsync(clips.Select(c => new ClipSource(c.Id, c.Path)).ToList(), settings, progress, cancellationToken);
        var byId = outcomes.ToDictionary(o => o.ClipId);
        var ok = new List<ClipInfo>();
        var features = new Dictionary<string, Spectrogram>();
        var failures = new List<ClipFailure>();
        int cached = 0;
        foreach (var clip in clips)
        {
            if (byId.TryGetValue(clip.Id, out var o) && o.Succeeded && o.Features is { } f && f.Frames > 0)
            {
                ok.Add(clip);
                features[clip.Id] = f;
                if (o.Cached) cached++;
            }
            else
            {
                failures.Add(new ClipFailure(clip, o?.Error ?? (o?.Features is null ? "no features returned" : "empty feature matrix")));
            }
        }
        return new FeatureSet(ok, features, failures, cached);
    }
}

/// <summary>One recorded variant of a clip (<see cref="TrainingVariants"/>): its conditions, its features and their key in the feature store.</summary>
public sealed record RecordedVariantFeatures(string Conditions, FeatureKey Key, Spectrogram Features);
