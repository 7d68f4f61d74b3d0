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
        var settings = new ExperimentSettings { Features = new() { Mel = new() { NMels = 1 } }, Input = new() { Frames = 2, Standardize = false, SpeakerNorm = SpeakerNormalization.Mean } };
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
}
