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
        Add<RunStarted>("RunStarted.1", WriteStarted, ReadStarted);
        Add<EpochEvaluated>("EpochEvaluated.1", WriteEpoch, ReadEpoch);
        Add<RunCompleted>("RunCompleted.1", WriteCompleted, ReadCompleted);
        Add<RunFailed>("RunFailed.1", (w, m) => { w.Write(m.RunId); w.Write(m.Reason); WriteTime(w, m.At); },
            r => new RunFailed(r.ReadString(), r.ReadString(), ReadTime(r)));
        // messages (wire only)
        Add<StartRun>("StartRun", (w, m) => { w.Write(m.RunId); w.Write(m.SettingsJson); WriteStrings(w, m.Labels); },
            r => new StartRun(r.ReadString(), r.ReadString(), ReadStrings(r)));
        Add<RecordEpoch>("RecordEpoch", (w, m) => { w.Write(m.RunId); w.Write(m.Epoch); w.Write(m.TrainLoss); WriteNullable(w, m.ValLoss); WriteOptionalMetrics(w, m.Metrics); },
            r => new RecordEpoch(r.ReadString(), r.ReadInt32(), r.ReadDouble(), ReadNullable(r), ReadOptionalMetrics(r)));
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
        Add<RunView>("RunView", WriteView, ReadView);
    }

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
        w.Write(m.RunId); w.Write(m.SettingsJson); WriteStrings(w, m.Labels); WriteTime(w, m.StartedAt);
    }

    private static RunStarted ReadStarted(BinaryReader r) => new(r.ReadString(), r.ReadString(), ReadStrings(r), ReadTime(r));

    private static void WriteEpoch(BinaryWriter w, EpochEvaluated m)
    {
        w.Write(m.RunId); w.Write(m.Epoch); w.Write(m.TrainLoss); WriteNullable(w, m.ValLoss); WriteOptionalMetrics(w, m.Metrics); WriteTime(w, m.At);
    }

    private static EpochEvaluated ReadEpoch(BinaryReader r) =>
        new(r.ReadString(), r.ReadInt32(), r.ReadDouble(), ReadNullable(r), ReadOptionalMetrics(r), ReadTime(r));

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
    }

    private static RunView ReadView(BinaryReader r)
    {
        string runId = r.ReadString();
        RunStarted? started = r.ReadBoolean() ? ReadStarted(r) : null;
        int n = ReadCount(r, 8);
        var epochs = new EpochEvaluated[n];
        for (int i = 0; i < n; i++) epochs[i] = ReadEpoch(r);
        RunCompleted? completed = r.ReadBoolean() ? ReadCompleted(r) : null;
        RunFailed? failed = r.ReadBoolean() ? new RunFailed(r.ReadString(), r.ReadString(), ReadTime(r)) : null;
        return new RunView(runId, started, epochs, completed, failed);
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
