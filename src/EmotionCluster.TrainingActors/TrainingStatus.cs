using System.Diagnostics.Metrics;
using EmotionCluster.Management;
using EmotionCluster.Metrics;

namespace EmotionCluster.TrainingActors;

/// <summary>
/// The latest training state seen by this node (its own trainer, or the coordinator's <see cref="TrainingProgress"/>
/// and <see cref="EpochMetrics"/> from DistributedPubSub) and the cluster's training runs (the
/// <see cref="TrainingCoordinator"/>'s <see cref="TrainingRunUpdate"/>s and its answer to <see cref="GetTrainingRuns"/>,
/// with each run's latest step): what <c>GET /api/train/status</c> and <c>ctl train status</c> show, on any node.
/// </summary>
public sealed class TrainingStatusBoard : ITrainingStatusSource
{
    private readonly Lock _gate = new();
    private string _state = "idle";
    private string? _runId, _message;
    private int? _epoch, _maxEpochs;
    private double? _trainLoss, _validationLoss, _validationUar;
    private DateTimeOffset? _startedAt;
    private DateTimeOffset _updatedAt = DateTimeOffset.UtcNow;
    private readonly Dictionary<string, TrainingRunStatus> _runs = new();

    /// <summary>How many runs <see cref="Runs"/> keeps (the most recently updated).</summary>
    public const int MaxRuns = 50;

    public TrainingProgress? LastProgress { get; private set; }
    public EpochMetrics? LastEpoch { get; private set; }

    public void SetState(string newState, string? run, string? text)
    {
        lock (_gate)
        {
            if (run is not null && run != _runId) Reset(run);
            if (newState == "running" && _state != "running") _startedAt ??= DateTimeOffset.UtcNow;
            _state = newState;
            _message = text;
            _updatedAt = DateTimeOffset.UtcNow;
        }
    }

    public void Report(TrainingProgress p)
    {
        lock (_gate)
        {
            // The coordinator reports its own progress and also receives it back through DistributedPubSub; a report
            // not newer than the last one must not overwrite what came after it (e.g. the run's end).
            Track(p);
            if (p.RunId == _runId && LastProgress is { } last && p.Step <= last.Step) return;
            if (p.RunId != _runId) Reset(p.RunId);
            if (_state is "idle" or "loading") _state = "running";
            _startedAt ??= p.At;
            LastProgress = p;
            _epoch = p.Epoch;
            _maxEpochs = p.MaxEpochs;
            if (double.IsFinite(p.Loss)) _trainLoss = p.Loss;
            _message = $"step {p.Step}/{p.TotalSteps}, {p.Replicas} replica(s), {p.SamplesPerSecond:F1} samples/s (coordinator {p.Node})";
            if (p.Step >= p.TotalSteps) _state = "finished";
            _updatedAt = DateTimeOffset.UtcNow;
        }
    }

    public void Report(EpochMetrics m)
    {
        lock (_gate)
        {
            if (m.RunId != _runId) Reset(m.RunId);
            LastEpoch = m;
            _trainLoss = m.TrainLoss;
            _validationLoss = m.ValidationLoss;
            _validationUar = m.ValidationUar;
            _updatedAt = DateTimeOffset.UtcNow;
        }
    }

    /// <summary>A run's change as the training coordinator publishes it (or answers it): state, coordinator, participants.</summary>
    public void Report(TrainingRunUpdate u)
    {
        lock (_gate)
        {
            var known = _runs.GetValueOrDefault(u.RunId);
            _runs[u.RunId] = new TrainingRunStatus(u.RunId, u.State, u.Coordinator, u.Participants, u.Detail == "" ? null : u.Detail,
                known?.Epoch, known?.MaxEpochs, known?.Step, known?.TotalSteps, DateTimeOffset.UtcNow);
            Trim();
        }
    }

    /// <summary>The training coordinator's answer to <see cref="GetTrainingRuns"/>: every run it knows.</summary>
    public void Report(TrainingRuns answer)
    {
        foreach (var u in answer.Runs) Report(u);
    }

