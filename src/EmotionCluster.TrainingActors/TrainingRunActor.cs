using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using EmotionCluster.Extraction;
using EmotionCluster.Hosting;
using EmotionCluster.Model;
using EmotionCluster.Wire;
using Microsoft.Extensions.Logging;

namespace EmotionCluster.TrainingActors;

/// <summary>
/// One training run on this node: a child of the node's <see cref="TrainerActor"/> (which routes the run's messages
/// to it by run id), on its own pinned thread (<see cref="TrainerActor.DispatcherId"/>). It loads the run's examples and
/// checkpoint and hands the model to its child <see cref="ReplicaActor"/>, which trains (computes and applies steps,
/// judges epochs, checkpoints); this actor coordinates. The oldest Up trainer is the coordinator: at the start of each
/// global step it takes the Up, reachable, ready trainers' replica actors and its own as that step's replicas (rank =
/// order of address), sends each a <see cref="StepStart"/>, collects their <see cref="GradientFrame"/>s, drops those
/// that die or stall past <see cref="TrainerOptions.StepTimeout"/>, averages (weighted by slice weight, in
/// <see cref="StepReducer"/> and <see cref="GradientFrameAssembler"/>) and sends the result to every replica of the
/// step, which all apply the same update. A replica whose state does not match the step (a restart, a missed result)
/// asks for the coordinator's state (<see cref="NeedState"/>), which the coordinator's own replica provides. The
/// coordinator publishes progress and epochs, records them through the evaluator sink and, when the run ends (its last
/// step, or early stopping), has its replica restore the best epoch's weights, write the model and score the test clips,
/// then tells its parent (<see cref="RunEnded"/>); a run that cannot start tells it <see cref="RunFailed"/>.
/// </summary>
public sealed class TrainingRunActor : ReceiveActor, IWithTimers
{
    private readonly TrainerOptions _options;
    private readonly TrainingJob _job;
    private readonly IFeatureStore _store;
    private readonly TrainingStatusBoard _board;
    private readonly IEvaluationSink? _sink;
    private IEvaluationSink? _runSink;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly IActorRef _mediator = DistributedPubSub.Get(Context.System).Mediator;
    private readonly CheckpointStore _checkpoints;
    private readonly Dictionary<Address, Member> _trainers = new();
    private readonly HashSet<Address> _unreachable = new();
    private string _runId = "";
    private Address? _coordinator;
    private bool _finished;

    // the run's replica (this node's ReplicaActor) and what it last reported; what does not change during the run
    private IActorRef? _replica;
    private ReplicaActor.Status _replicaStatus = new(0, 0, false, 0, false);
    private TrainingData? _data;
    private DataParallelStep? _plan;
    private int _epochs;
    private long _totalSteps;
    private int _vectorLength;

    // coordinator side
    private readonly Dictionary<Address, IActorRef> _ready = new();
    private readonly Dictionary<Address, IActorRef> _needState = new();
    private readonly GradientFrameAssembler _contributionFrames = new();
    private readonly Dictionary<int, float[]> _contributed = new();
    private StepReducer? _step;
    private List<(Address Address, IActorRef Ref)> _participants = [];
    private int _ownRank;
    private bool _started;
    private bool _replicaSynced; // its answer to Coordinate arrived: every step it applied before is known
    private long? _awaitingApplied; // the step the coordinator's own replica is applying
    private bool _awaitingSnapshot;
    private ReplicaActor.Snapshot? _finalState;
    private DateTime _coordinatorSince;
    private readonly Stopwatch _stepClock = new();
    private readonly Stopwatch _epochClock = new();
    private readonly StageTimes _stages = new();
    private long _epochSamples;
    private double _allReduceMs;
    private double _ownDoneMs;
    private long _stepBytes;
    // every epoch this node judged (as coordinator or replica): a replica that takes over sends them again after the
    // run's start, so an epoch whose record died with the old coordinator still reaches the journal (repeats are ignored there)
    private readonly List<(EpochMetrics Metrics, Metrics.ClassificationReport? Validation)> _judged = new();

