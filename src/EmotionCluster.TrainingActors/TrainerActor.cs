using Akka.Actor;
using Akka.Event;
using EmotionCluster.Extraction;
using EmotionCluster.Metrics;
using Microsoft.Extensions.Logging;

namespace EmotionCluster.TrainingActors;

/// <summary>
/// What to train: a manifest on this node's disk (<see cref="ManifestPath"/>, features from the node's store; what
/// trainer nodes are given) or examples already shaped in memory (<see cref="Data"/> with its <see cref="RunId"/>; what
/// the CLI's jobs give the trainer of their embedded node). <see cref="ModelOutput"/> and
/// <see cref="CheckpointDirectory"/> override the node's <see cref="TrainerOptions"/> for this run. <see cref="Solo"/>: this
/// node trains the run alone (a fold of a fold-parallel cross-validation), whatever other trainers there are; a
/// manifest job's <see cref="RunId"/>, when given, names the run instead of the manifest's hash.
/// </summary>
public sealed record TrainingJob(string? ManifestPath = null, TrainingData? Data = null, string? RunId = null,
    string? ModelOutput = null, string? CheckpointDirectory = null, bool Solo = false)
{
    /// <summary>
    /// The trainer nodes (addresses) that train this manifest's run together, data-parallel (<see cref="TrainReplicated"/>):
    /// the oldest of them coordinates, only they are replicas, and the first step waits for all of them (or the node's
    /// start timeout). Null: every trainer of the cluster, the node's <see cref="TrainerOptions.MinReplicas"/>.
    /// </summary>
    public IReadOnlyList<string>? Participants { get; init; }

    public void Validate()
    {
        if ((ManifestPath is null) == (Data is null)) throw new ArgumentException("a training job names a manifest or carries its data, not both or neither");
        if (Data is not null && string.IsNullOrWhiteSpace(RunId)) throw new ArgumentException("a training job with data in memory needs its run id");
    }
}

/// <summary>Ask the node's <see cref="TrainerActor"/> to train <see cref="Job"/>; answered with <see cref="TrainingCompleted"/> when it ends (or <see cref="Status.Failure"/>).</summary>
public sealed record StartTraining(TrainingJob Job);

/// <summary>
/// A run this node coordinated has ended: where its model is (the best validation epoch's weights), that epoch, how
/// many epochs ran, whether early stopping ended it, and the test clips' report (null without test clips).
/// </summary>
public sealed record TrainingCompleted(string RunId, string? ModelPath, int BestEpoch, int EpochsRun, bool StoppedEarly, ClassificationReport? Test);

/// <summary>Run actor → its parent: the run ended (this node was its coordinator).</summary>
public sealed record RunEnded(string RunId, string? ModelPath, int BestEpoch, int EpochsRun, bool StoppedEarly, ClassificationReport? Test);

/// <summary>Run actor → its parent: the run could not start (bad manifest, missing features, ...).</summary>
public sealed record RunFailed(string? RunId, string Reason);

/// <summary>
/// The trainer of a <c>trainer</c>-role node, at <c>/user/trainer</c>: a thin shell that runs one
/// <see cref="TrainingRunActor"/> child per training run — the node's configured manifest at start, then each
/// <see cref="StartTraining"/> job, one at a time — and routes the runs' cluster messages (<see cref="ITrainingMessage"/>)
/// to the child of their run id. The requester of a job gets <see cref="TrainingCompleted"/> when the run ends.
/// </summary>
public sealed class TrainerActor : ReceiveActor
{
    public const string Name = "trainer";
    public const string DispatcherId = "emotioncluster-trainer-dispatcher";

