using System.Diagnostics;
using EmotionCluster.Evaluation;
using EmotionCluster.Features;
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

    /// <summary>
    /// How many epochs' weights <see cref="Model"/> averages (<see cref="TrainingSettings.AverageLastEpochs"/>); 0 when it
    /// holds the weights of <see cref="BestEpoch"/>.
    /// </summary>
    public int AveragedEpochs { get; init; }

    /// <summary>The validation set evaluated with the final weights; null without a validation set.</summary>
    public EvaluationOutput? Validation { get; } = validation;

    /// <summary>Writes a model file that <see cref="Predictor.Load"/> reads (see <see cref="ModelArtifact"/>).</summary>
    public void Save(string path, string[] labels, Recipe recipe, string? runId = null, BandStatistics? inputPrior = null) =>
        ModelArtifact.Save(path, Model, labels, recipe, runId, inputPrior);

    public void Dispose() => Model.Dispose();
}

/// <summary>
/// Trains a <see cref="SerCnn"/> with AdamW. <see cref="Train"/> runs the whole loop; the instance methods are the
/// steps of it, for loops elsewhere (e.g. data-parallel: <see cref="ComputeGradients"/> on each replica,
/// average <see cref="GetGradients"/>, <see cref="SetGradients"/>, then <see cref="ApplyGradients"/>).
/// <para>
/// Determinism: the constructor sets the torch thread count and seeds torch's global generator (weight
/// initialization, dropout); shuffling and augmentation use <see cref="Random"/> seeded from the same seed. The
/// same seed, data and thread count give identical weights. Torch's generator and thread count are process-wide,
/// so run one trainer at a time per process for reproducible results. Every tensor is disposed per step.
/// </para>
/// </summary>
public sealed partial class Trainer : IDisposable
{
    private readonly Device device;
    private readonly Parameter[] parameters;
    private readonly AdamW optimizer;
    private Tensor? classWeights;
    private bool ownsModel = true;

    public Trainer(CnnSettings cnn, TrainingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(cnn);
        ArgumentNullException.ThrowIfNull(settings);
        cnn.Validate();
        settings.Validate();
        Settings = settings;
        device = TorchRuntime.ResolveDevice(settings.Device);
        if (settings.Threads > 0) TorchRuntime.SetThreads(settings.Threads);
        torch.manual_seed(settings.Seed);
        Model = new SerCnn(cnn);
        Model.to(device);
        parameters = Model.parameters().ToArray();
        ParameterCount = parameters.Sum(p => p.numel());
        optimizer = optim.AdamW(parameters, settings.LearningRate, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: settings.WeightDecay);
    }

    public SerCnn Model { get; }
    public TrainingSettings Settings { get; }

    /// <summary>Length of the flattened parameter and gradient vectors.</summary>
    public long ParameterCount { get; }

    public double LearningRate
    {
        get => optimizer.ParamGroups.First().LearningRate;
        set
        {
            foreach (var group in optimizer.ParamGroups) group.LearningRate = value;
        }
    }

    /// <summary>Per-class loss weights for <see cref="ComputeGradients"/>; null for unweighted.</summary>
    public void SetClassWeights(float[]? weights)
    {
        classWeights?.Dispose();
        classWeights = null;
        if (weights is null) return;
        if (weights.Length != Model.Settings.Classes)
            throw new ArgumentException($"{weights.Length} class weights given for {Model.Settings.Classes} classes.", nameof(weights));
        classWeights = tensor(weights).to(device).DetachFromDisposeScope();
    }

    /// <summary>Zeroes the gradients, runs forward and backward on one mini-batch in training mode; no parameter update.</summary>
    public BatchOutcome ComputeGradients(IReadOnlyList<Spectrogram> examples, IReadOnlyList<int> labels)
    {
        if (examples.Count != labels.Count)
            throw new ArgumentException($"{examples.Count} examples but {labels.Count} labels.", nameof(labels));
        using var scope = NewDisposeScope();
        Model.train();
        optimizer.zero_grad();
        var input = Batches.ToTensor(examples, Model.Settings.InputBins, Model.Settings.InputFrames, device);
        var target = Batches.Labels(labels, device);
        var logits = Model.forward(input);
        var loss = nn.functional.cross_entropy(logits, target, classWeights, label_smoothing: Settings.LabelSmoothing);
        loss.backward();
        long correct = logits.argmax(1).eq(target).sum().item<long>();
        return new BatchOutcome(loss.item<float>(), (int)correct, examples.Count);
    }

