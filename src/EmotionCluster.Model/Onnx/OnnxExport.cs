using System.IO.Compression;
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace EmotionCluster.Model.Onnx;

/// <summary>
/// What an exported ONNX model carries besides its graph, in <c>metadata_props</c>: every entry of the model file it
/// came from except the weights, byte for byte (<c>emotioncluster.entry.manifest.json</c>,
/// <c>emotioncluster.entry.recipe.json</c>, and whatever later builds add), from which <see cref="OnnxPredictor"/>
/// rebuilds the manifest and the input contract exactly as <see cref="ModelArtifact"/> reads them
/// (<see cref="ModelInput.Of"/>); and, for people and other tools, the labels, the training run and the input contract
/// as plain JSON.
/// </summary>
public static class OnnxModelFile
{
    public const string FormatName = "emotioncluster-ser-cnn-onnx";
    public const int FormatVersion = 1;

    public const string FormatKey = "emotioncluster.format";
    public const string FormatVersionKey = "emotioncluster.format_version";
    /// <summary>Prefix of the keys holding the model file's entries as text (<c>emotioncluster.entry.manifest.json</c>).</summary>
    public const string EntryPrefix = "emotioncluster.entry.";
    /// <summary>Prefix of the keys holding entries that are not UTF-8 text, base64-encoded.</summary>
    public const string Base64EntryPrefix = "emotioncluster.entry-base64.";
    /// <summary>The labels in output order, a JSON array of strings.</summary>
    public const string LabelsKey = "emotioncluster.labels";
    public const string RunIdKey = "emotioncluster.run_id";
    /// <summary>The input contract (<see cref="ModelInput"/>: feature pipeline, normalization, frames) as JSON, for reading.</summary>
    public const string InputKey = "emotioncluster.input";
    /// <summary>The model file's <c>manifest.json</c> as it was written (the same text as its entry key).</summary>
    public const string ManifestKey = "emotioncluster.manifest";
    /// <summary>The model file's recipe (<c>recipe.json</c>) as it was written; absent for version 1 model files.</summary>
    public const string RecipeKey = "emotioncluster.recipe";

    /// <summary>The graph's input: already-shaped features [batch, 1, bins, frames] (<see cref="ModelInput.Shape"/>).</summary>
    public const string InputName = "features";
    /// <summary>The graph's output: softmax probabilities [batch, classes], in <see cref="LabelsKey"/> order.</summary>
    public const string OutputName = "probabilities";

    /// <summary>ONNX files begin with field 1 (<c>ir_version</c>, a varint): byte 0x08. Model files are zips ("PK").</summary>
    public static bool LooksLikeOnnx(string path)
    {
        Span<byte> head = stackalloc byte[2];
        using var file = File.OpenRead(path);
        return file.Read(head) == 2 && head[0] == 0x08 && head[1] is > 0 and < 0x80;
    }

    /// <summary>True when <paramref name="path"/> should be read as ONNX: by its extension (.onnx), else by its first bytes.</summary>
    public static bool IsOnnx(string path) =>
        string.Equals(Path.GetExtension(path), ".onnx", StringComparison.OrdinalIgnoreCase) || (File.Exists(path) && LooksLikeOnnx(path));
}

/// <summary>
/// Writes a trained <see cref="SerCnn"/> as an ONNX graph: per block Conv (no bias) → BatchNormalization (the running
/// statistics, ε 1e-5) → MaxPool 2 x 2 → Relu, then GlobalAveragePool (or, for <see cref="CnnPooling.MeanStd"/>,
/// ReduceMean over bands, the mean and deviation over frames, Concat) → Flatten → Gemm → Relu → Gemm → Softmax;
/// dropout is the identity at inference and left out. The input is the shaped features [batch, 1, bins, frames] (the
/// batch dimension is symbolic), the output the probabilities [batch, classes]. Metadata: <see cref="OnnxModelFile"/>.
/// </summary>
public static class OnnxExport
{
    /// <summary>TorchSharp's BatchNorm2d default, which <see cref="SerCnn"/> uses.</summary>
    private const float BatchNormEpsilon = 1e-5f;

    /// <summary>Reads the model file at <paramref name="modelPath"/> and writes its ONNX form to <paramref name="onnxPath"/> (atomically).</summary>
    public static void Export(string modelPath, string onnxPath)
    {
        byte[] bytes = ToOnnx(modelPath);
        string full = Path.GetFullPath(onnxPath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full + ".tmp", bytes);
        File.Move(full + ".tmp", full, overwrite: true);
    }