    private readonly TrainerOptions _options;
    private readonly IFeatureStore _store;
    private readonly TrainingStatusBoard _board;
    private readonly IEvaluationSink? _sink;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, IActorRef> _runs = new(); // run id → child
    private IActorRef? _current;
    private string? _currentRunId;
    private FoldTrained? _lastAnswer; // a remote job's answer, kept to answer a coordinator that asks again for the same run
    private bool _currentEnded; // the current run ended (it stays to answer late replicas until the next run)
    private IActorRef? _requester;
    private bool _remoteRequester; // the requester is a fold dispatcher on another node: it gets FoldTrained / FoldFailed
    private int _started;

    public TrainerActor(TrainerOptions options, IFeatureStore store, TrainingStatusBoard board, IEvaluationSink? sink, ILoggerFactory? loggers)
    {
        _options = options;
        _store = store;
        _board = board;
        _sink = sink;
        _loggers = TrainingLog.OrNull(loggers);
        _logger = _loggers.CreateLogger<TrainerActor>();

        Receive<StartTraining>(OnStart);
        Receive<RunEnded>(m => Sender.Equals(_current), m =>
        {
            _currentEnded = true;
            _lastAnswer = new FoldTrained(m.RunId, m.ModelPath, m.BestEpoch, m.EpochsRun, m.StoppedEarly);
            _requester?.Tell(_remoteRequester
                ? new FoldTrained(m.RunId, m.ModelPath, m.BestEpoch, m.EpochsRun, m.StoppedEarly)
                : new TrainingCompleted(m.RunId, m.ModelPath, m.BestEpoch, m.EpochsRun, m.StoppedEarly, m.Test));
            _requester = null;
        });
        Receive<RunFailed>(m => Sender.Equals(_current), m =>
        {
            _currentEnded = true;
            Fail($"training failed: {m.Reason}", m.RunId);
            EndCurrent();
        });
        Receive<RunEnded>(_ => { }); // of a run already replaced
        Receive<RunFailed>(_ => { });
        Receive<Terminated>(t =>
        {
            foreach (var id in _runs.Where(kv => kv.Value.Equals(t.ActorRef)).Select(kv => kv.Key).ToList()) _runs.Remove(id);
            if (!t.ActorRef.Equals(_current)) return;
            if (!_currentEnded)
            {
                // stopped by its supervisor after failing again and again: whoever waits for it hears so
                board.SetState("failed", null, "the training run kept failing and was stopped; see the node's log");
                Fail("training failed: the run kept failing and was stopped; see the node's log", null);
            }
            _current = null;
        });
        Receive<TrainFold>(m =>
        {
            var job = new TrainingJob(ManifestPath: m.ManifestPath, RunId: m.RunId, ModelOutput: m.ModelOutput, CheckpointDirectory: m.CheckpointDirectory, Solo: true);
            if (_current is not null && !_currentEnded)
            {
                Sender.Tell(new FoldFailed(m.RunId, Busy));
                return;
            }
            EndCurrent();
            _requester = Sender;
            _remoteRequester = true;
            _logger.Line($"fold job run={m.RunId} manifest={m.ManifestPath} from {Sender.Path.Address}");
            Run(job);
        });
        Receive<TrainReplicated>(m =>
        {
            string self = Akka.Cluster.Cluster.Get(Context.System).SelfAddress.ToString();
            if (_current is not null && _currentRunId == m.RunId)
            {
                // the same run again (a resend, or a training coordinator that took over): a run is trained once per
                // node; the new requester gets its answer (now, if the run already ended here)
                _requester = Sender;
                _remoteRequester = true;
                Sender.Tell(new JobAccepted(m.RunId, self));
                if (_currentEnded && _lastAnswer?.RunId == m.RunId)
                {
                    Sender.Tell(_lastAnswer);
                    _requester = null;
                }
                return;
            }
            if (_current is not null && !_currentEnded)
            {
                Sender.Tell(new FoldFailed(m.RunId, Busy));
                return;
            }
            // each participant keeps its own checkpoints (and the coordinator its evaluator outbox) below the job's folder
            string folder = new(self.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
            var job = new TrainingJob(ManifestPath: m.ManifestPath, RunId: m.RunId, ModelOutput: m.ModelOutput,
                CheckpointDirectory: Path.Combine(m.CheckpointDirectory, folder)) { Participants = m.Participants };
            EndCurrent();
            _requester = Sender;
            _remoteRequester = true;
            _logger.Line($"data-parallel job run={m.RunId} manifest={m.ManifestPath} replicas={m.Participants.Length} from {Sender.Path.Address}");
            Run(job);
            Sender.Tell(new JobAccepted(m.RunId, self));
        });
        Receive<CancelRun>(m =>
        {
            if (_current is null || _currentEnded || _currentRunId != m.RunId) return;
            _logger.Line($"run {m.RunId} cancelled: {m.Reason}");
            board.SetState("cancelled", m.RunId, m.Reason);
            _requester = null;
            EndCurrent();
        });
        Receive<ITrainingMessage>(m =>
        {
            if (_runs.TryGetValue(m.RunId, out var run)) run.Forward(m);
            else _log.Debug("ignoring {0} of run {1}: this node does not train it (are all trainers given the same manifest?)", m.GetType().Name, m.RunId);
        });
        Receive<RunIdentified>(m => _runs[m.RunId] = Sender);
    }

    /// <summary>Run actor → parent, once it knows its run id (a manifest's id is known only after loading it).</summary>
    public sealed record RunIdentified(string RunId);

    /// <summary>
    /// A run that throws is restarted and resumes from its checkpoint; one that fails <see cref="MaxRestarts"/> times
    /// within a minute is stopped (its requester is told), not restarted for ever.
    /// </summary>
    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(MaxRestarts, TimeSpan.FromMinutes(1), _ => Directive.Restart);

    public const int MaxRestarts = 3;

    public static Props PropsFor(TrainerOptions options, IFeatureStore store, TrainingStatusBoard board, IEvaluationSink? sink = null, ILoggerFactory? loggers = null) =>
        Props.Create(() => new TrainerActor(options, store, board, sink, loggers));

    protected override void PreStart()
    {
        if (string.IsNullOrWhiteSpace(_options.Manifest))
        {
            _board.SetState("idle", null, "no training manifest configured (EmotionCluster:Training:Manifest); waiting for a job");
            return;
        }
        Run(new TrainingJob(ManifestPath: _options.Manifest));
    }

    private void OnStart(StartTraining m)
    {
        try { m.Job.Validate(); }
        catch (ArgumentException e)
        {
            Sender.Tell(new Status.Failure(e));
            return;
        }
        if (_current is not null && !_currentEnded)
        {
            Sender.Tell(new Status.Failure(new InvalidOperationException("this node's trainer is busy with another run; wait for it to end")));
            return;
        }
        EndCurrent(); // an ended run (kept to answer late replicas) makes way
        _requester = Sender;
        _remoteRequester = false;
        Run(m.Job);
    }

    /// <summary><see cref="FoldFailed.Reason"/> of a fold sent to a trainer that is busy with another run: send it elsewhere or later.</summary>
    public const string Busy = "busy";

    private void Fail(string reason, string? runId)
    {
        if (_requester is null) return;
        _requester.Tell(_remoteRequester ? new FoldFailed(runId ?? "", reason) : new Status.Failure(new InvalidOperationException(reason)));
        _requester = null;
    }

    private void Run(TrainingJob job)
    {
        var child = Context.ActorOf(TrainingRunActor.PropsFor(_options, job, _store, _board, _sink, _loggers), $"run-{++_started}");
        Context.Watch(child);
        _current = child;
        _currentRunId = job.RunId;
        _currentEnded = false;
        if (job.RunId is { } id) _runs[id] = child;
    }

    private void EndCurrent()
    {
        if (_current is null) return;
        Context.Stop(_current);
        _current = null;
        _currentRunId = null;
    }
}
