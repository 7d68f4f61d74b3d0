using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using EmotionCluster.Cluster;
using EmotionCluster.Extraction;
using EmotionCluster.Model;

namespace EmotionCluster.Training;

/// <summary>
/// One training run on this node: a child of the node's <see cref="TrainerActor"/> (which routes the run's messages
/// to it by run id), on its own pinned thread (<see cref="TrainerActor.DispatcherId"/>). The oldest Up trainer is the coordinator: at the start of each global step it takes
/// the Up, reachable, ready trainers as that step's replicas (rank = order of address), sends each a
/// <see cref="StepStart"/>, computes its own slice, collects the others' <see cref="GradientFrame"/>s, drops those
/// that die or stall past <see cref="TrainerOptions.StepTimeout"/>, averages (weighted by slice weight) and sends the
/// result to every replica of the step, which all apply the same update. A replica whose state does not match the
/// step (a restart, a missed result) asks for the coordinator's state (<see cref="NeedState"/>). Every trainer
/// checkpoints at epoch ends and resumes from its checkpoint when restarted. The logic is in
/// <see cref="DataParallelReplica"/>, <see cref="StepReducer"/> and <see cref="GradientFrameAssembler"/>. When the run
/// ends (its last step, or early stopping) the coordinator restores the best epoch's weights, writes the model, scores
/// the test clips and tells its parent (<see cref="RunEnded"/>); a run that cannot start tells it <see cref="RunFailed"/>.
/// </summary>
public sealed class TrainingRunActor : ReceiveActor, IWithTimers
{
    private readonly TrainerOptions _options;
    private readonly TrainingJob _job;
    private readonly IFeatureStore _store;
    private readonly TrainingStatusBoard _board;
    private readonly IEvaluationSink? _sink;
    private IEvaluationSink? _runSink;
    private readonly Action<string> _output;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly IActorRef _mediator = DistributedPubSub.Get(Context.System).Mediator;
    private readonly CheckpointStore _checkpoints;
    private readonly Dictionary<Address, Member> _trainers = new();
    private readonly HashSet<Address> _unreachable = new();
    private DataParallelReplica? _replica;
    private string _runId = "";
    private Address? _coordinator;
    private bool _finished;

    // replica side
    private readonly GradientFrameAssembler _resultFrames = new();
    private readonly Dictionary<long, float[]> _results = new();
    private readonly ChunkAssembler _stateChunks = new();
    private readonly Dictionary<string, byte[]> _states = new();
    private DateTime _lastStepStart = DateTime.MinValue;
    private bool _inStep;

    // coordinator side
    private readonly Dictionary<Address, IActorRef> _ready = new();
    private readonly Dictionary<Address, IActorRef> _needState = new();
    private readonly GradientFrameAssembler _contributionFrames = new();
    private readonly Dictionary<int, float[]> _contributed = new();
    private StepReducer? _step;
    private List<(Address Address, IActorRef? Ref)> _participants = [];
    private bool _started;
    private DateTime _coordinatorSince;
    private readonly Stopwatch _stepClock = new();
    private readonly Stopwatch _epochClock = new();
    private long _epochSamples;
    private double _allReduceMs;
    private long _stepBytes;
    private ThreadUsage _runUsage;
    private readonly Stopwatch _runClock = new();
    // every epoch this node judged (as coordinator or replica): a replica that takes over sends them again after the
    // run's start, so an epoch whose record died with the old coordinator still reaches the journal (repeats are ignored there)
    private readonly List<(EpochMetrics Metrics, Evaluation.ClassificationReport? Validation)> _judged = new();

