using System.Text.Json;
using EmotionCluster.Extraction;
using EmotionCluster.Metrics;
using EmotionCluster.Model;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Cli.Tests;

/// <summary>
/// <c>--encoder</c>: a pretrained ONNX encoder (a tiny graph written by python3-onnx, <see cref="TestEncoders"/>) run
/// frozen in the sharded extraction, the CNN trained on its embeddings through the training commands, and the model
/// scoring files only with that same encoder file.
/// </summary>
[Collection("training")]
public sealed class EncoderCliTests : IDisposable
{
    private readonly TempDir _dir = new("ec-encoder-cli-");

    public void Dispose() => _dir.Dispose();

    private static (int Code, string Out, string Err) Run(params string[] args) => InProcessCli.Run(args);

    private static Dictionary<string, float> Probabilities(string jsonLine) =>
        JsonDocument.Parse(jsonLine).RootElement.GetProperty("probabilities").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetSingle());

    private static string EmoDb()
    {
        Assert.SkipUnless(Datasets.HasEmoDb || Datasets.IsCi, "EMO-DB is missing");
        return Datasets.RequireEmoDb();
    }

    /// <summary>A small CNN (two blocks) so the runs stay short.</summary>
    private string SmallCnnConfig()
    {
        string path = _dir.File("small.json");
        File.WriteAllText(path, """{ "Cnn": { "Channels": [4, 8], "DenseSize": 8 } }""");
        return path;
    }

    [Fact]
    public void Train_on_a_waveform_encoders_embeddings_then_predict_only_with_that_encoder()
    {
        string emodb = EmoDb();
        string encoder = TestEncoders.Waveform(_dir.File("encoder.onnx"), seed: 1);
        string other = TestEncoders.Waveform(_dir.File("other.onnx"), seed: 2);
        string run = _dir.File("run");
        var (code, output, error) = Run("train", "--data", emodb, "--out", run, "--store", _dir.File("features"), "--config", SmallCnnConfig(),
            "--encoder", encoder, "--encoder-output", "embeddings", "--emotions", "anger,sadness,neutral", "--limit", "12", "--epochs", "2", "--seed", "3");
        Assert.True(code == 0, error + output);
        Assert.Contains("sharded extraction on an embedded cluster node", output); // the extractor actors ran the encoder
        Assert.Contains("features: 36 clips", output);

        // the model records the encoder: its SHA-256 and input contract, the CNN over 16 embedding dims x 300 frames
        string model = Path.Combine(run, "model.ecm");
        using (var predictor = Predictors.Load(model))
        {
            var recorded = predictor.Input.Features.Encoder;
            Assert.NotNull(recorded);
            Assert.Equal(OnnxEncoder.HashFile(encoder), recorded.Sha256);
            Assert.Equal(EncoderInput.Waveform, recorded.Input);
            Assert.Equal("embeddings", recorded.Output);
            Assert.Equal(16, predictor.Settings.InputBins);
            Assert.Equal(300, predictor.Settings.InputFrames);
        }
        string report = File.ReadAllText(Path.Combine(run, "report.md"));
        Assert.Contains("pretrained encoder", report);

        // the feature store holds the embeddings (16 rows) under the encoder's settings hash
        var feature = Directory.GetFiles(_dir.File("features"), "*.feat", SearchOption.AllDirectories);
        Assert.Equal(36, feature.Length);
        Assert.All(feature, f => Assert.Equal(16, DirectoryFeatureStore.Decode(File.ReadAllBytes(f), f).Bins));

        string[] wavs = Directory.GetFiles(Path.Combine(emodb, "wav"), "03a0*.wav").Order(StringComparer.Ordinal).Take(2).ToArray();
        var predicted = Run(["predict", .. wavs, "--model", model, "--json"]);
        Assert.True(predicted.Code == 0, predicted.Err + predicted.Out);
        var lines = predicted.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        var first = Probabilities(lines[0]);
        Assert.Equal(["anger", "neutral", "sadness"], first.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(1.0, first.Values.Sum(), 4);

        // another encoder (same contract, other weights) is refused, named, with the fix
        var refused = Run("predict", wavs[0], "--model", model, "--encoder", other);
        Assert.Equal(2, refused.Code);
        Assert.Contains("SHA-256", refused.Err);
        Assert.Contains("--encoder PATH", refused.Err);
        Assert.Contains(OnnxEncoder.HashFile(encoder)[..12], refused.Err); // the encoder the model was trained with

        // the encoder moved: refused at the recorded path; found with --encoder, giving the same probabilities
        string moved = _dir.File("elsewhere.onnx");
        File.Move(encoder, moved);
        var missing = Run("predict", wavs[0], "--model", model);
        Assert.Equal(2, missing.Code);
        Assert.Contains("does not exist", missing.Err);
        Assert.Contains("--encoder PATH", missing.Err);
        var found = Run("predict", wavs[0], "--model", model, "--encoder", moved, "--json");
        Assert.True(found.Code == 0, found.Err);
        foreach (var (label, p) in first) Assert.Equal(p, Probabilities(found.Out.Trim())[label], 6);

        // evaluate, and the head exported to ONNX: the encoder runs before it, as with the .ecm
        var evaluated = Run("evaluate", "--model", model, "--data", emodb, "--split", "test", "--encoder", moved, "--out", _dir.File("eval"), "--json");
        Assert.True(evaluated.Code == 0, evaluated.Err + evaluated.Out);
        Assert.True(ClassificationReport.FromJson(File.ReadAllText(_dir.File("eval", "metrics.json"))).Count > 0);
        string onnx = _dir.File("model.onnx");
        var exported = Run("export", "onnx", "--model", model, "--out", onnx);
        Assert.True(exported.Code == 0, exported.Err + exported.Out);
        var viaOnnx = Run("predict", wavs[0], "--model", onnx, "--encoder", moved, "--json");
        Assert.True(viaOnnx.Code == 0, viaOnnx.Err);
        foreach (var (label, p) in first) Assert.InRange(Probabilities(viaOnnx.Out.Trim())[label], p - 1e-4f, p + 1e-4f);
        Assert.Contains("SHA-256", Run("predict", wavs[0], "--model", onnx, "--encoder", other).Err);

        // a model without an encoder takes no --encoder
        Assert.Contains("uses no encoder", Run("predict", wavs[0], "--model", TinyPlainModel(), "--encoder", moved).Err);
    }

    [Fact]
    public void Crossval_on_a_log_mel_encoder_runs_the_fold_and_reports_it()
    {
        string emodb = EmoDb();
        string encoder = TestEncoders.LogMel(_dir.File("mel-encoder.onnx"));
        string run = _dir.File("run");
        var (code, output, error) = Run("crossval", "--data", emodb, "--speakers", "03", "--out", run, "--store", _dir.File("features"),
            "--config", SmallCnnConfig(), "--encoder", encoder, "--encoder-input", "logmel",
            "--emotions", "anger,sadness,neutral", "--limit", "8", "--epochs", "1");
        Assert.True(code == 0, error + output);
        var summary = CrossValidationSummary.FromJson(File.ReadAllText(Path.Combine(run, "crossval.json")));
        Assert.Equal(1, summary.Folds);
        string report = File.ReadAllText(Path.Combine(run, "report.md"));
        Assert.Contains("mel-encoder.onnx", report);
        using var fold = Predictors.Load(Path.Combine(run, "folds", "loso-03", "model.ecm"));
        Assert.Equal(EncoderInput.LogMel, fold.Input.Features.Encoder!.Input);
        Assert.Equal(24, fold.Settings.InputBins);
        Assert.Equal(150, fold.Settings.InputFrames); // 3 s at 50 embeddings a second
    }

    [Fact]
    public void Bad_encoder_options_are_refused_before_any_work()
    {
        string emodb = EmoDb();
        string wave = TestEncoders.Waveform(_dir.File("wave.onnx"));
        string mel = TestEncoders.LogMel(_dir.File("mel.onnx"));
        string[] common = ["--data", emodb, "--out", _dir.File("run"), "--store", _dir.File("features"), "--limit", "2", "--epochs", "1"];

        var missing = Run(["train", .. common, "--encoder", _dir.File("nope.onnx")]);
        Assert.Equal(2, missing.Code);
        Assert.Contains("no such file", missing.Err);

        var output = Run(["train", .. common, "--encoder", wave, "--encoder-output", "logits"]);
        Assert.Equal(2, output.Code);
        Assert.Contains("no output 'logits'", output.Err);
        Assert.Contains("'embeddings' [1, ?, 16], 'energy' [1]", output.Err);

        var kind = Run(["train", .. common, "--encoder", mel]);
        Assert.Equal(2, kind.Code);
        Assert.Contains("--encoder-input logmel", kind.Err);
        Assert.Contains("--encoder-input waveform", Run(["train", .. common, "--encoder", wave, "--encoder-input", "logmel", "--encoder-output", "embeddings"]).Err);
        Assert.Contains("use waveform or logmel", Run(["train", .. common, "--encoder", wave, "--encoder-input", "spectrum"]).Err);
        Assert.Contains("give it with --encoder FILE", Run(["train", .. common, "--encoder-output", "embeddings"]).Err);
        Assert.False(Directory.Exists(_dir.File("features"))); // nothing was extracted
    }

    /// <summary>A model of the default log-mel input, no encoder (one epoch on noise).</summary>
    private string TinyPlainModel()
    {
        var cnn = new CnnSettings { Classes = 3, Channels = [4, 8], DenseSize = 8 };
        var random = new Random(3);
        var examples = Enumerable.Range(0, 6).Select(i =>
        {
            var data = new float[cnn.InputBins * cnn.InputFrames];
            for (int k = 0; k < data.Length; k++) data[k] = (float)(random.NextDouble() * 2 - 1);
            return (new EmotionCluster.Features.Spectrogram(data, cnn.InputBins, cnn.InputFrames), i % 3);
        }).ToList();
        var settings = new TrainingSettings { Epochs = 1, BatchSize = 4, Seed = 1, Threads = 0, EarlyStoppingPatience = 0, WarmupEpochs = 0 };
        string path = _dir.File("plain.ecm");
        using var result = SmallModels.Train(examples, [], settings, cnn);
        result.Save(path, ["anger", "neutral", "sadness"], new Recipe { Cnn = cnn, Training = settings }, null);
        return path;
    }
}