    /// <summary>The cluster's training runs this node knows, the most recently updated first.</summary>
    public IReadOnlyList<TrainingRunStatus> Runs
    {
        get
        {
            lock (_gate) return OrderedRuns();
        }
    }

    // under _gate: the most recently updated first
    private List<TrainingRunStatus> OrderedRuns() =>
        _runs.Values.OrderByDescending(r => r.UpdatedAt).ThenBy(r => r.RunId, StringComparer.Ordinal).ToList();

    // under _gate: a step of a run (the coordinator's progress) updates its entry; a run not announced by the training
    // coordinator (e.g. the CLI's own job) is listed from its progress alone
    private void Track(TrainingProgress p)
    {
        var known = _runs.GetValueOrDefault(p.RunId);
        if (known?.Step is { } step && p.Step <= step) return;
        string state = p.Step >= p.TotalSteps && known?.State is null or RunStates.Running ? "finished" : known?.State ?? RunStates.Running;
        _runs[p.RunId] = new TrainingRunStatus(p.RunId, state, known?.Coordinator ?? p.Node, known?.Participants ?? [p.Node], known?.Detail,
            p.Epoch, p.MaxEpochs, p.Step, p.TotalSteps, DateTimeOffset.UtcNow);
        Trim();
    }

    private void Trim()
    {
        if (_runs.Count <= MaxRuns) return;
        foreach (var old in _runs.Values.OrderByDescending(r => r.UpdatedAt).Skip(MaxRuns).ToList()) _runs.Remove(old.RunId);
    }

    private void Reset(string run)
    {
        _runId = run;
        _epoch = _maxEpochs = null;
        _trainLoss = _validationLoss = _validationUar = null;
        _startedAt = null;
        LastProgress = null;
        LastEpoch = null;
    }

    public TrainingStatus Current
    {
        get
        {
            lock (_gate)
                return new TrainingStatus(_state, _runId, 1, 1, _epoch, _maxEpochs, _trainLoss, _validationLoss, _validationUar, _startedAt, _updatedAt, _message,
                    OrderedRuns());
        }
    }

    public Task<TrainingStatus> GetStatusAsync(CancellationToken cancellationToken) => Task.FromResult(Current);
}

/// <summary>
/// Where the coordinator sends a run's evaluation, without waiting: the run's start, every epoch's metrics (with the
/// validation report when there is a validation set) and the end. E.g. the evaluator actor
/// (<c>RecordEpoch.FromReport(m.RunId, m.Epoch, m.TrainLoss, m.ValidationLoss, report)</c>).
/// </summary>
public interface IEvaluationSink
{
    /// <param name="description">What the run is (recipe hash, corpus, split, seed, trainer nodes, replicas).</param>
    void RunStarted(string runId, string settingsJson, string[] labels, EmotionCluster.Evaluator.RunDescription? description);
    void EpochEvaluated(EpochMetrics metrics, ClassificationReport? validation);
    /// <param name="test">The held-out test clips scored with the final (best) model; null without test clips.</param>
    void RunCompleted(string runId, int? bestEpoch, ClassificationReport? test);

    /// <summary>
    /// The sink for one run whose run actor is <paramref name="context"/>: a sink that must not lose records keeps what
    /// is not yet acknowledged in <paramref name="directory"/> (beside the run's checkpoint) and re-sends it when the run
    /// resumes. By default the sink itself.
    /// </summary>
    IEvaluationSink ForRun(Akka.Actor.IUntypedActorContext context, string directory) => this;

    /// <summary>Records given to this sink that the journal has not acknowledged yet (0 for a sink that does not track them).</summary>
    int PendingRecords => 0;
}

