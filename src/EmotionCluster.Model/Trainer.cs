using System.Diagnostics;
using EmotionCluster.Features;
using EmotionCluster.Metrics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EmotionCluster.Model;

/// <summary>One epoch: mean training loss (with smoothing and class weights) and accuracy, validation metrics if any.</summary>
public sealed record EpochReport(
    int Epoch,
    double LearningRate,
    double TrainLoss,
    double TrainAccuracy,
    double? ValidationLoss,
    double? ValidationAccuracy,
    double? ValidationUar,
    bool IsBest,
    TimeSpan Elapsed);

/// <summary>Loss and correctly classified examples of one mini-batch, computed before the optimizer step.</summary>
public sealed record BatchOutcome(double Loss, int Correct, int Count);

/// <summary>
/// Softmax probabilities and arg-max predictions per example, and the mean plain cross entropy (no class weights,
/// no label smoothing) when labels were given.
/// </summary>
public sealed record EvaluationOutput(float[][] Probabilities, int[] Predicted, double? Loss);

/// <summary>The trained model (the best validation epoch's weights), its history and validation output. Owns the model.</summary>
public sealed class TrainingResult(SerCnn model, IReadOnlyList<EpochReport> history, int bestEpoch, bool stoppedEarly, EvaluationOutput? validation)
    : IDisposable
{
    public SerCnn Model { get; } = model;
    public IReadOnlyList<EpochReport> History { get; } = history;

    /// <summary>The epoch whose weights <see cref="Model"/> holds: the best validation UAR, or the last epoch without validation.</summary>
    public int BestEpoch { get; } = bestEpoch;

    public bool StoppedEarly { get; } = stoppedEarly;

    /// <summary>The validation set evaluated with the final weights; null without a validation set.</summary>
    public EvaluationOutput? Validation { get; } = validation;

    /// <summary>Writes a model file that <see cref="Predictor.Load"/> reads (see <see cref="ModelArtifact"/>).</summary>
    public void Save(string path, string[] labels, Recipe recipe, string? runId = null, BandStatistics? inputPrior = null) =>
        ModelArtifact.Save(path, Model, labels, recipe, runId, inputPrior);

    public void Dispose() => Model.Dispose();
}

/// <summary>
/// Trains a <see cref="SerCnn"/> with AdamW, one step at a time: the engine under the trainer actor's replicas
/// (src/EmotionCluster.TrainingActors: <see cref="ComputeGradients"/> on each replica, average <see cref="GetGradients"/>,
/// <see cref="SetGradients"/>, then <see cref="ApplyGradients"/>), the only training path of the product. The loop
/// over epochs, model selection and early stopping (<see cref="ModelSelection"/>) is the actor's.
/// <para>
/// Determinism: the constructor sets the torch thread count and seeds torch's global generator (weight
/// initialization, dropout); shuffling and augmentation use <see cref="Random"/> seeded from the same seed. The
/// same seed, data and thread count give identical weights. Torch's generator and thread count are process-wide,
/// so run one trainer at a time per process for reproducible results. Every tensor is disposed per step.
/// </para>
/// </summary>
public sealed partial class Trainer : IDisposable
{
    private readonly Device _device;
    private readonly Parameter[] _parameters;
    private readonly AdamW _optimizer;
    private Tensor? _classWeights;
    private bool _ownsModel = true;

    public Trainer(CnnSettings cnn, TrainingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(cnn);
        ArgumentNullException.ThrowIfNull(settings);
        cnn.Validate();
        settings.Validate();
        Settings = settings;
        _device = TorchRuntime.ResolveDevice(settings.Device);
        if (settings.Threads > 0) TorchRuntime.SetThreads(settings.Threads);
        torch.manual_seed(settings.Seed);
        Model = new SerCnn(cnn);
        Model.to(_device);
        _parameters = Model.parameters().ToArray();
        ParameterCount = _parameters.Sum(p => p.numel());
        _optimizer = optim.AdamW(_parameters, settings.LearningRate, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: settings.WeightDecay);
    }

    public SerCnn Model { get; }
    public TrainingSettings Settings { get; }

    /// <summary>Length of the flattened parameter and gradient vectors.</summary>
    public long ParameterCount { get; }

    public double LearningRate
    {
        get => _optimizer.ParamGroups.First().LearningRate;
        set
        {
            foreach (var group in _optimizer.ParamGroups) group.LearningRate = value;
        }
    }

