using EmotionCluster.Features;
using static TorchSharp.torch;

namespace EmotionCluster.Model;

/// <summary>
/// Class probabilities from a saved model, computed by <see cref="Inference"/> exactly as validation and test scoring
/// during training: <see cref="Predict"/> on one example gives the same bits as that example's
/// <see cref="TrainingResult.Validation"/> row (same build, CPU instruction set and thread count, any process).
/// Thread-safe: calls are serialized by a lock (torch parallelizes each call internally); use one predictor per thread
/// for concurrent calls.
/// </summary>
public sealed class Predictor : IPredictor
{
    private readonly Lock _gate = new();
    private readonly SerCnn _model;
    private readonly Device _device;

    private Predictor(SerCnn model, ModelManifest manifest, Device device)
    {
        _model = model;
        _device = device;
        Settings = manifest.Cnn;
        Labels = manifest.Labels;
        Input = manifest.Input;
        Recipe = manifest.Recipe;
        RunId = manifest.RunId;
    }

    public CnnSettings Settings { get; }
    public string[] Labels { get; }

    /// <summary>How features become this model's input (from the model file): extract and shape them this way before predicting.</summary>
    public ModelInput Input { get; }

    /// <summary>The recipe the model was trained with; null for a version 1 model file.</summary>
    public Recipe? Recipe { get; }

    /// <summary>The training run that wrote the model, when the file says.</summary>
    public string? RunId { get; }

    public ModelRuntime Runtime => ModelRuntime.Torch;

    public static Predictor Load(string path, string device = "cpu")
    {
        var resolved = TorchRuntime.ResolveDevice(device);
        var (model, manifest) = ModelArtifact.Load(path, resolved);
        return new Predictor(model, manifest, resolved);
    }

    /// <summary>Softmax probabilities, one per label.</summary>
    public float[] Predict(Spectrogram features) => PredictBatch([features])[0];

    public float[][] PredictBatch(IReadOnlyList<Spectrogram> features)
    {
        Check(features);
        lock (_gate) return Inference.Run(_model, features, null, _device).Probabilities;
    }

    /// <summary>
    /// Probabilities of many examples in batched forward passes of up to <paramref name="maxBatch"/> (inference mode,
    /// <see cref="Inference.RunBatched"/>): much cheaper per example than <see cref="PredictBatch"/>, equal to it within
    /// float rounding rather than bit for bit. For live streaming.
    /// </summary>
    public float[][] PredictBatched(IReadOnlyList<Spectrogram> features, int maxBatch)
    {
        Check(features);
        lock (_gate) return Inference.RunBatched(_model, features, maxBatch, _device);
    }

    private void Check(IReadOnlyList<Spectrogram> features)
    {
        ArgumentNullException.ThrowIfNull(features);
        for (int i = 0; i < features.Count; i++)
            if (features[i].Bins != Settings.InputBins || features[i].Frames != Settings.InputFrames)
                throw new ArgumentException(
                    $"Features {i} are {features[i].Bins} x {features[i].Frames} (bins x frames); the model takes " +
                    $"{Settings.InputBins} x {Settings.InputFrames}. Extract them with the model's feature settings.", nameof(features));
    }

    /// <summary>Mean probabilities over several crops of one clip (<see cref="Inference.RunAveraged"/>).</summary>
    public float[] PredictAveraged(IReadOnlyList<Spectrogram> crops) => PredictAveragedBatch([crops])[0];

    public float[][] PredictAveragedBatch(IReadOnlyList<IReadOnlyList<Spectrogram>> crops)
    {
        ArgumentNullException.ThrowIfNull(crops);
        foreach (var clip in crops) Check(clip);
        lock (_gate) return Inference.RunAveraged(_model, crops, null, _device).Probabilities;
    }

    public void Dispose() => _model.Dispose();
}