    public TrainingRunActor(TrainerOptions options, TrainingJob job, IFeatureStore store, TrainingStatusBoard board, IEvaluationSink? sink, Action<string>? output)
    {
        _options = options;
        _job = job;
        _store = store;
        _board = board;
        _sink = sink;
        _output = output ?? (line => _log.Info(line));
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

        Receive<StepStart>(m => Mine(m), OnStepStart);
        Receive<GradientFrame>(m => Mine(m) && m.Rank == GradientFrameAssembler.ResultRank, OnResultFrame);
        Receive<StepCompleted>(m => Mine(m), OnStepCompleted);
        Receive<DataChunk>(OnStateChunk);
        Receive<StateSnapshot>(m => Mine(m), OnStateSnapshot);
        Receive<TrainingFinished>(m => Mine(m), OnFinished);
        Receive<ITrainingMessage>(m => _log.Warning("ignoring {0} of run {1}; this trainer runs {2} (are all trainers given the same manifest and settings?)",
            m.GetType().Name, m.RunId, _runId == "" ? "nothing" : _runId));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props PropsFor(TrainerOptions options, TrainingJob job, IFeatureStore store, TrainingStatusBoard board, IEvaluationSink? sink = null, Action<string>? output = null) =>
        Props.Create(() => new TrainingRunActor(options, job, store, board, sink, output)).WithDispatcher(TrainerActor.DispatcherId);

    private sealed record Tick;
    private sealed record AnnounceEnd(RunEnded Ended, DateTime Deadline);

    /// <summary>How long a finished run waits for the journal to acknowledge its records before it announces its end.</summary>
    public static readonly TimeSpan RecordsDrainTimeout = TimeSpan.FromSeconds(30);
    private sealed record NextStep;
    private sealed record StepTimedOut(long Step);

    private string Node => _cluster.SelfAddress.ToString();
    private bool IsCoordinator => _coordinator is not null && _coordinator.Equals(_cluster.SelfAddress);
    private bool Mine(IWithTrainingRunId m) => _replica is not null && m.RunId == _runId;

    protected override void PreStart()
    {
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
        Timers.StartPeriodicTimer("tick", new Tick(), TimeSpan.FromMilliseconds(250));
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
            _replica = new DataParallelReplica(_runId, data);
            Context.Parent.Tell(new TrainerActor.RunIdentified(_runId));
            _runSink = _sink?.ForRun(Context, _checkpoints.Directory);
            var checkpoint = _checkpoints.TryLoad();
            if (checkpoint is not null)
            {
                _replica.Restore(checkpoint, restoreRandom: true);
                _output($"resumed from checkpoint epoch={checkpoint.Epoch} step={checkpoint.Step} run={_runId} dir={_checkpoints.Directory}");
            }
            // a run restored at its end is not marked finished here: the coordinator's first step finds it finished and
            // completes it (best weights, model file, test, journal, requester) again, idempotently; a replica learns
            // it from the coordinator
            _board.SetState(_replica.Finished ? "finishing" : "running", _runId, $"{data.TrainX.Length} training examples, {_replica.TotalSteps} steps");
            _output($"trainer ready run={_runId} examples={data.TrainX.Length} parameters={_replica.ParameterCount} vector={_replica.VectorLength} " +
                   $"steps={_replica.TotalSteps} applied={_replica.AppliedStep} device={_options.Device} " +
                   $"torch-threads={TorchSharp.torch.get_num_threads()} thread={Environment.CurrentManagedThreadId} pool-thread={Thread.CurrentThread.IsThreadPoolThread.ToString().ToLowerInvariant()}");
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or InvalidOperationException or UnauthorizedAccessException)
        {
            _replica?.Dispose();
            _replica = null;
            _board.SetState("failed", _runId == "" ? null : _runId, e.Message);
            _output($"training failed: {e.Message}");
            Context.Parent.Tell(new RunFailed(_job.RunId ?? (_runId == "" ? null : _runId), e.Message));
        }
    }

    /// <summary>
    /// After an exception (e.g. from torch) the default supervision restarts the actor: the new instance reloads the data
    /// and resumes from this trainer's last checkpoint; a replica that is behind is then re-synchronized by the coordinator.
    /// </summary>
    protected override void PreRestart(Exception reason, object message)
    {
        _output($"trainer restarting after {reason.GetType().Name}: {reason.Message.Split('\n')[0]}; it resumes from its last checkpoint");
        base.PreRestart(reason, message);
    }

