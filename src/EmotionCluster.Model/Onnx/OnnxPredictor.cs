using System.IO.Compression;
using EmotionCluster.Features;
using Microsoft.ML.OnnxRuntime;

namespace EmotionCluster.Model.Onnx;

/// <summary>
/// An exported model (<see cref="OnnxExport"/>) run by ONNX Runtime: the same <see cref="IPredictor"/> as
/// <see cref="Predictor"/>, with the manifest and input contract rebuilt from the ONNX metadata by
/// <see cref="ModelArtifact"/>'s own reader (<see cref="ModelInput.Of"/>). Never touches TorchSharp, so a process that
/// serves only ONNX models never loads libtorch. Thread-safe (ONNX Runtime sessions run concurrently).
/// </summary>
public sealed class OnnxPredictor : IPredictor
{
    private readonly InferenceSession _session;
    private readonly RunOptions _run = new();
    private readonly string[] _inputNames = [OnnxModelFile.InputName];
    private readonly string[] _outputNames = [OnnxModelFile.OutputName];
    private readonly int _bins, _frames, _classes;

    private OnnxPredictor(InferenceSession session, ModelManifest manifest)
    {
        _session = session;
        Settings = manifest.Cnn;
        Labels = manifest.Labels;
        Input = manifest.Input;
        Recipe = manifest.Recipe;
        RunId = manifest.RunId;
        _bins = Settings.InputBins;
        _frames = Settings.InputFrames;
        _classes = Settings.Classes;
    }

    public CnnSettings Settings { get; }
    public string[] Labels { get; }
    public ModelInput Input { get; }
    public Recipe? Recipe { get; }
    public string? RunId { get; }
    public ModelRuntime Runtime => ModelRuntime.Onnx;

    /// <summary>The model's manifest as its metadata carries it (the <c>.ecm</c>'s <c>manifest.json</c>, read as <see cref="ModelArtifact"/> reads it).</summary>
    public ModelManifest Manifest { get; private init; } = null!;

    /// <summary>Loads an ONNX file written by <c>emotioncluster export onnx</c>.</summary>
    /// <param name="threads">ONNX Runtime intra-op threads; 0: its default (one per physical core).</param>
    public static OnnxPredictor Load(string path, int threads = 0)
    {
        if (!File.Exists(path)) throw new ModelArtifactException(path, "does not exist; export one with 'emotioncluster export onnx --model model.ecm --out model.onnx' or check the path.");
        return Load(File.ReadAllBytes(path), path, threads);
    }

