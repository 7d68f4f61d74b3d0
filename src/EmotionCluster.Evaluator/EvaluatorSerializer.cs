using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Serialization;

namespace EmotionCluster.Evaluator;

/// <summary>
/// Binary serializer for the evaluator's journal events (<see cref="IEvaluatorEvent"/>) and messages
/// (<see cref="IEvaluatorMessage"/>): length-prefixed UTF-8 strings, little-endian numbers, confusion matrices as
/// counts. The manifests are part of the journal format: never reuse or rename one; a changed layout gets a new
/// manifest and the old reader stays. Unknown manifests and malformed payloads raise
/// <see cref="SerializationException"/> naming the problem.
/// </summary>
public sealed class EvaluatorSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int SerializerId = 7342;
    public const string Name = "emotioncluster-evaluator";

    private static readonly Dictionary<Type, (string Manifest, Action<BinaryWriter, object> Write)> Writers = new();
    private static readonly Dictionary<string, Func<BinaryReader, object>> Readers = new();

    static EvaluatorSerializer()
    {
        // journal events (stable: persisted)
        AddReader("RunStarted.1", ReadStarted1); // before the run's description (recipe hash, corpus, split, seed, nodes) was recorded
        Add<RunStarted>("RunStarted.2", WriteStarted, ReadStarted);
        AddReader("EpochEvaluated.1", ReadEpoch1); // before the learning rate and duration were recorded
        Add<EpochEvaluated>("EpochEvaluated.2", WriteEpoch, ReadEpoch);
        Add<RunCompleted>("RunCompleted.1", WriteCompleted, ReadCompleted);
        Add<RunFailed>("RunFailed.1", (w, m) => { w.Write(m.RunId); w.Write(m.Reason); WriteTime(w, m.At); },
            r => new RunFailed(r.ReadString(), r.ReadString(), ReadTime(r)));
        Add<FoldCompleted>("FoldCompleted.1", (w, m) => { w.Write(m.RunId); WriteFold(w, m.Fold); WriteTime(w, m.At); },
            r => new FoldCompleted(r.ReadString(), ReadFold(r), ReadTime(r)));
        Add<CrossValidationCompleted>("CrossValidationCompleted.1", (w, m) => { w.Write(m.RunId); WriteSummary(w, m.Summary); WriteTime(w, m.At); },
            r => new CrossValidationCompleted(r.ReadString(), ReadSummary(r), ReadTime(r)));
        Add<ArtifactsRecorded>("ArtifactsRecorded.1", (w, m) => { w.Write(m.RunId); WriteArtifacts(w, m.Artifacts); WriteTime(w, m.At); },
            r => new ArtifactsRecorded(r.ReadString(), ReadArtifacts(r), ReadTime(r)));
        // messages (wire only)
        // "StartRun" (without the run's description) is still read: a trainer's outbox file may hold it
        AddReader("StartRun", r => new StartRun(r.ReadString(), r.ReadString(), ReadStrings(r)));
        Add<StartRun>("StartRun.2", (w, m) => { w.Write(m.RunId); w.Write(m.SettingsJson); WriteStrings(w, m.Labels); WriteDescription(w, m.Description); },
            r => new StartRun(r.ReadString(), r.ReadString(), ReadStrings(r)) { Description = ReadDescription(r) });
        // "RecordEpoch" (without learning rate and duration) is still read: a trainer's outbox file may hold it
        AddReader("RecordEpoch", r => new RecordEpoch(r.ReadString(), r.ReadInt32(), r.ReadDouble(), ReadNullable(r), ReadOptionalMetrics(r)));
        Add<RecordEpoch>("RecordEpoch.2",
            (w, m) => { w.Write(m.RunId); w.Write(m.Epoch); w.Write(m.TrainLoss); WriteNullable(w, m.ValLoss); WriteOptionalMetrics(w, m.Metrics); WriteNullable(w, m.LearningRate); WriteNullable(w, m.Seconds); },
            r => new RecordEpoch(r.ReadString(), r.ReadInt32(), r.ReadDouble(), ReadNullable(r), ReadOptionalMetrics(r)) { LearningRate = ReadNullable(r), Seconds = ReadNullable(r) });
        Add<RecordFold>("RecordFold", (w, m) => { w.Write(m.RunId); WriteFold(w, m.Fold); }, r => new RecordFold(r.ReadString(), ReadFold(r)));
        Add<CompleteCrossValidation>("CompleteCrossValidation", (w, m) => { w.Write(m.RunId); WriteSummary(w, m.Summary); },
            r => new CompleteCrossValidation(r.ReadString(), ReadSummary(r)));
        Add<RecordArtifacts>("RecordArtifacts", (w, m) => { w.Write(m.RunId); WriteArtifacts(w, m.Artifacts); },
            r => new RecordArtifacts(r.ReadString(), ReadArtifacts(r)));
        Add<RecordPredictions>("RecordPredictions", (w, m) => { w.Write(m.RunId); w.Write(m.Epoch); w.Write(m.TrainLoss); WriteNullable(w, m.ValLoss); WriteInts(w, m.Truth); WriteInts(w, m.Predicted); },
            r => new RecordPredictions(r.ReadString(), r.ReadInt32(), r.ReadDouble(), ReadNullable(r), ReadInts(r), ReadInts(r)));
        Add<CompleteRun>("CompleteRun", (w, m) => { w.Write(m.RunId); WriteNullableInt(w, m.BestEpoch); WriteOptionalMetrics(w, m.Test); },
            r => new CompleteRun(r.ReadString(), ReadNullableInt(r), ReadOptionalMetrics(r)));
        Add<FailRun>("FailRun", (w, m) => { w.Write(m.RunId); w.Write(m.Reason); }, r => new FailRun(r.ReadString(), r.ReadString()));
        Add<GetRun>("GetRun", (w, m) => w.Write(m.RunId), r => new GetRun(r.ReadString()));
        Add<EvaluatorAck>("EvaluatorAck", (w, m) => { w.Write(m.RunId); w.Write(m.Event); w.Write(m.SequenceNr); w.Write(m.Duplicate); },
            r => new EvaluatorAck(r.ReadString(), r.ReadString(), r.ReadInt64(), r.ReadBoolean()));
        Add<EvaluatorRejected>("EvaluatorRejected", (w, m) => { w.Write(m.RunId); w.Write(m.Reason); },
            r => new EvaluatorRejected(r.ReadString(), r.ReadString()));
        AddReader("RunView", r => ReadView(r, withExtras: false, ReadStarted1));
        AddReader("RunView.2", r => ReadView(r, withExtras: true, ReadStarted1));
        Add<RunView>("RunView.3", WriteView, r => ReadView(r, withExtras: true, ReadStarted));
    }

    private static void AddReader(string manifest, Func<BinaryReader, object> read) => Readers[manifest] = read;

    private static void Add<T>(string manifest, Action<BinaryWriter, T> write, Func<BinaryReader, T> read) where T : notnull
    {
        Writers[typeof(T)] = (manifest, (w, o) => write(w, (T)o));
        Readers[manifest] = r => read(r);
    }

    /// <summary>Every manifest this serializer knows (the journal format's vocabulary).</summary>
    public static IReadOnlyCollection<string> Manifests => Readers.Keys;

    public override int Identifier => SerializerId;

    public override string Manifest(object o) => Writers.TryGetValue(o.GetType(), out var entry)
        ? entry.Manifest
        : throw new SerializationException($"{o.GetType().FullName} is not handled by {nameof(EvaluatorSerializer)}");

    public override byte[] ToBinary(object obj)
    {
        if (!Writers.TryGetValue(obj.GetType(), out var entry))
            throw new SerializationException($"{obj.GetType().FullName} is not handled by {nameof(EvaluatorSerializer)}");
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true)) entry.Write(w, obj);
        return ms.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!Readers.TryGetValue(manifest, out var read))
            throw new SerializationException($"unknown evaluator manifest '{manifest}' ({bytes.Length} bytes); was the journal written by a newer version?");
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes, writable: false), Encoding.UTF8);
            object result = read(r);
            if (r.BaseStream.Position != bytes.Length)
                throw new SerializationException($"evaluator '{manifest}' payload has {bytes.Length - r.BaseStream.Position} trailing bytes");
            return result;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or FormatException or ArgumentException or OverflowException)
        {
            throw new SerializationException($"malformed evaluator '{manifest}' payload ({bytes.Length} bytes): {e.Message}", e);
        }
    }

    private static void WriteStarted(BinaryWriter w, RunStarted m)
    {
        w.Write(m.RunId); w.Write(m.SettingsJson); WriteStrings(w, m.Labels); WriteTime(w, m.StartedAt); WriteDescription(w, m.Description);
    }

    private static RunStarted ReadStarted1(BinaryReader r) => new(r.ReadString(), r.ReadString(), ReadStrings(r), ReadTime(r));

    /// <summary><c>RunStarted.2</c>: the <c>.1</c> layout, then the optional description.</summary>
    private static RunStarted ReadStarted(BinaryReader r) => ReadStarted1(r) with { Description = ReadDescription(r) };

    private static void WriteDescription(BinaryWriter w, RunDescription? d)
    {
        w.Write(d is not null);
        if (d is null) return;
        w.Write(d.RecipeHash); w.Write(d.Corpus); w.Write(d.CorpusPath); w.Write(d.Split); w.Write(d.Seed); w.Write(d.Nodes); w.Write(d.Replicas);
    }

    private static RunDescription? ReadDescription(BinaryReader r) => r.ReadBoolean()
        ? new RunDescription(r.ReadString(), r.ReadString(), r.ReadString(), r.ReadString(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32())
        : null;

    private static void WriteEpoch(BinaryWriter w, EpochEvaluated m)
    {
        w.Write(m.RunId); w.Write(m.Epoch); w.Write(m.TrainLoss); WriteNullable(w, m.ValLoss); WriteOptionalMetrics(w, m.Metrics); WriteTime(w, m.At);
        WriteNullable(w, m.LearningRate); WriteNullable(w, m.Seconds);
    }

    private static EpochEvaluated ReadEpoch1(BinaryReader r) =>
        new(r.ReadString(), r.ReadInt32(), r.ReadDouble(), ReadNullable(r), ReadOptionalMetrics(r), ReadTime(r));

    private static EpochEvaluated ReadEpoch(BinaryReader r) => ReadEpoch1(r) with { LearningRate = ReadNullable(r), Seconds = ReadNullable(r) };

    private static void WriteFold(BinaryWriter w, FoldRecord f)
    {
        w.Write(f.Fold); w.Write(f.TestSpeaker); w.Write(f.ValidationSpeakers); w.Write(f.FoldRunId);
        w.Write(f.TrainClips); w.Write(f.ValidationClips); w.Write(f.TestClips); w.Write(f.EpochsRun); w.Write(f.BestEpoch); w.Write(f.Duration.Ticks);
        WriteMetrics(w, f.LoneClip); WriteOptionalMetrics(w, f.SpeakerAll);
        w.Write(f.Protocols.Length);
        foreach (var p in f.Protocols) { w.Write(p.Protocol); w.Write(p.Uar); }
    }

    private static FoldRecord ReadFold(BinaryReader r)
    {
        int fold = r.ReadInt32();
        string test = r.ReadString(), validation = r.ReadString(), runId = r.ReadString();
        int train = r.ReadInt32(), val = r.ReadInt32(), testClips = r.ReadInt32(), epochs = r.ReadInt32(), best = r.ReadInt32();
        var duration = TimeSpan.FromTicks(r.ReadInt64());
        var lone = ReadMetrics(r);
        var all = ReadOptionalMetrics(r);
        var protocols = new ProtocolUar[ReadCount(r, 9)];
        for (int i = 0; i < protocols.Length; i++) protocols[i] = new ProtocolUar(r.ReadString(), r.ReadDouble());
        return new FoldRecord(fold, test, validation, runId, train, val, testClips, epochs, best, duration, lone, all, protocols);
    }

    private static void WriteSummary(BinaryWriter w, CrossValidationRecord s)
    {
        w.Write(s.Scheme); w.Write(s.Procedure); w.Write(s.Folds);
        w.Write(s.MeanAccuracy); w.Write(s.StdAccuracy); w.Write(s.MeanUar); w.Write(s.StdUar);
        w.Write(s.PooledConfusion.Length);
        foreach (int[] row in s.PooledConfusion) WriteInts(w, row);
        w.Write(s.Protocols.Length);
        foreach (var p in s.Protocols) { w.Write(p.Protocol); w.Write(p.MeanUar); w.Write(p.StdUar); w.Write(p.Folds); }
    }

    private static CrossValidationRecord ReadSummary(BinaryReader r)
    {
        string scheme = r.ReadString(), procedure = r.ReadString();
        int folds = r.ReadInt32();
        double meanAcc = r.ReadDouble(), stdAcc = r.ReadDouble(), meanUar = r.ReadDouble(), stdUar = r.ReadDouble();
        var pooled = new int[ReadCount(r, 4)][];
        for (int i = 0; i < pooled.Length; i++) pooled[i] = ReadInts(r);
        var protocols = new ProtocolMeanUar[ReadCount(r, 21)];
        for (int i = 0; i < protocols.Length; i++) protocols[i] = new ProtocolMeanUar(r.ReadString(), r.ReadDouble(), r.ReadDouble(), r.ReadInt32());
        return new CrossValidationRecord(scheme, procedure, folds, meanAcc, stdAcc, meanUar, stdUar, pooled, protocols);
    }

    private static void WriteArtifacts(BinaryWriter w, ArtifactsRecord a)
    {
        w.Write(a.Job); w.Write((byte)a.Role); w.Write(a.Directory); w.Write(a.Description);
        w.Write(a.Split.Length);
        foreach (var c in a.Split) { w.Write(c.Label); w.Write(c.Train); w.Write(c.Validation); w.Write(c.Test); }
        w.Write(a.Duration.Ticks);
    }

    private static ArtifactsRecord ReadArtifacts(BinaryReader r)
    {
        string job = r.ReadString();
        byte role = r.ReadByte();
        if (!Enum.IsDefined((ReportRole)role)) throw new FormatException($"unknown report role {role}");
        string directory = r.ReadString(), description = r.ReadString();
        var split = new SplitCount[ReadCount(r, 13)];
        for (int i = 0; i < split.Length; i++) split[i] = new SplitCount(r.ReadString(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32());
        return new ArtifactsRecord(job, (ReportRole)role, directory, description, split, TimeSpan.FromTicks(r.ReadInt64()));
    }

    private static void WriteCompleted(BinaryWriter w, RunCompleted m)
    {
        w.Write(m.RunId); WriteNullableInt(w, m.BestEpoch); WriteOptionalMetrics(w, m.Test); WriteTime(w, m.At);
    }

    private static RunCompleted ReadCompleted(BinaryReader r) => new(r.ReadString(), ReadNullableInt(r), ReadOptionalMetrics(r), ReadTime(r));

    private static void WriteView(BinaryWriter w, RunView v)
    {
        w.Write(v.RunId);
        w.Write(v.Started is not null); if (v.Started is not null) WriteStarted(w, v.Started);
        w.Write(v.Epochs.Count); foreach (var e in v.Epochs) WriteEpoch(w, e);
        w.Write(v.Completed is not null); if (v.Completed is not null) WriteCompleted(w, v.Completed);
        w.Write(v.Failed is not null); if (v.Failed is not null) { w.Write(v.Failed.RunId); w.Write(v.Failed.Reason); WriteTime(w, v.Failed.At); }
        w.Write(v.Folds.Count);
        foreach (var f in v.Folds) { w.Write(f.RunId); WriteFold(w, f.Fold); WriteTime(w, f.At); }
        w.Write(v.CrossValidation is not null);
        if (v.CrossValidation is { } cv) { w.Write(cv.RunId); WriteSummary(w, cv.Summary); WriteTime(w, cv.At); }
        w.Write(v.Artifacts is not null);
        if (v.Artifacts is { } a) { w.Write(a.RunId); WriteArtifacts(w, a.Artifacts); WriteTime(w, a.At); }
    }

    private static RunView ReadView(BinaryReader r, bool withExtras, Func<BinaryReader, RunStarted> readStarted)
    {
        string runId = r.ReadString();
        RunStarted? started = r.ReadBoolean() ? readStarted(r) : null;
        int n = ReadCount(r, 8);
        var epochs = new EpochEvaluated[n];
        for (int i = 0; i < n; i++) epochs[i] = ReadEpoch(r);
        RunCompleted? completed = r.ReadBoolean() ? ReadCompleted(r) : null;
        RunFailed? failed = r.ReadBoolean() ? new RunFailed(r.ReadString(), r.ReadString(), ReadTime(r)) : null;
        var view = new RunView(runId, started, epochs, completed, failed);
        if (!withExtras) return view;
        var folds = new FoldCompleted[ReadCount(r, 8)];
        for (int i = 0; i < folds.Length; i++) folds[i] = new FoldCompleted(r.ReadString(), ReadFold(r), ReadTime(r));
        var cv = r.ReadBoolean() ? new CrossValidationCompleted(r.ReadString(), ReadSummary(r), ReadTime(r)) : null;
        var artifacts = r.ReadBoolean() ? new ArtifactsRecorded(r.ReadString(), ReadArtifacts(r), ReadTime(r)) : null;
        return view with { Folds = folds, CrossValidation = cv, Artifacts = artifacts };
    }

    private static void WriteMetrics(BinaryWriter w, EvaluationMetrics m)
    {
        w.Write(m.Accuracy); w.Write(m.Uar); w.Write(m.MacroF1);
        w.Write(m.PerClass.Length);
        foreach (var c in m.PerClass) { w.Write(c.Precision); WriteNullable(w, c.Recall); WriteNullable(w, c.F1); }
        w.Write(m.Confusion.Length);
        foreach (int[] row in m.Confusion) WriteInts(w, row);
    }

    private static EvaluationMetrics ReadMetrics(BinaryReader r)
    {
        double accuracy = r.ReadDouble(), uar = r.ReadDouble(), f1 = r.ReadDouble();
        int k = ReadCount(r, 10);
        var perClass = new ClassScore[k];
        for (int i = 0; i < k; i++) perClass[i] = new ClassScore(r.ReadDouble(), ReadNullable(r), ReadNullable(r));
        int rows = ReadCount(r, 4);
        var confusion = new int[rows][];
        for (int i = 0; i < rows; i++) confusion[i] = ReadInts(r);
        return new EvaluationMetrics(accuracy, uar, f1, perClass, confusion);
    }

    private static void WriteOptionalMetrics(BinaryWriter w, EvaluationMetrics? m)
    {
        w.Write(m is not null);
        if (m is not null) WriteMetrics(w, m);
    }

    private static EvaluationMetrics? ReadOptionalMetrics(BinaryReader r) => r.ReadBoolean() ? ReadMetrics(r) : null;

    private static void WriteNullable(BinaryWriter w, double? v)
    {
        w.Write(v.HasValue);
        if (v is { } x) w.Write(x);
    }

    private static double? ReadNullable(BinaryReader r) => r.ReadBoolean() ? r.ReadDouble() : null;

    private static void WriteNullableInt(BinaryWriter w, int? v)
    {
        w.Write(v.HasValue);
        if (v is { } x) w.Write(x);
    }

    private static int? ReadNullableInt(BinaryReader r) => r.ReadBoolean() ? r.ReadInt32() : null;

    private static void WriteTime(BinaryWriter w, DateTimeOffset t)
    {
        w.Write(t.UtcTicks);
        w.Write((short)t.Offset.TotalMinutes);
    }

    private static DateTimeOffset ReadTime(BinaryReader r)
    {
        long utcTicks = r.ReadInt64();
        var offset = TimeSpan.FromMinutes(r.ReadInt16());
        return new DateTimeOffset(utcTicks, TimeSpan.Zero).ToOffset(offset);
    }

    private static void WriteStrings(BinaryWriter w, string[] values)
    {
        w.Write(values.Length);
        foreach (string s in values) w.Write(s);
    }

    private static string[] ReadStrings(BinaryReader r)
    {
        var values = new string[ReadCount(r, 1)];
        for (int i = 0; i < values.Length; i++) values[i] = r.ReadString();
        return values;
    }

    private static void WriteInts(BinaryWriter w, int[] values)
    {
        w.Write(values.Length);
        foreach (int v in values) w.Write(v);
    }

    private static int[] ReadInts(BinaryReader r)
    {
        var values = new int[ReadCount(r, sizeof(int))];
        for (int i = 0; i < values.Length; i++) values[i] = r.ReadInt32();
        return values;
    }

    /// <summary>A count of items that take at least <paramref name="minBytes"/> each: more than the bytes left is malformed.</summary>
    private static int ReadCount(BinaryReader r, int minBytes)
    {
        int n = r.ReadInt32();
        long left = r.BaseStream.Length - r.BaseStream.Position;
        if (n < 0 || (long)n * minBytes > left) throw new FormatException($"count {n} exceeds the {left} bytes left");
        return n;
    }
}
