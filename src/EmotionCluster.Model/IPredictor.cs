using EmotionCluster.Features;

namespace EmotionCluster.Model;

/// <summary>
/// Class probabilities from a saved model, whatever runs it: <see cref="Predictor"/> (TorchSharp, a <c>.ecm</c> model
/// file) or <see cref="Onnx.OnnxPredictor"/> (ONNX Runtime, a <c>.onnx</c> export). <c>predict</c>, <c>evaluate</c>
/// and predictor nodes use only this; <see cref="Predictors.Load"/> picks the runtime. Inputs are features already shaped
/// by <see cref="Input"/> (<see cref="ModelInput.Shape"/> or <see cref="ModelInput.Crops"/>).
/// </summary>
public interface IPredictor : IDisposable
{
    CnnSettings Settings { get; }
    string[] Labels { get; }

    /// <summary>How features become this model's input (from the model file): extract and shape them this way before predicting.</summary>
    ModelInput Input { get; }

    /// <summary>The recipe the model was trained with; null for a version 1 model file.</summary>
    Recipe? Recipe { get; }

    /// <summary>The training run that wrote the model, when the file says.</summary>
    string? RunId { get; }

    /// <summary>Which runtime computes the probabilities.</summary>
    ModelRuntime Runtime { get; }

    /// <summary>Softmax probabilities, one per label.</summary>
    float[] Predict(Spectrogram features) => PredictBatch([features])[0];

    /// <summary>Probabilities of each example, one forward pass per example (reproducible bit for bit across calls).</summary>
    float[][] PredictBatch(IReadOnlyList<Spectrogram> features);

    /// <summary>Probabilities in batched passes of up to <paramref name="maxBatch"/> examples: cheaper per example, equal to <see cref="PredictBatch"/> within float rounding. For live streaming.</summary>
    float[][] PredictBatched(IReadOnlyList<Spectrogram> features, int maxBatch);

    /// <summary>Mean probabilities over several crops of one clip (each crop its own pass, summed in order, then divided).</summary>
    float[] PredictAveraged(IReadOnlyList<Spectrogram> crops) => PredictAveragedBatch([crops])[0];

    float[][] PredictAveragedBatch(IReadOnlyList<IReadOnlyList<Spectrogram>> crops);
}

/// <summary>What runs a model: <see cref="Torch"/> (TorchSharp/libtorch) or <see cref="Onnx"/> (ONNX Runtime).</summary>
public enum ModelRuntime
{
    /// <summary>Chosen by the model file: ONNX Runtime for an ONNX file (<c>.onnx</c>, or an ONNX file's first bytes), TorchSharp for a model file (<c>.ecm</c>).</summary>
    Auto,
    Torch,
    Onnx,
}

/// <summary>Loads a model file with the runtime asked for.</summary>
public static class Predictors
{
    /// <summary>
    /// <paramref name="runtime"/> <see cref="ModelRuntime.Auto"/>: ONNX Runtime for an ONNX file, TorchSharp for a
    /// <c>.ecm</c>. <see cref="ModelRuntime.Onnx"/> with a <c>.ecm</c>: exported to ONNX in memory first (which needs
    /// libtorch for reading the weights; serving then runs on ONNX Runtime). <see cref="ModelRuntime.Torch"/> with an
    /// ONNX file is refused: there are no TorchSharp weights in it.
    /// </summary>
    /// <exception cref="ModelArtifactException">the file is missing, not a model, or not one <paramref name="runtime"/> can run.</exception>
    /// <param name="threads">Intra-op threads: ONNX Runtime's for this session, torch's for the process (<see cref="TorchRuntime.SetThreads"/>); 0 leaves the runtime's default.</param>
    public static IPredictor Load(string path, ModelRuntime runtime = ModelRuntime.Auto, string device = "cpu", int threads = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        if (!File.Exists(path))
            throw new ModelArtifactException(path, "does not exist; train a model first (or export one with 'emotioncluster export onnx') or check the path.");
        bool onnxFile = Onnx.OnnxModelFile.IsOnnx(path);
        switch (runtime)
        {
            case ModelRuntime.Auto when onnxFile:
            case ModelRuntime.Onnx when onnxFile:
                return Onnx.OnnxPredictor.Load(path, threads);
            case ModelRuntime.Onnx:
                return Onnx.OnnxPredictor.Load(WithLibTorch(path, () => Onnx.OnnxExport.ToOnnx(path)), path, threads);
            case ModelRuntime.Torch when onnxFile:
                throw new ModelArtifactException(path, "is an ONNX model; it runs on ONNX Runtime only: use runtime onnx (or auto), or give the .ecm model file it was exported from.");
            default:
                return WithLibTorch(path, () =>
                {
                    if (threads > 0) TorchRuntime.SetThreads(threads);
                    return Predictor.Load(path, device);
                });
        }
    }

    /// <summary>Runs torch code for a .ecm; in a build without libtorch (<c>-p:LibTorch=false</c>, the predictor image) says what to give instead.</summary>
    private static T WithLibTorch<T>(string path, Func<T> load)
    {
        if (!TorchRuntime.Available) throw NoLibTorch(path, null);
        try { return load(); }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException or NotSupportedException
                                  && (e.Message.Contains("torch", StringComparison.OrdinalIgnoreCase) || e.InnerException is DllNotFoundException))
        {
            throw NoLibTorch(path, e);
        }
    }

    private static ModelArtifactException NoLibTorch(string path, Exception? e) =>
        new(path, "is a .ecm model file, which needs libtorch, and this build has none (the ONNX-only predictor): " +
                  "export it with 'emotioncluster export onnx --model model.ecm --out model.onnx' where libtorch is, and give the .onnx.", e);

    /// <summary>Parses "auto", "torch" or "onnx" (any case); null or empty is <see cref="ModelRuntime.Auto"/>.</summary>
    public static ModelRuntime ParseRuntime(string? name, string what) =>
        string.IsNullOrWhiteSpace(name) ? ModelRuntime.Auto
        : Enum.TryParse<ModelRuntime>(name.Trim(), ignoreCase: true, out var r) && Enum.IsDefined(r) && !int.TryParse(name, out _) ? r
        : throw new ArgumentException($"{what} is '{name}'; use auto, torch or onnx.");
}
