using System.Diagnostics.Metrics;
using EmotionCluster.Evaluation;
using EmotionCluster.Management;

namespace EmotionCluster.Training;

/// <summary>
/// The latest training state seen by this node (its own trainer, or the coordinator's <see cref="TrainingProgress"/>
/// and <see cref="EpochMetrics"/> from DistributedPubSub): what <c>GET /api/train/status</c> and <c>ctl train status</c> show.
/// </summary>
public sealed class TrainingStatusBoard : ITrainingStatusSource
{
    private readonly Lock gate = new();
    private string state = "idle";
    private string? runId, message;
    private int? epoch, maxEpochs;
    private double? trainLoss, validationLoss, validationUar;
    private DateTimeOffset? startedAt;
    private DateTimeOffset updatedAt = DateTimeOffset.UtcNow;

    public TrainingProgress? LastProgress { get; private set; }
    public EpochMetrics? LastEpoch { get; private set; }

    public void SetState(string newState, string? run, string? text)
    {
        lock (gate)
        {
            if (run is not null && run != runId) Reset(run);
            if (newState == "running" && state != "running") startedAt ??= DateTimeOffset.UtcNow;
            state = newState;
            message = text;
            updatedAt = DateTimeOffset.UtcNow;
        }
    }

    public void Report(TrainingProgress p)
    {
        lock (gate)
        {
            if (p.RunId != runId) Reset(p.RunId);
            if (state is "idle" or "loading") state = "running";
            startedAt ??= p.At;
            LastProgress = p;
            epoch = p.Epoch;
            maxEpochs = p.MaxEpochs;
            if (double.IsFinite(p.Loss)) trainLoss = p.Loss;
            message = $"step {p.Step}/{p.TotalSteps}, {p.Replicas} replica(s), {p.SamplesPerSecond:F1} samples/s (coordinator {p.Node})";
            if (p.Step >= p.TotalSteps) state = "finished";
            updatedAt = DateTimeOffset.UtcNow;
        }
    }

    public void Report(EpochMetrics m)
    {
        lock (gate)
        {
            if (m.RunId != runId) Reset(m.RunId);
            LastEpoch = m;
            trainLoss = m.TrainLoss;
            validationLoss = m.ValidationLoss;
            validationUar = m.ValidationUar;
            updatedAt = DateTimeOffset.UtcNow;
        }
    }

    private void Reset(string run)
    {
        runId = run;
        epoch = maxEpochs = null;
        trainLoss = validationLoss = validationUar = null;
        startedAt = null;
        LastProgress = null;
        LastEpoch = null;
    }

    public TrainingStatus Current
    {
        get
        {
            lock (gate)
                return new TrainingStatus(state, runId, 1, 1, epoch, maxEpochs, trainLoss, validationLoss, validationUar, startedAt, updatedAt, message);
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
    void RunStarted(string runId, string settingsJson, string[] labels);
    void EpochEvaluated(EpochMetrics metrics, ClassificationReport? validation);
    void RunCompleted(string runId, int? bestEpoch);
}

/// <summary>Instruments of the trainer (meter <c>EmotionCluster.Training</c>).</summary>
public static class TrainingMetrics
{
    public static readonly Meter Meter = new("EmotionCluster.Training");
    public static readonly Counter<long> Steps = Meter.CreateCounter<long>("emotioncluster_training_steps", description: "global steps applied by this trainer");
    public static readonly Counter<long> Samples = Meter.CreateCounter<long>("emotioncluster_training_samples", description: "examples in the applied steps");
    public static readonly Counter<long> DroppedReplicas = Meter.CreateCounter<long>("emotioncluster_training_dropped_replicas", description: "replica contributions dropped (died, stalled or out of sync)");
    public static readonly Histogram<double> AllReduceMilliseconds = Meter.CreateHistogram<double>("emotioncluster_training_allreduce_ms", "ms", "coordinator: from its own gradients to the reduced step");
    public static readonly Counter<long> AllReduceBytes = Meter.CreateCounter<long>("emotioncluster_training_allreduce_bytes", "By", "gradient bytes sent and received by this trainer");
}
