using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using EmotionCluster.Hosting;

namespace EmotionCluster.TrainingActors;

/// <summary>Registry key of the <see cref="TrainingCoordinator"/>'s singleton proxy (every node has one).</summary>
public sealed class TrainingCoordinatorKey;

/// <summary>
/// Requester (the CLI's <c>--trainers N</c>, through the coordinator's singleton proxy) → <see cref="TrainingCoordinator"/>:
/// train the manifest at <see cref="ManifestPath"/> data-parallel on <see cref="Replicas"/> trainer nodes as run
/// <see cref="RunId"/>, none of them in <see cref="Exclude"/> (the requester's own node). <see cref="Participants"/>: the
/// trainer nodes a coordinator already gave the run to (a request sent again after a handover), which keep it.
/// Answered with <see cref="DataParallelRunAccepted"/>, then <see cref="DataParallelRunCompleted"/> or
/// <see cref="DataParallelRunFailed"/>. Sending it again for the same run is harmless: a run is trained once.
/// </summary>
public sealed record SubmitDataParallelRun(string RunId, string ManifestPath, string ModelOutput, string CheckpointDirectory, int Replicas,
    string[] Exclude, string[] Participants) : ITrainingMessage;

/// <summary>Coordinator → requester: the run was given to <see cref="Participants"/>; <see cref="Coordinator"/> is the node of the coordinator that owns it.</summary>
public sealed record DataParallelRunAccepted(string RunId, string Coordinator, string[] Participants) : ITrainingMessage;

/// <summary>
/// Coordinator → requester: the run ended; its model is at <see cref="ModelPath"/>, written by the trainer node that
/// took its last step (<see cref="StepCoordinator"/>).
/// </summary>
public sealed record DataParallelRunCompleted(string RunId, string? ModelPath, int BestEpoch, int EpochsRun, bool StoppedEarly,
    string StepCoordinator, string[] Participants) : ITrainingMessage;

/// <summary>Coordinator → requester: the run could not be trained; <see cref="Reason"/> names the node and the fix.</summary>
public sealed record DataParallelRunFailed(string RunId, string Reason) : ITrainingMessage;

/// <summary>A trainer node's <see cref="TrainerActor"/> → whoever sent it <see cref="TrainReplicated"/>: the node has the job (it trains it, or trained it).</summary>
public sealed record JobAccepted(string RunId, string Node) : ITrainingMessage;

/// <summary>Coordinator → a participant: stop training run <see cref="RunId"/> (it failed elsewhere); its checkpoints stay.</summary>
public sealed record CancelRun(string RunId, string Reason) : ITrainingMessage;

/// <summary>
/// Published by the <see cref="TrainingCoordinator"/> on <see cref="TrainingTopics.Runs"/> whenever a run it owns changes:
/// <see cref="State"/> is one of <see cref="RunStates"/>; <see cref="Coordinator"/> the node the coordinator runs on.
/// </summary>
public sealed record TrainingRunUpdate(string RunId, string State, string Coordinator, string[] Participants, string Detail) : ITrainingMessage;

/// <summary>Anyone → the coordinator (through its proxy): which node it runs on and the runs it knows; answered with <see cref="TrainingRuns"/>.</summary>
public sealed record GetTrainingRuns(string RunId = "") : ITrainingMessage;

/// <summary>The coordinator's answer to <see cref="GetTrainingRuns"/>: its node and the latest <see cref="TrainingRunUpdate"/> of each run it knows.</summary>
public sealed record TrainingRuns(string RunId, string Coordinator, TrainingRunUpdate[] Runs) : ITrainingMessage;

/// <summary>The states of <see cref="TrainingRunUpdate"/>.</summary>
public static class RunStates
{
    /// <summary>Fewer trainer nodes than the run wants are Up; the coordinator waits (up to <see cref="TrainingCoordinator.WaitForTrainers"/>).</summary>
    public const string Waiting = "waiting-for-trainers";
    /// <summary>The job was sent to the participants; not all have acknowledged it yet.</summary>
    public const string Dispatched = "dispatched";
    /// <summary>Every participant acknowledged the job.</summary>
    public const string Running = "running";
    /// <summary>A participant left the cluster; the run goes on with the others.</summary>
    public const string ParticipantLost = "participant-lost";
    /// <summary>A coordinator that took over (the previous one's node left) adopted the run from its requester.</summary>
    public const string Adopted = "adopted";
    public const string Completed = "completed";
    public const string Failed = "failed";
}

