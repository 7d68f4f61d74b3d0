using EmotionCluster.Hosting;

namespace EmotionCluster.TrainingActors;

/// <summary>A message of one training run; trainers ignore (and log) messages of another run.</summary>
public interface IWithTrainingRunId
{
    string RunId { get; }
}

/// <summary>Every training message that crosses the wire; each is in <see cref="TrainingWire.Protocol"/> (serializer <see cref="TrainingSerializer"/>).</summary>
public interface ITrainingMessage : IWithTrainingRunId;

/// <summary>Replica → coordinator: "I am ready to take steps; my state is at <see cref="AppliedStep"/>". Repeated while idle.</summary>
public sealed record ReplicaReady(string RunId, long AppliedStep, string Node) : ITrainingMessage;

/// <summary>Coordinator → replica: compute global step <see cref="Step"/> as rank <see cref="Rank"/> of <see cref="Replicas"/>.</summary>
public sealed record StepStart(string RunId, long Step, int Rank, int Replicas) : ITrainingMessage;

/// <summary>
/// Part of a float vector: a replica's contribution (its rank) or the coordinator's averaged result
/// (<see cref="GradientFrameAssembler.ResultRank"/>). At most 16,000 floats, so a frame stays under 64 kB.
/// </summary>
public sealed record GradientFrame(string RunId, long Step, int Rank, int Index, int Count, int TotalValues, byte[] Bytes) : ITrainingMessage;

/// <summary>Replica → coordinator, after its frames: the weight and loss statistics of its slice.</summary>
public sealed record GradientContributed(string RunId, long Step, int Rank, double Weight, double LossSum, int Correct, int Samples) : ITrainingMessage;

/// <summary>
/// Coordinator → replicas, after the result frames: apply step <see cref="Step"/> (<see cref="Update"/> false: nobody
/// contributed, count the step without an update). Also sent to replicas dropped from the step.
/// </summary>
public sealed record StepCompleted(string RunId, long Step, bool Update, int[] Contributors, int[] Dropped, double Weight, double Loss, int Correct, int Samples)
    : ITrainingMessage;

/// <summary>Replica → coordinator: my state (<see cref="AppliedStep"/>) does not precede <see cref="Step"/>; send me yours.</summary>
public sealed record NeedState(string RunId, long Step, long AppliedStep, string Node) : ITrainingMessage;

/// <summary>
/// Coordinator → replica, after the <see cref="DataChunk"/>s of transfer <see cref="TransferId"/>: a
/// <see cref="TrainingCheckpoint"/> at <see cref="Step"/> to continue from.
/// </summary>
public sealed record StateSnapshot(string RunId, long Step, string TransferId) : ITrainingMessage;

/// <summary>Coordinator → replicas: the run's last step was applied.</summary>
public sealed record TrainingFinished(string RunId, long Steps, int Epochs) : ITrainingMessage;

/// <summary>Published by the coordinator on the DistributedPubSub topic <see cref="TrainingTopics.Progress"/> after every step.</summary>
public sealed record TrainingProgress(
    string RunId,
    int Epoch,
    int MaxEpochs,
    long Step,
    long TotalSteps,
    double Loss,
    double SamplesPerSecond,
    int Replicas,
    string Node,
    DateTimeOffset At) : ITrainingMessage;

/// <summary>Published on <see cref="TrainingTopics.Evaluation"/> at the end of every epoch (see <see cref="IEvaluationSink"/>).</summary>
public sealed record EpochMetrics(
    string RunId,
    int Epoch,
    double TrainLoss,
    double TrainAccuracy,
    double? ValidationLoss,
    double? ValidationAccuracy,
    double? ValidationUar,
    int Replicas) : ITrainingMessage
{
    /// <summary>The learning rate of the epoch's first step.</summary>
    public double LearningRate { get; init; }
    /// <summary>Wall-clock seconds of the epoch (its steps and validation).</summary>
    public double Seconds { get; init; }
    /// <summary>This epoch is the best so far by the recipe's model selection (validation UAR, ties: lower loss).</summary>
    public bool IsBest { get; init; }
}

/// <summary>
/// A fold dispatcher (the CLI's fold-parallel cross-validation) → a trainer node's <see cref="TrainerActor"/>: train the
/// manifest at <see cref="ManifestPath"/> (features from that node's store) alone as run <see cref="RunId"/>, write the
/// model and checkpoints where given (a disk the dispatcher reads: the same machine or a shared volume). Answered with
/// <see cref="FoldTrained"/> or <see cref="FoldFailed"/>.
/// </summary>
public sealed record TrainFold(string RunId, string ManifestPath, string ModelOutput, string CheckpointDirectory) : ITrainingMessage;

/// <summary>
/// A data-parallel dispatcher (the CLI's <c>--trainers N</c>) → each of the <see cref="Participants"/> (trainer node
/// addresses): train the manifest at <see cref="ManifestPath"/> together, data-parallel, as run <see cref="RunId"/>. The
/// oldest participant coordinates and waits for all of them (or the node's start timeout); each keeps its checkpoints in
/// its own folder below <see cref="CheckpointDirectory"/>; the coordinator writes <see cref="ModelOutput"/>. Every
/// participant answers <see cref="FoldTrained"/> when the run ends (only the coordinator's carries the model path) or
/// <see cref="FoldFailed"/>.
/// </summary>
public sealed record TrainReplicated(string RunId, string ManifestPath, string ModelOutput, string CheckpointDirectory, string[] Participants) : ITrainingMessage;

/// <summary>Trainer → fold dispatcher: the fold's run ended; its model (best validation epoch) is at <see cref="ModelPath"/>.</summary>
public sealed record FoldTrained(string RunId, string? ModelPath, int BestEpoch, int EpochsRun, bool StoppedEarly) : ITrainingMessage;

/// <summary>Trainer → fold dispatcher: the fold could not be trained here (<see cref="TrainerActor.Busy"/>: another run is live).</summary>
public sealed record FoldFailed(string RunId, string Reason) : ITrainingMessage;

public static class TrainingTopics
{
    public const string Progress = "training-progress";
    public const string Evaluation = "training-evaluation";
    /// <summary>The <see cref="TrainingCoordinator"/>'s <see cref="TrainingRunUpdate"/>s: which runs exist, on which nodes, how they ended.</summary>
    public const string Runs = "training-runs";
}
