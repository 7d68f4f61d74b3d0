using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using EmotionCluster.Features;
using EmotionCluster.Model;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Cli.Tests;

/// <summary>
/// <c>export onnx</c> and the <c>.onnx</c> through <c>predict</c> and <c>evaluate</c>; the Python snippet of docs/onnx.md
/// run on <c>predict --features-out</c> gives <c>predict --json</c>'s probabilities.
/// </summary>
public sealed class OnnxCliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => InProcessCli.Run(args);

    /// <summary>A small CNN of the default input (64 x 300, speaker normalization) trained for one epoch on noise.</summary>
    private static string TinyModel(TempDir dir, CnnPooling pooling = CnnPooling.Average)
    {
        var cnn = new CnnSettings { Classes = 3, Channels = [4, 8], DenseSize = 8, Pooling = pooling };
        var random = new Random(3);
        var examples = Enumerable.Range(0, 9).Select(i =>
        {
            var data = new float[cnn.InputBins * cnn.InputFrames];
            for (int k = 0; k < data.Length; k++) data[k] = (float)(random.NextDouble() * 2 - 1 + (k / cnn.InputFrames % 3 == i % 3 ? 1 : 0));
            return (new Spectrogram(data, cnn.InputBins, cnn.InputFrames), i % 3);
        }).ToList();
        var settings = new TrainingSettings { Epochs = 1, BatchSize = 4, Seed = 1, Threads = 0, EarlyStoppingPatience = 0, WarmupEpochs = 0 };
        string path = dir.File("model.ecm");
        using var result = SmallModels.Train(examples, [], settings, cnn);
        result.Save(path, ["anger", "neutral", "sadness"], new Recipe { Cnn = cnn, Training = settings }, "train-0123456789abcdef");
        return path;
    }

    private static Dictionary<string, float> Probabilities(string jsonLine) =>
        JsonDocument.Parse(jsonLine).RootElement.GetProperty("probabilities").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetSingle());

    [EmoDbFact]
    public void Export_then_predict_and_evaluate_with_the_onnx_model_give_the_torch_results()
    {
        using var dir = new TempDir();
        string ecm = TinyModel(dir), onnx = dir.File("model.onnx");
        var (code, output, error) = Run("export", "onnx", "--model", ecm, "--out", onnx);
        Assert.True(code == 0, error + output);
        Assert.Contains("input 'features' [batch, 1, 64, 300], output 'probabilities' [batch, 3]: anger, neutral, sadness; run train-0123456789abcdef", output);

        string[] wavs = Directory.GetFiles(Path.Combine(Datasets.RequireEmoDb(), "wav"), "03a0*.wav").Order(StringComparer.Ordinal).Take(3).ToArray();
        var torch = Run(["predict", .. wavs, "--model", ecm, "--json"]);
        var ort = Run(["predict", .. wavs, "--model", onnx, "--json"]);
        Assert.True(torch.Code == 0 && ort.Code == 0, torch.Err + ort.Err);
        var torchLines = torch.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var ortLines = ort.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(wavs.Length, ortLines.Length);
        foreach (var (t, o) in torchLines.Zip(ortLines))
            foreach (var (label, p) in Probabilities(t))
                Assert.InRange(Probabilities(o)[label], p - 1e-4f, p + 1e-4f);

        var evaluated = Run("evaluate", "--model", onnx, "--data", Datasets.RequireEmoDb(), "--split", "test", "--limit", "10", "--out", dir.File("eval"), "--json");
        Assert.True(evaluated.Code == 0, evaluated.Err + evaluated.Out);
        Assert.True(File.Exists(dir.File("eval", "metrics.json")));

        var refused = Run("predict", wavs[0], "--model", onnx, "--runtime", "torch");
        Assert.Equal(2, refused.Code);
        Assert.Contains("ONNX Runtime only", refused.Err);
        Assert.Contains("auto, torch or onnx", Run("predict", wavs[0], "--model", onnx, "--runtime", "tf").Err);
        Assert.Contains("already an ONNX model", Run("export", "onnx", "--model", onnx, "--out", dir.File("again.onnx")).Err);
    }

    /// <summary>The script in docs/onnx.md, run with Debian's python3-onnx and NumPy on predict's exported features.</summary>
    [EmoDbTheory]
    [InlineData(CnnPooling.Average)]
    [InlineData(CnnPooling.MeanStd)]
    public void The_python_snippet_in_the_docs_reproduces_predict_from_the_exported_features(CnnPooling pooling)
    {
        const string python = "/usr/bin/python3";
        bool hasOnnx = File.Exists(python) && Shell.Run(python, ["-c", "import onnx, numpy"]).ExitCode == 0;
        if (!hasOnnx && !Datasets.IsCi) return; // locally without python3-onnx: nothing to run (deploy/install-deps.sh installs it)
        Assert.True(hasOnnx, "python3-onnx and python3-numpy are not installed; run deploy/install-deps.sh");

        using var dir = new TempDir();
        string ecm = TinyModel(dir, pooling), onnx = dir.File("model.onnx");
        Assert.Equal(0, Run("export", "onnx", "--model", ecm, "--out", onnx).Code);
        // a clip longer than the input (3 s): several overlapping crops, averaged
        string wav = Directory.GetFiles(Path.Combine(Datasets.RequireEmoDb(), "wav"), "*.wav").Order(StringComparer.Ordinal)
            .First(f => new FileInfo(f).Length > 16000 * 2 * 4);
        var predicted = Run("predict", wav, "--model", onnx, "--json", "--features-out", dir.File("features"));
        Assert.True(predicted.Code == 0, predicted.Err);
        string npy = dir.File("features", Path.GetFileNameWithoutExtension(wav) + ".npy");
        Assert.True(File.Exists(npy));

        string doc = File.ReadAllText(Path.Combine(Datasets.RepoRoot, "docs", "onnx.md"));
        string script = Regex.Match(doc, "```python\n(.*?)```", RegexOptions.Singleline).Groups[1].Value;
        Assert.Contains("def main(model_path, features_path)", script);
        File.WriteAllText(dir.File("predict_onnx.py"), script);
        var result = Shell.Run(python, [dir.File("predict_onnx.py"), onnx, npy], timeout: TimeSpan.FromMinutes(2));
        Assert.True(result.ExitCode == 0, result.ToString());
        var expected = JsonDocument.Parse(predicted.Out.Trim()).RootElement;
        var actual = JsonDocument.Parse(result.StdOut.Trim()).RootElement;
        Assert.Equal(expected.GetProperty("label").GetString(), actual.GetProperty("label").GetString());
        foreach (var (label, p) in Probabilities(predicted.Out.Trim()))
            Assert.InRange(Probabilities(result.StdOut.Trim())[label], p - 1e-4f, p + 1e-4f);
        // what the model is given: [crops, 1, 64, 300]
        Assert.EndsWith(", 1, 64, 300)", Shell.Run(python, ["-c", "import numpy, sys; print(numpy.load(sys.argv[1]).shape)", npy]).StdOut.Trim());
    }
}
