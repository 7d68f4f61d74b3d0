using Akka.Actor;
using EmotionCluster.Wire;

namespace EmotionCluster.TrainingActors;

/// <summary>
/// The wire format of the training messages (<see cref="ITrainingMessage"/>). Until the table was versioned they
/// travelled under the cluster serializer as <c>TR…</c> manifests; those manifests are still read (same layouts), under
/// this serializer's id.
/// </summary>
public static class TrainingWire
{
    public static readonly WireProtocol Protocol = WireProtocol.Define("training", TrainingSerializer.SerializerId, typeof(ITrainingMessage))
        .Serializer(system => new TrainingSerializer(system))
        .Message<ReplicaReady>("ReplicaReady", 1, (w, m) => { w.Write(m.RunId); w.Write(m.AppliedStep); w.Write(m.Node); }, ReadReplicaReady)
        .Message<StepStart>("StepStart", 1, (w, m) => { w.Write(m.RunId); w.Write(m.Step); w.Write(m.Rank); w.Write(m.Replicas); }, ReadStepStart)
        .Message<GradientFrame>("GradientFrame", 1,
            (w, m) => { w.Write(m.RunId); w.Write(m.Step); w.Write(m.Rank); w.Write(m.Index); w.Write(m.Count); w.Write(m.TotalValues); w.WriteBytes(m.Bytes); },
            ReadGradientFrame)
        .Message<GradientContributed>("GradientContributed", 1,
            (w, m) => { w.Write(m.RunId); w.Write(m.Step); w.Write(m.Rank); w.Write(m.Weight); w.Write(m.LossSum); w.Write(m.Correct); w.Write(m.Samples); },
            ReadGradientContributed)
        .Message<StepCompleted>("StepCompleted", 1, WriteStepCompleted, ReadStepCompleted)
        .Message<NeedState>("NeedState", 1, (w, m) => { w.Write(m.RunId); w.Write(m.Step); w.Write(m.AppliedStep); w.Write(m.Node); }, ReadNeedState)
        .Message<StateSnapshot>("StateSnapshot", 1, (w, m) => { w.Write(m.RunId); w.Write(m.Step); w.Write(m.TransferId); }, ReadStateSnapshot)
        .Message<TrainFold>("TrainFold", 1, (w, m) => { w.Write(m.RunId); w.Write(m.ManifestPath); w.Write(m.ModelOutput); w.Write(m.CheckpointDirectory); }, ReadTrainFold)
        .Message<TrainReplicated>("TrainReplicated", 1,
            (w, m) => { w.Write(m.RunId); w.Write(m.ManifestPath); w.Write(m.ModelOutput); w.Write(m.CheckpointDirectory); w.WriteStrings(m.Participants); },
            ReadTrainReplicated)
        .Message<FoldTrained>("FoldTrained", 1,
            (w, m) => { w.Write(m.RunId); w.Write(m.ModelPath ?? ""); w.Write(m.BestEpoch); w.Write(m.EpochsRun); w.Write(m.StoppedEarly); },
            ReadFoldTrained)
        .Message<FoldFailed>("FoldFailed", 1, (w, m) => { w.Write(m.RunId); w.Write(m.Reason); }, ReadFoldFailed)
        .Message<TrainingFinished>("TrainingFinished", 1, (w, m) => { w.Write(m.RunId); w.Write(m.Steps); w.Write(m.Epochs); }, ReadTrainingFinished)
        .Message<TrainingProgress>("TrainingProgress", 1, WriteProgress, ReadProgress)
        .Message<EpochMetrics>("EpochMetrics", 1, WriteEpochMetrics, ReadEpochMetrics)
        // the training coordinator's (TrainingCoordinator)
        .Message<SubmitDataParallelRun>("SubmitDataParallelRun", 1,
            (w, m) =>
            {
                w.Write(m.RunId); w.Write(m.ManifestPath); w.Write(m.ModelOutput); w.Write(m.CheckpointDirectory); w.Write(m.Replicas);
                w.WriteStrings(m.Exclude); w.WriteStrings(m.Participants);
            },
            r => new SubmitDataParallelRun(r.ReadString(), r.ReadString(), r.ReadString(), r.ReadString(), r.ReadInt32(), r.ReadStrings(), r.ReadStrings()))
        .Message<DataParallelRunAccepted>("DataParallelRunAccepted", 1, (w, m) => { w.Write(m.RunId); w.Write(m.Coordinator); w.WriteStrings(m.Participants); },
            r => new DataParallelRunAccepted(r.ReadString(), r.ReadString(), r.ReadStrings()))
        .Message<DataParallelRunCompleted>("DataParallelRunCompleted", 1,
            (w, m) =>
            {
                w.Write(m.RunId); w.Write(m.ModelPath ?? ""); w.Write(m.BestEpoch); w.Write(m.EpochsRun); w.Write(m.StoppedEarly);
                w.Write(m.StepCoordinator); w.WriteStrings(m.Participants);
            },
            r => new DataParallelRunCompleted(r.ReadString(), r.ReadString() is { Length: > 0 } path ? path : null, r.ReadInt32(), r.ReadInt32(), r.ReadBoolean(),
                r.ReadString(), r.ReadStrings()))
        .Message<DataParallelRunFailed>("DataParallelRunFailed", 1, (w, m) => { w.Write(m.RunId); w.Write(m.Reason); }, r => new DataParallelRunFailed(r.ReadString(), r.ReadString()))
        .Message<JobAccepted>("JobAccepted", 1, (w, m) => { w.Write(m.RunId); w.Write(m.Node); }, r => new JobAccepted(r.ReadString(), r.ReadString()))
        .Message<CancelRun>("CancelRun", 1, (w, m) => { w.Write(m.RunId); w.Write(m.Reason); }, r => new CancelRun(r.ReadString(), r.ReadString()))
        .Message<TrainingRunUpdate>("TrainingRunUpdate", 1, WriteRunUpdate, ReadRunUpdate)
        .Message<GetTrainingRuns>("GetTrainingRuns", 1, (w, m) => w.Write(m.RunId), r => new GetTrainingRuns(r.ReadString()))
        .Message<TrainingRuns>("TrainingRuns", 1,
            (w, m) =>
            {
                w.Write(m.RunId); w.Write(m.Coordinator); w.Write(m.Runs.Length);
                foreach (var u in m.Runs) WriteRunUpdate(w, u);
            },
            r =>
            {
                string runId = r.ReadString(), coordinator = r.ReadString();
                var runs = new TrainingRunUpdate[r.ReadCount(5)];
                for (int i = 0; i < runs.Length; i++) runs[i] = ReadRunUpdate(r);
                return new TrainingRuns(runId, coordinator, runs);
            })
        // the manifests of the cluster serializer's run-time registration, before versioning (same layouts)
        .Reads("TRR", ReadReplicaReady).Reads("TRS", ReadStepStart).Reads("TRF", ReadGradientFrame).Reads("TRG", ReadGradientContributed)
        .Reads("TRC", ReadStepCompleted).Reads("TRN", ReadNeedState).Reads("TRX", ReadStateSnapshot).Reads("TRJ", ReadTrainFold)
        .Reads("TRM", ReadTrainReplicated).Reads("TRK", ReadFoldTrained).Reads("TRL", ReadFoldFailed).Reads("TRD", ReadTrainingFinished)
        .Reads("TRP", ReadProgress).Reads("TRE", ReadEpochMetrics)
        .Build();

