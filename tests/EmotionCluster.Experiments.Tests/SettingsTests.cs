using EmotionCluster.TrainingActors;
using EmotionCluster.Model;
using EmotionCluster.Corpora;
using EmotionCluster.Experiments;
using EmotionCluster.Extraction;
using EmotionCluster.Features;
using Xunit;

namespace EmotionCluster.Experiments.Tests;

public class SettingsTests
{
    [Fact]
    public void Settings_round_trip_through_json_and_reject_unknown_keys_naming_the_source()
    {
        var s = new ExperimentSettings { Emotions = ["anger", "sadness"], Training = new() { Epochs = 7, Seed = 3 } };
        var back = ExperimentSettings.FromJson(s.ToJson());
        Assert.Equal(s.ToJson(), back.ToJson());
        Assert.Equal(7, back.Training.Epochs);

        var e = Assert.Throws<ArgumentException>(() => ExperimentSettings.FromJson("""{ "Trainig": { } }""", "my.json"));
        Assert.StartsWith("my.json:", e.Message);
        Assert.Contains("Trainig", e.Message);
        e = Assert.Throws<ArgumentException>(() => ExperimentSettings.FromJson("""{ "Emotions": ["anger"] }""", "one.json"));
        Assert.Contains("at least two emotions", e.Message);
        e = Assert.Throws<ArgumentException>(() => ExperimentSettings.FromJson("{ not json", "bad.json"));
        Assert.StartsWith("bad.json: invalid experiment settings JSON", e.Message);
    }

    [Fact]
    public void Training_settings_the_trainer_actor_does_not_run_are_refused_when_the_settings_are_read()
    {
        // every job trains on the trainer actor: a job given these must fail before it extracts anything, not at its first fold
        var e = Assert.Throws<ArgumentException>(() => ExperimentSettings.FromJson("""{ "Training": { "AverageLastEpochs": 10 } }""", "swa.json"));
        Assert.StartsWith("swa.json:", e.Message);
        Assert.Contains("AverageLastEpochs 10 is not supported by the trainer actor yet; set it to 0", e.Message);
        e = Assert.Throws<ArgumentException>(() => ExperimentSettings.FromJson("""{ "Training": { "Schedule": "Plateau" } }""", "plateau.json"));
        Assert.Contains("Schedule Plateau", e.Message);
        Assert.Equal(0, ExperimentSettings.FromJson("""{ "Training": { "AverageLastEpochs": 0 } }""").Training.AverageLastEpochs);
    }

    [Fact]
    public void Cnn_input_follows_the_features_and_the_labels()
    {
        var s = new ExperimentSettings { Features = new FeaturePipelineSettings { Kind = FeatureKind.Mfcc, MfccCount = 20 }, Input = new() { Frames = 120 } };
        var cnn = s.CnnFor(5);
        Assert.Equal((20, 120, 5), (cnn.InputBins, cnn.InputFrames, cnn.Classes));
        Assert.Throws<ArgumentException>(() => (new FeaturePipelineSettings { Kind = FeatureKind.Mfcc, MfccCount = 65 }).Validate());
    }