    /// <summary>The ONNX bytes of the model file at <paramref name="modelPath"/>.</summary>
    /// <exception cref="ModelArtifactException">the model file is missing or not a model.</exception>
    public static byte[] ToOnnx(string modelPath)
    {
        var (model, manifest) = ModelArtifact.Load(modelPath, CPU);
        using (model)
        {
            var entries = ReadEntries(modelPath);
            return ToOnnx(model, manifest, entries);
        }
    }

    /// <summary>Every entry of a model file but the weights, as bytes (each bounded like <see cref="ModelArtifact"/> bounds JSON).</summary>
    private static List<(string Name, byte[] Bytes)> ReadEntries(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        var entries = new List<(string, byte[])>();
        foreach (var entry in zip.Entries.OrderBy(e => e.FullName, StringComparer.Ordinal))
        {
            if (entry.FullName == ModelArtifact.WeightsEntry || entry.FullName.EndsWith('/')) continue;
            if (entry.Length > ModelArtifact.MaxJsonBytes)
                throw new ModelArtifactException(path, $"{entry.FullName} has {entry.Length} bytes, more than the {ModelArtifact.MaxJsonBytes} an ONNX export carries in its metadata.");
            using var stream = entry.Open();
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            entries.Add((entry.FullName, buffer.ToArray()));
        }
        return entries;
    }

