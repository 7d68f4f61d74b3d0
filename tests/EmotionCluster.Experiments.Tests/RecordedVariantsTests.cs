using EmotionCluster.Audio;
using EmotionCluster.Corpora;
using EmotionCluster.Experiments;
using EmotionCluster.Extraction;
using EmotionCluster.Features;
using EmotionCluster.Model;
using EmotionCluster.Testing;
using EmotionCluster.TrainingActors;
using Xunit;

namespace EmotionCluster.Experiments.Tests;

/// <summary>
/// Multi-condition training (<c>Augmentation.RecordedVariants</c>): each clip recorded again under random conditions,
/// extracted like a file, and drawn instead of the clip for training examples — never for validation or test clips.
/// </summary>
public class RecordedVariantsTests
{
    private static ClipInfo Clip(string id, string speaker, string emotion = "anger") => new(id, $"{id}.wav", emotion, speaker, "test");
    private static Spectrogram Level(float level) => new([level, level + 1], 1, 2);
    private static RecordedVariantFeatures Variant(float level) => new("white-10db", new FeatureKey($"v{level}", "s"), Level(level));

    [Fact]
    public void A_variant_is_drawn_instead_of_a_training_clip_at_the_variant_share_and_never_for_validation_or_test()
    {
        var clips = new[] { Clip("a", "03"), Clip("b", "03", "sadness"), Clip("v", "08"), Clip("t", "09", "sadness") };
        var features = FeatureSet.FromMemory(clips.Select((c, i) => (c, Level(i))).ToArray()).WithVariants(new Dictionary<string, IReadOnlyList<RecordedVariantFeatures>>
        {
            ["a"] = [Variant(50), Variant(70)],
            ["v"] = [Variant(90)], // a validation clip's and a test clip's variants exist (the whole corpus is recorded again) but are never used
            ["t"] = [Variant(95)],
        });
        var split = new Split("fold", clips[..2], [clips[2]], [clips[3]]);
        var settings = new ExperimentSettings
        {
            Features = new() { Mel = new() { NMels = 1 } },
            Input = new() { Frames = 2, Standardize = false, SpeakerNorm = SpeakerNormalization.None },
            Augmentation = new() { MaxShiftFrames = 0, FrequencyMasks = 0, TimeMasks = 0, RecordedVariants = 2, VariantShare = 0.4 },
        };
        var data = new ExperimentRunner(settings).Data(features, split, ["anger", "sadness"]);
        var first = Enumerable.Range(0, 1000).Select(i => data.Augment!(data.TrainX[0], new Random(i)).Data[0]).ToList();
        Assert.Equal([0f, 50f, 70f], first.Distinct().Order());
        Assert.InRange(first.Count(x => x != 0) / 1000.0, 0.34, 0.46);
        Assert.InRange(first.Count(x => x == 50), 150, 250); // the two variants alike
        Assert.Equal(data.TrainX[1].Data, data.Augment!(data.TrainX[1], new Random(1)).Data); // a clip without variants as recorded
        Assert.Equal([2f, 3f], data.ValidationX[0].Data);
        Assert.Equal([3f, 4f], Assert.Single(data.TestCrops[0]).Data);

        // a recipe without recorded variants ignores them
        var off = new ExperimentRunner(settings with { Augmentation = settings.Augmentation with { RecordedVariants = 0 } }).Data(features, split, ["anger", "sadness"]);
        Assert.All(Enumerable.Range(0, 50), i => Assert.Equal(0f, off.Augment!(off.TrainX[0], new Random(i)).Data[0]));
    }

