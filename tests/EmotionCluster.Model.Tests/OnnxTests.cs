using System.Diagnostics;
using System.IO.Compression;
using EmotionCluster.Extraction;
using EmotionCluster.Features;
using EmotionCluster.Model.Onnx;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Model.Tests;

/// <summary>
/// <c>export onnx</c>: the exported graph passes ONNX's own checker, ONNX Runtime gives TorchSharp's probabilities, and
/// the ONNX file carries the model file's manifest so the input contract is the same <see cref="ModelInput"/>.
/// </summary>
public sealed class OnnxTests : IDisposable
{
    private static readonly CnnSettings Cnn = ToyData.SmallCnn;
    private static readonly string[] Labels = ["low", "mid", "high"];
    private static readonly Recipe ToyRecipe = ToyData.SmallRecipe(2);
    private readonly string _dir = Directory.CreateTempSubdirectory("ec-onnx-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Debian's python3-onnx (deploy/install-deps.sh); null when it is missing.</summary>
    internal static string? PythonWithOnnx()
    {
        const string python = Python.Executable;
        if (!File.Exists(python)) return null;
        var (code, _, _) = Python.Run("import onnx", TimeSpan.FromSeconds(60));
        return code == 0 ? python : null;
    }

    /// <summary>Skips locally without python3-onnx, fails under CI=true (where .ci/run installs it).</summary>
    internal static string RequirePythonOnnx()
    {
        string? python = PythonWithOnnx();
        if (python is null && !Datasets.IsCi) Assert.SkipWhen(true, "python3-onnx is not installed (deploy/install-deps.sh installs it)");
        return python ?? throw new InvalidOperationException("python3-onnx is not installed; run deploy/install-deps.sh (it installs Debian's python3-onnx)");
    }

    private string TrainToy(string name, string? runId = "train-00112233445566ff", CnnSettings? cnn = null)
    {
        cnn ??= Cnn;
        string path = Path.Combine(_dir, name);
        using var result = SmallModels.Train(ToyData.Bands(8, cnn, seed: 30), [], ToyData.FastTraining(2), cnn);
        result.Save(path, Labels, ToyRecipe with { Cnn = cnn }, runId);
        return path;
    }

    [Fact]
    public void The_export_passes_the_onnx_checker_and_carries_labels_run_and_input_contract()
    {
        RequirePythonOnnx();
        string ecm = TrainToy("model.ecm");
        string onnx = Path.Combine(_dir, "model.onnx");
        OnnxExport.Export(ecm, onnx);

        var (code, stdout, stderr) = Python.Run("""
            import sys, json, onnx
            m = onnx.load(sys.argv[1])
            onnx.checker.check_model(m, full_check=True)
            meta = {p.key: p.value for p in m.metadata_props}
            g = m.graph
            print(json.dumps({
                "ops": [n.op_type for n in g.node],
                "input": [d.dim_param or d.dim_value for d in g.input[0].type.tensor_type.shape.dim],
                "output": [d.dim_param or d.dim_value for d in g.output[0].type.tensor_type.shape.dim],
                "labels": json.loads(meta["emotioncluster.labels"]),
                "run": meta["emotioncluster.run_id"],
                "frames": json.loads(meta["emotioncluster.input"])["Input"]["Frames"],
                "manifest": meta["emotioncluster.manifest"],
            }))
            """, TimeSpan.FromMinutes(2), onnx);
        Assert.True(code == 0, $"onnx.checker rejected the export: {stderr}");
        using var doc = System.Text.Json.JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Equal(["Conv", "BatchNormalization", "MaxPool", "Relu", "Conv", "BatchNormalization", "MaxPool", "Relu",
                      "GlobalAveragePool", "Flatten", "Gemm", "Relu", "Gemm", "Softmax"],
            root.GetProperty("ops").EnumerateArray().Select(e => e.GetString()!).ToArray());
        Assert.Equal("""["batch",1,16,32]""", root.GetProperty("input").GetRawText().Replace(" ", ""));
        Assert.Equal("""["batch",3]""", root.GetProperty("output").GetRawText().Replace(" ", ""));
        Assert.Equal(Labels, root.GetProperty("labels").EnumerateArray().Select(e => e.GetString()!).ToArray());
        Assert.Equal("train-00112233445566ff", root.GetProperty("run").GetString());
        Assert.Equal(32, root.GetProperty("frames").GetInt32());
        // the manifest exactly as the model file holds it
        using var zip = ZipFile.OpenRead(ecm);
        using var reader = new StreamReader(zip.GetEntry("manifest.json")!.Open());
        Assert.Equal(reader.ReadToEnd(), root.GetProperty("manifest").GetString());
    }

    [Fact]
    public void Onnx_runtime_gives_torch_probabilities_and_the_same_model_description()
    {
        string ecm = TrainToy("model.ecm");
        string onnx = Path.Combine(_dir, "model.onnx");
        OnnxExport.Export(ecm, onnx);
        var examples = ToyData.Bands(6, Cnn, seed: 31).Xs();

        using IPredictor torch = Predictors.Load(ecm);
        using IPredictor ort = Predictors.Load(onnx);
        Assert.Equal(ModelRuntime.Torch, torch.Runtime);
        Assert.Equal(ModelRuntime.Onnx, ort.Runtime);
        Assert.Equal(torch.Settings, ort.Settings);
        Assert.Equal(torch.Labels, ort.Labels);
        Assert.Equal(torch.Input, ort.Input);
        Assert.Equal(torch.RunId, ort.RunId);
        Assert.Equal(torch.Recipe!.RecipeJson(), ort.Recipe!.RecipeJson());

        AssertClose(torch.PredictBatch(examples), ort.PredictBatch(examples), 1e-5);
        AssertClose(torch.PredictBatched(examples, 16), ort.PredictBatched(examples, 16), 1e-5);
        AssertClose([torch.PredictAveraged(examples[..3])], [ort.PredictAveraged(examples[..3])], 1e-5);
        // alone or batched: within float rounding of each other
        AssertClose(ort.PredictBatch(examples), ort.PredictBatched(examples, 7), 1e-5);
        // runtime onnx on the .ecm: exported in memory, the same numbers
        using var converted = Predictors.Load(ecm, ModelRuntime.Onnx);
        Assert.Equal(ModelRuntime.Onnx, converted.Runtime);
        Assert.Equal(ort.PredictBatch(examples), converted.PredictBatch(examples));
    }

    [Fact]
    public void A_model_without_batch_norm_exports_too()
    {
        string ecm = TrainToy("nobn.ecm", runId: null, cnn: Cnn with { BatchNorm = false, Channels = [4, 8, 8] });
        byte[] onnx = OnnxExport.ToOnnx(ecm);
        var examples = ToyData.Bands(2, Cnn, seed: 32).Xs();
        using var torch = Predictors.Load(ecm);
        using var ort = OnnxPredictor.Load(onnx, "nobn.onnx");
        Assert.Null(ort.RunId);
        AssertClose(torch.PredictBatch(examples), ort.PredictBatch(examples), 1e-5);
    }

    [Fact]
    public void A_model_with_statistics_pooling_exports_with_torch_probabilities_and_passes_the_checker()
    {
        var cnn = Cnn with { Pooling = CnnPooling.MeanStd };
        string ecm = TrainToy("stats.ecm", cnn: cnn);
        string onnx = Path.Combine(_dir, "stats.onnx");
        OnnxExport.Export(ecm, onnx);
        var examples = ToyData.Bands(6, cnn, seed: 33).Xs();
        using var torch = Predictors.Load(ecm);
        using var ort = Predictors.Load(onnx);
        Assert.Equal(CnnPooling.MeanStd, ort.Settings.Pooling);
        AssertClose(torch.PredictBatch(examples), ort.PredictBatch(examples), 1e-5);

        RequirePythonOnnx();
        var (code, stdout, stderr) = Python.Run("""
            import sys, onnx
            m = onnx.load(sys.argv[1])
            onnx.checker.check_model(m, full_check=True)
            print(",".join(n.op_type for n in m.graph.node))
            """, TimeSpan.FromMinutes(2), onnx);
        Assert.True(code == 0, $"onnx.checker rejected the export: {stderr}");
        Assert.Contains("Relu,ReduceMean,ReduceMean,Sub,Mul,ReduceMean,Add,Sqrt,Flatten,Concat,Flatten,Gemm", stdout.Trim());
    }

    [Fact]
    public void Every_entry_of_the_model_file_but_the_weights_travels_in_the_metadata()
    {
        // a later build's model file may carry more (e.g. a normalization prior): the ONNX file keeps it as written
        string ecm = TrainToy("model.ecm");
        using (var zip = ZipFile.Open(ecm, ZipArchiveMode.Update))
        {
            using (var writer = new StreamWriter(zip.CreateEntry("extra.json").Open())) writer.Write("""{"prior":[1,2,3]}""");
            using (var binary = zip.CreateEntry("blob.bin").Open()) binary.Write([0xff, 0xfe, 0x00, 0x80]);
        }
        string onnx = Path.Combine(_dir, "model.onnx");
        OnnxExport.Export(ecm, onnx);
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(onnx);
        var meta = session.ModelMetadata.CustomMetadataMap;
        Assert.Equal("""{"prior":[1,2,3]}""", meta["emotioncluster.entry.extra.json"]);
        Assert.Equal([0xff, 0xfe, 0x00, 0x80], Convert.FromBase64String(meta["emotioncluster.entry-base64.blob.bin"]));
        Assert.DoesNotContain(meta.Keys, k => k.Contains("weights.bin"));
        var manifest = OnnxPredictor.ReadManifest(onnx, meta);
        Assert.Equal(ToyRecipe.ModelInput, manifest.Input);
    }

    [Fact]
    public void Files_that_are_not_our_onnx_models_are_refused_with_the_fix()
    {
        string ecm = TrainToy("model.ecm");
        string onnx = Path.Combine(_dir, "model.onnx");
        OnnxExport.Export(ecm, onnx);

        var torch = Assert.Throws<ModelArtifactException>(() => Predictors.Load(onnx, ModelRuntime.Torch));
        Assert.Contains("ONNX Runtime only", torch.Message);

        string text = Path.Combine(_dir, "notes.onnx");
        File.WriteAllText(text, "not a model");
        Assert.Contains("ONNX Runtime cannot read it", Assert.Throws<ModelArtifactException>(() => Predictors.Load(text)).Message);

        // a valid ONNX graph from elsewhere: no emotioncluster metadata
        var foreign = new OnnxGraph("identity", [new OnnxNode("Relu", ["x"], ["y"])], [], "x", [1, 4], "y", [1, 4], []).ToBytes("1", "");
        string other = Path.Combine(_dir, "other.onnx");
        File.WriteAllBytes(other, foreign);
        Assert.Contains("not one exported by emotioncluster", Assert.Throws<ModelArtifactException>(() => Predictors.Load(other)).Message);

        Assert.Contains("does not exist", Assert.Throws<ModelArtifactException>(() => Predictors.Load(Path.Combine(_dir, "missing.onnx"))).Message);
        Assert.Contains("auto, torch or onnx", Assert.Throws<ArgumentException>(() => Predictors.ParseRuntime("tensorflow", "--runtime")).Message);
        Assert.Equal(ModelRuntime.Onnx, Predictors.ParseRuntime("ONNX", "--runtime"));
    }

    /// <summary>
    /// EMO-DB clips through the real feature pipeline and the default input shaping (speaker normalization, 64 x 300):
    /// a default-size CNN trained for a few steps, its probabilities from TorchSharp and ONNX Runtime within 1e-4.
    /// </summary>
    [EmoDbFact]
    public void On_emodb_clips_onnx_runtime_matches_torch_within_1e_4()
    {
        var recipe = new Recipe() with { Training = ToyData.FastTraining(1) with { BatchSize = 8 } };
        var input = recipe.ModelInput;
        var featurizer = new PipelineFeaturizer(input.Features);
        var wavs = Directory.GetFiles(Path.Combine(Datasets.RequireEmoDb(), "wav"), "*.wav").Order(StringComparer.Ordinal).Take(24).ToList();
        var labels = new[] { "W", "L", "E", "A", "F", "T", "N" };
        var clips = wavs.Select(w => (X: featurizer.Extract(File.ReadAllBytes(w), w), Y: Array.IndexOf(labels, Path.GetFileName(w)[5..6]))).ToList();
        var shaped = clips.Select(c => (input.Shape(c.X), c.Y)).ToArray();
        string ecm = Path.Combine(_dir, "emodb.ecm");
        using (var result = SmallModels.Train(shaped, [], recipe.Training, recipe.Cnn))
            result.Save(ecm, ["anger", "boredom", "disgust", "fear", "happiness", "sadness", "neutral"], recipe, "train-emodbparity0000");
        string onnx = Path.Combine(_dir, "emodb.onnx");
        OnnxExport.Export(ecm, onnx);

        using var torch = Predictors.Load(ecm);
        using var ort = Predictors.Load(onnx);
        Assert.Equal(torch.Input, ort.Input);
        var xs = shaped.Select(s => s.Item1).ToList();
        AssertClose(torch.PredictBatch(xs), ort.PredictBatch(xs), 1e-4);
        AssertClose(torch.PredictBatched(xs, 16), ort.PredictBatched(xs, 16), 1e-4);
        // predict's path: each clip's crops from the model's own input contract, averaged
        var crops = clips.Take(6).Select(c => ort.Input.Crops(c.X)).ToList();
        AssertClose(torch.PredictAveragedBatch(crops), ort.PredictAveragedBatch(crops), 1e-4);
    }

    internal static void AssertClose(float[][] expected, float[][] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Length, actual[i].Length);
            for (int c = 0; c < expected[i].Length; c++) worst = Math.Max(worst, Math.Abs(expected[i][c] - actual[i][c]));
        }
        Assert.True(worst <= tolerance, $"largest difference {worst:E3} is above {tolerance:E1}");
    }
}
