using EmotionCluster.Model;
using EmotionCluster.Corpora;
using EmotionCluster.Experiments;
using EmotionCluster.Extraction;
using EmotionCluster.Features;
using Xunit;

namespace EmotionCluster.Experiments.Tests;

public class SpeakerNormalizationTests
{
    private static ClipInfo Clip(string id, string speaker, string emotion = "anger") => new(id, $"{id}.wav", emotion, speaker, "test");

    [Fact]
    public void Band_statistics_pool_every_frame_of_the_group()
    {
        // band 0: 1,3 | 5 ; band 1: 2,2 | 8  (two clips of 2 and 1 frames)
        var stats = BandStatistics.Of([new Spectrogram([1, 3, 2, 2], 2, 2), new Spectrogram([5, 8], 2, 1)]);
        Assert.Equal(3, stats.Mean[0], 12);
        Assert.Equal(4, stats.Mean[1], 12);
        Assert.Equal(Math.Sqrt(8.0 / 3), stats.Std[0], 12);
        Assert.Equal(Math.Sqrt(24.0 / 3), stats.Std[1], 12);
        Assert.Throws<ArgumentException>(() => BandStatistics.Of([]));
        Assert.Throws<ArgumentException>(() => BandStatistics.Of([new Spectrogram([1, 2], 2, 1), new Spectrogram([1, 2, 3], 3, 1)]));
    }

    [Fact]
    public void Normalizing_by_the_speaker_removes_the_speakers_band_offsets_but_keeps_differences_between_clips()
    {
        var stats = BandStatistics.Of([new Spectrogram([1, 3, 10, 30], 2, 2), new Spectrogram([5, 50], 2, 1)]);
        var mean = stats.Normalize(new Spectrogram([1, 3, 10, 30], 2, 2), SpeakerNormalization.Mean);
        Assert.Equal(new float[] { -2, 0, -20, 0 }, mean.Data);
        var mv = stats.Normalize(new Spectrogram([5, 50], 2, 1), SpeakerNormalization.MeanVariance);
        Assert.Equal(2 / Math.Sqrt(8.0 / 3), mv.Data[0], 5);
        Assert.Equal(20 / Math.Sqrt(800.0 / 3), mv.Data[1], 5);
        Assert.Same(mean, stats.Normalize(mean, SpeakerNormalization.None));
        var constant = BandStatistics.Of([new Spectrogram([4, 4], 1, 2)]);
        Assert.Equal(new float[] { 0, 0 }, constant.Normalize(new Spectrogram([4, 4], 1, 2), SpeakerNormalization.MeanVariance).Data);
    }

    [Fact]
    public void Model_input_applies_speaker_statistics_before_the_clip_standardization_and_a_lone_clip_uses_its_own()
    {
        var input = new ModelInput(new FeaturePipelineSettings(), new InputSettings { Frames = 3, SpeakerNorm = SpeakerNormalization.MeanVariance });
        var clip = new Spectrogram([1, 2, 3, 10, 20, 60], 2, 3);
        var other = new Spectrogram([7, 8, 9, 0, 0, 90], 2, 3);
        var speaker = BandStatistics.Of([clip, other]);

        var expected = ModelInput.Standardize(speaker.Normalize(clip, SpeakerNormalization.MeanVariance));
        Assert.Equal(expected.Data, input.Shape(clip, speaker).Data);
        Assert.Equal(expected.Data, Assert.Single(input.Crops(clip, speaker)).Data);
        // without a speaker's statistics the clip is its own speaker
        Assert.Equal(ModelInput.Standardize(BandStatistics.Of([clip]).Normalize(clip, SpeakerNormalization.MeanVariance)).Data, input.Shape(clip).Data);
        Assert.NotEqual(input.Shape(clip).Data, input.Shape(clip, speaker).Data);
        // off: the statistics are ignored
        var off = new ModelInput(new FeaturePipelineSettings(), new InputSettings { Frames = 3, SpeakerNorm = SpeakerNormalization.None });
        Assert.Equal(ModelInput.Standardize(clip).Data, off.Shape(clip, speaker).Data);
    }

