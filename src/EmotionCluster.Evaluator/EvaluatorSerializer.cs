using Akka.Actor;
using EmotionCluster.Wire;

namespace EmotionCluster.Evaluator;

/// <summary>
/// The wire and journal format of the evaluator's events (<see cref="IEvaluatorEvent"/>) and messages
/// (<see cref="IEvaluatorMessage"/>): length-prefixed UTF-8 strings, little-endian numbers, confusion matrices as
/// counts. The manifests are part of the journal format: never reuse or rename one; a changed layout gets a new
/// version and the old reader stays.
/// </summary>
public static class EvaluatorWire
{
    public static readonly WireProtocol Protocol = WireProtocol.Define("evaluator", EvaluatorSerializer.SerializerId, typeof(IEvaluatorEvent), typeof(IEvaluatorMessage))
        .Serializer(system => new EvaluatorSerializer(system))
        // journal events (stable: persisted)
        .Reads("RunStarted.1", ReadStarted1) // before the run's description (recipe hash, corpus, split, seed, nodes) was recorded
        .Message<RunStarted>("RunStarted", 2, WriteStarted, ReadStarted)
        .Reads("EpochEvaluated.1", ReadEpoch1) // before the learning rate and duration were recorded
        .Message<EpochEvaluated>("EpochEvaluated", 2, WriteEpoch, ReadEpoch)
        .Message<RunCompleted>("RunCompleted", 1, WriteCompleted, ReadCompleted)
        .Message<RunFailed>("RunFailed", 1, WriteFailed, ReadFailed)
        .Message<FoldCompleted>("FoldCompleted", 1, (w, m) => { w.Write(m.RunId); WriteFold(w, m.Fold); w.WriteTime(m.At); }, ReadFoldCompleted)
        .Message<CrossValidationCompleted>("CrossValidationCompleted", 1, (w, m) => { w.Write(m.RunId); WriteSummary(w, m.Summary); w.WriteTime(m.At); },
            ReadCrossValidationCompleted)
        .Message<ArtifactsRecorded>("ArtifactsRecorded", 1, (w, m) => { w.Write(m.RunId); WriteArtifacts(w, m.Artifacts); w.WriteTime(m.At); }, ReadArtifactsRecorded)
        // messages (wire, and a trainer's outbox file: the unversioned manifests of earlier versions are still read)
        .Reads("StartRun", r => new StartRun(r.ReadString(), r.ReadString(), r.ReadStrings())) // without the run's description
        .Message<StartRun>("StartRun", 2, (w, m) => { w.Write(m.RunId); w.Write(m.SettingsJson); w.WriteStrings(m.Labels); WriteDescription(w, m.Description); },
            r => new StartRun(r.ReadString(), r.ReadString(), r.ReadStrings()) { Description = ReadDescription(r) })
        .Reads("RecordEpoch", ReadRecordEpoch1) // without learning rate and duration
        .Message<RecordEpoch>("RecordEpoch", 2,
            (w, m) => { w.Write(m.RunId); w.Write(m.Epoch); w.Write(m.TrainLoss); w.WriteNullable(m.ValLoss); WriteOptionalMetrics(w, m.Metrics); w.WriteNullable(m.LearningRate); w.WriteNullable(m.Seconds); },
            r => ReadRecordEpoch1(r) with { LearningRate = r.ReadNullableDouble(), Seconds = r.ReadNullableDouble() })
        .Message<RecordFold>("RecordFold", 1, (w, m) => { w.Write(m.RunId); WriteFold(w, m.Fold); }, ReadRecordFold)
        .Message<CompleteCrossValidation>("CompleteCrossValidation", 1, (w, m) => { w.Write(m.RunId); WriteSummary(w, m.Summary); }, ReadCompleteCrossValidation)
        .Message<RecordArtifacts>("RecordArtifacts", 1, (w, m) => { w.Write(m.RunId); WriteArtifacts(w, m.Artifacts); }, ReadRecordArtifacts)
        .Message<RecordPredictions>("RecordPredictions", 1,
            (w, m) => { w.Write(m.RunId); w.Write(m.Epoch); w.Write(m.TrainLoss); w.WriteNullable(m.ValLoss); w.WriteInts(m.Truth); w.WriteInts(m.Predicted); },
            ReadRecordPredictions)
        .Message<CompleteRun>("CompleteRun", 1, (w, m) => { w.Write(m.RunId); w.WriteNullable(m.BestEpoch); WriteOptionalMetrics(w, m.Test); }, ReadCompleteRun)
        .Message<FailRun>("FailRun", 1, (w, m) => { w.Write(m.RunId); w.Write(m.Reason); }, ReadFailRun)
        .Message<GetRun>("GetRun", 1, (w, m) => w.Write(m.RunId), ReadGetRun)
        .Message<EvaluatorAck>("EvaluatorAck", 1, (w, m) => { w.Write(m.RunId); w.Write(m.Event); w.Write(m.SequenceNr); w.Write(m.Duplicate); }, ReadAck)
        .Message<EvaluatorRejected>("EvaluatorRejected", 1, (w, m) => { w.Write(m.RunId); w.Write(m.Reason); }, ReadRejected)
        .Reads("RecordFold", ReadRecordFold).Reads("CompleteCrossValidation", ReadCompleteCrossValidation).Reads("RecordArtifacts", ReadRecordArtifacts)
        .Reads("RecordPredictions", ReadRecordPredictions).Reads("CompleteRun", ReadCompleteRun).Reads("FailRun", ReadFailRun).Reads("GetRun", ReadGetRun)
        .Reads("EvaluatorAck", ReadAck).Reads("EvaluatorRejected", ReadRejected)
        .Reads("RunView", r => ReadView(r, withExtras: false, ReadStarted1))
        .Reads("RunView.2", r => ReadView(r, withExtras: true, ReadStarted1))
        .Message<RunView>("RunView", 3, WriteView, r => ReadView(r, withExtras: true, ReadStarted))
        .Build();