    [Fact]
    public void A_drawn_variant_alone_is_normalized_by_its_own_statistics_not_the_clips()
    {
        var clips = new[] { Clip("a", "03"), Clip("b", "03", "sadness"), Clip("v", "08"), Clip("t", "09", "sadness") };
        float[] levels = [0, 20, 100, 7];
        var features = FeatureSet.FromMemory(clips.Select((c, i) => (c, Level(levels[i]))).ToArray())
            .WithVariants(new Dictionary<string, IReadOnlyList<RecordedVariantFeatures>> { ["a"] = [Variant(50)] });
        var settings = new ExperimentSettings
        {
            Features = new() { Mel = new() { NMels = 1 } },
            Input = new() { Frames = 2, Standardize = false, SpeakerNorm = SpeakerNormalization.Mean, PriorFrames = 2 },
            Augmentation = new() { MaxShiftFrames = 0, FrequencyMasks = 0, TimeMasks = 0, RecordedVariants = 1, VariantShare = 1 },
        };
        var data = new ExperimentRunner(settings).Data(features, new Split("fold", clips[..2], [clips[2]], [clips[3]]), ["anger", "sadness"]);
        var draws = Enumerable.Range(0, 400).Select(i => data.Augment!(data.TrainX[0], new Random(i)).Data[0]).ToList();
        // prior mean (0.5 + 20.5) / 2 = 10.5; the variant alone: its mean 50.5 shrunk halfway toward it = 30.5, so 50 - 30.5
        Assert.Contains(19.5f, draws);
        Assert.DoesNotContain(50 - (0.5f + 10.5f) / 2, draws); // the recorded clip's own statistics with the variant's features
        Assert.DoesNotContain(draws, x => x < 0); // every draw is the variant (share 1), never the clip at level 0
    }

    [EmoDbFact]
    public async Task Every_clip_is_recorded_again_extracted_into_the_store_and_found_there_by_the_same_run()
    {
        var corpus = CorpusLoader.Load(Datasets.RequireEmoDb());
        // speaker 03 with 8 clips (babble of its own other clips), speaker 08 with 2 (too few talkers: no babble)
        var clips = corpus.Clips.Where(c => c.Speaker == "03").OrderBy(c => c.Id, StringComparer.Ordinal).Take(8)
            .Concat(corpus.Clips.Where(c => c.Speaker == "08").OrderBy(c => c.Id, StringComparer.Ordinal).Take(2)).ToList();
        var store = new MemoryFeatureStore();
        var provider = new LocalFeatureProvider(store, 2);
        var settings = new ExperimentSettings { Augmentation = new() { RecordedVariants = 4 } };
        var features = await FeatureSet.ExtractAsync(clips, settings.Features, provider);
        var lines = new List<string>();

        var recorded = await TrainingVariants.AddAsync(features, settings, provider, line: lines.Add);

        Assert.All(clips, c => Assert.Equal(4, recorded.VariantsOf(c).Count));
        var all = clips.SelectMany(recorded.VariantsOf).ToList();
        Assert.All(all, v => Assert.NotNull(store.TryGet(v.Key)));
        Assert.Equal(40, all.Select(v => v.Key.ContentHash).Distinct().Count());
        Assert.All(all, v => Assert.Equal(settings.Features.Hash(), v.Key.SettingsHash));
        Assert.All(clips, c => Assert.All(recorded.VariantsOf(c), v => Assert.NotEqual(features[c].Data, v.Features.Data)));
        Assert.DoesNotContain(clips.Where(c => c.Speaker == "08").SelectMany(recorded.VariantsOf), v => v.Conditions.Contains("babble"));
        Assert.Contains(clips.Where(c => c.Speaker == "03").SelectMany(recorded.VariantsOf), v => v.Conditions.Contains("babble"));
        Assert.Contains(all, v => v.Conditions.Contains("telephone"));
        Assert.Contains(all, v => v.Conditions.Contains("reverb-"));
        Assert.Contains("recorded variants: 40 of 40 (4 per clip, 0 from the feature store), 0 failed", lines);

        // the same run again: the same recordings, all found in the store
        lines.Clear();
        var again = await TrainingVariants.AddAsync(features, settings, provider, line: lines.Add);
        Assert.Equal(all.Select(v => v.Key), clips.SelectMany(again.VariantsOf).Select(v => v.Key));
        Assert.Contains("recorded variants: 40 of 40 (4 per clip, 40 from the feature store), 0 failed", lines);
        // another seed records other variants (only a telephone line alone, which draws nothing, can come out the same);
        // none asked for: the features as they were
        var other = await TrainingVariants.AddAsync(features, settings with { Training = settings.Training with { Seed = 7 } }, provider);
        var same = clips.SelectMany(other.VariantsOf).IntersectBy(all.Select(v => v.Key), v => v.Key).ToList();
        Assert.All(same, v => Assert.Equal("telephone", v.Conditions));
        Assert.True(same.Count < 10, $"{same.Count} of 40 variants are the same under another seed");
        Assert.Same(features, await TrainingVariants.AddAsync(features, new ExperimentSettings(), provider));

        // a clip that can no longer be read gets no variants, the others do, and the run goes on
        using (var tmp = new TempDir("ec-variants-"))
        {
            var gone = clips[0] with { Id = "gone", Path = tmp.File("gone.wav") };
            File.Copy(clips[0].Path, gone.Path);
            var withGone = await FeatureSet.ExtractAsync([gone, .. clips[8..]], settings.Features, provider);
            File.Delete(gone.Path);
            lines.Clear();
            var partial = await TrainingVariants.AddAsync(withGone, settings, provider, line: lines.Add);
            Assert.Empty(partial.VariantsOf(gone));
            Assert.All(clips[8..], c => Assert.Equal(4, partial.VariantsOf(c).Count));
            Assert.Contains(lines, l => l.StartsWith($"  {gone.Path}: cannot be read again for its recorded variants"));
            Assert.Contains("recorded variants: 8 of 8 (4 per clip, 8 from the feature store), 0 failed", lines);
        }

        // a trainer node's manifest lists the training part's variants, and a node reads them from its store
        string[] labels = ExperimentRunner.LabelsOf(clips);
        var manifest = TrainingManifest.Create(labels, settings, ExperimentRunner.ManifestPart(recorded, clips[..6], labels, settings, train: true),
            ExperimentRunner.ManifestPart(recorded, clips[6..8], labels, settings), ExperimentRunner.ManifestPart(recorded, clips[8..], labels, settings));
        Assert.All(manifest.Train, e => Assert.Equal(4, e.Variants!.Length));
        Assert.All(manifest.Validation.Concat(manifest.Test!), e => Assert.Null(e.Variants));
        var read = TrainingManifest.Load(Save(manifest, out var dir));
        using (dir)
        {
            var direct = new ExperimentRunner(settings).Data(recorded, new Split("part", clips[..6], clips[6..8], clips[8..]), labels);
            var loaded = TrainingData.Load(read, store);
            Assert.Equal(direct.TrainX.Select(x => x.Data), loaded.TrainX.Select(x => x.Data));
            for (int i = 0; i < 20; i++)
                Assert.Equal(direct.Augment!(direct.TrainX[0], new Random(i)).Data, loaded.Augment!(loaded.TrainX[0], new Random(i)).Data);
            var missing = Assert.Throws<InvalidDataException>(() => TrainingData.Load(read, new Without(store, read.Train[2].VariantKeys.ElementAt(1))));
            Assert.Contains($"train[2] (clip '{read.Train[2].ClipId}'), recorded variant 1", missing.Message);
        }
    }