    /// <summary>Loads ONNX bytes; <paramref name="source"/> names them in errors.</summary>
    public static OnnxPredictor Load(byte[] onnx, string source, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        using var options = Options(threads);
        InferenceSession session;
        try { session = new InferenceSession(onnx, options); }
        catch (OnnxRuntimeException e)
        {
            throw new ModelArtifactException(source, $"ONNX Runtime cannot read it ({e.Message}); it is not an ONNX model or is damaged.", e);
        }
        try
        {
            var manifest = ReadManifest(source, session.ModelMetadata.CustomMetadataMap);
            CheckGraph(source, session, manifest.Cnn);
            return new OnnxPredictor(session, manifest) { Manifest = manifest };
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Session options: all graph optimizations, sequential execution, no busy-waiting threads (the machine is shared with feature work).</summary>
    private static SessionOptions Options(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
        };
        // idle intra-op threads sleep instead of spinning: spinning burnt the core the feature threads need
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return options;
    }

    /// <summary>The manifest from the model file's entries kept in the metadata, read by <see cref="ModelArtifact.ReadManifest"/>.</summary>
    internal static ModelManifest ReadManifest(string source, IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue(OnnxModelFile.FormatKey, out var format) || format != OnnxModelFile.FormatName)
            throw new ModelArtifactException(source, $"is an ONNX model but not one exported by emotioncluster (no '{OnnxModelFile.FormatKey}: {OnnxModelFile.FormatName}' in its metadata); " +
                                                     "export it with 'emotioncluster export onnx --model model.ecm --out model.onnx'.");
        if (!metadata.TryGetValue(OnnxModelFile.FormatVersionKey, out var v) || !int.TryParse(v, out int version) || version is < 1 or > OnnxModelFile.FormatVersion)
            throw new ModelArtifactException(source, $"has ONNX export format version '{v}'; this build reads 1 to {OnnxModelFile.FormatVersion}. Use a newer build of emotioncluster or export again.");
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (key, value) in metadata)
            {
                byte[]? bytes = key.StartsWith(OnnxModelFile.EntryPrefix, StringComparison.Ordinal) ? System.Text.Encoding.UTF8.GetBytes(value)
                    : key.StartsWith(OnnxModelFile.Base64EntryPrefix, StringComparison.Ordinal) ? Base64(source, key, value) : null;
                if (bytes is null) continue;
                string name = key.StartsWith(OnnxModelFile.EntryPrefix, StringComparison.Ordinal) ? key[OnnxModelFile.EntryPrefix.Length..] : key[OnnxModelFile.Base64EntryPrefix.Length..];
                using var entry = zip.CreateEntry(name).Open();
                entry.Write(bytes);
            }
        }
        buffer.Position = 0;
        using var read = new ZipArchive(buffer, ZipArchiveMode.Read);
        return ModelArtifact.ReadManifest(source, read);
    }

    private static byte[] Base64(string source, string key, string value)
    {
        try { return Convert.FromBase64String(value); }
        catch (FormatException e) { throw new ModelArtifactException(source, $"metadata {key} is not base64; the file is damaged.", e); }
    }

    /// <summary>The graph takes [batch, 1, bins, frames] and gives [batch, classes] as the manifest says.</summary>
    private static void CheckGraph(string source, InferenceSession session, CnnSettings cnn)
    {
        if (!session.InputMetadata.TryGetValue(OnnxModelFile.InputName, out var input) || !session.OutputMetadata.TryGetValue(OnnxModelFile.OutputName, out var output))
            throw new ModelArtifactException(source, $"its graph lacks the input '{OnnxModelFile.InputName}' or the output '{OnnxModelFile.OutputName}'; export it again.");
        int[] i = input.Dimensions, o = output.Dimensions;
        if (i.Length != 4 || i[1] != 1 || i[2] != cnn.InputBins || i[3] != cnn.InputFrames || o.Length != 2 || o[1] != cnn.Classes)
            throw new ModelArtifactException(source, $"its graph takes [{string.Join(", ", i)}] and gives [{string.Join(", ", o)}] but its manifest says " +
                                                     $"[batch, 1, {cnn.InputBins}, {cnn.InputFrames}] and [batch, {cnn.Classes}]; the file was altered: export it again.");
    }

    public float[][] PredictBatch(IReadOnlyList<Spectrogram> features)
    {
        Check(features);
        var probabilities = new float[features.Count][];
        for (int i = 0; i < features.Count; i++) probabilities[i] = Run(features, i, 1)[0];
        return probabilities;
    }

    public float[][] PredictBatched(IReadOnlyList<Spectrogram> features, int maxBatch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        Check(features);
        var probabilities = new float[features.Count][];
        for (int start = 0; start < features.Count; start += maxBatch)
        {
            int n = Math.Min(maxBatch, features.Count - start);
            var rows = Run(features, start, n);
            for (int i = 0; i < n; i++) probabilities[start + i] = rows[i];
        }
        return probabilities;
    }

    public float[][] PredictAveragedBatch(IReadOnlyList<IReadOnlyList<Spectrogram>> crops)
    {
        ArgumentNullException.ThrowIfNull(crops);
        var result = new float[crops.Count][];
        for (int i = 0; i < crops.Count; i++)
        {
            if (crops[i] is null || crops[i].Count == 0) throw new ArgumentException($"example {i} has no crops.", nameof(crops));
            result[i] = Inference.Average(PredictBatch(crops[i]));
        }
        return result;
    }

    /// <summary>One pass over examples [start, start + n).</summary>
    private float[][] Run(IReadOnlyList<Spectrogram> features, int start, int n)
    {
        int size = _bins * _frames;
        var data = new float[n * size];
        for (int i = 0; i < n; i++) features[start + i].Data.AsSpan(0, size).CopyTo(data.AsSpan(i * size));
        using var input = OrtValue.CreateTensorValueFromMemory(data, [n, 1, _bins, _frames]);
        using var outputs = _session.Run(_run, _inputNames, [input], _outputNames);
        var flat = outputs[0].GetTensorDataAsSpan<float>();
        var rows = new float[n][];
        for (int i = 0; i < n; i++) rows[i] = flat.Slice(i * _classes, _classes).ToArray();
        return rows;
    }

    private void Check(IReadOnlyList<Spectrogram> features)
    {
        ArgumentNullException.ThrowIfNull(features);
        for (int i = 0; i < features.Count; i++)
            if (features[i].Bins != _bins || features[i].Frames != _frames || features[i].Data.Length < _bins * _frames)
                throw new ArgumentException(
                    $"Features {i} are {features[i].Bins} x {features[i].Frames} (bins x frames); the model takes " +
                    $"{_bins} x {_frames}. Extract them with the model's feature settings.", nameof(features));
    }

    public void Dispose()
    {
        _session.Dispose();
        _run.Dispose();
    }
}