    internal static byte[] ToOnnx(SerCnn model, ModelManifest manifest, IReadOnlyList<(string Name, byte[] Bytes)> entries)
    {
        var cnn = model.Settings;
        var weights = new Dictionary<string, (long[] Dims, float[] Values)>();
        foreach (var (name, tensor) in model.state_dict())
        {
            if (tensor.dtype != ScalarType.Float32) continue; // num_batches_tracked (int64) is training bookkeeping
            using var cpu = tensor.detach().cpu().contiguous();
            weights[name] = (cpu.shape, cpu.data<float>().ToArray());
        }
        (long[] Dims, float[] Values) Weight(string name) =>
            weights.TryGetValue(name, out var w) ? w : throw new InvalidOperationException($"the model has no parameter '{name}' (parameters: {string.Join(", ", weights.Keys)})");

        var nodes = new List<OnnxNode>();
        var initializers = new List<OnnxTensor>();
        string Init(string name)
        {
            var (dims, values) = Weight(name);
            initializers.Add(new OnnxTensor(name, dims, values));
            return name;
        }
        string x = OnnxModelFile.InputName;
        long pad = cnn.KernelSize / 2;
        for (int b = 1; b <= cnn.Channels.Count; b++)
        {
            string conv = $"block{b}.conv";
            nodes.Add(new OnnxNode("Conv", [x, Init($"layers.conv{b}.weight")], [conv], new Dictionary<string, object>
            {
                ["kernel_shape"] = new long[] { cnn.KernelSize, cnn.KernelSize },
                ["pads"] = new long[] { pad, pad, pad, pad },
                ["strides"] = new long[] { 1, 1 },
            }) { Name = $"conv{b}" });
            x = conv;
            if (cnn.BatchNorm)
            {
                string bn = $"block{b}.bn";
                nodes.Add(new OnnxNode("BatchNormalization",
                    [x, Init($"layers.bn{b}.weight"), Init($"layers.bn{b}.bias"), Init($"layers.bn{b}.running_mean"), Init($"layers.bn{b}.running_var")],
                    [bn], new Dictionary<string, object> { ["epsilon"] = BatchNormEpsilon }) { Name = $"bn{b}" });
                x = bn;
            }
            // pooling before the ReLU, as SerCnn does (the two commute)
            nodes.Add(new OnnxNode("MaxPool", [x], [$"block{b}.pool"], new Dictionary<string, object>
            {
                ["kernel_shape"] = new long[] { 2, 2 },
                ["strides"] = new long[] { 2, 2 },
            }) { Name = $"pool{b}" });
            nodes.Add(new OnnxNode("Relu", [$"block{b}.pool"], [$"block{b}.relu"]) { Name = $"relu{b}" });
            x = $"block{b}.relu";
        }
        if (cnn.Pooling == CnnPooling.MeanStd) MeanStdPool(nodes, initializers, x, "gap");
        else nodes.Add(new OnnxNode("GlobalAveragePool", [x], ["gap"]) { Name = "gap" });
        nodes.Add(new OnnxNode("Flatten", ["gap"], ["flatten"], new Dictionary<string, object> { ["axis"] = 1L }) { Name = "flatten" });
        var gemm = new Dictionary<string, object> { ["transB"] = 1L };
        nodes.Add(new OnnxNode("Gemm", ["flatten", Init("layers.fc.weight"), Init("layers.fc.bias")], ["fc"], gemm) { Name = "fc" });
        nodes.Add(new OnnxNode("Relu", ["fc"], ["embedding"]) { Name = "fc_relu" });
        nodes.Add(new OnnxNode("Gemm", ["embedding", Init("layers.logits.weight"), Init("layers.logits.bias")], ["logits"], gemm) { Name = "logits" });
        nodes.Add(new OnnxNode("Softmax", ["logits"], [OnnxModelFile.OutputName], new Dictionary<string, object> { ["axis"] = 1L }) { Name = "softmax" });

        var metadata = new List<KeyValuePair<string, string>>
        {
            new(OnnxModelFile.FormatKey, OnnxModelFile.FormatName),
            new(OnnxModelFile.FormatVersionKey, OnnxModelFile.FormatVersion.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new(OnnxModelFile.LabelsKey, JsonSerializer.Serialize(manifest.Labels)),
            new(OnnxModelFile.InputKey, JsonSerializer.Serialize(manifest.Input, Recipe.Json)),
        };
        if (manifest.RunId is { } runId) metadata.Add(new(OnnxModelFile.RunIdKey, runId));
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
        foreach (var (name, bytes) in entries)
        {
            string? text;
            try { text = strict.GetString(bytes); }
            catch (DecoderFallbackException) { text = null; }
            metadata.Add(text is null ? new(OnnxModelFile.Base64EntryPrefix + name, Convert.ToBase64String(bytes)) : new(OnnxModelFile.EntryPrefix + name, text));
            if (text is not null && name == ModelArtifact.ManifestEntry) metadata.Add(new(OnnxModelFile.ManifestKey, text));
            if (text is not null && name == ModelArtifact.RecipeEntry) metadata.Add(new(OnnxModelFile.RecipeKey, text));
        }

        var graph = new OnnxGraph("emotioncluster_ser_cnn", nodes, initializers,
            OnnxModelFile.InputName, ["batch", 1, cnn.InputBins, cnn.InputFrames],
            OnnxModelFile.OutputName, ["batch", cnn.Classes], metadata);
        string version = typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? "0";
        return graph.ToBytes(version,
            $"EmotionCluster speech-emotion CNN. Input '{OnnxModelFile.InputName}': [batch, 1, {cnn.InputBins}, {cnn.InputFrames}] " +
            $"log-mel features already shaped as the metadata's '{OnnxModelFile.InputKey}' says; output '{OnnxModelFile.OutputName}': " +
            $"[batch, {cnn.Classes}] probabilities of {string.Join(", ", manifest.Labels)}.");
    }

    /// <summary>
    /// <see cref="Model.MeanStdPool"/> as ONNX (opset 13, axes as attributes): [N, C, bands, frames] → mean over bands
    /// [N, C, T] → its mean over frames (computed once, kept as [N, C, 1] for the deviations, flattened for the output)
    /// and sqrt(mean of squared deviations + ε), concatenated to [N, 2C].
    /// </summary>
    private static void MeanStdPool(List<OnnxNode> nodes, List<OnnxTensor> initializers, string input, string output)
    {
        static Dictionary<string, object> Reduce(long axis, bool keep) => new() { ["axes"] = new[] { axis }, ["keepdims"] = keep ? 1L : 0L };
        initializers.Add(new OnnxTensor("stats.epsilon", [], [Model.MeanStdPool.Epsilon]));
        nodes.Add(new OnnxNode("ReduceMean", [input], ["stats.over_time"], Reduce(2, keep: false)) { Name = "stats_bands" });
        nodes.Add(new OnnxNode("ReduceMean", ["stats.over_time"], ["stats.mean_kept"], Reduce(2, keep: true)) { Name = "stats_mean" });
        nodes.Add(new OnnxNode("Sub", ["stats.over_time", "stats.mean_kept"], ["stats.centred"]) { Name = "stats_centre" });
        nodes.Add(new OnnxNode("Mul", ["stats.centred", "stats.centred"], ["stats.squared"]) { Name = "stats_square" });
        nodes.Add(new OnnxNode("ReduceMean", ["stats.squared"], ["stats.variance"], Reduce(2, keep: false)) { Name = "stats_variance" });
        nodes.Add(new OnnxNode("Add", ["stats.variance", "stats.epsilon"], ["stats.variance_eps"]) { Name = "stats_epsilon" });
        nodes.Add(new OnnxNode("Sqrt", ["stats.variance_eps"], ["stats.std"]) { Name = "stats_std" });
        nodes.Add(new OnnxNode("Flatten", ["stats.mean_kept"], ["stats.mean"], new Dictionary<string, object> { ["axis"] = 1L }) { Name = "stats_mean_flat" });
        nodes.Add(new OnnxNode("Concat", ["stats.mean", "stats.std"], [output], new Dictionary<string, object> { ["axis"] = 1L }) { Name = "stats_concat" });
    }
}