    [Fact]
    public void Model_input_standardizes_then_centre_crops_or_zero_pads()
    {
        var input = new ModelInput(new FeaturePipelineSettings(), new InputSettings { Frames = 4, Standardize = true, SpeakerNorm = SpeakerNormalization.None });
        var longer = new Spectrogram([1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8], 2, 8);
        var shaped = input.Shape(longer);
        Assert.Equal((2, 4), (shaped.Bins, shaped.Frames));
        var z = ModelInput.Standardize(longer);
        Assert.Equal(0, z.Data.Average(), 5);
        Assert.Equal(1, Math.Sqrt(z.Data.Select(v => v * v).Average()), 4);
        Assert.Equal(z.Data.AsSpan(2, 4).ToArray(), shaped.Data.AsSpan(0, 4).ToArray()); // centre frames 2..5

        var shorter = new Spectrogram([1, 3, 1, 3], 2, 2);
        var padded = input.Shape(shorter);
        Assert.Equal(new float[] { 0, -1, 1, 0, 0, -1, 1, 0 }, padded.Data);

        // a version 1 model file's {"Features":…,"Input":…} form reads back to the same input
        var json = System.Text.Json.JsonSerializer.Serialize(input, Recipe.Json);
        Assert.Equal(input with { Features = input.Features }, ModelInput.Of(new ModelManifest(ModelArtifact.FormatName, 1, new CnnSettings(), ["a", "b"], json)) with { Features = input.Features });
        Assert.Throws<ArgumentException>(() => ModelInput.Of(new ModelManifest(ModelArtifact.FormatName, 1, new CnnSettings(), ["a", "b"], """{"Features":{},"Input":{"Frames":0}}""")));
    }

    [Fact]
    public void Time_shift_moves_content_and_fills_the_gap_with_the_minimum()
    {
        var s = new Spectrogram([1, 2, 3, 4, 5, 6, 7, 8], 2, 4);
        Assert.Equal(new float[] { 1, 1, 2, 3, 1, 5, 6, 7 }, Recipe.Shift(s, 1).Data);
        Assert.Equal(new float[] { 3, 4, 1, 1, 7, 8, 1, 1 }, Recipe.Shift(s, -2).Data);
        Assert.Equal(s.Data, Recipe.Shift(s, 0).Data);
    }

    [Fact]
    public void Augmentation_keeps_the_shape_and_is_reproducible_with_a_seed()
    {
        var augment = new ExperimentSettings().Augmenter()!;
        var x = new Spectrogram(Enumerable.Range(0, 64 * 300).Select(i => (float)Math.Sin(i)).ToArray(), 64, 300);
        var a = augment(x, new Random(5));
        var b = augment(x, new Random(5));
        Assert.Equal((64, 300), (a.Bins, a.Frames));
        Assert.Equal(a.Data, b.Data);
        Assert.NotEqual(x.Data, a.Data);
        Assert.Null(new ExperimentSettings { Augmentation = new() { Enabled = false } }.Augmenter());
    }

    [Fact]
    public void Emotion_filter_keeps_the_named_emotions_and_names_the_missing_ones()
    {
        ClipInfo C(string id, string e) => new(id, $"/x/{id}.wav", e, "01", "test");
        var clips = new[] { C("a", "anger"), C("b", "sadness"), C("c", "boredom") };
        var runner = new ExperimentRunner(new ExperimentSettings { Emotions = ["Anger", "sadness"] });
        Assert.Equal(["a", "b"], runner.SelectClips(clips).Select(c => c.Id));
        var e = Assert.Throws<ArgumentException>(() => new ExperimentRunner(new ExperimentSettings { Emotions = ["anger", "fear"] }).SelectClips(clips));
        Assert.Contains("fear", e.Message);
        Assert.Equal(["anger", "boredom", "sadness"], ExperimentRunner.LabelsOf(clips.Reverse()));
    }

    [Fact]
    public void Limit_per_emotion_takes_clips_round_robin_over_speakers()
    {
        ClipInfo C(string id, string e, string speaker) => new(id, $"/x/{id}.wav", e, speaker, "test");
        var clips = new[]
        {
            C("a1", "anger", "01"), C("a2", "anger", "01"), C("a3", "anger", "01"), C("b1", "anger", "02"), C("c1", "anger", "03"),
            C("s1", "sadness", "01"),
        };
        var kept = Workflow.LimitPerEmotion(clips, 3).Select(c => c.Id).ToList();
        Assert.Equal(["a1", "b1", "c1", "s1"], kept);
        Assert.Equal(["a1", "a2", "b1", "c1", "s1"], Workflow.LimitPerEmotion(clips, 4).Select(c => c.Id));
    }

