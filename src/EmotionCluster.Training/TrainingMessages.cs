using EmotionCluster.Cluster;

namespace EmotionCluster.Training;

/// <summary>A message of one training run; trainers ignore (and log) messages of another run.</summary>
public interface IWithTrainingRunId
{
    string RunId { get; }
}

/// <summary>Every training message that crosses the wire; bound to <see cref="EmotionClusterSerializer"/> by <see cref="TrainingMessages.Register"/>.</summary>
public interface ITrainingMessage : IWithTrainingRunId, IEmotionClusterMessage;

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

/// <summary>Binary wire format of the training messages (manifests "TR…"), registered with <see cref="EmotionClusterSerializer"/>.</summary>
public static class TrainingMessages
{
    private static int registered;

    public static void Register()
    {
        if (Interlocked.Exchange(ref registered, 1) == 1) return;
        EmotionClusterSerializer.Register<ReplicaReady>("TRR", (w, m) => { w.Write(m.RunId); w.Write(m.AppliedStep); w.Write(m.Node); },
            r => new ReplicaReady(r.ReadString(), r.ReadInt64(), r.ReadString()));
        EmotionClusterSerializer.Register<StepStart>("TRS", (w, m) => { w.Write(m.RunId); w.Write(m.Step); w.Write(m.Rank); w.Write(m.Replicas); },
            r => new StepStart(r.ReadString(), r.ReadInt64(), r.ReadInt32(), r.ReadInt32()));
        EmotionClusterSerializer.Register<GradientFrame>("TRF",
            (w, m) => { w.Write(m.RunId); w.Write(m.Step); w.Write(m.Rank); w.Write(m.Index); w.Write(m.Count); w.Write(m.TotalValues); EmotionClusterSerializer.WriteBytes(w, m.Bytes); },
            r => new GradientFrame(r.ReadString(), r.ReadInt64(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), EmotionClusterSerializer.ReadBytes(r)));
        EmotionClusterSerializer.Register<GradientContributed>("TRG",
            (w, m) => { w.Write(m.RunId); w.Write(m.Step); w.Write(m.Rank); w.Write(m.Weight); w.Write(m.LossSum); w.Write(m.Correct); w.Write(m.Samples); },
            r => new GradientContributed(r.ReadString(), r.ReadInt64(), r.ReadInt32(), r.ReadDouble(), r.ReadDouble(), r.ReadInt32(), r.ReadInt32()));
        EmotionClusterSerializer.Register<StepCompleted>("TRC",
            (w, m) =>
            {
                w.Write(m.RunId); w.Write(m.Step); w.Write(m.Update); WriteInts(w, m.Contributors); WriteInts(w, m.Dropped);
                w.Write(m.Weight); w.Write(m.Loss); w.Write(m.Correct); w.Write(m.Samples);
            },
            r => new StepCompleted(r.ReadString(), r.ReadInt64(), r.ReadBoolean(), ReadInts(r), ReadInts(r), r.ReadDouble(), r.ReadDouble(), r.ReadInt32(), r.ReadInt32()));
        EmotionClusterSerializer.Register<NeedState>("TRN", (w, m) => { w.Write(m.RunId); w.Write(m.Step); w.Write(m.AppliedStep); w.Write(m.Node); },
            r => new NeedState(r.ReadString(), r.ReadInt64(), r.ReadInt64(), r.ReadString()));
        EmotionClusterSerializer.Register<StateSnapshot>("TRX", (w, m) => { w.Write(m.RunId); w.Write(m.Step); w.Write(m.TransferId); },
            r => new StateSnapshot(r.ReadString(), r.ReadInt64(), r.ReadString()));
        EmotionClusterSerializer.Register<TrainFold>("TRJ", (w, m) => { w.Write(m.RunId); w.Write(m.ManifestPath); w.Write(m.ModelOutput); w.Write(m.CheckpointDirectory); },
            r => new TrainFold(r.ReadString(), r.ReadString(), r.ReadString(), r.ReadString()));
        EmotionClusterSerializer.Register<TrainReplicated>("TRM",
            (w, m) =>
            {
                w.Write(m.RunId); w.Write(m.ManifestPath); w.Write(m.ModelOutput); w.Write(m.CheckpointDirectory);
                w.Write(m.Participants.Length);
                foreach (string p in m.Participants) w.Write(p);
            },
            r =>
            {
                string runId = r.ReadString(), manifest = r.ReadString(), model = r.ReadString(), checkpoints = r.ReadString();
                int n = r.ReadInt32();
                if (n < 0 || n > 10_000) throw new FormatException($"participant count {n} is out of range");
                var participants = new string[n];
                for (int i = 0; i < n; i++) participants[i] = r.ReadString();
                return new TrainReplicated(runId, manifest, model, checkpoints, participants);
            });
        EmotionClusterSerializer.Register<FoldTrained>("TRK",
            (w, m) => { w.Write(m.RunId); w.Write(m.ModelPath ?? ""); w.Write(m.BestEpoch); w.Write(m.EpochsRun); w.Write(m.StoppedEarly); },
            r => new FoldTrained(r.ReadString(), r.ReadString() is { Length: > 0 } path ? path : null, r.ReadInt32(), r.ReadInt32(), r.ReadBoolean()));
        EmotionClusterSerializer.Register<FoldFailed>("TRL", (w, m) => { w.Write(m.RunId); w.Write(m.Reason); }, r => new FoldFailed(r.ReadString(), r.ReadString()));
        EmotionClusterSerializer.Register<TrainingFinished>("TRD", (w, m) => { w.Write(m.RunId); w.Write(m.Steps); w.Write(m.Epochs); },
            r => new TrainingFinished(r.ReadString(), r.ReadInt64(), r.ReadInt32()));
        EmotionClusterSerializer.Register<TrainingProgress>("TRP",
            (w, m) =>
            {
                w.Write(m.RunId); w.Write(m.Epoch); w.Write(m.MaxEpochs); w.Write(m.Step); w.Write(m.TotalSteps); w.Write(m.Loss);
                w.Write(m.SamplesPerSecond); w.Write(m.Replicas); w.Write(m.Node); w.Write(m.At.ToUnixTimeMilliseconds());
            },
            r => new TrainingProgress(r.ReadString(), r.ReadInt32(), r.ReadInt32(), r.ReadInt64(), r.ReadInt64(), r.ReadDouble(), r.ReadDouble(),
                r.ReadInt32(), r.ReadString(), DateTimeOffset.FromUnixTimeMilliseconds(r.ReadInt64())));
        EmotionClusterSerializer.Register<EpochMetrics>("TRE",
            (w, m) =>
            {
                w.Write(m.RunId); w.Write(m.Epoch); w.Write(m.TrainLoss); w.Write(m.TrainAccuracy);
                WriteNullable(w, m.ValidationLoss); WriteNullable(w, m.ValidationAccuracy); WriteNullable(w, m.ValidationUar); w.Write(m.Replicas);
                w.Write(m.LearningRate); w.Write(m.Seconds); w.Write(m.IsBest);
            },
            r => new EpochMetrics(r.ReadString(), r.ReadInt32(), r.ReadDouble(), r.ReadDouble(), ReadNullable(r), ReadNullable(r), ReadNullable(r), r.ReadInt32())
            {
                LearningRate = r.ReadDouble(), Seconds = r.ReadDouble(), IsBest = r.ReadBoolean(),
            });
        RegisterCoordination();
    }