    private static void WriteStarted(BinaryWriter w, RunStarted m)
    {
        w.Write(m.RunId); w.Write(m.SettingsJson); w.WriteStrings(m.Labels); w.WriteTime(m.StartedAt); WriteDescription(w, m.Description);
    }

    private static RunStarted ReadStarted1(BinaryReader r) => new(r.ReadString(), r.ReadString(), r.ReadStrings(), r.ReadTime());

    /// <summary><c>RunStarted.2</c>: the <c>.1</c> layout, then the optional description.</summary>
    private static RunStarted ReadStarted(BinaryReader r) => ReadStarted1(r) with { Description = ReadDescription(r) };

    private static void WriteDescription(BinaryWriter w, RunDescription? d) => w.WriteOptional(d, static (w, d) =>
    {
        w.Write(d.RecipeHash); w.Write(d.Corpus); w.Write(d.CorpusPath); w.Write(d.Split); w.Write(d.Seed); w.Write(d.Nodes); w.Write(d.Replicas);
    });

    private static RunDescription? ReadDescription(BinaryReader r) => r.ReadOptional(static r =>
        new RunDescription(r.ReadString(), r.ReadString(), r.ReadString(), r.ReadString(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32()));

    private static void WriteEpoch(BinaryWriter w, EpochEvaluated m)
    {
        w.Write(m.RunId); w.Write(m.Epoch); w.Write(m.TrainLoss); w.WriteNullable(m.ValLoss); WriteOptionalMetrics(w, m.Metrics); w.WriteTime(m.At);
        w.WriteNullable(m.LearningRate); w.WriteNullable(m.Seconds);
    }

    private static EpochEvaluated ReadEpoch1(BinaryReader r) =>
        new(r.ReadString(), r.ReadInt32(), r.ReadDouble(), r.ReadNullableDouble(), ReadOptionalMetrics(r), r.ReadTime());

    private static EpochEvaluated ReadEpoch(BinaryReader r) => ReadEpoch1(r) with { LearningRate = r.ReadNullableDouble(), Seconds = r.ReadNullableDouble() };

    private static RecordEpoch ReadRecordEpoch1(BinaryReader r) => new(r.ReadString(), r.ReadInt32(), r.ReadDouble(), r.ReadNullableDouble(), ReadOptionalMetrics(r));

    private static void WriteCompleted(BinaryWriter w, RunCompleted m)
    {
        w.Write(m.RunId); w.WriteNullable(m.BestEpoch); WriteOptionalMetrics(w, m.Test); w.WriteTime(m.At);
    }

    private static RunCompleted ReadCompleted(BinaryReader r) => new(r.ReadString(), r.ReadNullableInt32(), ReadOptionalMetrics(r), r.ReadTime());

    private static void WriteFailed(BinaryWriter w, RunFailed m)
    {
        w.Write(m.RunId); w.Write(m.Reason); w.WriteTime(m.At);
    }

    private static RunFailed ReadFailed(BinaryReader r) => new(r.ReadString(), r.ReadString(), r.ReadTime());

    private static FoldCompleted ReadFoldCompleted(BinaryReader r) => new(r.ReadString(), ReadFold(r), r.ReadTime());

    private static CrossValidationCompleted ReadCrossValidationCompleted(BinaryReader r) => new(r.ReadString(), ReadSummary(r), r.ReadTime());

    private static ArtifactsRecorded ReadArtifactsRecorded(BinaryReader r) => new(r.ReadString(), ReadArtifacts(r), r.ReadTime());

    private static RecordFold ReadRecordFold(BinaryReader r) => new(r.ReadString(), ReadFold(r));

    private static CompleteCrossValidation ReadCompleteCrossValidation(BinaryReader r) => new(r.ReadString(), ReadSummary(r));

    private static RecordArtifacts ReadRecordArtifacts(BinaryReader r) => new(r.ReadString(), ReadArtifacts(r));

    private static RecordPredictions ReadRecordPredictions(BinaryReader r) =>
        new(r.ReadString(), r.ReadInt32(), r.ReadDouble(), r.ReadNullableDouble(), r.ReadInts(), r.ReadInts());

    private static CompleteRun ReadCompleteRun(BinaryReader r) => new(r.ReadString(), r.ReadNullableInt32(), ReadOptionalMetrics(r));

    private static FailRun ReadFailRun(BinaryReader r) => new(r.ReadString(), r.ReadString());

    private static GetRun ReadGetRun(BinaryReader r) => new(r.ReadString());

    private static EvaluatorAck ReadAck(BinaryReader r) => new(r.ReadString(), r.ReadString(), r.ReadInt64(), r.ReadBoolean());

    private static EvaluatorRejected ReadRejected(BinaryReader r) => new(r.ReadString(), r.ReadString());

    private static void WriteFold(BinaryWriter w, FoldRecord f)
    {
        w.Write(f.Fold); w.Write(f.TestSpeaker); w.Write(f.ValidationSpeakers); w.Write(f.FoldRunId);
        w.Write(f.TrainClips); w.Write(f.ValidationClips); w.Write(f.TestClips); w.Write(f.EpochsRun); w.Write(f.BestEpoch); w.Write(f.Duration.Ticks);
        WriteMetrics(w, f.LoneClip); WriteOptionalMetrics(w, f.SpeakerAll);
        w.WriteArray(f.Protocols, static (w, p) => { w.Write(p.Protocol); w.Write(p.Uar); });
    }

    private static FoldRecord ReadFold(BinaryReader r)
    {
        int fold = r.ReadInt32();
        string test = r.ReadString(), validation = r.ReadString(), runId = r.ReadString();
        int train = r.ReadInt32(), val = r.ReadInt32(), testClips = r.ReadInt32(), epochs = r.ReadInt32(), best = r.ReadInt32();
        var duration = TimeSpan.FromTicks(r.ReadInt64());
        var lone = ReadMetrics(r);
        var all = ReadOptionalMetrics(r);
        var protocols = r.ReadArray(9, static r => new ProtocolUar(r.ReadString(), r.ReadDouble()));
        return new FoldRecord(fold, test, validation, runId, train, val, testClips, epochs, best, duration, lone, all, protocols);
    }

    private static void WriteSummary(BinaryWriter w, CrossValidationRecord s)
    {
        w.Write(s.Scheme); w.Write(s.Procedure); w.Write(s.Folds);
        w.Write(s.MeanAccuracy); w.Write(s.StdAccuracy); w.Write(s.MeanUar); w.Write(s.StdUar);
        w.WriteArray(s.PooledConfusion, static (w, row) => w.WriteInts(row));
        w.WriteArray(s.Protocols, static (w, p) => { w.Write(p.Protocol); w.Write(p.MeanUar); w.Write(p.StdUar); w.Write(p.Folds); });
    }

    private static CrossValidationRecord ReadSummary(BinaryReader r)
    {
        string scheme = r.ReadString(), procedure = r.ReadString();
        int folds = r.ReadInt32();
        double meanAcc = r.ReadDouble(), stdAcc = r.ReadDouble(), meanUar = r.ReadDouble(), stdUar = r.ReadDouble();
        var pooled = r.ReadArray(4, static r => r.ReadInts());
        var protocols = r.ReadArray(21, static r => new ProtocolMeanUar(r.ReadString(), r.ReadDouble(), r.ReadDouble(), r.ReadInt32()));
        return new CrossValidationRecord(scheme, procedure, folds, meanAcc, stdAcc, meanUar, stdUar, pooled, protocols);
    }

    private static void WriteArtifacts(BinaryWriter w, ArtifactsRecord a)
    {
        w.Write(a.Job); w.Write((byte)a.Role); w.Write(a.Directory); w.Write(a.Description);
        w.WriteArray(a.Split, static (w, c) => { w.Write(c.Label); w.Write(c.Train); w.Write(c.Validation); w.Write(c.Test); });
        w.Write(a.Duration.Ticks);
    }

    private static ArtifactsRecord ReadArtifacts(BinaryReader r)
    {
        string job = r.ReadString();
        byte role = r.ReadByte();
        if (!Enum.IsDefined((ReportRole)role)) throw new FormatException($"unknown report role {role}");
        string directory = r.ReadString(), description = r.ReadString();
        var split = r.ReadArray(13, static r => new SplitCount(r.ReadString(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32()));
        return new ArtifactsRecord(job, (ReportRole)role, directory, description, split, TimeSpan.FromTicks(r.ReadInt64()));
    }

    private static void WriteView(BinaryWriter w, RunView v)
    {
        w.Write(v.RunId);
        w.WriteOptional(v.Started, WriteStarted);
        w.WriteArray(v.Epochs, WriteEpoch);
        w.WriteOptional(v.Completed, WriteCompleted);
        w.WriteOptional(v.Failed, WriteFailed);
        w.WriteArray(v.Folds, static (w, f) => { w.Write(f.RunId); WriteFold(w, f.Fold); w.WriteTime(f.At); });
        w.WriteOptional(v.CrossValidation, static (w, cv) => { w.Write(cv.RunId); WriteSummary(w, cv.Summary); w.WriteTime(cv.At); });
        w.WriteOptional(v.Artifacts, static (w, a) => { w.Write(a.RunId); WriteArtifacts(w, a.Artifacts); w.WriteTime(a.At); });
    }

    private static RunView ReadView(BinaryReader r, bool withExtras, Func<BinaryReader, RunStarted> readStarted)
    {
        string runId = r.ReadString();
        RunStarted? started = r.ReadOptional(readStarted);
        var epochs = r.ReadArray(8, ReadEpoch);
        RunCompleted? completed = r.ReadOptional(ReadCompleted);
        RunFailed? failed = r.ReadOptional(ReadFailed);
        var view = new RunView(runId, started, epochs, completed, failed);
        if (!withExtras) return view;
        var folds = r.ReadArray(8, ReadFoldCompleted);
        var cv = r.ReadOptional(ReadCrossValidationCompleted);
        var artifacts = r.ReadOptional(ReadArtifactsRecorded);
        return view with { Folds = folds, CrossValidation = cv, Artifacts = artifacts };
    }

    private static void WriteMetrics(BinaryWriter w, EvaluationMetrics m)
    {
        w.Write(m.Accuracy); w.Write(m.Uar); w.Write(m.MacroF1);
        w.WriteArray(m.PerClass, static (w, c) => { w.Write(c.Precision); w.WriteNullable(c.Recall); w.WriteNullable(c.F1); });
        w.WriteArray(m.Confusion, static (w, row) => w.WriteInts(row));
    }

    private static EvaluationMetrics ReadMetrics(BinaryReader r)
    {
        double accuracy = r.ReadDouble(), uar = r.ReadDouble(), f1 = r.ReadDouble();
        var perClass = r.ReadArray(10, static r => new ClassScore(r.ReadDouble(), r.ReadNullableDouble(), r.ReadNullableDouble()));
        var confusion = r.ReadArray(4, static r => r.ReadInts());
        return new EvaluationMetrics(accuracy, uar, f1, perClass, confusion);
    }

    private static void WriteOptionalMetrics(BinaryWriter w, EvaluationMetrics? m) => w.WriteOptional(m, WriteMetrics);

    private static EvaluationMetrics? ReadOptionalMetrics(BinaryReader r) => r.ReadOptional(ReadMetrics);
}

/// <summary>The Akka serializer of <see cref="EvaluatorWire.Protocol"/> (id <see cref="SerializerId"/>).</summary>
public sealed class EvaluatorSerializer(ExtendedActorSystem system) : WireSerializer(system, EvaluatorWire.Protocol)
{
    public const int SerializerId = 7342;

    /// <summary>Every manifest this serializer reads (the journal format's vocabulary).</summary>
    public static IReadOnlyCollection<string> Manifests => EvaluatorWire.Protocol.Manifests;
}