/// <summary>
/// Instruments of the trainer (meter <see cref="MeterName"/>). Names are relative to the meter: the node's /metrics
/// exports them as <c>emotioncluster_training_{name}</c>, e.g. <c>emotioncluster_training_steps</c>,
/// <c>emotioncluster_training_step_duration</c> (histogram, seconds), <c>emotioncluster_training_loss</c> (gauge).
/// </summary>
public static class TrainingMetrics
{
    public const string MeterName = "EmotionCluster.Training"; // the metrics are emotioncluster_training_* (dashboards, docs/operations.md): not renamed with the project
    /// <summary>Tag of <see cref="StepDuration"/>: which side of the step this trainer was.</summary>
    public const string CoordinatorRole = "coordinator", ReplicaRole = "replica";

    public static readonly Meter Meter = new(MeterName);
    public static readonly Counter<long> Steps = Meter.CreateCounter<long>("steps", "{step}", "Global steps applied by this trainer");
    public static readonly Counter<long> Samples = Meter.CreateCounter<long>("samples", "{example}", "Examples in the applied steps");
    public static readonly Counter<long> DroppedReplicas = Meter.CreateCounter<long>("dropped_replicas", "{replica}",
        "Replica contributions dropped (died, stalled or out of sync)");
    public static readonly Histogram<double> AllReduceMilliseconds = Meter.CreateHistogram<double>("allreduce_ms", "ms",
        "Coordinator: from its own gradients to the reduced step");
    public static readonly Counter<long> AllReduceBytes = Meter.CreateCounter<long>("allreduce_bytes", "By", "Gradient bytes sent and received by this trainer");

    /// <summary>
    /// Time of one global step on this trainer, tagged <c>role</c>: the coordinator from sending the step's start to
    /// having applied the averaged update (its own gradients, the all-reduce and the update), a replica from receiving
    /// the step's start to having applied it. Epoch-end validation is not included.
    /// </summary>
    public static readonly Histogram<double> StepDuration = Meter.CreateHistogram<double>("step.duration", "s",
        "Time of one global step on this trainer (compute, all-reduce, update), by role");

    private static double LastLoss = double.NaN, LastValidationLoss = double.NaN, LastValidationUar = double.NaN;

    /// <summary>Mean training loss of the latest step applied on this trainer (the same on every replica of the step).</summary>
    public static readonly ObservableGauge<double> Loss = Meter.CreateObservableGauge("loss", () => Observe(ref LastLoss),
        description: "Training loss of the latest global step applied by this trainer");

    /// <summary>Validation loss and UAR at the latest epoch end (coordinator, when the run has a validation set).</summary>
    public static readonly ObservableGauge<double> ValidationLoss = Meter.CreateObservableGauge("validation_loss", () => Observe(ref LastValidationLoss),
        description: "Validation loss at the latest epoch end (coordinator)");
    public static readonly ObservableGauge<double> ValidationUar = Meter.CreateObservableGauge("validation_uar", () => Observe(ref LastValidationUar),
        description: "Validation unweighted average recall at the latest epoch end (coordinator)");

    /// <summary>A step was applied: counts it and its examples, and keeps its loss for <see cref="Loss"/>.</summary>
    public static void StepApplied(long samples, double loss)
    {
        Steps.Add(1);
        Samples.Add(samples);
        if (double.IsFinite(loss)) Volatile.Write(ref LastLoss, loss);
    }

    /// <summary>Records one step's duration (see <see cref="StepDuration"/>).</summary>
    public static void StepTook(TimeSpan duration, bool coordinator) =>
        StepDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("role", coordinator ? CoordinatorRole : ReplicaRole));

    /// <summary>An epoch was validated on the coordinator.</summary>
    public static void EpochEvaluated(EpochMetrics m)
    {
        if (m.ValidationLoss is { } l && double.IsFinite(l)) Volatile.Write(ref LastValidationLoss, l);
        if (m.ValidationUar is { } u && double.IsFinite(u)) Volatile.Write(ref LastValidationUar, u);
    }

    /// <summary>No measurement until a value was set (a gauge of NaN would be exported as a value).</summary>
    private static IEnumerable<Measurement<double>> Observe(ref double field)
    {
        double v = Volatile.Read(ref field);
        return double.IsNaN(v) ? [] : [new Measurement<double>(v)];
    }
}