/// <summary>
/// One data-parallel run as the <see cref="TrainingCoordinator"/> knows it — plain bookkeeping, no actor: which
/// trainer nodes take part, which of them acknowledged the job, who left, and whether it waited too long.
/// </summary>
public sealed class CoordinatedRun(SubmitDataParallelRun request, DateTime now)
{
    private readonly HashSet<string> _acknowledged = new(StringComparer.Ordinal);
    private readonly HashSet<string> _left = new(StringComparer.Ordinal);

    public SubmitDataParallelRun Request { get; } = request;
    public DateTime SubmittedAt { get; } = now;
    public DateTime DispatchedAt { get; private set; }
    /// <summary>The participants, once chosen (<see cref="TryChoose"/>).</summary>
    public string[]? Participants { get; private set; }
    /// <summary>Why the last participant that did not take the job yet said no (busy), for the timeout's message.</summary>
    public Dictionary<string, string> Refusals { get; } = new(StringComparer.Ordinal);
    public bool Ended { get; set; }
    public bool AllAcknowledged => Participants is not null && Participants.All(p => _acknowledged.Contains(p) || _left.Contains(p));

    /// <summary>
    /// Chooses the participants among the trainer nodes Up now (<paramref name="upTrainers"/>, addresses): the nodes the
    /// run was already given to (a request sent again after a handover; those no longer Up count as left), when one of
    /// them is Up, else the first <see cref="SubmitDataParallelRun.Replicas"/> by address, none excluded. Null: not
    /// enough trainer nodes yet. Send the job to <see cref="Remaining"/>.
    /// </summary>
    public string[]? TryChoose(IReadOnlyCollection<string> upTrainers, DateTime now)
    {
        if (Participants is not null) return Participants;
        if (Request.Participants.Length > 0)
        {
            if (!Request.Participants.Any(upTrainers.Contains)) return null;
            Participants = Request.Participants;
            foreach (string gone in Participants.Where(p => !upTrainers.Contains(p))) _left.Add(gone);
        }
        else
        {
            string[] chosen = upTrainers.Where(a => !Request.Exclude.Contains(a)).Order(StringComparer.Ordinal).Take(Request.Replicas).ToArray();
            if (chosen.Length < Request.Replicas) return null;
            Participants = chosen;
        }
        DispatchedAt = now;
        return Participants;
    }

    /// <returns>True the first time <paramref name="node"/> acknowledges.</returns>
    public bool Acknowledge(string node) => Participants is not null && Participants.Contains(node) && _acknowledged.Add(node);

    /// <summary>Participants that have not acknowledged the job and are still in the cluster.</summary>
    public IEnumerable<string> Unacknowledged => Participants?.Where(p => !_acknowledged.Contains(p) && !_left.Contains(p)) ?? [];

    /// <summary>Participants still in the cluster.</summary>
    public IEnumerable<string> Remaining => Participants?.Where(p => !_left.Contains(p)) ?? [];

    /// <returns>True when <paramref name="node"/> was a participant and now every participant has left.</returns>
    public bool Leave(string node) => Participants is not null && Participants.Contains(node) && _left.Add(node) && _left.Count == Participants.Length;

    /// <summary>The first participant that has not acknowledged the job within <paramref name="timeout"/> of its dispatch, if any.</summary>
    public string? Overdue(DateTime now, TimeSpan timeout) =>
        Participants is not null && now - DispatchedAt >= timeout ? Unacknowledged.FirstOrDefault() : null;

    /// <summary>The run has waited for enough trainer nodes longer than <paramref name="wait"/>.</summary>
    public bool WaitedTooLong(DateTime now, TimeSpan wait) => Participants is null && now - SubmittedAt >= wait;
}

/// <summary>
/// The training coordinator: a cluster singleton on the <c>trainer</c> role (Akka.Hosting <c>WithSingleton</c>; the
/// oldest trainer node hosts it, every node reaches it through its proxy, registered as
/// <see cref="TrainingCoordinatorKey"/>). It owns the data-parallel runs of the cluster: which runs exist, which trainer
/// nodes take part in each (<see cref="CoordinatedRun"/>), sends each participant's <see cref="TrainerActor"/> the job
/// (<see cref="TrainReplicated"/>) until it acknowledges it, fails a run whose participant never does within
/// <see cref="TrainerOptions.DispatchTimeout"/> (cancelling it on the others), follows participants that leave, answers
/// the requesters and publishes every change as a <see cref="TrainingRunUpdate"/> on <see cref="TrainingTopics.Runs"/>.
/// The steps themselves are taken by the participants' run actors (the oldest participant reduces the gradients).
/// When the coordinator's node leaves or dies, the singleton starts on the next oldest trainer node with an empty
/// table; requesters watch the coordinator and send their run again (<see cref="DataParallelRequester"/>), and the new
/// coordinator gives it back to the participants still Up, whose trainers go on with the run they already train (a
/// run is never started twice on a node) or answer with its result if it ended meanwhile.
/// </summary>
public sealed class TrainingCoordinator : ReceiveActor, IWithTimers
{
    public const string Name = "training-coordinator";