    [Fact]
    public void Speaker_statistics_group_a_splits_clips_by_speaker_and_leave_unknown_speakers_alone()
    {
        var a1 = Clip("a1", "03"); var a2 = Clip("a2", "03", "sadness"); var b1 = Clip("b1", "08"); var u = Clip("u", ClipInfo.UnknownSpeaker);
        var features = FeatureSet.FromMemory([
            (a1, new Spectrogram([0, 2], 1, 2)), (a2, new Spectrogram([4, 6], 1, 2)), (b1, new Spectrogram([10, 10], 1, 2)), (u, new Spectrogram([1, 1], 1, 2))]);
        var split = new Split("fold", [a1, b1], [u], [a2]);

        var speakers = SpeakerStatistics.Of(features, split.Train.Concat(split.Validation).Concat(split.Test));
        Assert.Equal(["03", "08"], speakers.Keys.Order());
        Assert.Equal(3, speakers["03"].Mean[0], 12); // the test clip's audio counts: its speaker is a2's too
        Assert.Equal(10, speakers["08"].Mean[0], 12);

        // the split's examples as the trainer gets them (no clip standardization here, to see the speaker's mean)
        var settings = new ExperimentSettings { Features = new() { Mel = new() { NMels = 1 } }, Input = new() { Frames = 2, Standardize = false, SpeakerNorm = SpeakerNormalization.Mean, PriorFrames = 0 } };
        var data = new ExperimentRunner(settings).Data(features, split, ["anger", "sadness"]);
        Assert.Equal(new float[] { -3, -1 }, data.TrainX[0].Data); // a1 relative to speaker 03 (a1 and the test clip a2)
        Assert.Equal(new float[] { 0, 0 }, data.TrainX[1].Data); // b1 relative to speaker 08
        Assert.Equal(new float[] { 0, 0 }, data.ValidationX[0].Data); // the unknown speaker's clip: its own statistics
        Assert.Equal(new float[] { 1, 3 }, Assert.Single(data.TestCrops[0]).Data); // a2, scored with its speaker's statistics
        Assert.Equal([0, 0], data.TrainY);
        Assert.Equal([1], data.TestY);
        var off = new ExperimentRunner(settings with { Input = settings.Input with { SpeakerNorm = SpeakerNormalization.None } }).Data(features, split, ["anger", "sadness"]);
        Assert.Equal(new float[] { 0, 2 }, off.TrainX[0].Data);
    }

    [Fact]
    public void Speaker_normalization_is_on_by_default_written_to_the_model_and_absent_from_older_model_files()
    {
        Assert.Equal(SpeakerNormalization.MeanVariance, new ExperimentSettings().Input.SpeakerNorm);
        Assert.Equal(SpeakerNormalization.MeanVariance, ExperimentSettings.FromJson("""{ "Input": { "Frames": 200 } }""").Input.SpeakerNorm);
        var on = new ExperimentSettings();
        Assert.Contains("\"SpeakerNorm\": \"MeanVariance\"", on.RecipeJson());
        Assert.Equal(SpeakerNormalization.MeanVariance, Recipe.FromJson(on.RecipeJson()).ModelInput.Input.SpeakerNorm);
        var off = new ExperimentSettings { Input = new() { SpeakerNorm = SpeakerNormalization.None } };
        Assert.Equal(SpeakerNormalization.None, Recipe.FromJson(off.RecipeJson()).ModelInput.Input.SpeakerNorm);
        // a (version 1) model file from before the option: no key, trained without speaker normalization
        Assert.Equal(SpeakerNormalization.None, ModelInput.Of(new ModelManifest(ModelArtifact.FormatName, 1, new CnnSettings(), ["a", "b"],
            """{"Features":{},"Input":{"Frames":300,"Standardize":true}}""")).Input.SpeakerNorm);
        var e = Assert.Throws<ArgumentException>(() => ExperimentSettings.FromJson("""{ "Input": { "SpeakerNorm": "Loudest" } }""", "s.json"));
        Assert.StartsWith("s.json", e.Message);
    }

    [Fact]
    public void Pooled_statistics_equal_those_over_all_frames_and_count_them()
    {
        var a = new Spectrogram([1, 3, 2, 2], 2, 2);
        var b = new Spectrogram([5, 8], 2, 1);
        var pooled = BandStatistics.Pool([BandStatistics.Of([a]), BandStatistics.Of([b])]);
        var all = BandStatistics.Of([a, b]);
        Assert.Equal(3, all.Frames);
        Assert.Equal(3, pooled.Frames);
        for (int band = 0; band < 2; band++)
        {
            Assert.Equal(all.Mean[band], pooled.Mean[band], 12);
            Assert.Equal(all.Std[band], pooled.Std[band], 12);
        }
        Assert.Throws<ArgumentException>(() => BandStatistics.Pool([]));
    }