    private static void WriteRunUpdate(BinaryWriter w, TrainingRunUpdate m)
    {
        w.Write(m.RunId); w.Write(m.State); w.Write(m.Coordinator); w.WriteStrings(m.Participants); w.Write(m.Detail);
    }

    private static TrainingRunUpdate ReadRunUpdate(BinaryReader r) => new(r.ReadString(), r.ReadString(), r.ReadString(), r.ReadStrings(), r.ReadString());

    private static ReplicaReady ReadReplicaReady(BinaryReader r) => new(r.ReadString(), r.ReadInt64(), r.ReadString());

    private static StepStart ReadStepStart(BinaryReader r) => new(r.ReadString(), r.ReadInt64(), r.ReadInt32(), r.ReadInt32());

    private static GradientFrame ReadGradientFrame(BinaryReader r) =>
        new(r.ReadString(), r.ReadInt64(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadBytes());

    private static GradientContributed ReadGradientContributed(BinaryReader r) =>
        new(r.ReadString(), r.ReadInt64(), r.ReadInt32(), r.ReadDouble(), r.ReadDouble(), r.ReadInt32(), r.ReadInt32());

    private static void WriteStepCompleted(BinaryWriter w, StepCompleted m)
    {
        w.Write(m.RunId); w.Write(m.Step); w.Write(m.Update); w.WriteInts(m.Contributors); w.WriteInts(m.Dropped);
        w.Write(m.Weight); w.Write(m.Loss); w.Write(m.Correct); w.Write(m.Samples);
    }

    private static StepCompleted ReadStepCompleted(BinaryReader r) =>
        new(r.ReadString(), r.ReadInt64(), r.ReadBoolean(), r.ReadInts(), r.ReadInts(), r.ReadDouble(), r.ReadDouble(), r.ReadInt32(), r.ReadInt32());

    private static NeedState ReadNeedState(BinaryReader r) => new(r.ReadString(), r.ReadInt64(), r.ReadInt64(), r.ReadString());

    private static StateSnapshot ReadStateSnapshot(BinaryReader r) => new(r.ReadString(), r.ReadInt64(), r.ReadString());

    private static TrainFold ReadTrainFold(BinaryReader r) => new(r.ReadString(), r.ReadString(), r.ReadString(), r.ReadString());

    private static TrainReplicated ReadTrainReplicated(BinaryReader r) => new(r.ReadString(), r.ReadString(), r.ReadString(), r.ReadString(), r.ReadStrings());

    private static FoldTrained ReadFoldTrained(BinaryReader r) =>
        new(r.ReadString(), r.ReadString() is { Length: > 0 } path ? path : null, r.ReadInt32(), r.ReadInt32(), r.ReadBoolean());

    private static FoldFailed ReadFoldFailed(BinaryReader r) => new(r.ReadString(), r.ReadString());

    private static TrainingFinished ReadTrainingFinished(BinaryReader r) => new(r.ReadString(), r.ReadInt64(), r.ReadInt32());

    private static void WriteProgress(BinaryWriter w, TrainingProgress m)
    {
        w.Write(m.RunId); w.Write(m.Epoch); w.Write(m.MaxEpochs); w.Write(m.Step); w.Write(m.TotalSteps); w.Write(m.Loss);
        w.Write(m.SamplesPerSecond); w.Write(m.Replicas); w.Write(m.Node); w.Write(m.At.ToUnixTimeMilliseconds());
    }

    private static TrainingProgress ReadProgress(BinaryReader r) =>
        new(r.ReadString(), r.ReadInt32(), r.ReadInt32(), r.ReadInt64(), r.ReadInt64(), r.ReadDouble(), r.ReadDouble(),
            r.ReadInt32(), r.ReadString(), DateTimeOffset.FromUnixTimeMilliseconds(r.ReadInt64()));

    private static void WriteEpochMetrics(BinaryWriter w, EpochMetrics m)
    {
        w.Write(m.RunId); w.Write(m.Epoch); w.Write(m.TrainLoss); w.Write(m.TrainAccuracy);
        w.WriteNullable(m.ValidationLoss); w.WriteNullable(m.ValidationAccuracy); w.WriteNullable(m.ValidationUar); w.Write(m.Replicas);
        w.Write(m.LearningRate); w.Write(m.Seconds); w.Write(m.IsBest);
    }

    private static EpochMetrics ReadEpochMetrics(BinaryReader r) =>
        new(r.ReadString(), r.ReadInt32(), r.ReadDouble(), r.ReadDouble(), r.ReadNullableDouble(), r.ReadNullableDouble(), r.ReadNullableDouble(), r.ReadInt32())
        {
            LearningRate = r.ReadDouble(), Seconds = r.ReadDouble(), IsBest = r.ReadBoolean(),
        };
}

/// <summary>The Akka serializer of <see cref="TrainingWire.Protocol"/> (id <see cref="SerializerId"/>).</summary>
public sealed class TrainingSerializer(ExtendedActorSystem system) : WireSerializer(system, TrainingWire.Protocol)
{
    public const int SerializerId = 7343;
}
