using EmotionCluster.Audio;
using EmotionCluster.Corpora;
using EmotionCluster.Extraction;

namespace EmotionCluster.Experiments;

/// <summary>
/// Multi-condition training's recordings (<see cref="EmotionCluster.Model.AugmentationSettings.RecordedVariants"/>): each
/// clip recorded again under random conditions (<see cref="RecordedVariant"/>), written as a 16-bit WAV as a recorder
/// writes it, and extracted through the run's feature provider (the cluster's extractors, the feature store) like the
/// corpus' own files. Babble is made from the clip's own speaker's other clips only, so in a leave-one-speaker-out fold no
/// training example carries the held-out speaker's voice. Deterministic: a variant's conditions, noise and room come from
/// the run's seed, the clip and the variant's number, so the same run finds its variants in the feature store. Variants
/// exist for every clip; only training parts use them (<see cref="ExperimentRunner.Data"/>).
/// </summary>
public static class TrainingVariants
{
    /// <summary>Own clips a speaker needs for babble (one talker fewer than that and babble is not drawn).</summary>
    public const int BabbleClips = BabbleBank.DefaultTalkers + 1;

    /// <summary>
    /// <paramref name="features"/> with each clip's recorded variants, as many as the recipe says (none: unchanged). A
    /// variant that fails to extract is left out and reported through <paramref name="line"/>; the clip keeps the rest.
    /// </summary>
    public static async Task<FeatureSet> AddAsync(FeatureSet features, ExperimentSettings settings, IFeatureProvider provider,
        IProgress<BatchProgress>? progress = null, Action<string>? line = null, CancellationToken ct = default)
    {
        int count = settings.Augmentation.Enabled ? settings.Augmentation.RecordedVariants : 0;
        if (count == 0 || features.Clips.Count == 0) return features;
        string folder = Path.Combine(Path.GetTempPath(), $"emotioncluster-variants-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            var sources = new List<(ClipInfo Parent, string Conditions, ClipSource Source)>();
            foreach (var speaker in features.Clips.GroupBy(c => c.Speaker))
            {
                var clips = speaker.ToList();
                var audio = clips.Select(c =>
                {
                    try { return WavReader.Read(c.Path).Clip; }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException or AudioFormatException)
                    {
                        line?.Invoke($"  {c.Path}: cannot be read again for its recorded variants ({e.Message}); trained without them");
                        return null;
                    }
                }).ToList();
                for (int i = 0; i < clips.Count; i++)
                {
                    if (audio[i] is not { } clip) continue;
                    // babble of the speaker's other clips (a speaker who is not known has none)
                    var others = speaker.Key == ClipInfo.UnknownSpeaker ? [] : audio.Where((a, j) => j != i && a is not null).Select(a => a!).ToList();
                    var perturbations = new Perturbations(others.Count >= BabbleClips - 1 ? new BabbleBank(others) : null);
                    for (int n = 0; n < count; n++)
                    {
                        var random = new Random(RobustnessProtocol.StableSeed(settings.Training.Seed, clips[i].Id, "recorded-variant", n.ToString()));
                        var conditions = RecordedVariant.Draw(random, perturbations.Babble is not null, settings.Augmentation.VariantMinSnrDb, settings.Augmentation.VariantRooms);
                        float[] samples = RecordedVariant.Apply(perturbations, conditions, clip.Samples, clip.SampleRate, random);
                        string path = Path.Combine(folder, $"{sources.Count}.wav");
                        await File.WriteAllBytesAsync(path, WavWriter.ToBytes(samples, clip.SampleRate), ct);
                        sources.Add((clips[i], RecordedVariant.Describe(conditions), new ClipSource($"{clips[i].Id}~variant{n}", path)));
                    }
                }
            }
            var outcomes = await provider.ExtractAsync(sources.Select(s => s.Source).ToList(), settings.Features, progress, ct);
            var byId = outcomes.ToDictionary(o => o.ClipId);
            var variants = new Dictionary<string, List<RecordedVariantFeatures>>();
            int failed = 0, cached = 0;
            foreach (var (parent, conditions, source) in sources)
            {
                if (byId.TryGetValue(source.ClipId, out var o) && o is { Succeeded: true, Key: { } key, Features: { Frames: > 0 } f })
                {
                    if (!variants.TryGetValue(parent.Id, out var list)) variants[parent.Id] = list = [];
                    list.Add(new RecordedVariantFeatures(conditions, key, f));
                    if (o.Cached) cached++;
                }
                else
                {
                    failed++;
                    line?.Invoke($"  recorded variant {source.ClipId} ({conditions}) of {parent.Path}: {o?.Error ?? "no features returned"}; trained without it");
                }
            }
            line?.Invoke($"recorded variants: {sources.Count - failed} of {sources.Count} ({count} per clip, {cached} from the feature store), {failed} failed");
            return features.WithVariants(variants.ToDictionary(v => v.Key, v => (IReadOnlyList<RecordedVariantFeatures>)v.Value));
        }
        finally
        {
            try { Directory.Delete(folder, recursive: true); }
            catch (IOException) { }
        }
    }
}
