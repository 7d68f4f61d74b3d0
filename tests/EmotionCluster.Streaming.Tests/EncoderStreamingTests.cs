using EmotionCluster.Audio;
using EmotionCluster.Extraction;
using EmotionCluster.Features;
using EmotionCluster.Model;
using EmotionCluster.Testing;

namespace EmotionCluster.Streaming.Tests;

/// <summary>
/// A model trained on a pretrained encoder's embeddings, streamed: each window runs the encoder before the CNN (the
/// window covering a whole clip gives the file's probabilities), and a predictor refuses the model when the encoder file
/// is missing or another one.
/// </summary>
public sealed class EncoderStreamingTests : IDisposable
{
    private readonly TempDir _dir = new("ec-encoder-stream-");

    public void Dispose() => _dir.Dispose();

    /// <summary>A model over <paramref name="encoder"/>'s 16 × 300 embeddings (a two-block CNN, one epoch on noise).</summary>
    private string Model(string encoder)
    {
        var recipe = EncoderRecipe.With(new Recipe { Cnn = new CnnSettings { Channels = [4, 8], DenseSize = 8 } },
            OnnxEncoder.Resolve(encoder, EncoderInput.Waveform, 16_000, "embeddings", timeMajor: false, new MelSettings()));
        var cnn = recipe.CnnFor(3);
        var random = new Random(5);
        var examples = Enumerable.Range(0, 6).Select(i =>
        {
            var data = new float[cnn.InputBins * cnn.InputFrames];
            for (int k = 0; k < data.Length; k++) data[k] = (float)(random.NextDouble() * 2 - 1 + (k / cnn.InputFrames % 3 == i % 3 ? 1 : 0));
            return (new Spectrogram(data, cnn.InputBins, cnn.InputFrames), i % 3);
        }).ToList();
        var training = new TrainingSettings { Epochs = 1, BatchSize = 4, Seed = 1, Threads = 0, EarlyStoppingPatience = 0, WarmupEpochs = 0 };
        string path = _dir.File("model.ecm");
        using var result = SmallModels.Train(examples, [], training, cnn);
        result.Save(path, ["anger", "neutral", "sadness"], recipe with { Training = training }, null);
        return path;
    }

    [Fact]
    public void A_window_runs_the_models_encoder_and_a_missing_or_different_encoder_refuses_the_model()
    {
        Assert.SkipUnless(Datasets.HasEmoDb || Datasets.IsCi, "EMO-DB is missing");
        string wav = Path.Combine(Datasets.RequireEmoDb(), "wav", "03a01Wa.wav");
        string encoder = TestEncoders.Waveform(_dir.File("encoder.onnx"), seed: 1);
        string model = Model(encoder);

        var streaming = StreamingModel.Load(model);
        var (clip, _) = WavReader.Read(wav);
        Spectrogram window = streaming.Features(clip.Samples, clip.SampleRate);
        Assert.Equal(16, window.Bins); // the encoder's embeddings, shaped to the model's 300 frames
        Assert.Equal(300, window.Frames);
        float[] streamed = streaming.Predict([window])[0];
        float[] reference = TinyModel.Reference(model, File.ReadAllBytes(wav));
        Assert.All(streamed.Zip(reference), p => Assert.InRange(p.Item1, p.Item2 - 1e-4f, p.Item2 + 1e-4f));

        File.Delete(encoder);
        TestEncoders.Waveform(encoder, seed: 2); // another encoder at the recorded path
        var different = Assert.Throws<ModelArtifactException>(() => StreamingModel.Load(model));
        Assert.Contains("SHA-256", different.Message);
        Assert.Contains(model, different.Message);

        File.Delete(encoder);
        var missing = Assert.Throws<ModelArtifactException>(() => StreamingModel.Load(model));
        Assert.Contains("does not exist", missing.Message);
    }
}
