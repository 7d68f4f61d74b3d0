using EmotionCluster.Features;
using EmotionCluster.Metrics;
using EmotionCluster.Model;

namespace EmotionCluster.TrainingActors;

/// <summary>
/// One data-parallel replica without any messaging: a <see cref="Trainer"/>, the run's data and the step plan.
/// <see cref="Compute"/> gives this rank's contribution to a global step, <see cref="Apply"/> performs the update from
/// the averaged vector (gradients followed by the float buffers). Replicas that apply the same averaged vectors hold
/// identical weights, buffers and optimizer state.
/// <para>
/// BatchNorm: every replica normalizes its slice with that slice's batch statistics (as PyTorch DDP without
/// SyncBatchNorm); the running statistics are averaged with the gradients, so they stay identical everywhere. A
/// network with BatchNorm is therefore not bit-for-bit the single-process network on the whole batch; with
/// <see cref="CnnSettings.BatchNorm"/> off (and dropout 0) it is, up to float rounding.
/// </para>
/// </summary>
public sealed class DataParallelReplica : IDisposable
{
    private readonly float[]? _classWeights;
    private readonly ExplicitScalarAdamW _optimizer;
    private LearningRateSchedule _schedule;
    private double _epochLossSum, _epochWeight;
    private int _epochCorrect, _epochSamples;

