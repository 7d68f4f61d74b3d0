using Akka.Actor;
using Akka.Event;
using EmotionCluster.Evaluator;

namespace EmotionCluster.TrainingActors;

/// <summary>
/// The evaluator commands of one run that the journal has not acknowledged yet, in order, kept in a file beside the
/// run's checkpoint (<see cref="FileName"/>) so a trainer killed at any moment re-sends them when it resumes. A plain
/// class, safe to share: the trainer adds on its thread (the file is written before <see cref="Add"/> returns, so before
/// the trainer checkpoints), <see cref="EvaluatorOutboxActor"/> delivers and removes.
/// </summary>
public sealed class EvaluatorOutbox
{
    public const string FileName = "evaluator-outbox.bin";
    private readonly Lock _gate = new();
    private readonly List<IEvaluatorCommand> _pending = [];
    private readonly string _path;
    private readonly Akka.Serialization.Serialization _serialization;

    /// <summary>Opens the outbox in <paramref name="directory"/>, with what a killed trainer left in it.</summary>
    /// <exception cref="InvalidDataException">the file is damaged (the message names it and the fix).</exception>
    public EvaluatorOutbox(string directory, Akka.Serialization.Serialization serialization)
    {
        _path = Path.Combine(Path.GetFullPath(directory), FileName);
        _serialization = serialization;
        if (File.Exists(_path)) _pending.AddRange(Read());
    }

    public int Count
    {
        get { lock (_gate) return _pending.Count; }
    }

    /// <summary>The oldest command not yet acknowledged; null when all are.</summary>
    public IEvaluatorCommand? First
    {
        get { lock (_gate) return _pending.Count > 0 ? _pending[0] : null; }
    }

    /// <summary>Appends a command and writes the outbox before returning: from here on it survives a crash.</summary>
    public void Add(IEvaluatorCommand command)
    {
        lock (_gate)
        {
            _pending.Add(command);
            Save();
        }
    }

    /// <summary><paramref name="command"/> (the first) is in the journal or was refused for good: drops it.</summary>
    public void Remove(IEvaluatorCommand command)
    {
        lock (_gate)
        {
            if (_pending.Count == 0 || !ReferenceEquals(_pending[0], command)) return;
            _pending.RemoveAt(0);
            Save();
        }
    }

    private void Save()
    {
        if (_pending.Count == 0)
        {
            if (File.Exists(_path)) File.Delete(_path);
            return;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        string tmp = $"{_path}.{Environment.ProcessId}.tmp";
        using (var file = new FileStream(tmp, FileMode.Create, FileAccess.Write))
        using (var w = new BinaryWriter(file))
        {
            w.Write(_pending.Count);
            foreach (var command in _pending)
            {
                var serializer = _serialization.FindSerializerFor(command);
                w.Write(serializer.Identifier);
                w.Write(Akka.Serialization.Serialization.ManifestFor(serializer, command));
                var bytes = serializer.ToBinary(command);
                w.Write(bytes.Length);
                w.Write(bytes);
            }
            w.Flush();
            file.Flush(flushToDisk: true);
        }
        File.Move(tmp, _path, overwrite: true);
    }

    private List<IEvaluatorCommand> Read()
    {
        try
        {
            using var r = new BinaryReader(File.OpenRead(_path));
            int n = r.ReadInt32();
            var commands = new List<IEvaluatorCommand>(Math.Max(0, Math.Min(n, 100_000)));
            for (int i = 0; i < n; i++)
            {
                int id = r.ReadInt32();
                string manifest = r.ReadString();
                int length = r.ReadInt32();
                if (length < 0 || length > r.BaseStream.Length - r.BaseStream.Position) throw new EndOfStreamException();
                var message = _serialization.Deserialize(r.ReadBytes(length), id, manifest);
                commands.Add(message as IEvaluatorCommand ?? throw new InvalidDataException($"entry {i} is a {message.GetType().Name}, not an evaluator command"));
            }
            return commands;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or System.Runtime.Serialization.SerializationException)
        {
            throw new InvalidDataException($"{_path} is damaged ({e.Message}); delete it (the run's unrecorded evaluations are then lost) or restore it", e);
        }
    }
}

/// <summary>
/// Delivers a run's <see cref="EvaluatorOutbox"/> to the evaluator region one command at a time (each acknowledged
/// before the next is sent, so the journal sees them in order), asking again after <see cref="RetryAfter"/> while the
/// evaluator is away. Every command is idempotent (a repeat is acknowledged as a duplicate), so a re-send is safe.
/// A refusal is final: logged and dropped.
/// </summary>
public sealed class EvaluatorOutboxActor : ReceiveActor, IWithTimers
{
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(3);
    private readonly Func<IActorRef?> _region;
    private readonly EvaluatorOutbox _outbox;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private bool _inFlight;

    public EvaluatorOutboxActor(Func<IActorRef?> region, EvaluatorOutbox outbox)
    {
        _region = region;
        _outbox = outbox;
        Receive<Added>(_ => SendNext());
        Receive<Delivered>(d =>
        {
            _inFlight = false;
            switch (d.Reply)
            {
                case EvaluatorAck:
                    _outbox.Remove(d.Command);
                    break;
                case EvaluatorRejected rejected:
                    _log.Warning("the evaluator refused {0} of run {1}: {2}", d.Command.GetType().Name, rejected.RunId, rejected.Reason);
                    _outbox.Remove(d.Command);
                    break;
                default: // no answer in time (no evaluator yet, a journal outage): try again later
                    Timers.StartSingleTimer("retry", Retry.Instance, RetryAfter);
                    return;
            }
            SendNext();
        });
        Receive<Retry>(_ => SendNext());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props PropsFor(Func<IActorRef?> region, EvaluatorOutbox outbox) => Props.Create(() => new EvaluatorOutboxActor(region, outbox));

    /// <summary>The trainer added to the outbox: deliver when nothing is in flight.</summary>
    public sealed class Added
    {
        public static readonly Added Instance = new();
    }

    private sealed record Delivered(IEvaluatorCommand Command, object? Reply);
    private sealed class Retry
    {
        public static readonly Retry Instance = new();
    }

    protected override void PreStart()
    {
        if (_outbox.Count > 0) _log.Info("sending {0} unrecorded evaluator command(s)", _outbox.Count);
        SendNext();
    }

    private void SendNext()
    {
        if (_inFlight || _outbox.First is not { } command) return;
        if (_region() is not { } region)
        {
            Timers.StartSingleTimer("retry", Retry.Instance, RetryAfter);
            return;
        }
        _inFlight = true;
        region.Ask<object>(command, RetryAfter)
            .ContinueWith(t => new Delivered(command, t.IsCompletedSuccessfully ? t.Result : null), TaskContinuationOptions.ExecuteSynchronously)
            .PipeTo(Self);
    }
}