    /// <summary>Per-class loss weights for <see cref="ComputeGradients"/>; null for unweighted.</summary>
    public void SetClassWeights(float[]? weights)
    {
        _classWeights?.Dispose();
        _classWeights = null;
        if (weights is null) return;
        if (weights.Length != Model.Settings.Classes)
            throw new ArgumentException($"{weights.Length} class weights given for {Model.Settings.Classes} classes.", nameof(weights));
        _classWeights = tensor(weights).to(_device).DetachFromDisposeScope();
    }

    /// <summary>Zeroes the gradients, runs forward and backward on one mini-batch in training mode; no parameter update.</summary>
    public BatchOutcome ComputeGradients(IReadOnlyList<Spectrogram> examples, IReadOnlyList<int> labels)
    {
        if (examples.Count != labels.Count)
            throw new ArgumentException($"{examples.Count} examples but {labels.Count} labels.", nameof(labels));
        using var scope = NewDisposeScope();
        Model.train();
        _optimizer.zero_grad();
        var input = Batches.ToTensor(examples, Model.Settings.InputBins, Model.Settings.InputFrames, _device);
        var target = Batches.Labels(labels, _device);
        var logits = Model.forward(input);
        var loss = nn.functional.cross_entropy(logits, target, _classWeights, label_smoothing: Settings.LabelSmoothing);
        loss.backward();
        long correct = logits.argmax(1).eq(target).sum().item<long>();
        return new BatchOutcome(loss.item<float>(), (int)correct, examples.Count);
    }

    /// <summary>One AdamW step with the current gradients and <see cref="LearningRate"/>.</summary>
    public void ApplyGradients()
    {
        using var scope = NewDisposeScope();
        _optimizer.step();
    }

    /// <summary>All parameter gradients, flattened in <see cref="Module.parameters"/> order (zeros before the first backward).</summary>
    public float[] GetGradients() => Flatten(p => p.grad);

    public void SetGradients(ReadOnlySpan<float> gradients)
    {
        CheckLength(gradients.Length);
        using var scope = NewDisposeScope();
        int offset = 0;
        foreach (var p in _parameters)
        {
            int n = (int)p.numel();
            if (p.grad is null) p.grad = zeros_like(p);
            Batches.CopyFrom(gradients.Slice(offset, n), p.grad!);
            offset += n;
        }
    }

    /// <summary>
    /// Gives every parameter that has no gradient (not reached by the last backward pass) a zero gradient, as
    /// <see cref="SetGradients"/> does; an optimizer step then treats all parameters alike.
    /// </summary>
    public void ZeroMissingGradients()
    {
        using var scope = NewDisposeScope();
        foreach (var p in _parameters)
            if (p.grad is null) p.grad = zeros_like(p);
    }

    /// <summary>All trainable parameters, flattened in <see cref="Module.parameters"/> order (BatchNorm running statistics are buffers, not included).</summary>
    public float[] GetParameters() => Flatten(p => p);

    public void SetParameters(ReadOnlySpan<float> values)
    {
        CheckLength(values.Length);
        using var scope = NewDisposeScope();
        int offset = 0;
        foreach (var p in _parameters)
        {
            int n = (int)p.numel();
            Batches.CopyFrom(values.Slice(offset, n), p);
            offset += n;
        }
    }

    /// <summary>Probabilities for examples in evaluation mode (no dropout, BatchNorm running statistics).</summary>
    public EvaluationOutput Evaluate(IReadOnlyList<Spectrogram> examples, IReadOnlyList<int>? labels = null) =>
        Inference.Run(Model, examples, labels, _device);

    /// <summary>Weights and buffers (TorchSharp format), e.g. to keep the best epoch.</summary>
    public byte[] SaveState()
    {
        using var stream = new MemoryStream();
        Model.save(stream);
        return stream.ToArray();
    }

    public void LoadState(byte[] state)
    {
        using var stream = new MemoryStream(state);
        Model.load(stream);
    }

    /// <summary>The model, in evaluation mode, is the caller's from now on: disposing this trainer leaves it.</summary>
    public SerCnn ReleaseModel()
    {
        _ownsModel = false;
        Model.eval();
        return Model;
    }

    private float[] Flatten(Func<Parameter, Tensor?> select)
    {
        var result = new float[ParameterCount];
        using var scope = NewDisposeScope();
        int offset = 0;
        foreach (var p in _parameters)
        {
            int n = (int)p.numel();
            if (select(p) is { } t) Batches.CopyTo(t, result.AsSpan(offset, n));
            offset += n;
        }
        return result;
    }

    private void CheckLength(int length)
    {
        if (length != ParameterCount)
            throw new ArgumentException($"The vector has {length} values; the model has {ParameterCount} parameters.");
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _classWeights?.Dispose();
        if (_ownsModel) Model.Dispose();
    }
}