    /// <summary>
    /// Refuses the training settings the trainer actor does not run (every job trains through it), naming the key and the
    /// fix; jobs call it when they read their settings, before any extraction.
    /// </summary>
    /// <exception cref="ArgumentException">a setting the trainer actor does not support.</exception>
    public static void CheckSupported(TrainingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Schedule == LrSchedule.Plateau)
            throw new ArgumentException("Invalid training settings: Schedule Plateau is not supported by the trainer actor yet (it needs the same validation history on every replica); use Cosine or Constant.");
        if (settings.AverageLastEpochs > 0)
            throw new ArgumentException($"Invalid training settings: AverageLastEpochs {settings.AverageLastEpochs} is not supported by the trainer actor yet; set it to 0.");
    }

    /// <summary>A replica of run <paramref name="runId"/> training <paramref name="data"/> by its recipe (CNN and optimization).</summary>
    public DataParallelReplica(string runId, TrainingData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var cnn = data.Recipe.CnnFor(data.Labels.Length);
        var settings = data.Recipe.Training;
        CheckSupported(settings);
        if (data.TrainX.Length == 0) throw new ArgumentException("The training set is empty.", nameof(data));
        if (cnn.Classes != data.Labels.Length)
            throw new ArgumentException($"The model has {cnn.Classes} classes but the manifest names {data.Labels.Length}.", nameof(cnn));
        if (cnn.InputBins != data.Bins || cnn.InputFrames != data.Frames)
            throw new ArgumentException($"The model expects {cnn.InputBins} x {cnn.InputFrames} inputs but the features are {data.Bins} x {data.Frames}.", nameof(cnn));
        RunId = runId;
        Data = data;
        Settings = settings;
        Trainer = new Trainer(cnn, settings);
        _selection = new ModelSelection(settings);
        // the updates are ours (same arithmetic as Trainer.ApplyGradients, see ExplicitScalarAdamW); Trainer computes gradients
        _optimizer = new ExplicitScalarAdamW(Trainer.Model.parameters(), settings.WeightDecay);
        Plan = new DataParallelStep(data.TrainX.Length, settings.BatchSize, settings.Seed);
        _schedule = new LearningRateSchedule(settings, Plan.StepsPerEpoch);
        if (settings.BalancedClassWeights)
        {
            _classWeights = ClassWeights.Balanced(data.TrainY, cnn.Classes);
            Trainer.SetClassWeights(_classWeights);
        }
        ParameterCount = (int)Trainer.ParameterCount;
        VectorLength = ParameterCount + (int)Trainer.BufferCount;
    }

    public string RunId { get; }
    public TrainingData Data { get; }
    public TrainingSettings Settings { get; }
    public Trainer Trainer { get; }
    public DataParallelStep Plan { get; }
    public int ParameterCount { get; }

    /// <summary>Time spent per stage of <see cref="Compute"/> and <see cref="Apply"/> on this replica's thread.</summary>
    public StageTimes Stages { get; } = new();

    /// <summary>Length of a contribution: parameters' gradients, then the float buffers.</summary>
    public int VectorLength { get; }

    /// <summary>Global steps applied so far (0: none).</summary>
    public long AppliedStep { get; private set; }

    public long TotalSteps => Plan.TotalSteps(Settings.Epochs);

    /// <summary>Every step is applied, or the recipe's early stopping ended the run (<see cref="StopEarly"/>).</summary>
    public bool Finished => AppliedStep >= TotalSteps || StopEarly;

    /// <summary>The learning rate of the current (or just finished) epoch's first step.</summary>
    public double EpochLearningRate { get; private set; }

    /// <summary>Epochs fully trained.</summary>
    public int CompletedEpochs => (int)(AppliedStep / Plan.StepsPerEpoch);

    public bool IsEpochEnd(long step) => step % Plan.StepsPerEpoch == 0;

    /// <summary>This rank's gradients (and buffers after the forward pass) on its slice of global step <paramref name="step"/>.</summary>
    public Contribution Compute(long step, int rank, int replicas)
    {
        CheckNext(step, "compute");
        var (xs, ys) = Batch(step, rank, replicas);
        if (xs.Length == 0) return new Contribution(rank, 0, new float[VectorLength]);
        BatchOutcome outcome;
        using (Stages.Measure("gradients")) outcome = Trainer.ComputeGradients(xs, ys);
        double weight = Weight(ys);
        var values = new float[VectorLength];
        using (Stages.Measure("flatten"))
        {
            Trainer.CopyGradients(values.AsSpan(0, ParameterCount));
            if (VectorLength > ParameterCount) Trainer.CopyBuffers(values.AsSpan(ParameterCount));
        }
        return new Contribution(rank, weight, values, outcome.Loss * weight, outcome.Correct, outcome.Count);
    }

    /// <summary>
    /// Global step <paramref name="step"/> when this replica is the step's only one: computes the gradients on the
    /// whole batch and applies them in place. The same update, bit for bit, as <see cref="Compute"/> (rank 0 of 1),
    /// a <see cref="StepReducer"/> over that one contribution and <see cref="Apply"/> (the weighted average of one
    /// vector is that vector; the buffers are already the forward pass's), without flattening the gradients and
    /// buffers into a vector, averaging it and copying it back. Returns what <see cref="StepReducer.Reduce"/> would
    /// (with <see cref="ReducedStep.Values"/> null: nothing to send).
    /// </summary>
    public ReducedStep TrainAlone(long step)
    {
        CheckNext(step, "compute");
        var (xs, ys) = Batch(step, 0, 1);
        BatchOutcome outcome;
        using (Stages.Measure("gradients")) outcome = Trainer.ComputeGradients(xs, ys);
        double weight = Weight(ys);
        double lossSum = outcome.Loss * weight;
        var reduced = new ReducedStep(step, null, [0], [], weight, weight > 0 ? lossSum / weight : double.NaN,
            outcome.Correct, outcome.Count);
        if (weight > 0)
        {
            // as Trainer.SetGradients does for a parameter without a gradient: it gets zeros (and weight decay)
            Trainer.ZeroMissingGradients();
            using (Stages.Measure("adamw")) _optimizer.Step(_schedule.Current);
        }
        Count(reduced);
        return reduced;
    }

    /// <summary>
    /// Applies global step <paramref name="step"/> from the averaged vector (null: nobody contributed; the step is
    /// counted without an update). Loss statistics feed <see cref="TakeEpochMetrics"/>.
    /// </summary>
    public void Apply(ReducedStep reduced)
    {
        ArgumentNullException.ThrowIfNull(reduced);
        CheckNext(reduced.Step, "apply");
        if (reduced.Values is { } values)
        {
            if (values.Length != VectorLength)
                throw new ArgumentException($"Step {reduced.Step}: {values.Length} averaged values, the model needs {VectorLength}.");
            using (Stages.Measure("unflatten"))
            {
                Trainer.SetGradients(values.AsSpan(0, ParameterCount));
                if (VectorLength > ParameterCount) Trainer.SetBuffers(values.AsSpan(ParameterCount));
            }
            using (Stages.Measure("adamw")) _optimizer.Step(_schedule.Current);
        }
        Count(reduced);
    }

    private void CheckNext(long step, string what)
    {
        if (step != AppliedStep + 1)
            throw new InvalidOperationException($"Replica at step {AppliedStep} cannot {what} step {step}; it must be {AppliedStep + 1}.");
    }

    /// <summary>Rank's examples and labels of global step <paramref name="step"/> (references into <see cref="Data"/>, no copies).</summary>
    private (Spectrogram[] X, int[] Y) Batch(long step, int rank, int replicas)
    {
        using var _ = Stages.Measure("batch");
        var slice = Plan.Plan(step, rank, replicas);
        var xs = new Spectrogram[slice.Length];
        var ys = new int[slice.Length];
        var augment = Data.Augment;
        for (int i = 0; i < slice.Length; i++)
        {
            xs[i] = augment is null ? Data.TrainX[slice[i]] : augment(Data.TrainX[slice[i]], AugmentationRandom(step, slice[i]));
            ys[i] = Data.TrainY[slice[i]];
        }
        return (xs, ys);
    }

    /// <summary>
    /// The augmentation draw of example <paramref name="example"/> in global step <paramref name="step"/>: seeded by the
    /// run's seed, the step and the example, so it is the same whichever replica computes that example.
    /// </summary>
    private Random AugmentationRandom(long step, int example)
    {
        // a fixed mix (not HashCode, whose seed differs per process): every process draws the same
        ulong h = unchecked((ulong)Settings.Seed * 0x9E3779B97F4A7C15UL ^ (ulong)step * 0xBF58476D1CE4E5B9UL ^ (ulong)example * 0x94D049BB133111EBUL);
        h ^= h >> 31;
        h = unchecked(h * 0xD6E8FEB86659FD93UL);
        return new Random((int)(h >> 33));
    }

    private double Weight(int[] ys) => _classWeights is null ? ys.Length : ys.Sum(y => (double)_classWeights[y]);

    /// <summary>After the update (or none): the schedule advances, the step counts, its loss statistics are kept.</summary>
    private void Count(ReducedStep reduced)
    {
        if ((reduced.Step - 1) % Plan.StepsPerEpoch == 0) EpochLearningRate = _schedule.Current;
        _schedule.AfterStep();
        AppliedStep = reduced.Step;
        if (reduced.Weight > 0 && double.IsFinite(reduced.Loss))
        {
            _epochLossSum += reduced.Loss * reduced.Weight;
            _epochWeight += reduced.Weight;
        }
        _epochCorrect += reduced.Correct;
        _epochSamples += reduced.Samples;
    }

    /// <summary>Mean training loss and accuracy since the last call (the epoch just finished), then resets.</summary>
    public (double Loss, double Accuracy) TakeEpochMetrics()
    {
        var result = (_epochWeight > 0 ? _epochLossSum / _epochWeight : double.NaN, _epochSamples > 0 ? (double)_epochCorrect / _epochSamples : double.NaN);
        _epochLossSum = _epochWeight = 0;
        _epochCorrect = _epochSamples = 0;
        return result;
    }

    /// <summary>Validation loss and report with the current weights; null without a validation set.</summary>
    public (double? Loss, ClassificationReport Report)? Validate()
    {
        if (Data.ValidationX.Length == 0) return null;
        var output = Trainer.Evaluate(Data.ValidationX, Data.ValidationY);
        return (output.Loss, ClassificationMetrics.Compute(Data.ValidationY, output.Predicted, Data.Labels));
    }

    private readonly ModelSelection _selection;

    /// <summary>The epoch whose weights <see cref="RestoreBest"/> brings back (0: none judged yet).</summary>
    public int BestEpoch => _selection.BestEpoch;

    /// <summary>The recipe's early stopping says stop: <see cref="TrainingSettings.EarlyStoppingPatience"/> epochs without a better validation UAR.</summary>
    public bool StopEarly => _selection.StopEarly;

    /// <summary>
    /// The end of epoch <paramref name="epoch"/> as the recipe's model selection sees it, on every replica (their weights
    /// and buffers are the same, so are their decisions, recalibrated statistics and kept weights): with
    /// <see cref="TrainingSettings.PreciseBatchNorm"/> the BatchNorm statistics are first recomputed over the training
    /// set; the validation UAR (ties: lower loss) decides whether this epoch is the best so far, whose weights are kept;
    /// early stopping counts epochs without a gain. Without a validation set every epoch is the best (the last is kept).
    /// </summary>
    public (double? Loss, ClassificationReport Report, bool IsBest)? EndEpoch(int epoch)
    {
        if (Settings.PreciseBatchNorm) Trainer.RecalibrateBatchNorm(Data.TrainX);
        var validation = Validate();
        bool isBest = _selection.Judge(epoch, validation?.Report.Uar, validation?.Loss, Trainer.SaveState);
        return validation is { } r ? (r.Loss, r.Report, isBest) : null;
    }

    /// <summary>Loads the best epoch's weights (<see cref="EndEpoch"/>) when they are not the current ones; the run is over.</summary>
    public void RestoreBest()
    {
        if (_selection.BestState is { } best && BestEpoch != CompletedEpochs) Trainer.LoadState(best);
        Trainer.Model.eval();
    }

    /// <summary>The held-out test clips scored with the current weights (mean probabilities over each clip's windows); null without test clips.</summary>
    public (EvaluationOutput Output, ClassificationReport Report)? Test()
    {
        if (Data.TestCrops.Length == 0) return null;
        var output = Inference.RunAveraged(Trainer.Model, Data.TestCrops, Data.TestY, TorchRuntime.ResolveDevice(Settings.Device));
        return (output, ClassificationMetrics.Compute(Data.TestY, output.Predicted, Data.Labels));
    }

    public TrainingCheckpoint CreateCheckpoint() => new(RunId, CompletedEpochs, AppliedStep, Settings.Seed,
        Trainer.SaveState(), _optimizer.SaveState(), Trainer.GetRandomState(), DateTimeOffset.UtcNow)
    {
        Selection = new ModelSelectionState(_selection.BestEpoch, _selection.BestUar, _selection.BestLoss, _selection.EpochsWithoutGain, _selection.BestState ?? []),
    };

    /// <summary>
    /// Continues from <paramref name="checkpoint"/>: weights, buffers, optimizer state, step (hence epoch, data order and
    /// learning rate); torch's random state too when <paramref name="restoreRandom"/> (a restart; not when taking a
    /// coordinator's state, whose dropout stream is its own).
    /// </summary>
    public void Restore(TrainingCheckpoint checkpoint, bool restoreRandom)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        if (checkpoint.RunId != RunId)
            throw new InvalidDataException($"the checkpoint belongs to run {checkpoint.RunId}, not {RunId} (other data or settings); delete it or use another checkpoint directory");
        if (checkpoint.Seed != Settings.Seed)
            throw new InvalidDataException($"the checkpoint was made with seed {checkpoint.Seed}, the run uses {Settings.Seed}");
        Trainer.LoadState(checkpoint.ModelState);
        _optimizer.LoadState(checkpoint.OptimizerState);
        if (restoreRandom && checkpoint.RandomState.Length > 0) Trainer.SetRandomState(checkpoint.RandomState);
        _schedule = new LearningRateSchedule(Settings, Plan.StepsPerEpoch);
        for (long s = 0; s < checkpoint.Step; s++) _schedule.AfterStep();
        AppliedStep = checkpoint.Step;
        TakeEpochMetrics();
        if (checkpoint.Selection is { } m)
            _selection.Restore(m.BestEpoch, m.BestUar, m.BestLoss, m.EpochsWithoutGain, m.BestState, CompletedEpochs); // a stopped run stays stopped
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        Trainer.Dispose();
    }
}