    [Fact]
    public void Statistics_shrink_toward_the_prior_by_their_frames()
    {
        var prior = new BandStatistics([0.0], [1.0]) { Frames = 1000 };
        var own = new BandStatistics([10.0], [0.0]) { Frames = 100 };
        // 100 own frames against a prior worth 100: halfway; the second moment pools too (mean 5, E[x²] = (100 + 1) / 2)
        var half = own.Toward(prior, 100);
        Assert.Equal(5, half.Mean[0], 12);
        Assert.Equal(Math.Sqrt(50.5 - 25), half.Std[0], 12);
        Assert.Equal(100, half.Frames); // the group's own frames: pooling it again weighs it as before
        Assert.Equal(10 * 100.0 / 110, own.Toward(prior, 10).Mean[0], 12); // few prior frames: nearly its own
        Assert.Same(own, own.Toward(prior, 0));
        Assert.Throws<ArgumentException>(() => own.Toward(new BandStatistics([0.0, 0.0], [1.0, 1.0]), 10));
    }

    [Fact]
    public void A_lone_clip_is_normalized_between_the_training_sets_statistics_and_its_own()
    {
        var settings = new InputSettings { Frames = 2, Standardize = false, SpeakerNorm = SpeakerNormalization.Mean, PriorFrames = 2 };
        var clip = new Spectrogram([10, 12], 1, 2); // own mean 11 over 2 frames
        var prior = new BandStatistics([1.0], [1.0]) { Frames = 500 };
        var input = new ModelInput(new FeaturePipelineSettings(), settings) { Prior = prior };
        // the prior weighs as much as the clip's 2 frames: the mean it subtracts is (11 + 1) / 2 = 6
        Assert.Equal(new float[] { 4, 6 }, input.Shape(clip).Data);
        // a speaker's many clips outweigh the prior
        var speaker = new BandStatistics([20.0], [1.0]) { Frames = 198 };
        Assert.Equal(20 * 198.0 / 200 + 1 * 2.0 / 200, input.NormalizationOf(clip, speaker).Mean[0], 9);
        // no prior (a model from before it, or PriorFrames 0): the clip's own statistics alone
        Assert.Equal(new float[] { -1, 1 }, (input with { Prior = null }).Shape(clip).Data);
        Assert.Equal(new float[] { -1, 1 }, (input with { Input = settings with { PriorFrames = 0 } }).Shape(clip).Data);
        Assert.Throws<ArgumentException>(() => new InputSettings { PriorFrames = -1 }.Validate());
    }

    [Fact]
    public void Training_takes_the_prior_from_the_training_clips_validates_lone_clips_and_draws_speaker_contexts()
    {
        // speaker 03: four clips at levels 0, 2, 20, 22 (two emotions); validation speaker 08
        ClipInfo C(string id, string speaker, string emotion) => Clip(id, speaker, emotion);
        var clips = new[] { C("a", "03", "anger"), C("b", "03", "anger"), C("c", "03", "sadness"), C("d", "03", "sadness"), C("v", "08", "anger"), C("t", "09", "sadness") };
        float[] levels = [0, 2, 20, 22, 100, 7];
        var features = FeatureSet.FromMemory(clips.Select((c, i) => (c, new Spectrogram([levels[i], levels[i] + 1], 1, 2))).ToArray());
        var split = new Split("fold", clips[..4], [clips[4]], [clips[5]]);
        var settings = new ExperimentSettings
        {
            Features = new() { Mel = new() { NMels = 1 } },
            Input = new() { Frames = 2, Standardize = false, SpeakerNorm = SpeakerNormalization.Mean, PriorFrames = 2 },
            Augmentation = new() { MaxShiftFrames = 0, FrequencyMasks = 0, TimeMasks = 0 },
        };
        var data = new ExperimentRunner(settings).Data(features, split, ["anger", "sadness"]);
        var prior = data.Input.Prior!;
        Assert.Equal(11.5, prior.Mean[0], 12); // the training clips' frames only: (0.5 + 2.5 + 20.5 + 22.5) / 4
        Assert.Equal(8, prior.Frames);
        // the validation clip as predict scores it: its own mean 100.5 shrunk halfway toward the prior's 11.5
        Assert.Equal(new float[] { 100 - 56f, 101 - 56f }, data.ValidationX[0].Data);
        // the test clip with its speaker's clips (only itself here), as the journal's test metrics
        Assert.Equal(ModelInput.Standardize(features[clips[5]]).Data.Length, Assert.Single(data.TestCrops[0]).Data.Length);

        // every draw of clip "a" is normalized by some context of speaker 03: alone (mean 0.5 toward 11.5: 6), all, or a subset
        var augment = data.Augment!;
        var random = new Random(5);
        var offsets = Enumerable.Range(0, 400).Select(_ => augment(data.TrainX[0], random).Data[0]).ToList();
        Assert.Contains(-6f, offsets); // the clip alone: (0.5 * 2 + 11.5 * 2) / 4 = 6
        double alone = offsets.Count(o => o == -6f) / 400.0;
        Assert.InRange(alone, SpeakerContexts.Alone - 0.08, SpeakerContexts.Alone + 0.15); // alone, or a one-clip draw of itself
        Assert.True(offsets.Distinct().Count() >= 5, $"only {offsets.Distinct().Count()} distinct contexts in 400 draws");
        Assert.All(offsets, o => Assert.InRange(o, -22.5f + 0f - 0.01f, 0.01f)); // any context of speaker 03 lies between its clips' levels and the prior
    }