    /// <summary>How long a run waits for enough trainer nodes to be Up.</summary>
    public static readonly TimeSpan WaitForTrainers = TimeSpan.FromSeconds(60);

    /// <summary>How long a coordinator that adopts a run waits for one of its participants to be Up before it fails the run.</summary>
    public static readonly TimeSpan AdoptionGrace = TimeSpan.FromSeconds(5);

    /// <summary>How many ended runs the coordinator remembers (to answer a request sent again).</summary>
    public const int RememberedRuns = 200;

    private readonly TrainerOptions _options;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly IActorRef _mediator = DistributedPubSub.Get(Context.System).Mediator;
    private readonly SortedSet<string> _up = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CoordinatedRun> _runs = new();
    private readonly Dictionary<string, HashSet<IActorRef>> _requesters = new();
    private readonly Dictionary<string, object> _outcomes = new(); // run id → DataParallelRunCompleted / DataParallelRunFailed
    private readonly Queue<string> _ended = new();
    private readonly Dictionary<string, TrainingRunUpdate> _latest = new();

    public TrainingCoordinator(TrainerOptions options)
    {
        _options = options;
        Receive<ClusterEvent.MemberUp>(e =>
        {
            if (!e.Member.HasRole(ClusterRoles.Trainer)) return;
            _up.Add(e.Member.Address.ToString());
            foreach (var run in _runs.Values.Where(r => !r.Ended && r.Participants is null).ToList()) Dispatch(run);
        });
        Receive<ClusterEvent.MemberRemoved>(e => Gone(e.Member.Address.ToString(), "was removed from the cluster"));
        Receive<ClusterEvent.MemberExited>(e => Gone(e.Member.Address.ToString(), "left the cluster"));
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<SubmitDataParallelRun>(OnSubmit);
        Receive<JobAccepted>(m =>
        {
            if (!_runs.TryGetValue(m.RunId, out var run) || run.Ended) return;
            if (run.Acknowledge(m.Node) && run.AllAcknowledged)
                Publish(run, RunStates.Running, "every participant has the job");
        });
        Receive<FoldTrained>(m =>
        {
            if (!_runs.TryGetValue(m.RunId, out var run) || run.Ended) return;
            run.Acknowledge(NodeOf(Sender));
            if (m.ModelPath is null) return; // a replica's part is done; the node that took the last step answers with the model
            End(run, new DataParallelRunCompleted(m.RunId, m.ModelPath, m.BestEpoch, m.EpochsRun, m.StoppedEarly,
                NodeOf(Sender), run.Participants ?? []), RunStates.Completed, $"model {m.ModelPath}, {m.EpochsRun} epochs");
        });
        Receive<FoldFailed>(m =>
        {
            if (!_runs.TryGetValue(m.RunId, out var run) || run.Ended) return;
            string node = NodeOf(Sender);
            if (m.Reason == TrainerActor.Busy)
            {
                run.Refusals[node] = "it is busy with another run";
                return; // asked again at the next tick, until the dispatch timeout
            }
            Fail(run, $"data-parallel run {run.Request.RunId} failed on {node}: {m.Reason}");
        });
        Receive<Tick>(_ => OnTick());
        Receive<GetTrainingRuns>(m => Sender.Tell(new TrainingRuns(m.RunId, Self_, _latest.Values.Where(u => m.RunId == "" || u.RunId == m.RunId).ToArray())));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private sealed record Tick;

    public static Props PropsFor(TrainerOptions options) => Props.Create(() => new TrainingCoordinator(options));

    private string Self_ => _cluster.SelfAddress.ToString();

    /// <summary>The cluster address of <paramref name="actor"/>'s node (an actor of this node has a local path without one).</summary>
    private string NodeOf(IActorRef actor) => actor.Path.Address.HasGlobalScope ? actor.Path.Address.ToString() : Self_;

    protected override void PreStart()
    {
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.IMemberEvent));
        Timers.StartPeriodicTimer("tick", new Tick(), TimeSpan.FromSeconds(1));
        _log.Info("training coordinator started on {0}", Self_);
    }

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    private void OnSubmit(SubmitDataParallelRun m)
    {
        if (_outcomes.TryGetValue(m.RunId, out var outcome))
        {
            Sender.Tell(outcome);
            return;
        }
        if (!_requesters.TryGetValue(m.RunId, out var requesters)) _requesters[m.RunId] = requesters = new HashSet<IActorRef>();
        requesters.Add(Sender);
        if (_runs.TryGetValue(m.RunId, out var known))
        {
            if (known.Participants is { } p) Sender.Tell(new DataParallelRunAccepted(m.RunId, Self_, p));
            return;
        }
        if (m.Replicas < 1)
        {
            Sender.Tell(new DataParallelRunFailed(m.RunId, $"data-parallel run {m.RunId}: {m.Replicas} replicas; ask for at least 1"));
            return;
        }
        var run = new CoordinatedRun(m, DateTime.UtcNow);
        _runs[m.RunId] = run;
        if (m.Participants.Length > 0) Publish(run, RunStates.Adopted, $"sent again by its requester; participants were {string.Join(", ", m.Participants)}");
        Dispatch(run);
        if (run.Participants is null) Publish(run, RunStates.Waiting, $"{_up.Count(a => !m.Exclude.Contains(a))} of {m.Replicas} trainer node(s) Up");
    }

    private void Dispatch(CoordinatedRun run)
    {
        if (run.Participants is not null || run.Ended) return;
        var chosen = run.TryChoose(_up, DateTime.UtcNow);
        if (chosen is null) return;
        foreach (string node in run.Remaining) Send(run, node);
        foreach (var requester in _requesters.GetValueOrDefault(run.Request.RunId) ?? []) requester.Tell(new DataParallelRunAccepted(run.Request.RunId, Self_, chosen));
        Publish(run, RunStates.Dispatched, $"sent to {string.Join(", ", chosen)}");
    }

    private void Send(CoordinatedRun run, string node)
    {
        var r = run.Request;
        Context.ActorSelection(new RootActorPath(Address.Parse(node)) / "user" / TrainerActor.Name)
            .Tell(new TrainReplicated(r.RunId, r.ManifestPath, r.ModelOutput, r.CheckpointDirectory, run.Participants!));
    }

    private void OnTick()
    {
        var now = DateTime.UtcNow;
        foreach (var run in _runs.Values.Where(r => !r.Ended).ToList())
        {
            var r = run.Request;
            if (run.WaitedTooLong(now, WaitForTrainers))
            {
                int up = _up.Count(a => !r.Exclude.Contains(a));
                Fail(run, $"--trainers {r.Replicas}: {up} trainer node(s) other than the requester's {(up == 1 ? "is" : "are")} Up in the cluster after " +
                          $"{WaitForTrainers.TotalSeconds:0} s; start more trainer nodes (emotioncluster-node run --roles trainer --store the command's --store, " +
                          "joined to the same seed) or lower --trainers");
                continue;
            }
            if (run.Participants is null)
            {
                // a run adopted after a handover stays with the nodes that train it; none of them Up (given time for the membership to arrive): it is lost
                if (r.Participants.Length > 0 && now - run.SubmittedAt >= AdoptionGrace && !r.Participants.Any(_up.Contains))
                    Fail(run, $"data-parallel run {r.RunId}: every trainer node it was given to left the cluster ({string.Join(", ", r.Participants)}); " +
                              "its checkpoints are in their folders below the job's checkpoint directory: run the command again");
                continue;
            }
            if (run.Overdue(now, _options.DispatchTimeout) is { } late)
            {
                string why = run.Refusals.TryGetValue(late, out var refusal) ? $" ({refusal})" : " (it never answered: is its trainer actor running, is it reachable?)";
                Fail(run, $"data-parallel run {r.RunId}: trainer node {late} did not take its job within {_options.DispatchTimeout.TotalSeconds:0.#} s{why}; " +
                          $"the run was cancelled on the other participants. Raise {TrainerOptions.Section}:DispatchTimeout on the trainer nodes, " +
                          "or leave that node out (fewer --trainers)");
                continue;
            }
            foreach (string node in run.Unacknowledged) Send(run, node); // the job again: a lost message, or a node that was busy
        }
    }

    private void Gone(string node, string why)
    {
        if (!_up.Remove(node)) return;
        foreach (var run in _runs.Values.Where(r => !r.Ended && r.Participants?.Contains(node) == true).ToList())
        {
            bool all = run.Leave(node);
            Publish(run, RunStates.ParticipantLost, $"{node} {why}");
            if (all) Fail(run, $"data-parallel run {run.Request.RunId}: every trainer node it was given to left the cluster ({string.Join(", ", run.Participants!)})");
            else if (run.AllAcknowledged) Publish(run, RunStates.Running, $"goes on with {string.Join(", ", run.Remaining)}");
        }
    }

    private void Fail(CoordinatedRun run, string reason)
    {
        foreach (string node in run.Remaining)
            Context.ActorSelection(new RootActorPath(Address.Parse(node)) / "user" / TrainerActor.Name).Tell(new CancelRun(run.Request.RunId, reason));
        _log.Warning("{0}", reason);
        End(run, new DataParallelRunFailed(run.Request.RunId, reason), RunStates.Failed, reason);
    }

    private void End(CoordinatedRun run, object outcome, string state, string detail)
    {
        run.Ended = true;
        string id = run.Request.RunId;
        foreach (var requester in _requesters.GetValueOrDefault(id) ?? []) requester.Tell(outcome);
        _requesters.Remove(id);
        _outcomes[id] = outcome;
        _ended.Enqueue(id);
        while (_ended.Count > RememberedRuns && _ended.TryDequeue(out var old))
        {
            _outcomes.Remove(old);
            _runs.Remove(old);
            _latest.Remove(old);
        }
        Publish(run, state, detail);
    }

    private void Publish(CoordinatedRun run, string state, string detail)
    {
        var update = new TrainingRunUpdate(run.Request.RunId, state, Self_, run.Participants ?? [], detail);
        _latest[update.RunId] = update;
        _mediator.Tell(new Publish(TrainingTopics.Runs, update));
    }
}