    /// <summary>One AdamW step with the current gradients and <see cref="LearningRate"/>.</summary>
    public void ApplyGradients()
    {
        using var scope = NewDisposeScope();
        optimizer.step();
    }

    /// <summary>All parameter gradients, flattened in <see cref="Module.parameters"/> order (zeros before the first backward).</summary>
    public float[] GetGradients() => Flatten(p => p.grad);

    public void SetGradients(ReadOnlySpan<float> gradients)
    {
        CheckLength(gradients.Length);
        using var scope = NewDisposeScope();
        int offset = 0;
        foreach (var p in parameters)
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
        foreach (var p in parameters)
            if (p.grad is null) p.grad = zeros_like(p);
    }

    /// <summary>All trainable parameters, flattened in <see cref="Module.parameters"/> order (BatchNorm running statistics are buffers, not included).</summary>
    public float[] GetParameters() => Flatten(p => p);

    public void SetParameters(ReadOnlySpan<float> values)
    {
        CheckLength(values.Length);
        using var scope = NewDisposeScope();
        int offset = 0;
        foreach (var p in parameters)
        {
            int n = (int)p.numel();
            Batches.CopyFrom(values.Slice(offset, n), p);
            offset += n;
        }
    }

    /// <summary>Probabilities for examples in evaluation mode (no dropout, BatchNorm running statistics).</summary>
    public EvaluationOutput Evaluate(IReadOnlyList<Spectrogram> examples, IReadOnlyList<int>? labels = null) =>
        Inference.Run(Model, examples, labels, device);

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