    /// <summary>A store that has lost one entry.</summary>
    private sealed class Without(IFeatureStore inner, FeatureKey lost) : IFeatureStore
    {
        public bool Contains(FeatureKey key) => key != lost && inner.Contains(key);
        public Spectrogram? TryGet(FeatureKey key) => key == lost ? null : inner.TryGet(key);
        public void Put(FeatureKey key, Spectrogram features) => inner.Put(key, features);
    }

    private static string Save(TrainingManifest manifest, out TempDir dir)
    {
        dir = new TempDir("ec-variants-");
        string path = dir.File("manifest.json");
        manifest.Save(path);
        return path;
    }

    [Fact]
    public void Recipe_refuses_variant_counts_and_shares_out_of_range_naming_the_key()
    {
        var e = Assert.Throws<ArgumentException>(() => new ExperimentSettings { Augmentation = new() { RecordedVariants = 17 } }.Validate());
        Assert.Contains("Augmentation.RecordedVariants 17", e.Message);
        e = Assert.Throws<ArgumentException>(() => new ExperimentSettings { Augmentation = new() { RecordedVariants = 2, VariantShare = 0 } }.Validate());
        Assert.Contains("Augmentation.VariantShare 0", e.Message);
        e = Assert.Throws<ArgumentException>(() => new ExperimentSettings { Augmentation = new() { RecordedVariants = 2, VariantMinSnrDb = 40 } }.Validate());
        Assert.Contains("Augmentation.VariantMinSnrDb 40", e.Message);
        Assert.Contains("recorded again 3 times under random conditions (room, noise 5–30 dB SNR", new AugmentationSettings { RecordedVariants = 3 }.Describe());
        Assert.Contains("(noise 15–30 dB SNR, telephone line)", new AugmentationSettings { RecordedVariants = 3, VariantMinSnrDb = 15, VariantRooms = false }.Describe());
        Assert.DoesNotContain("recorded again", new AugmentationSettings().Describe());
    }
}
