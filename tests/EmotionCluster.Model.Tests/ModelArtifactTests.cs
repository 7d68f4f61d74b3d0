using System.IO.Compression;
using EmotionCluster.Model;
using Xunit;
using EmotionCluster.Testing;

namespace EmotionCluster.Model.Tests;

public sealed class ModelArtifactTests : IDisposable
{
    private static readonly CnnSettings Cnn = ToyData.SmallCnn;
    private static readonly string[] Labels = ["low", "mid", "high"];
    private static readonly Recipe ToyRecipe = ToyData.SmallRecipe(3);
    private readonly string _dir = Directory.CreateTempSubdirectory("ec-model-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_loaded_model_reproduces_the_training_time_probabilities_exactly()
    {
        var train = ToyData.Bands(10, Cnn, seed: 20);
        var validation = ToyData.Bands(15, Cnn, seed: 21); // 45 examples: more than one inference batch
        string path = Path.Combine(_dir, "nested", "model.ecm");
        using (var result = SmallModels.Train(train, validation, ToyData.FastTraining(3), Cnn))
        {
            result.Save(path, Labels, ToyRecipe, runId: "train-0123456789abcdef");

            using var predictor = Predictor.Load(path);
            Assert.Equal(result.Validation!.Probabilities, predictor.PredictBatch(validation.Xs()));
            Assert.Equal(Cnn, predictor.Settings);
            Assert.Equal(Labels, predictor.Labels);
            Assert.Equal(ToyRecipe.RecipeJson(), predictor.Recipe!.RecipeJson()); // the one recipe, written and read back
            Assert.Equal(ToyRecipe.ModelInput, predictor.Input);
            Assert.Equal("train-0123456789abcdef", predictor.RunId);

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
        string path = Path.Combine(_dir, "m.ecm");
        using (var trainer = new Trainer(Cnn, ToyData.FastTraining(1))) ModelArtifact.Save(path, trainer.Model, Labels, ToyRecipe);
        using var predictor = Predictor.Load(path);
        var e = Assert.Throws<ArgumentException>(() => predictor.Predict(EmotionCluster.Features.Spectrogram.Create(new float[16 * 31], 16, 31)));
        Assert.Contains("16 x 31", e.Message);
    }

    [Fact]
    public void Missing_damaged_or_foreign_files_are_clear_errors()
    {
        string missing = Path.Combine(_dir, "none.ecm");
        Assert.Contains("does not exist", Assert.Throws<ModelArtifactException>(() => Predictor.Load(missing)).Message);

        string text = Path.Combine(_dir, "text.ecm");
        File.WriteAllText(text, "not a zip");
        var notZip = Assert.Throws<ModelArtifactException>(() => Predictor.Load(text));
        Assert.Equal(text, notZip.Path);
        Assert.Contains("not a zip", notZip.Message);

        string good = Path.Combine(_dir, "good.ecm");
        using (var trainer = new Trainer(Cnn, ToyData.FastTraining(1))) ModelArtifact.Save(good, trainer.Model, Labels, ToyRecipe);

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

        string badRecipe = Rewrite(good, "recipe.ecm", (name, bytes) => name == "recipe.json" ? """{"Input":{"Frames":32},"Extra":1}"""u8.ToArray() : bytes);
        var refused = Assert.Throws<ModelArtifactException>(() => Predictor.Load(badRecipe));
        Assert.Contains("recipe.json", refused.Message);
        Assert.Contains("Extra", refused.Message);

        string noRecipe = Rewrite(good, "no-recipe.ecm", (name, bytes) => name == "recipe.json" ? null : bytes);
        Assert.Contains("has no recipe.json", Assert.Throws<ModelArtifactException>(() => Predictor.Load(noRecipe)).Message);

        string future = Rewrite(good, "future.ecm", (name, bytes) => name == "manifest.json"
            ? System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(bytes).Replace("\"version\": 2", "\"version\": 9"))
            : bytes);
        Assert.Contains("newer build", Assert.Throws<ModelArtifactException>(() => Predictor.Load(future)).Message);

        Assert.Throws<ArgumentException>(() => ModelArtifact.Save(Path.Combine(_dir, "x.ecm"), new SerCnn(Cnn), ["only one"], ToyRecipe));
        // a recipe whose input is not the model's
        Assert.Throws<ArgumentException>(() => ModelArtifact.Save(Path.Combine(_dir, "y.ecm"), new SerCnn(Cnn), Labels, ToyRecipe with { Input = new() { Frames = 31 } }));
    }

    [Theory]
    [InlineData("""{"Features":{"Mel":{"NMels":16}},"Input":{"Frames":32,"Standardize":true,"PerBand":false}}""", true)]
    [InlineData("""{"Mel":{"NMels":16}}""", false)]
    public void Version_1_model_files_keep_loading_in_both_of_their_forms(string featureSettings, bool standardized)
    {
        string good = Path.Combine(_dir, "v2.ecm");
        using (var trainer = new Trainer(Cnn, ToyData.FastTraining(1))) ModelArtifact.Save(good, trainer.Model, Labels, ToyRecipe);
        // what builds before the one recipe wrote: version 1, feature settings in the manifest, no recipe.json
        string v1 = Rewrite(good, "v1.ecm", (name, bytes) => name switch
        {
            "recipe.json" => null,
            "manifest.json" => System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(bytes)
                .Replace("\"version\": 2", "\"version\": 1")
                .Replace("\"featureSettings\": null", "\"featureSettings\": " + System.Text.Json.JsonSerializer.Serialize(featureSettings))),
            _ => bytes,
        });
        using var predictor = Predictor.Load(v1);
        Assert.Null(predictor.Recipe);
        Assert.Equal(32, predictor.Input.Input.Frames);
        Assert.Equal(16, predictor.Input.Features.Bins);
        Assert.Equal(standardized, predictor.Input.Input.Standardize);
        // neither form had speaker normalization
        Assert.Equal(EmotionCluster.Features.SpeakerNormalization.None, predictor.Input.Input.SpeakerNorm);
    }