    [Fact]
    public void Per_band_standardization_gives_each_band_zero_mean_and_unit_variance()
    {
        var s = new Spectrogram([1, 2, 3, 4, 10, 10, 10, 10], 2, 4);
        var z = ModelInput.StandardizeBands(s);
        Assert.Equal(0, z.Data.Take(4).Average(), 5);
        Assert.Equal(1, Math.Sqrt(z.Data.Take(4).Select(v => v * v).Average()), 4);
        Assert.All(z.Data.Skip(4), v => Assert.Equal(0, v)); // a constant band becomes zeros, not NaN
    }

    [Fact]
    public void Long_clips_are_scored_on_overlapping_windows_that_cover_them_end_to_end()
    {
        var input = new ModelInput(new FeaturePipelineSettings(), new InputSettings { Frames = 4, CropHopFrames = 2, Standardize = false, SpeakerNorm = SpeakerNormalization.None, LongClips = LongClipMode.Crops });
        var clip = new Spectrogram([0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18], 2, 9);
        var crops = input.Crops(clip);
        Assert.Equal([[0, 1, 2, 3], [2, 3, 4, 5], [4, 5, 6, 7], [5, 6, 7, 8]], crops.Select(c => c.Data.Take(4).ToArray()));
        Assert.All(crops, c => Assert.Equal((2, 4), (c.Bins, c.Frames)));
        Assert.Equal(new float[] { 15, 16, 17, 18 }, crops[^1].Data.Skip(4).ToArray()); // the second band follows along

        Assert.Equal(input.Shape(clip).Data, Assert.Single(new ModelInput(input.Features, input.Input with { LongClips = LongClipMode.CenterCrop }).Crops(clip)).Data);
        var fits = new Spectrogram([1, 2, 3, 4], 2, 2);
        Assert.Equal(input.Shape(fits).Data, Assert.Single(input.Crops(fits)).Data); // a clip that fits: one padded window, as Shape
        Assert.Throws<ArgumentException>(() => new InputSettings { Frames = 4, CropHopFrames = 0 }.Validate());
    }

    [Fact]
    public void Long_training_clips_enter_each_batch_as_a_random_window_of_the_whole_clip()
    {
        var settings = new ExperimentSettings
        {
            Input = new() { Frames = 4, Standardize = false, SpeakerNorm = SpeakerNormalization.None, LongClips = LongClipMode.Crops },
            Augmentation = new() { MaxShiftFrames = 0, FrequencyMasks = 0, TimeMasks = 0 },
        };
        var full = new Spectrogram(Enumerable.Range(0, 20).Select(i => (float)i).ToArray(), 1, 20);
        var shortClip = new Spectrogram([1, 2, 3], 1, 3);
        settings = settings with { Features = new() { Mel = new() { NMels = 1 } } };
        var data = TrainingData.Build(settings, ["a", "b"], [new("full", full, 0, null), new("short", shortClip, 1, null)], []);
        var examples = data.TrainX.Select((x, i) => (X: x, Y: data.TrainY[i])).ToList();
        var augment = data.Augment!;
        var random = new Random(1);
        var starts = Enumerable.Range(0, 200).Select(_ => augment(examples[0].X, random)).Select(w =>
        {
            Assert.Equal(4, w.Frames);
            Assert.Equal(Enumerable.Range((int)w.Data[0], 4).Select(i => (float)i), w.Data); // a contiguous window of the clip
            return (int)w.Data[0];
        }).ToHashSet();
        Assert.Equal(Enumerable.Range(0, 17).ToHashSet(), starts); // every start 0..16 is drawn
        Assert.Equal(examples[1].X.Data, augment(examples[1].X, random).Data); // a short clip is left as it is
        // centre crops only: the window is the example itself
        var centre = TrainingData.Build(settings with { Input = settings.Input with { LongClips = LongClipMode.CenterCrop } }, ["a", "b"], [new("full", full, 0, null)], []);
        Assert.Equal(centre.TrainX[0].Data, centre.Augment!(centre.TrainX[0], random).Data);
    }
}