    /// <summary>
    /// Trains on <paramref name="train"/>, picks the epoch with the best validation UAR (ties: lower validation loss),
    /// restores it, and stops after <see cref="TrainingSettings.EarlyStoppingPatience"/> epochs without improvement.
    /// Without validation examples it trains all epochs and keeps the last. <paramref name="augment"/> transforms each
    /// training example every time it enters a batch; it must keep the shape.
    /// </summary>
    public static TrainingResult Train(
        IReadOnlyList<(Spectrogram X, int Y)> train,
        IReadOnlyList<(Spectrogram X, int Y)> validation,
        TrainingSettings settings,
        CnnSettings cnn,
        IProgress<EpochReport>? progress = null,
        CancellationToken cancellationToken = default,
        Func<Spectrogram, Random, Spectrogram>? augment = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(cnn);
        cnn.Validate();
        if (train.Count == 0) throw new ArgumentException("The training set is empty.", nameof(train));
        CheckExamples(train, nameof(train), cnn);
        CheckExamples(validation, nameof(validation), cnn);

        using var trainer = new Trainer(cnn, settings);
        var trainLabels = train.Select(e => e.Y).ToArray();
        if (settings.BalancedClassWeights) trainer.SetClassWeights(ClassWeights.Balanced(trainLabels, cnn.Classes));

        var validationX = validation.Select(e => e.X).ToArray();
        var trainX = train.Select(e => e.X).ToArray();
        var validationY = validation.Select(e => e.Y).ToArray();
        var classNames = Enumerable.Range(0, cnn.Classes).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

        int stepsPerEpoch = (train.Count + settings.BatchSize - 1) / settings.BatchSize;
        var schedule = new LearningRateSchedule(settings, stepsPerEpoch);
        var shuffle = new Random(settings.Seed);
        var augmentRandom = new Random(unchecked(settings.Seed * 7919 + 1));
        var order = Enumerable.Range(0, train.Count).ToArray();

        var history = new List<EpochReport>();
        double[]? weightSum = null;
        int averaged = 0;
        var selection = new ModelSelection(settings);
        EvaluationOutput? bestValidation = null;
        bool stoppedEarly = false;

        for (int epoch = 1; epoch <= settings.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            shuffle.Shuffle(order);
            double lossSum = 0;
            int correct = 0;
            double epochRate = schedule.Current;
            for (int start = 0; start < order.Length; start += settings.BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var batch = order.AsSpan(start, Math.Min(settings.BatchSize, order.Length - start)).ToArray();
                var xs = batch.Select(i => augment is null ? train[i].X : augment(train[i].X, augmentRandom)).ToArray();
                var ys = batch.Select(i => train[i].Y).ToArray();
                trainer.LearningRate = schedule.Current;
                var outcome = trainer.ComputeGradients(xs, ys);
                trainer.ApplyGradients();
                schedule.AfterStep();
                lossSum += outcome.Loss * outcome.Count;
                correct += outcome.Correct;
            }

            if (epoch > settings.Epochs - settings.AverageLastEpochs)
            {
                var weights = trainer.GetParameters();
                weightSum ??= new double[weights.Length];
                for (int i = 0; i < weights.Length; i++) weightSum[i] += weights[i];
                averaged++;
            }

            double? validationLoss = null, validationAccuracy = null, validationUar = null;
            EvaluationOutput? output = null;
            if (settings.PreciseBatchNorm) trainer.RecalibrateBatchNorm(trainX);
            if (validation.Count > 0)
            {
                output = trainer.Evaluate(validationX, validationY);
                var report = ClassificationMetrics.Compute(validationY, output.Predicted, classNames);
                validationLoss = output.Loss;
                validationAccuracy = report.Accuracy;
                validationUar = report.Uar;
            }
            bool isBest = selection.Judge(epoch, validationUar, validationLoss, trainer.SaveState);
            if (isBest && output is not null) bestValidation = output;
            schedule.AfterEpoch(validationUar);

            var epochReport = new EpochReport(epoch, epochRate, lossSum / train.Count, (double)correct / train.Count,
                validationLoss, validationAccuracy, validationUar, isBest, clock.Elapsed);
            history.Add(epochReport);
            progress?.Report(epochReport);

            if (selection.StopEarly)
            {
                stoppedEarly = true;
                break;
            }
        }

        int averagedEpochs = 0;
        bool keepBest = selection.BestState is not null;
        if (weightSum is not null && averaged > 1)
        {
            // the averaged weights compete with the best epoch on the validation set (without one they are simply kept)
            byte[] lastState = trainer.SaveState();
            trainer.SetParameters(weightSum.Select(w => (float)(w / averaged)).ToArray());
            trainer.RecalibrateBatchNorm(trainX);
            EvaluationOutput? output = validation.Count > 0 ? trainer.Evaluate(validationX, validationY) : null;
            double uar = output is null ? 0 : ClassificationMetrics.Compute(validationY, output.Predicted, classNames).Uar;
            if (output is null || uar > selection.BestUar || (uar == selection.BestUar && output.Loss <= selection.BestLoss))
            {
                averagedEpochs = averaged;
                keepBest = false; // keep the averaged model as it is now
                bestValidation = output;
            }
            else trainer.LoadState(lastState);
        }
        if (keepBest && selection.BestEpoch != history.Count) trainer.LoadState(selection.BestState!);
        return new TrainingResult(trainer.ReleaseModel(), history, selection.BestEpoch, stoppedEarly, bestValidation) { AveragedEpochs = averagedEpochs };
    }

    private SerCnn ReleaseModel()
    {
        ownsModel = false;
        Model.eval();
        return Model;
    }

    private static void CheckExamples(IReadOnlyList<(Spectrogram X, int Y)> examples, string set, CnnSettings cnn)
    {
        for (int i = 0; i < examples.Count; i++)
        {
            var (x, y) = examples[i];
            if (x is null) throw new ArgumentException($"{set}[{i}] has no spectrogram.", set);
            if (x.Bins != cnn.InputBins || x.Frames != cnn.InputFrames || x.Data.Length != x.Bins * x.Frames)
                throw new ArgumentException(
                    $"{set}[{i}] is {x.Bins} x {x.Frames} (bins x frames) but the model expects {cnn.InputBins} x {cnn.InputFrames}; " +
                    "crop or pad the features to the configured size.", set);
            if (y < 0 || y >= cnn.Classes)
                throw new ArgumentException($"{set}[{i}] has label {y}; the model has classes 0..{cnn.Classes - 1}.", set);
        }
    }

    private float[] Flatten(Func<Parameter, Tensor?> select)
    {
        var result = new float[ParameterCount];
        using var scope = NewDisposeScope();
        int offset = 0;
        foreach (var p in parameters)
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
        optimizer.Dispose();
        classWeights?.Dispose();
        if (ownsModel) Model.Dispose();
    }
}