    protected override void PostStop()
    {
        _cluster.Unsubscribe(Self);
        _replica?.Dispose();
    }

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
        _output($"coordinator {oldest}{(IsCoordinator ? " (this node)" : "")}");
        if (IsCoordinator)
        {
            _started = false;
            _coordinatorSince = DateTime.UtcNow;
            _results.Clear();
        }
        else
        {
            AbandonStep();
            _inStep = false;
            SendReady();
        }
    }

    private void OnTick()
    {
        if (_replica is null || _coordinator is null) return;
        if (IsCoordinator)
        {
            if (_started || _finished) return;
            int readyCount = 1 + _ready.Keys.Count(Eligible);
            // a named participant that already left the cluster is not waited for (a coordinator that took over)
            int wanted = _job.Solo ? 1
                : _job.Participants is { Count: > 0 } p ? Math.Max(1, p.Count(a => _trainers.TryGetValue(Address.Parse(a), out var m) && m.Status == MemberStatus.Up))
                : _options.MinReplicas;
            if (readyCount >= wanted || DateTime.UtcNow - _coordinatorSince >= _options.StartTimeout)
            {
                _started = true;
                _epochClock.Restart();
                _runUsage = ThreadUsage.Now();
                _runClock.Restart();
                // at every start, not only at step 0: idempotent in the journal, and a coordinator that resumes (or takes
                // over) after the first start never reached the journal still records the run
                // the run as it was planned: a coordinator that took over describes it with the participants it was started with
                _runSink?.RunStarted(_runId, _replica.Data.Recipe.PortableJson(), _replica.Data.Labels,
                    Describe(_job.Participants is { Count: > 0 } planned ? planned.Count : readyCount));
                foreach (var (metrics, validation) in _judged)
                {
                    _runSink?.EpochEvaluated(metrics, validation);
                    // and on the topic: an epoch the old coordinator judged but did not publish before it died still reaches
                    // the requester's progress (RunEpochs replaces a repeated epoch)
                    _mediator.Tell(new Publish(TrainingTopics.Evaluation, metrics));
                }
                _output($"starting at step {_replica.AppliedStep + 1} with {readyCount} replica(s)");
                StartNextStep();
            }
        }
        else if (!_finished && DateTime.UtcNow - _lastStepStart > (_inStep ? 2 * _options.StepTimeout : TimeSpan.FromSeconds(1)))
        {
            SendReady();
        }
    }

    /// <summary>What the run is, for the journal: the recipe's hash, where the examples come from, the seed, the trainer nodes Up now and the replicas.</summary>
    private Evaluator.RunDescription Describe(int replicas)
    {
        var data = _replica!.Data;
        int nodes = Math.Max(1, _trainers.Values.Count(m => m.Status == MemberStatus.Up));
        return new Evaluator.RunDescription(data.Recipe.Hash(), data.Origin.Corpus, data.Origin.CorpusPath, data.Origin.Split,
            data.Recipe.Training.Seed, nodes, replicas);
    }

    private void SendReady()
    {
        if (_replica is null || _coordinator is null || IsCoordinator || _finished) return;
        Context.ActorSelection(new RootActorPath(_coordinator) / "user" / TrainerActor.Name).Tell(new ReplicaReady(_runId, _replica.AppliedStep, Node));
    }

    private bool Eligible(Address a) => _trainers.TryGetValue(a, out var m) && m.Status == MemberStatus.Up && !_unreachable.Contains(a) && Participates(a);

    /// <summary>Whether the trainer at <paramref name="a"/> is one of this run's replicas (every trainer, unless the job names them).</summary>
    private bool Participates(Address a) => _job.Participants is not { Count: > 0 } p || p.Contains(a.ToString());

    // ---- coordinator ----

    private void OnReady(ReplicaReady m)
    {
        if (!IsCoordinator) return;
        var address = Sender.Path.Address;
        if (!_ready.ContainsKey(address)) _output($"replica ready {address} applied={m.AppliedStep}");
        _ready[address] = Sender;
        if (_finished)
        {
            if (m.AppliedStep != _replica!.AppliedStep) SendState(Sender); // a late replica ends with the final weights too
            Sender.Tell(new TrainingFinished(_runId, _replica.AppliedStep, _replica.CompletedEpochs));
            return;
        }
        if (m.AppliedStep != _replica!.AppliedStep) _needState[address] = Sender;
    }

    private void StartNextStep()
    {
        var r = _replica!;
        if (!IsCoordinator || _step is not null || _finished) return;
        if (r.Finished)
        {
            Finish();
            return;
        }
        foreach (var (address, actor) in _needState.ToList())
        {
            if (!Eligible(address)) continue;
            SendState(actor);
            _output($"sent state at step {r.AppliedStep} to {address}");
        }
        _needState.Clear();

        _participants = _ready.Where(kv => Eligible(kv.Key)).Select(kv => (kv.Key, (IActorRef?)kv.Value))
            .Append((_cluster.SelfAddress, null))
            .OrderBy(p => p.Item1.ToString(), StringComparer.Ordinal)
            .ToList();
        long s = r.AppliedStep + 1;
        _contributed.Clear();
        _stepClock.Restart();
        _stepBytes = 0;
        if (_participants.Count == 1)
        {
            // alone in this step: gradients applied in place, no vector to flatten, average and copy back
            ReducedStep alone;
            using (r.Stages.Measure("compute")) alone = r.TrainAlone(s);
            _allReduceMs = 0;
            StepDone(alone, 0);
            return;
        }
        _step = new StepReducer(s, Enumerable.Range(0, _participants.Count), r.VectorLength);
        int self = 0;
        for (int rank = 0; rank < _participants.Count; rank++)
        {
            if (_participants[rank].Ref is { } actor) actor.Tell(new StepStart(_runId, s, rank, _participants.Count));
            else self = rank;
        }
        Timers.StartSingleTimer("step-timeout", new StepTimedOut(s), _options.StepTimeout);
        Contribution own;
        using (r.Stages.Measure("compute")) own = r.Compute(s, self, _participants.Count);
        var ownDone = _stepClock.Elapsed;
        _step.Add(own);
        _allReduceMs = -ownDone.TotalMilliseconds;
        TryFinishStep();
    }

    private void OnContributionFrame(GradientFrame f)
    {
        if (_step is null || f.Step != _step.Step || !IsParticipant(f.Rank)) return;
        TrainingMetrics.AllReduceBytes.Add(f.Bytes.Length);
        _stepBytes += f.Bytes.Length;
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
        }
        TryFinishStep();
    }

    private bool IsParticipant(int rank) =>
        rank >= 0 && rank < _participants.Count && _participants[rank].Ref is { } actor && actor.Path.Address.Equals(Sender.Path.Address);

    private void OnNeedState(NeedState m)
    {
        if (!IsCoordinator) return;
        var address = Sender.Path.Address;
        _needState[address] = Sender;
        _ready[address] = Sender;
        if (_step is not null && m.Step == _step.Step)
        {
            int rank = _participants.FindIndex(p => p.Address.Equals(address));
            if (rank >= 0 && _step.Drop(rank)) _output($"step {m.Step}: rank {rank} ({address}) is at step {m.AppliedStep}; it gets the state after this step");
            TryFinishStep();
        }
    }

    private void OnStepTimeout(long s)
    {
        if (_step is null || _step.Step != s) return;
        foreach (int rank in _step.Missing.ToList())
        {
            _step.Drop(rank);
            TrainingMetrics.DroppedReplicas.Add(1);
            var address = _participants[rank].Address;
            _ready.Remove(address);
            _output($"step {s}: dropped rank {rank} ({address}): no gradients within {_options.StepTimeout.TotalSeconds:0.###} s");
        }
        TryFinishStep();
    }

    private void DropFromStep(Address address, string why)
    {
        if (_step is null || !IsCoordinator) return;
        int rank = _participants.FindIndex(p => p.Address.Equals(address));
        if (rank < 0 || _participants[rank].Ref is null) return;
        if (_step.Drop(rank))
        {
            TrainingMetrics.DroppedReplicas.Add(1);
            _output($"step {_step.Step}: dropped rank {rank} ({address}): it {why}");
        }
        _ready.Remove(address);
        TryFinishStep();
    }

    private void TryFinishStep()
    {
        if (_step is null || !_step.IsComplete) return;
        var stageScope = _replica!.Stages.Measure("reduce");
        var reduced = _step.Reduce();
        var r = _replica!;
        _step = null;
        Timers.Cancel("step-timeout");
        _contributionFrames.DiscardBefore(reduced.Step + 1);
        _contributed.Clear();
        _allReduceMs += _stepClock.Elapsed.TotalMilliseconds;
        TrainingMetrics.AllReduceMilliseconds.Record(_allReduceMs);
        double reduceMs = _allReduceMs;

        var frames = reduced.Values is { } v ? GradientFrameAssembler.Split(_runId, reduced.Step, GradientFrameAssembler.ResultRank, v).ToList() : [];
        var done = new StepCompleted(_runId, reduced.Step, reduced.Values is not null, reduced.Contributors, reduced.Dropped, reduced.Weight, reduced.Loss, reduced.Correct, reduced.Samples);
        foreach (var (_, actor) in _participants)
        {
            if (actor is null) continue;
            foreach (var f in frames)
            {
                actor.Tell(f);
                TrainingMetrics.AllReduceBytes.Add(f.Bytes.Length);
                _stepBytes += f.Bytes.Length;
            }
            actor.Tell(done);
        }
        stageScope.Dispose();
        using (r.Stages.Measure("apply")) r.Apply(reduced);
        StepDone(reduced, reduceMs);
    }

    /// <summary>The coordinator's step is applied: metrics, epoch end, progress publication, then the next step.</summary>
    private void StepDone(ReducedStep reduced, double reduceMs)
    {
        var r = _replica!;
        TrainingMetrics.StepTook(_stepClock.Elapsed, coordinator: true);
        using (r.Stages.Measure("after-apply")) AfterApply(reduced);
        var stageScope = r.Stages.Measure("publish");

        _epochSamples += reduced.Samples;
        var (epoch, _) = r.Plan.Locate(reduced.Step);
        double rate = _epochSamples / Math.Max(_epochClock.Elapsed.TotalSeconds, 1e-9);
        var progress = new TrainingProgress(_runId, epoch, r.Settings.Epochs, reduced.Step, r.TotalSteps, reduced.Loss, rate,
            reduced.Contributors.Length, Node, DateTimeOffset.UtcNow);
        _board.Report(progress);
        _mediator.Tell(new Publish(TrainingTopics.Progress, progress));
        _output(string.Create(CultureInfo.InvariantCulture,
            $"step {reduced.Step} epoch={epoch} replicas={reduced.Contributors.Length} dropped={reduced.Dropped.Length} loss={reduced.Loss:F4} ms={_stepClock.Elapsed.TotalMilliseconds:F1} allreduce_ms={reduceMs:F1} bytes={_stepBytes}"));
        if (r.IsEpochEnd(reduced.Step))
        {
            _epochSamples = 0;
            _epochClock.Restart();
        }
        Self.Tell(new NextStep());
        stageScope.Dispose();
    }

    private void SendState(IActorRef actor)
    {
        var bytes = _replica!.CreateCheckpoint().ToBytes();
        string transfer = $"{_runId}/state/{_replica.AppliedStep}/{Guid.NewGuid():N}";
        foreach (var chunk in ChunkAssembler.Split(transfer, bytes)) actor.Tell(chunk);
        actor.Tell(new StateSnapshot(_runId, _replica.AppliedStep, transfer));
    }

    private void Finish()
    {
        if (_finished) return;
        _finished = true;
        var r = _replica!;
        foreach (var (address, actor) in _needState)
            if (Eligible(address)) SendState(actor);
        _needState.Clear();
        foreach (var actor in _ready.Values) actor.Tell(new TrainingFinished(_runId, r.AppliedStep, r.CompletedEpochs));
        r.RestoreBest(); // the recipe's model selection: the best validation epoch's weights
        string modelOutput = _job.ModelOutput ?? _options.ModelOutput;
        if (!string.IsNullOrWhiteSpace(modelOutput))
            ModelArtifact.Save(modelOutput, r.Trainer.Model, r.Data.Labels, r.Data.Recipe, _runId, r.Data.Input.Prior);
        var test = r.Test();
        if (test is { } t)
            _output(string.Create(CultureInfo.InvariantCulture, $"test accuracy={t.Report.Accuracy:F3} uar={t.Report.Uar:F3} clips={r.Data.TestY.Length} best_epoch={r.BestEpoch}"));
        _runSink?.RunCompleted(_runId, r.BestEpoch > 0 ? r.BestEpoch : null, test?.Report);
        // the end is announced once the journal has the run's records (a bounded wait): whoever then stops this actor,
        // or deletes the job's folder with the outbox, loses nothing
        Self.Tell(new AnnounceEnd(new RunEnded(_runId, string.IsNullOrWhiteSpace(modelOutput) ? null : Path.GetFullPath(modelOutput), r.BestEpoch,
            r.CompletedEpochs, r.StopEarly, test?.Report), DateTime.UtcNow + RecordsDrainTimeout));
        _board.SetState("finished", _runId, $"finished {r.AppliedStep} steps, {r.CompletedEpochs} epochs");
        var used = ThreadUsage.Now() - _runUsage;
        _output(string.Create(CultureInfo.InvariantCulture,
            $"stage times thread wall_ms={_runClock.Elapsed.TotalMilliseconds:F1} cpu_ms={used.Cpu.TotalMilliseconds:F1} sys_ms={used.Kernel.TotalMilliseconds:F1} faults={used.MinorFaults}; ") + r.Stages.Summary());
        _output($"training finished steps={r.AppliedStep} epochs={r.CompletedEpochs} checksum={r.Trainer.WeightChecksum()}");
    }

    /// <summary>Writes the new best model and announces it on the node's event stream.</summary>
    private void SaveBestModel(DataParallelReplica r, int epoch, double uar)
    {
        if (_job.Data is not null || _job.Solo || string.IsNullOrWhiteSpace(_options.BestModelOutput)) return; // a CLI job's model (or fold's) is its own
        string path = Path.GetFullPath(_options.BestModelOutput);
        try
        {
            ModelArtifact.Save(path, r.Trainer.Model, r.Data.Labels, r.Data.Recipe, _runId, r.Data.Input.Prior); // atomic: temporary file, then rename
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.Warning("could not write the best model to {0} ({1}); training goes on", path, e.Message);
            return;
        }
        Context.System.EventStream.Publish(new ModelFileSaved(path, _runId, epoch, uar));
        _output(string.Create(CultureInfo.InvariantCulture, $"best model epoch {epoch} val_uar={uar:F3} saved to {path}"));
    }

    // ---- replica ----

    private void OnStepStart(StepStart m)
    {
        _lastStepStart = DateTime.UtcNow;
        var r = _replica!;
        if (m.Step != r.AppliedStep + 1)
        {
            _inStep = false;
            Sender.Tell(new NeedState(_runId, m.Step, r.AppliedStep, Node));
            return;
        }
        _inStep = true;
        var contribution = r.Compute(m.Step, m.Rank, m.Replicas);
        foreach (var f in GradientFrameAssembler.Split(_runId, m.Step, m.Rank, contribution.Values))
        {
            Sender.Tell(f);
            TrainingMetrics.AllReduceBytes.Add(f.Bytes.Length);
        }
        Sender.Tell(new GradientContributed(_runId, m.Step, m.Rank, contribution.Weight, contribution.LossSum, contribution.Correct, contribution.Samples));
    }

    private void OnResultFrame(GradientFrame f)
    {
        if (f.Step <= _replica!.AppliedStep) return;
        TrainingMetrics.AllReduceBytes.Add(f.Bytes.Length);
        try
        {
            if (_resultFrames.Add(f) is { } values) _results[f.Step] = values;
        }
        catch (InvalidDataException e)
        {
            _log.Warning("{0}; waiting for the coordinator's state", e.Message);
        }
    }

    private void OnStepCompleted(StepCompleted m)
    {
        var r = _replica!;
        var stepStarted = _lastStepStart;
        _lastStepStart = DateTime.UtcNow;
        _inStep = false;
        if (m.Step != r.AppliedStep + 1)
        {
            _log.Info("step {0} completed but this replica is at step {1}; it will ask for the coordinator's state", m.Step, r.AppliedStep);
            return;
        }
        float[]? values = null;
        if (m.Update && !_results.Remove(m.Step, out values))
        {
            _log.Warning("step {0} completed but its averaged gradients did not arrive; asking for the coordinator's state", m.Step);
            Sender.Tell(new NeedState(_runId, m.Step + 1, r.AppliedStep, Node));
            return;
        }
        var reduced = new ReducedStep(m.Step, values, m.Contributors, m.Dropped, m.Weight, m.Loss, m.Correct, m.Samples);
        r.Apply(reduced);
        TrainingMetrics.StepTook(DateTime.UtcNow - stepStarted, coordinator: false);
        foreach (var stale in _results.Keys.Where(k => k <= m.Step).ToList()) _results.Remove(stale);
        _resultFrames.DiscardBefore(m.Step + 1);
        AfterApply(reduced);
    }

    private void OnStateChunk(DataChunk chunk)
    {
        try
        {
            if (_stateChunks.Add(chunk) is { } bytes) _states[chunk.TransferId] = bytes;
        }
        catch (InvalidDataException e)
        {
            _log.Warning("state transfer: {0}", e.Message);
        }
    }

    private void OnStateSnapshot(StateSnapshot m)
    {
        if (!_states.Remove(m.TransferId, out var bytes))
        {
            _log.Warning("state snapshot {0} arrived without its data", m.TransferId);
            return;
        }
        var r = _replica!;
        var checkpoint = TrainingCheckpoint.FromBytes(bytes, $"state from {Sender.Path.Address}");
        r.Restore(checkpoint, restoreRandom: false);
        _results.Clear();
        _resultFrames.DiscardBefore(long.MaxValue);
        _checkpoints.Save(r.CreateCheckpoint());
        _output($"synchronized to step {checkpoint.Step} (epoch {checkpoint.Epoch}) from {Sender.Path.Address} checksum={r.Trainer.WeightChecksum()}");
    }

    private void OnFinished(TrainingFinished m)
    {
        if (_finished) return;
        _finished = true;
        var r = _replica!;
        _board.SetState("finished", _runId, $"finished {m.Steps} steps, {m.Epochs} epochs");
        _output($"training finished steps={r.AppliedStep} epochs={r.CompletedEpochs} checksum={r.Trainer.WeightChecksum()}");
        // this replica's part is done: its node may take the next job (the coordinator writes the model and answers with it)
        Context.Parent.Tell(new RunEnded(_runId, null, r.BestEpoch, r.CompletedEpochs, r.StopEarly, null));
    }

    private void AbandonStep()
    {
        _step = null;
        _contributed.Clear();
        _contributionFrames.DiscardBefore(long.MaxValue);
        Timers.Cancel("step-timeout");
    }

    // ---- both ----

    private void AfterApply(ReducedStep reduced)
    {
        var r = _replica!;
        TrainingMetrics.StepApplied(reduced.Samples, reduced.Loss);
        if (!r.IsEpochEnd(reduced.Step)) return;
        int epoch = r.CompletedEpochs;
        var (loss, accuracy) = r.TakeEpochMetrics();
        string checksum;
        using (r.Stages.Measure("checksum")) checksum = r.Trainer.WeightChecksum();
        string line = string.Create(CultureInfo.InvariantCulture,
            $"epoch {epoch} done step={reduced.Step} loss={loss:F4} accuracy={accuracy:F3} replicas={reduced.Contributors.Length} checksum={checksum}");
        // every replica judges the epoch (the same weights give the same decision), so any of them can take over
        (double? Loss, Evaluation.ClassificationReport Report, bool IsBest)? validation;
        using (r.Stages.Measure("validate")) validation = r.EndEpoch(epoch);
        bool stop = r.StopEarly;
        var metrics = new EpochMetrics(_runId, epoch, loss, accuracy, validation?.Loss, validation?.Report.Accuracy, validation?.Report.Uar, reduced.Contributors.Length)
        {
            LearningRate = r.EpochLearningRate, Seconds = _epochClock.Elapsed.TotalSeconds, IsBest = r.BestEpoch == epoch,
        };
        _judged.RemoveAll(j => j.Metrics.Epoch >= epoch); // a resumed or resynchronized run judges an epoch again
        _judged.Add((metrics, validation?.Report));
        if (IsCoordinator)
        {
            if (validation is { IsBest: true } v) SaveBestModel(r, epoch, v.Report.Uar);
            _board.Report(metrics);
            TrainingMetrics.EpochEvaluated(metrics);
            _mediator.Tell(new Publish(TrainingTopics.Evaluation, metrics));
            // into the run's outbox (on disk) before the checkpoint below: a checkpointed epoch's record is never lost
            _runSink?.EpochEvaluated(metrics, validation?.Report);
            if (validation is { } val) line += string.Create(CultureInfo.InvariantCulture, $" val_uar={val.Report.Uar:F3}");
        }
        if (epoch % _options.CheckpointEveryEpochs == 0 || r.Finished || stop)
            using (r.Stages.Measure("checkpoint")) _checkpoints.Save(r.CreateCheckpoint());
        if (stop && IsCoordinator)
        {
            _output(line);
            _output($"early stopping after epoch {epoch}: {r.Settings.EarlyStoppingPatience} epochs without a better validation UAR (best epoch {r.BestEpoch})");
            Finish();
            return;
        }
        _output(line);
    }
}
