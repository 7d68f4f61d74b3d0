using System.IO.Compression;
using EmotionCluster.Model;
using Xunit;

namespace EmotionCluster.Model.Tests;

public sealed class ModelArtifactTests : IDisposable
{
    private static readonly CnnSettings Cnn = ToyData.SmallCnn;
    private static readonly string[] Labels = ["low", "mid", "high"];
    private const string FeatureJson = """{"kind":"logmel","bins":16,"frames":32}""";
    private readonly string dir = Directory.CreateTempSubdirectory("ec-model-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void A_loaded_model_reproduces_the_training_time_probabilities_exactly()
    {
        var train = ToyData.Bands(10, Cnn, seed: 20);
        var validation = ToyData.Bands(15, Cnn, seed: 21); // 45 examples: more than one inference batch
        string path = Path.Combine(dir, "nested", "model.ecm");
        using (var result = Trainer.Train(train, validation, ToyData.FastTraining(3), Cnn))
        {
            result.Save(path, Labels, FeatureJson);

            using var predictor = Predictor.Load(path);
            Assert.Equal(result.Validation!.Probabilities, predictor.PredictBatch(validation.Xs()));
            Assert.Equal(Cnn, predictor.Settings);
            Assert.Equal(Labels, predictor.Labels);
            Assert.Equal(FeatureJson, predictor.FeatureSettings);

            float[] single = predictor.Predict(validation[0].X);
            Assert.Equal(3, single.Length);
            Assert.Equal(1.0, single.Sum(), 5);
            // alone or among others: the same bits (Inference runs one example per forward pass)
            Assert.Equal(result.Validation.Probabilities[0], single);
            Assert.Equal(result.Validation.Probabilities[^1], predictor.PredictBatch([validation[^1].X, validation[0].X])[0]);
        }
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public void Inference_gives_the_same_bits_with_one_or_two_torch_threads()
    {
        // on the default-size model, so the convolutions are big enough to be split between threads
        var cnn = new CnnSettings { Classes = 3 };
        var examples = ToyData.Bands(2, cnn, seed: 22).Xs();
        int before = TorchSharp.torch.get_num_threads();
        using var trainer = new Trainer(cnn, ToyData.FastTraining(1));
        try
        {
            TorchRuntime.SetThreads(1);
            var one = trainer.Evaluate(examples).Probabilities;
            TorchRuntime.SetThreads(2);
            var two = trainer.Evaluate(examples).Probabilities;
            Assert.Equal(one, two);
        }
        finally
        {
            TorchRuntime.SetThreads(before);
        }
    }

    [Fact]
    public void Predictor_rejects_features_of_another_size()
    {
        string path = Path.Combine(dir, "m.ecm");
        using (var trainer = new Trainer(Cnn, ToyData.FastTraining(1))) ModelArtifact.Save(path, trainer.Model, Labels, "{}");
        using var predictor = Predictor.Load(path);
        var e = Assert.Throws<ArgumentException>(() => predictor.Predict(EmotionCluster.Features.Spectrogram.Create(new float[16 * 31], 16, 31)));
        Assert.Contains("16 x 31", e.Message);
    }

    [Fact]
    public void Missing_damaged_or_foreign_files_are_clear_errors()
    {
        string missing = Path.Combine(dir, "none.ecm");
        Assert.Contains("does not exist", Assert.Throws<ModelArtifactException>(() => Predictor.Load(missing)).Message);

        string text = Path.Combine(dir, "text.ecm");
        File.WriteAllText(text, "not a zip");
        var notZip = Assert.Throws<ModelArtifactException>(() => Predictor.Load(text));
        Assert.Equal(text, notZip.Path);
        Assert.Contains("not a zip", notZip.Message);

        string good = Path.Combine(dir, "good.ecm");
        using (var trainer = new Trainer(Cnn, ToyData.FastTraining(1))) ModelArtifact.Save(good, trainer.Model, Labels, "{}");

        string noWeights = Rewrite(good, "no-weights.ecm", (name, bytes) => name == "weights.bin" ? null : bytes);
        Assert.Contains("has no weights.bin", Assert.Throws<ModelArtifactException>(() => Predictor.Load(noWeights)).Message);

        string cut = Rewrite(good, "cut.ecm", (name, bytes) => name == "weights.bin" ? bytes[..(bytes.Length / 2)] : bytes);
        Assert.Contains("weights do not fit", Assert.Throws<ModelArtifactException>(() => Predictor.Load(cut)).Message);

        string wider = Rewrite(good, "wider.ecm", (name, bytes) => name == "manifest.json"
            ? System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(bytes).Replace("\"denseSize\": 16", "\"denseSize\": 32"))
            : bytes);
        Assert.Contains("weights do not fit", Assert.Throws<ModelArtifactException>(() => Predictor.Load(wider)).Message);

        string badJson = Rewrite(good, "json.ecm", (name, bytes) => name == "manifest.json" ? "{ nope"u8.ToArray() : bytes);
        Assert.Contains("not valid JSON", Assert.Throws<ModelArtifactException>(() => Predictor.Load(badJson)).Message);

        Assert.Throws<ArgumentException>(() => ModelArtifact.Save(Path.Combine(dir, "x.ecm"), new SerCnn(Cnn), ["only one"], "{}"));
    }

    /// <summary>A copy of a model file with entries replaced (null drops the entry).</summary>
    private string Rewrite(string source, string name, Func<string, byte[], byte[]?> change)
    {
        string target = Path.Combine(dir, name);
        using var input = ZipFile.OpenRead(source);
        using var output = ZipFile.Open(target, ZipArchiveMode.Create);
        foreach (var entry in input.Entries)
        {
            using var buffer = new MemoryStream();
            using (var s = entry.Open()) s.CopyTo(buffer);
            if (change(entry.FullName, buffer.ToArray()) is { } bytes)
                using (var w = output.CreateEntry(entry.FullName).Open()) w.Write(bytes);
        }
        return target;
    }
}