    public TrainingRunActor(TrainerOptions options, TrainingJob job, IFeatureStore store, TrainingStatusBoard board, IEvaluationSink? sink, ILoggerFactory? loggers)
    {
        _options = options;
        _job = job;
        _store = store;
        _board = board;
        _sink = sink;
        _loggers = TrainingLog.OrNull(loggers);
        _logger = _loggers.CreateLogger<TrainingRunActor>();
        _checkpoints = new CheckpointStore(job.CheckpointDirectory ?? options.CheckpointDirectory);

        Receive<ClusterEvent.MemberUp>(e => OnMember(e.Member));
        Receive<ClusterEvent.MemberExited>(e => OnMemberGone(e.Member));
        Receive<ClusterEvent.MemberRemoved>(e => OnMemberGone(e.Member));
        Receive<ClusterEvent.UnreachableMember>(e => OnUnreachable(e.Member));
        Receive<ClusterEvent.ReachableMember>(e => _unreachable.Remove(e.Member.Address));
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<ClusterEvent.IReachabilityEvent>(_ => { });
        Receive<Tick>(_ => OnTick());

        Receive<ReplicaReady>(m => Mine(m), OnReady);
        Receive<GradientFrame>(m => Mine(m) && m.Rank >= 0, OnContributionFrame);
        Receive<GradientContributed>(m => Mine(m), OnContributed);
        Receive<NeedState>(m => Mine(m), OnNeedState);
        Receive<StepTimedOut>(m => OnStepTimeout(m.Step));
        Receive<NextStep>(_ => StartNextStep());
        Receive<AnnounceEnd>(m =>
        {
            int pending = _runSink?.PendingRecords ?? 0;
            if (pending > 0 && DateTime.UtcNow < m.Deadline)
            {
                Timers.StartSingleTimer("announce-end", m, TimeSpan.FromMilliseconds(100));
                return;
            }
            if (pending > 0)
                _log.Warning("run {0} ended with {1} evaluator record(s) not yet in the journal after {2}; they stay in {3} and are sent when the run resumes",
                    _runId, pending, RecordsDrainTimeout, _checkpoints.Directory);
            Context.Parent.Tell(m.Ended);
        });

        // from this node's replica
        Receive<ReplicaActor.Coordinated>(m => FromReplica(), m =>
        {
            _replicaStatus = m.Status;
            if (IsCoordinator) _replicaSynced = true;
        });
        Receive<ReplicaActor.Applied>(m => FromReplica(), OnApplied);
        Receive<ReplicaActor.Synchronized>(m => FromReplica(), m => _replicaStatus = m.Status);
        Receive<ReplicaActor.Snapshot>(m => FromReplica(), OnSnapshot);
        Receive<ReplicaActor.Finished>(m => FromReplica(), OnReplicaFinished);
        Receive<ReplicaActor.Ended>(m => FromReplica(), OnEnded);

        Receive<ITrainingMessage>(m => _log.Warning("ignoring {0} of run {1}; this trainer runs {2} (are all trainers given the same manifest and settings?)",
            m.GetType().Name, m.RunId, _runId == "" ? "nothing" : _runId));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props PropsFor(TrainerOptions options, TrainingJob job, IFeatureStore store, TrainingStatusBoard board, IEvaluationSink? sink = null, ILoggerFactory? loggers = null) =>
        Props.Create(() => new TrainingRunActor(options, job, store, board, sink, loggers)).WithDispatcher(TrainerActor.DispatcherId);

    private sealed record Tick;
    private sealed record AnnounceEnd(RunEnded Ended, DateTime Deadline);

    /// <summary>How long a finished run waits for the journal to acknowledge its records before it announces its end.</summary>
    public static readonly TimeSpan RecordsDrainTimeout = TimeSpan.FromSeconds(30);
    private sealed record NextStep;
    private sealed record StepTimedOut(long Step);

    private string Node => _cluster.SelfAddress.ToString();
    private bool IsCoordinator => _coordinator is not null && _coordinator.Equals(_cluster.SelfAddress);
    private bool Mine(IWithTrainingRunId m) => _replica is not null && m.RunId == _runId;
    private bool FromReplica() => _replica is not null && Sender.Equals(_replica);

    /// <summary>
    /// A failure of the replica (e.g. from torch) fails the run actor: its supervisor restarts it, the new instance reloads
    /// the data and resumes from this trainer's last checkpoint (see <see cref="PreRestart"/>).
    /// </summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Escalate);

    protected override void PreStart()
    {
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
        Timers.StartPeriodicTimer("tick", new Tick(), TimeSpan.FromMilliseconds(250));
        DataParallelReplica? replica = null;
        try
        {
            _board.SetState("loading", _job.RunId, _job.Data is null ? $"loading {_job.ManifestPath}" : "preparing the examples");
            TrainingData data;
            if (_job.Data is { } given)
            {
                data = given with { Recipe = _options.ForThisNode(given.Recipe) };
                _runId = _job.RunId ?? throw new ArgumentException("a job with data in memory needs its run id");
            }
            else
            {
                var manifest = TrainingManifest.Load(_job.ManifestPath!);
                data = TrainingData.Load(manifest, _store, _options.ForThisNode(manifest.GetRecipe(_job.ManifestPath!)));
                _runId = _job.RunId ?? RunIdentity.Of(manifest); // a CLI's fold names its run (one per invocation)
            }
            replica = new DataParallelReplica(_runId, data);
            Context.Parent.Tell(new TrainerActor.RunIdentified(_runId));
            _runSink = _sink?.ForRun(Context, _checkpoints.Directory);
            var checkpoint = _checkpoints.TryLoad();
            if (checkpoint is not null)
            {
                replica.Restore(checkpoint, restoreRandom: true);
                _logger.Line($"resumed from checkpoint epoch={checkpoint.Epoch} step={checkpoint.Step} run={_runId} dir={_checkpoints.Directory}");
            }
            _data = replica.Data;
            _plan = replica.Plan;
            _epochs = replica.Settings.Epochs;
            _totalSteps = replica.TotalSteps;
            _vectorLength = replica.VectorLength;
            _replicaStatus = new ReplicaActor.Status(replica.AppliedStep, replica.CompletedEpochs, replica.Finished, replica.BestEpoch, replica.StopEarly);
            // a run restored at its end is not marked finished here: the coordinator's first step finds it finished and
            // completes it (best weights, model file, test, journal, requester) again, idempotently; a replica learns
            // it from the coordinator
            _board.SetState(replica.Finished ? "finishing" : "running", _runId, $"{data.TrainX.Length} training examples, {replica.TotalSteps} steps");
            _logger.Line($"trainer ready run={_runId} examples={data.TrainX.Length} parameters={replica.ParameterCount} vector={replica.VectorLength} " +
                   $"steps={replica.TotalSteps} applied={replica.AppliedStep} device={_options.Device} " +
                   $"torch-threads={TorchSharp.torch.get_num_threads()} thread={Environment.CurrentManagedThreadId} pool-thread={Thread.CurrentThread.IsThreadPoolThread.ToString().ToLowerInvariant()}");
            // the replica owns the model from here on (and disposes it)
            string? bestModel = _job.Data is not null || _job.Solo || string.IsNullOrWhiteSpace(_options.BestModelOutput)
                ? null // a CLI job's model (or fold's) is its own
                : Path.GetFullPath(_options.BestModelOutput);
            _replica = Context.ActorOf(ReplicaActor.PropsFor(replica, _checkpoints, _options, bestModel, _loggers), ReplicaActor.Name);
            replica = null;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or InvalidOperationException or UnauthorizedAccessException)
        {
            replica?.Dispose();
            _replica = null;
            _board.SetState("failed", _runId == "" ? null : _runId, e.Message);
            _logger.Line($"training failed: {e.Message}");
            Context.Parent.Tell(new RunFailed(_job.RunId ?? (_runId == "" ? null : _runId), e.Message));
        }
    }

    /// <summary>
    /// After an exception (e.g. from torch, in the replica) the default supervision restarts the actor: the new instance
    /// reloads the data and resumes from its last checkpoint; a replica that is behind is then re-synchronized by the coordinator.
    /// </summary>
    protected override void PreRestart(Exception reason, object message)
    {
        _logger.Line($"trainer restarting after {reason.GetType().Name}: {reason.Message.Split('\n')[0]}; it resumes from its last checkpoint");
        base.PreRestart(reason, message);
    }

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    // ---- membership ----

    private void OnMember(Member m)
    {
        if (!m.HasRole(ClusterRoles.Trainer)) return;
        _trainers[m.Address] = m;
        UpdateCoordinator();
    }

    private void OnMemberGone(Member m)
    {
        if (!_trainers.Remove(m.Address)) return;
        _ready.Remove(m.Address);
        _needState.Remove(m.Address);
        DropFromStep(m.Address, "left the cluster");
        UpdateCoordinator();
    }

    private void OnUnreachable(Member m)
    {
        _unreachable.Add(m.Address);
        DropFromStep(m.Address, "is unreachable");
    }

    private void UpdateCoordinator()
    {
        // a job whose examples are in this process only (the CLI's) is trained here alone; a manifest's run by the oldest trainer
        var oldest = _job.Data is not null || _job.Solo ? _cluster.SelfAddress
            : _trainers.Values.Where(m => m.Status == MemberStatus.Up && Participates(m.Address)).OrderBy(m => m, Member.AgeOrdering).FirstOrDefault()?.Address;
        if (oldest is null || oldest.Equals(_coordinator)) return;
        _coordinator = oldest;
        if (_replica is null) return;
        _logger.Line($"coordinator {oldest}{(IsCoordinator ? " (this node)" : "")}");
        if (IsCoordinator)
        {
            _started = false;
            _replicaSynced = false;
            _coordinatorSince = DateTime.UtcNow;
        }
        else
        {
            AbandonStep();
        }
        // the replica takes steps from the coordinator (this actor, or another node's, where it announces itself)
        _replica.Tell(new ReplicaActor.Coordinate(oldest, IsCoordinator));
    }

    private void OnTick()
    {
        if (_replica is null || _coordinator is null || !IsCoordinator || _started || _finished || !_replicaSynced) return;
        int readyCount = 1 + _ready.Keys.Count(Eligible);
        // a named participant that already left the cluster is not waited for (a coordinator that took over)
        int wanted = _job.Solo ? 1
            : _job.Participants is { Count: > 0 } p ? Math.Max(1, p.Count(a => _trainers.TryGetValue(Address.Parse(a), out var m) && m.Status == MemberStatus.Up))
            : _options.MinReplicas;
        if (readyCount < wanted && DateTime.UtcNow - _coordinatorSince < _options.StartTimeout) return;
        _started = true;
        _epochClock.Restart();
        // at every start, not only at step 0: idempotent in the journal, and a coordinator that resumes (or takes
        // over) after the first start never reached the journal still records the run
        // the run as it was planned: a coordinator that took over describes it with the participants it was started with
        _runSink?.RunStarted(_runId, _data!.Recipe.PortableJson(), _data.Labels,
            Describe(_job.Participants is { Count: > 0 } planned ? planned.Count : readyCount));
        foreach (var (metrics, validation) in _judged)
        {
            _runSink?.EpochEvaluated(metrics, validation);
            // and on the topic: an epoch the old coordinator judged but did not publish before it died still reaches
            // the requester's progress (RunEpochs replaces a repeated epoch)
            _mediator.Tell(new Publish(TrainingTopics.Evaluation, metrics));
        }
        _logger.Line($"starting at step {_replicaStatus.AppliedStep + 1} with {readyCount} replica(s)");
        StartNextStep();
    }

    /// <summary>What the run is, for the journal: the recipe's hash, where the examples come from, the seed, the trainer nodes Up now and the replicas.</summary>
    private Evaluator.RunDescription Describe(int replicas)
    {
        var data = _data!;
        int nodes = Math.Max(1, _trainers.Values.Count(m => m.Status == MemberStatus.Up));
        return new Evaluator.RunDescription(data.Recipe.Hash(), data.Origin.Corpus, data.Origin.CorpusPath, data.Origin.Split,
            data.Recipe.Training.Seed, nodes, replicas);
    }

    private bool Eligible(Address a) => _trainers.TryGetValue(a, out var m) && m.Status == MemberStatus.Up && !_unreachable.Contains(a) && Participates(a);

    /// <summary>Whether the trainer at <paramref name="a"/> is one of this run's replicas (every trainer, unless the job names them).</summary>
    private bool Participates(Address a) => _job.Participants is not { Count: > 0 } p || p.Contains(a.ToString());

    // ---- this node's replica ----

    private void OnApplied(ReplicaActor.Applied m)
    {
        _replicaStatus = m.Status;
        if (m.Epoch is { } judged)
        {
            var metrics = judged.Metrics;
            if (IsCoordinator) metrics = metrics with { Seconds = _epochClock.Elapsed.TotalSeconds };
            _judged.RemoveAll(j => j.Metrics.Epoch >= metrics.Epoch); // a resumed or resynchronized run judges an epoch again
            _judged.Add((metrics, judged.Validation));
            if (IsCoordinator)
            {
                _board.Report(metrics);
                TrainingMetrics.EpochEvaluated(metrics);
                _mediator.Tell(new Publish(TrainingTopics.Evaluation, metrics));
                // into the run's outbox (on disk) before the replica's checkpoint: a checkpointed epoch's record is never lost
                _runSink?.EpochEvaluated(metrics, judged.Validation);
                _replica!.Tell(new ReplicaActor.EpochRecorded(m.Step.Step));
            }
        }
        if (IsCoordinator && _awaitingApplied == m.Step.Step)
        {
            _awaitingApplied = null;
            StepDone(m.Step);
        }
    }

    private void OnEnded(ReplicaActor.Ended m)
    {
        if (_finished) return;
        _finished = true;
        _replicaStatus = m.Status;
        _board.SetState("finished", _runId, $"finished {m.Status.AppliedStep} steps, {m.Status.CompletedEpochs} epochs");
        // this replica's part is done: its node may take the next job (the coordinator writes the model and answers with it)
        Context.Parent.Tell(new RunEnded(_runId, null, m.Status.BestEpoch, m.Status.CompletedEpochs, m.Status.StopEarly, null));
    }

    // ---- coordinator ----

    private void OnReady(ReplicaReady m)
    {
        if (!IsCoordinator) return;
        var address = Sender.Path.Address;
        if (!_ready.ContainsKey(address)) _logger.Line($"replica ready {address} applied={m.AppliedStep}");
        _ready[address] = Sender;
        if (_finished)
        {
            if (_finalState is not { } final)
            {
                _needState[address] = Sender; // it gets the final state and the end with the others
                return;
            }
            if (m.AppliedStep != final.Step) SendState(Sender, final); // a late replica ends with the final weights too
            Sender.Tell(new TrainingFinished(_runId, final.Step, _replicaStatus.CompletedEpochs));
            return;
        }
        if (m.AppliedStep != _replicaStatus.AppliedStep) _needState[address] = Sender;
    }

    private void StartNextStep()
    {
        if (!IsCoordinator || _step is not null || _finished || _awaitingApplied is not null || _awaitingSnapshot) return;
        var own = _replica!;
        if (_replicaStatus.Finished)
        {
            Finish();
            return;
        }
        if (_needState.Keys.Any(Eligible))
        {
            _awaitingSnapshot = true; // the replicas that are behind get this node's replica's state first
            own.Tell(new ReplicaActor.TakeSnapshot());
            return;
        }
        _needState.Clear();

        _participants = _ready.Where(kv => Eligible(kv.Key)).Select(kv => (kv.Key, kv.Value))
            .Append((_cluster.SelfAddress, own))
            .OrderBy(p => p.Item1.ToString(), StringComparer.Ordinal)
            .ToList();
        _ownRank = _participants.FindIndex(p => p.Ref.Equals(own));
        long s = _replicaStatus.AppliedStep + 1;
        _contributed.Clear();
        _stepClock.Restart();
        _stepBytes = 0;
        _allReduceMs = 0;
        _ownDoneMs = 0;
        if (_participants.Count == 1)
        {
            // alone in this step: gradients applied in place, no vector to flatten, average and copy back
            _awaitingApplied = s;
            own.Tell(new ReplicaActor.TrainAlone(s));
            return;
        }
        _step = new StepReducer(s, Enumerable.Range(0, _participants.Count), _vectorLength);
        for (int rank = 0; rank < _participants.Count; rank++)
            _participants[rank].Ref.Tell(new StepStart(_runId, s, rank, _participants.Count));
        Timers.StartSingleTimer("step-timeout", new StepTimedOut(s), _options.StepTimeout);
    }

    private void OnSnapshot(ReplicaActor.Snapshot m)
    {
        _awaitingSnapshot = false;
        foreach (var (address, actor) in _needState.ToList())
        {
            if (!Eligible(address)) continue;
            SendState(actor, m);
            _logger.Line($"sent state at step {m.Step} to {address}");
        }
        _needState.Clear();
        StartNextStep();
    }

    private void OnContributionFrame(GradientFrame f)
    {
        if (_step is null || f.Step != _step.Step || !IsParticipant(f.Rank)) return;
        if (f.Rank != _ownRank)
        {
            TrainingMetrics.AllReduceBytes.Add(f.Bytes.Length);
            _stepBytes += f.Bytes.Length;
        }
        try
        {
            if (_contributionFrames.Add(f) is { } values) _contributed[f.Rank] = values;
        }
        catch (InvalidDataException e)
        {
            _log.Warning("step {0}: {1}; dropping rank {2}", f.Step, e.Message, f.Rank);
            if (_step.Drop(f.Rank)) TrainingMetrics.DroppedReplicas.Add(1);
            TryFinishStep();
        }
    }

    private void OnContributed(GradientContributed m)
    {
        if (_step is null || m.Step != _step.Step || !IsParticipant(m.Rank)) return;
        if (!_contributed.Remove(m.Rank, out var values))
        {
            _log.Warning("step {0}: rank {1} reported its gradients without sending them; dropping it", m.Step, m.Rank);
            _step.Drop(m.Rank);
        }
        else
        {
            _step.Add(new Contribution(m.Rank, m.Weight, values, m.LossSum, m.Correct, m.Samples));
            if (m.Rank == _ownRank) _ownDoneMs = _stepClock.Elapsed.TotalMilliseconds;
        }
        TryFinishStep();
    }

    private bool IsParticipant(int rank) =>
        rank >= 0 && rank < _participants.Count && _participants[rank].Ref.Path.Address.Equals(Sender.Path.Address);

    private void OnNeedState(NeedState m)
    {
        if (!IsCoordinator || Sender.Equals(_replica)) return;
        var address = Sender.Path.Address;
        _needState[address] = Sender;
        _ready[address] = Sender;
        if (_step is not null && m.Step == _step.Step)
        {
            int rank = _participants.FindIndex(p => p.Address.Equals(address));
            if (rank >= 0 && _step.Drop(rank)) _logger.Line($"step {m.Step}: rank {rank} ({address}) is at step {m.AppliedStep}; it gets the state after this step");
            TryFinishStep();
        }
    }

    private void OnStepTimeout(long s)
    {
        if (_step is null || _step.Step != s) return;
        foreach (int rank in _step.Missing.ToList())
        {
            if (rank == _ownRank) continue; // this node's replica is not dropped: the step waits for it
            _step.Drop(rank);
            TrainingMetrics.DroppedReplicas.Add(1);
            var address = _participants[rank].Address;
            _ready.Remove(address);
            _logger.Line($"step {s}: dropped rank {rank} ({address}): no gradients within {_options.StepTimeout.TotalSeconds:0.###} s");
        }
        TryFinishStep();
    }

    private void DropFromStep(Address address, string why)
    {
        if (_step is null || !IsCoordinator) return;
        int rank = _participants.FindIndex(p => p.Address.Equals(address));
        if (rank < 0 || rank == _ownRank) return;
        if (_step.Drop(rank))
        {
            TrainingMetrics.DroppedReplicas.Add(1);
            _logger.Line($"step {_step.Step}: dropped rank {rank} ({address}): it {why}");
        }
        _ready.Remove(address);
        TryFinishStep();
    }

    private void TryFinishStep()
    {
        if (_step is null || !_step.IsComplete) return;
        var stageScope = _stages.Measure("reduce");
        var reduced = _step.Reduce();
        _step = null;
        Timers.Cancel("step-timeout");
        _contributionFrames.DiscardBefore(reduced.Step + 1);
        _contributed.Clear();
        _allReduceMs = _stepClock.Elapsed.TotalMilliseconds - _ownDoneMs;
        TrainingMetrics.AllReduceMilliseconds.Record(_allReduceMs);

        var frames = reduced.Values is { } v ? GradientFrameAssembler.Split(_runId, reduced.Step, GradientFrameAssembler.ResultRank, v).ToList() : [];
        var done = new StepCompleted(_runId, reduced.Step, reduced.Values is not null, reduced.Contributors, reduced.Dropped, reduced.Weight, reduced.Loss, reduced.Correct, reduced.Samples);
        foreach (var (_, actor) in _participants)
        {
            bool remote = !actor.Equals(_replica);
            foreach (var f in frames)
            {
                actor.Tell(f);
                if (!remote) continue;
                TrainingMetrics.AllReduceBytes.Add(f.Bytes.Length);
                _stepBytes += f.Bytes.Length;
            }
            actor.Tell(done);
        }
        stageScope.Dispose();
        _awaitingApplied = reduced.Step; // this node's replica applies it too, then StepDone
    }

    /// <summary>The coordinator's replica applied the step: metrics, epoch end, progress publication, then the next step.</summary>
    private void StepDone(ReducedStep reduced)
    {
        TrainingMetrics.StepTook(_stepClock.Elapsed, coordinator: true);
        var stageScope = _stages.Measure("publish");
        _epochSamples += reduced.Samples;
        var (epoch, _) = _plan!.Locate(reduced.Step);
        double rate = _epochSamples / Math.Max(_epochClock.Elapsed.TotalSeconds, 1e-9);
        var progress = new TrainingProgress(_runId, epoch, _epochs, reduced.Step, _totalSteps, reduced.Loss, rate,
            reduced.Contributors.Length, Node, DateTimeOffset.UtcNow);
        _board.Report(progress);
        _mediator.Tell(new Publish(TrainingTopics.Progress, progress));
        _logger.Line(string.Create(CultureInfo.InvariantCulture,
            $"step {reduced.Step} epoch={epoch} replicas={reduced.Contributors.Length} dropped={reduced.Dropped.Length} loss={reduced.Loss:F4} ms={_stepClock.Elapsed.TotalMilliseconds:F1} allreduce_ms={_allReduceMs:F1} bytes={_stepBytes}"));
        if (reduced.Step % _plan.StepsPerEpoch == 0)
        {
            _epochSamples = 0;
            _epochClock.Restart();
        }
        Self.Tell(new NextStep());
        stageScope.Dispose();
    }

    private void SendState(IActorRef actor, ReplicaActor.Snapshot state)
    {
        string transfer = $"{_runId}/state/{state.Step}/{Guid.NewGuid():N}";
        foreach (var chunk in ChunkAssembler.Split(transfer, state.Bytes)) actor.Tell(chunk);
        actor.Tell(new StateSnapshot(_runId, state.Step, transfer));
    }

    /// <summary>The run's last step is applied (or early stopping ended it): this node's replica writes the model and scores the test clips.</summary>
    private void Finish()
    {
        if (_finished) return;
        _finished = true;
        if (_replicaStatus.StopEarly)
            _logger.Line($"early stopping after epoch {_replicaStatus.CompletedEpochs}: {_data!.Recipe.Training.EarlyStoppingPatience} epochs without a better validation UAR (best epoch {_replicaStatus.BestEpoch})");
        _replica!.Tell(new ReplicaActor.Finish(ModelOutput));
    }

    private string ModelOutput => _job.ModelOutput ?? _options.ModelOutput;

    private void OnReplicaFinished(ReplicaActor.Finished m)
    {
        var status = _replicaStatus = m.Status;
        _finalState = new ReplicaActor.Snapshot(status.AppliedStep, m.State);
        foreach (var (address, actor) in _needState)
            if (Eligible(address)) SendState(actor, _finalState);
        _needState.Clear();
        foreach (var actor in _ready.Values) actor.Tell(new TrainingFinished(_runId, status.AppliedStep, status.CompletedEpochs));
        if (m.Test is { } t)
            _logger.Line(string.Create(CultureInfo.InvariantCulture, $"test accuracy={t.Accuracy:F3} uar={t.Uar:F3} clips={_data!.TestY.Length} best_epoch={status.BestEpoch}"));
        _runSink?.RunCompleted(_runId, status.BestEpoch > 0 ? status.BestEpoch : null, m.Test);
        // the end is announced once the journal has the run's records (a bounded wait): whoever then stops this actor,
        // or deletes the job's folder with the outbox, loses nothing
        string modelOutput = ModelOutput;
        Self.Tell(new AnnounceEnd(new RunEnded(_runId, string.IsNullOrWhiteSpace(modelOutput) ? null : Path.GetFullPath(modelOutput), status.BestEpoch,
            status.CompletedEpochs, status.StopEarly, m.Test), DateTime.UtcNow + RecordsDrainTimeout));
        _board.SetState("finished", _runId, $"finished {status.AppliedStep} steps, {status.CompletedEpochs} epochs");
        _logger.Line(m.StageTimes + " " + _stages.Summary());
        _logger.Line($"training finished steps={status.AppliedStep} epochs={status.CompletedEpochs} checksum={m.Checksum}");
    }

    private void AbandonStep()
    {
        _step = null;
        _awaitingApplied = null;
        _awaitingSnapshot = false;
        _contributed.Clear();
        _contributionFrames.DiscardBefore(long.MaxValue);
        Timers.Cancel("step-timeout");
    }
}