    /// <summary>The training coordinator's messages (<see cref="TrainingCoordinator"/>), manifests "TRA"…"TRZ".</summary>
    private static void RegisterCoordination()
    {
        EmotionClusterSerializer.Register<SubmitDataParallelRun>("TRB",
            (w, m) =>
            {
                w.Write(m.RunId); w.Write(m.ManifestPath); w.Write(m.ModelOutput); w.Write(m.CheckpointDirectory); w.Write(m.Replicas);
                WriteStrings(w, m.Exclude); WriteStrings(w, m.Participants);
            },
            r => new SubmitDataParallelRun(r.ReadString(), r.ReadString(), r.ReadString(), r.ReadString(), r.ReadInt32(), ReadStrings(r), ReadStrings(r)));
        EmotionClusterSerializer.Register<DataParallelRunAccepted>("TRH", (w, m) => { w.Write(m.RunId); w.Write(m.Coordinator); WriteStrings(w, m.Participants); },
            r => new DataParallelRunAccepted(r.ReadString(), r.ReadString(), ReadStrings(r)));
        EmotionClusterSerializer.Register<DataParallelRunCompleted>("TRI",
            (w, m) =>
            {
                w.Write(m.RunId); w.Write(m.ModelPath ?? ""); w.Write(m.BestEpoch); w.Write(m.EpochsRun); w.Write(m.StoppedEarly);
                w.Write(m.StepCoordinator); WriteStrings(w, m.Participants);
            },
            r => new DataParallelRunCompleted(r.ReadString(), r.ReadString() is { Length: > 0 } path ? path : null, r.ReadInt32(), r.ReadInt32(), r.ReadBoolean(),
                r.ReadString(), ReadStrings(r)));
        EmotionClusterSerializer.Register<DataParallelRunFailed>("TRO", (w, m) => { w.Write(m.RunId); w.Write(m.Reason); },
            r => new DataParallelRunFailed(r.ReadString(), r.ReadString()));
        EmotionClusterSerializer.Register<JobAccepted>("TRA", (w, m) => { w.Write(m.RunId); w.Write(m.Node); }, r => new JobAccepted(r.ReadString(), r.ReadString()));
        EmotionClusterSerializer.Register<CancelRun>("TRQ", (w, m) => { w.Write(m.RunId); w.Write(m.Reason); }, r => new CancelRun(r.ReadString(), r.ReadString()));
        EmotionClusterSerializer.Register<TrainingRunUpdate>("TRW",
            (w, m) => { w.Write(m.RunId); w.Write(m.State); w.Write(m.Coordinator); WriteStrings(w, m.Participants); w.Write(m.Detail); },
            r => new TrainingRunUpdate(r.ReadString(), r.ReadString(), r.ReadString(), ReadStrings(r), r.ReadString()));
        EmotionClusterSerializer.Register<GetTrainingRuns>("TRY", (w, m) => w.Write(m.RunId), r => new GetTrainingRuns(r.ReadString()));
        EmotionClusterSerializer.Register<TrainingRuns>("TRZ",
            (w, m) =>
            {
                w.Write(m.RunId); w.Write(m.Coordinator); w.Write(m.Runs.Length);
                foreach (var u in m.Runs) { w.Write(u.RunId); w.Write(u.State); w.Write(u.Coordinator); WriteStrings(w, u.Participants); w.Write(u.Detail); }
            },
            r =>
            {
                string runId = r.ReadString(), coordinator = r.ReadString();
                int n = r.ReadInt32();
                if (n < 0 || n > 10_000) throw new FormatException($"run count {n} is out of range");
                var runs = new TrainingRunUpdate[n];
                for (int i = 0; i < n; i++) runs[i] = new TrainingRunUpdate(r.ReadString(), r.ReadString(), r.ReadString(), ReadStrings(r), r.ReadString());
                return new TrainingRuns(runId, coordinator, runs);
            });
    }

    private static void WriteStrings(BinaryWriter w, string[] values)
    {
        w.Write(values.Length);
        foreach (string v in values) w.Write(v);
    }

    private static string[] ReadStrings(BinaryReader r)
    {
        int n = r.ReadInt32();
        if (n < 0 || n > 10_000) throw new FormatException($"string count {n} is out of range");
        var values = new string[n];
        for (int i = 0; i < n; i++) values[i] = r.ReadString();
        return values;
    }

    private static void WriteInts(BinaryWriter w, int[] values)
    {
        w.Write(values.Length);
        foreach (int v in values) w.Write(v);
    }

    private static int[] ReadInts(BinaryReader r)
    {
        int n = r.ReadInt32();
        if (n < 0 || (long)n * 4 > r.BaseStream.Length - r.BaseStream.Position) throw new FormatException($"int array length {n} exceeds the message");
        var values = new int[n];
        for (int i = 0; i < n; i++) values[i] = r.ReadInt32();
        return values;
    }

    private static void WriteNullable(BinaryWriter w, double? v)
    {
        w.Write(v.HasValue);
        if (v.HasValue) w.Write(v.Value);
    }

    private static double? ReadNullable(BinaryReader r) => r.ReadBoolean() ? r.ReadDouble() : null;
}