    [Fact]
    public void Speaker_contexts_are_the_clip_alone_a_random_subset_or_one_emotions_clips()
    {
        int[] labels = [0, 0, 0, 1, 1, 1, 2, 2, 2, 2];
        var random = new Random(1);
        int alone = 0, oneEmotion = 0, large = 0;
        for (int i = 0; i < 4000; i++)
        {
            int self = i % labels.Length;
            var context = SpeakerContexts.Draw(self, labels, random);
            Assert.NotEmpty(context);
            Assert.Equal(context.Length, context.Distinct().Count());
            Assert.All(context, j => Assert.InRange(j, 0, labels.Length - 1));
            if (context is [var only] && only == self) alone++;
            var others = context.Where(j => j != self).Select(j => labels[j]).Distinct().Count();
            if (context.Length >= 3 && others == 1) oneEmotion++;
            if (context.Length >= 8) large++;
        }
        Assert.InRange(alone / 4000.0, 0.36, 0.55); // alone, plus one-clip draws that picked the clip itself
        Assert.True(oneEmotion > 80, $"one-emotion contexts: {oneEmotion}");
        Assert.True(large > 120, $"contexts of 8+ clips: {large}");
        Assert.Equal([0], SpeakerContexts.Draw(0, [3], random));
        Assert.Throws<ArgumentOutOfRangeException>(() => SpeakerContexts.Draw(2, [0, 1], random));
    }

    [Fact]
    public void Recording_conditions_change_a_training_examples_features_before_normalization_and_need_log_mel()
    {
        var clips = new[] { Clip("a", "03", "anger"), Clip("b", "03", "sadness"), Clip("v", "08", "anger"), Clip("t", "09", "sadness") };
        var random = new Random(3);
        var features = FeatureSet.FromMemory(clips.Select(c => (c, new Spectrogram(Enumerable.Range(0, 64 * 40).Select(_ => (float)(-40 + 30 * random.NextDouble())).ToArray(), 64, 40))).ToArray());
        var split = new Split("fold", clips[..2], [clips[2]], [clips[3]]);
        var settings = new ExperimentSettings
        {
            Input = new() { Frames = 40, SpeakerNorm = SpeakerNormalization.None },
            Augmentation = new() { MaxShiftFrames = 0, FrequencyMasks = 0, TimeMasks = 0, RecordingConditions = true },
        };
        var data = new ExperimentRunner(settings).Data(features, split, ["anger", "sadness"]);
        var draws = Enumerable.Range(0, 40).Select(i => data.Augment!(data.TrainX[0], new Random(i)).Data).ToList();
        int unchanged = draws.Count(d => d.SequenceEqual(data.TrainX[0].Data));
        Assert.InRange(unchanged, 1, 30); // some draws leave the recording as it is, most do not
        Assert.Equal(draws[7], data.Augment!(data.TrainX[0], new Random(7)).Data); // the same draw for the same seed
        var off = new ExperimentRunner(settings with { Augmentation = settings.Augmentation with { RecordingConditions = false } }).Data(features, split, ["anger", "sadness"]);
        Assert.Equal(off.TrainX[0].Data, off.Augment!(off.TrainX[0], new Random(1)).Data);
        var e = Assert.Throws<ArgumentException>(() => (settings with { Features = new() { Kind = FeatureKind.Mfcc } }).Validate());
        Assert.Contains("RecordingConditions", e.Message);
    }
}