    [Fact]
    public void An_entry_that_decompresses_past_the_cap_is_refused_before_it_is_read()
    {
        string good = Path.Combine(_dir, "cap.ecm");
        using (var trainer = new Trainer(Cnn, ToyData.FastTraining(1))) ModelArtifact.Save(good, trainer.Model, Labels, ToyRecipe);
        // a zip bomb's shape: a small file whose weights entry inflates to more than the cap
        string bomb = Rewrite(good, "bomb.ecm", (name, bytes) => name == "weights.bin" ? new byte[ModelArtifact.MaxWeightsBytes + 1] : bytes);
        Assert.True(new FileInfo(bomb).Length < 10_000_000);
        var e = Assert.Throws<ModelArtifactException>(() => Predictor.Load(bomb));
        Assert.Contains("more than", e.Message);
    }

    [Fact]
    public void The_training_sets_input_prior_is_kept_in_the_model_file_and_a_damaged_one_is_refused()
    {
        var prior = new EmotionCluster.Features.BandStatistics(Enumerable.Range(0, 16).Select(b => -3.0 + b).ToArray(), Enumerable.Repeat(2.0, 16).ToArray()) { Frames = 12_345 };
        string path = Path.Combine(_dir, "prior.ecm");
        using (var trainer = new Trainer(Cnn, ToyData.FastTraining(1))) ModelArtifact.Save(path, trainer.Model, Labels, ToyRecipe, inputPrior: prior);
        using (var predictor = Predictor.Load(path))
        {
            var loaded = predictor.Input.Prior!;
            Assert.Equal(prior.Mean, loaded.Mean);
            Assert.Equal(prior.Std, loaded.Std);
            Assert.Equal(prior.Frames, loaded.Frames);
            Assert.Equal(ToyRecipe.Input.PriorFrames, predictor.Input.Input.PriorFrames);
        }
        // a prior of the wrong size (or not finite) would normalize garbage: refused when the file is read
        string bad = Rewrite(path, "bad-prior.ecm", (name, bytes) => name == "manifest.json"
            ? System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(bytes).Replace("\"mean\": [\n      -3,", "\"mean\": ["))
            : bytes);
        var e = Assert.Throws<ModelArtifactException>(() => Predictor.Load(bad));
        Assert.Contains("inputPrior", e.Message);
        // a model without a prior (files from before it): lone clips normalized by themselves, as then
        string none = Path.Combine(_dir, "none.ecm");
        using (var trainer = new Trainer(Cnn, ToyData.FastTraining(1))) ModelArtifact.Save(none, trainer.Model, Labels, ToyRecipe);
        using (var predictor = Predictor.Load(none)) Assert.Null(predictor.Input.Prior);
    }

    /// <summary>A copy of a model file with entries replaced (null drops the entry).</summary>
    private string Rewrite(string source, string name, Func<string, byte[], byte[]?> change)
    {
        string target = Path.Combine(_dir, name);
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