/// <summary>
/// The requester's side of a data-parallel run: sends <see cref="SubmitDataParallelRun"/> to the coordinator through its
/// singleton proxy (again every few seconds until it is accepted), watches the coordinator that accepted it and, when
/// that one is gone (its node left or died; the singleton moves to the next oldest trainer), sends the run again with
/// its participants, so the new coordinator adopts it. Completes <c>result</c> with the run's end or its failure; fails
/// it when no coordinator accepts the run within <see cref="AcceptTimeout"/> (no trainer node in the cluster).
/// </summary>
public sealed class DataParallelRequester : ReceiveActor, IWithTimers
{
    /// <summary>How long a request may go without an accepting coordinator: its wait for trainer nodes and a handover's time.</summary>
    public static readonly TimeSpan AcceptTimeout = TrainingCoordinator.WaitForTrainers + TimeSpan.FromSeconds(60);

    private readonly IActorRef _coordinators;
    private SubmitDataParallelRun _request;
    private IActorRef? _coordinator;
    private DateTime _since = DateTime.UtcNow;

    public DataParallelRequester(IActorRef coordinatorProxy, SubmitDataParallelRun request, TaskCompletionSource<DataParallelRunCompleted> result)
    {
        _coordinators = coordinatorProxy;
        _request = request;
        Receive<DataParallelRunAccepted>(m => m.RunId == _request.RunId, m =>
        {
            _request = _request with { Participants = m.Participants };
            if (Sender.Equals(_coordinator)) return;
            if (_coordinator is not null) Context.Unwatch(_coordinator);
            _coordinator = Sender;
            Context.Watch(Sender);
            Timers.Cancel("resend");
        });
        Receive<DataParallelRunCompleted>(m => m.RunId == _request.RunId, m => result.TrySetResult(m));
        Receive<DataParallelRunFailed>(m => m.RunId == _request.RunId, m => result.TrySetException(new InvalidOperationException(m.Reason)));
        Receive<Terminated>(t => t.ActorRef.Equals(_coordinator), _ =>
        {
            // the coordinator's node left or died: the singleton starts on the next oldest trainer node; give it the run
            _coordinator = null;
            _since = DateTime.UtcNow;
            Submit();
        });
        Receive<Resend>(_ =>
        {
            if (_coordinator is not null) return;
            if (DateTime.UtcNow - _since > AcceptTimeout)
            {
                result.TrySetException(new InvalidOperationException(
                    $"data-parallel run {_request.RunId}: no training coordinator accepted it within {AcceptTimeout.TotalSeconds:0} s; " +
                    "is there a trainer node in the cluster (emotioncluster-node run --roles trainer, joined to the same seed)?"));
                return;
            }
            _coordinators.Tell(_request);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private sealed record Resend;

    protected override void PreStart() => Submit();

    private void Submit()
    {
        _coordinators.Tell(_request);
        Timers.StartPeriodicTimer("resend", new Resend(), TimeSpan.FromSeconds(5));
    }
}
