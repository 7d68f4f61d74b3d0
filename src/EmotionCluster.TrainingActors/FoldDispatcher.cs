using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using EmotionCluster.Hosting;

namespace EmotionCluster.TrainingActors;

/// <summary>One fold of a fold-parallel cross-validation: its run, its manifest and where its model and checkpoints go.</summary>
public sealed record FoldJob(string RunId, string ManifestPath, string ModelOutput, string CheckpointDirectory);

/// <summary>A fold trained: the trainer's answer, the node that trained it to the end, how often it was sent, and the wall time.</summary>
public sealed record FoldOutcome(FoldJob Job, FoldTrained Result, string Node, int Dispatches, TimeSpan Duration);

/// <summary>Trains the folds of a cross-validation on trainer nodes, one fold per node at a time (see <see cref="FoldDispatcher"/>).</summary>
public interface IFoldTrainer
{
    /// <summary>The trainer nodes (other than this one) that are Up now.</summary>
    int Trainers { get; }

    /// <param name="foldDone">Called (on a pool thread) as each fold ends.</param>
    IReadOnlyList<FoldOutcome> TrainFolds(IReadOnlyList<FoldJob> jobs, Action<FoldOutcome>? foldDone = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Trains one run data-parallel across <paramref name="replicas"/> trainer nodes of the cluster (not this one), through
    /// the cluster's <see cref="TrainingCoordinator"/>: the job's manifest, model and checkpoints as for a fold. Returns the
    /// coordinator's answer and the run's epochs (from the <see cref="TrainingTopics.Evaluation"/> topic, also given to
    /// <paramref name="progress"/> as they come).
    /// </summary>
    /// <exception cref="InvalidOperationException">fewer trainer nodes came Up within <see cref="TrainingCoordinator.WaitForTrainers"/>, a participant did
    /// not take its job within <see cref="TrainerOptions.DispatchTimeout"/>, or the run failed (the message names the node and the fix).</exception>
    DataParallelOutcome TrainDataParallel(FoldJob job, int replicas, IProgress<Model.EpochReport>? progress = null, CancellationToken cancellationToken = default);
}

/// <summary>A data-parallel run ended: its answer, the node that took its last step, the trainer nodes it was given to, its epochs and wall time.</summary>
public sealed record DataParallelOutcome(FoldJob Job, FoldTrained Result, string Coordinator, IReadOnlyList<string> Participants,
    IReadOnlyList<Model.EpochReport> History, TimeSpan Duration);

/// <summary>
/// <see cref="IFoldTrainer"/> over the cluster this node is in: a <see cref="FoldDispatcher"/> sends each fold to a
/// free trainer node and sends it again elsewhere when that node leaves the cluster (a crash is downed by the
/// split-brain resolver, then removed); the fold's checkpoints and evaluator outbox are in its
/// <see cref="FoldJob.CheckpointDirectory"/>, so the next node resumes from the last checkpointed epoch as the same run.
/// </summary>
public sealed class ClusterFoldTrainer(ActorSystem system) : IFoldTrainer
{
    public int Trainers
    {
        get
        {
            var cluster = Akka.Cluster.Cluster.Get(system);
            return cluster.State.Members.Count(m => m.Status == MemberStatus.Up && m.HasRole(ClusterRoles.Trainer) && !m.Address.Equals(cluster.SelfAddress));
        }
    }

    public DataParallelOutcome TrainDataParallel(FoldJob job, int replicas, IProgress<Model.EpochReport>? progress = null, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        using var epochs = new RunEpochs(system, job.RunId, progress);
        var done = new TaskCompletionSource<DataParallelRunCompleted>(TaskCreationOptions.RunContinuationsAsynchronously);
        IActorRef? requester = null;
        try
        {
            epochs.Subscribed.Wait(TimeSpan.FromSeconds(30), cancellationToken);
            var request = new SubmitDataParallelRun(job.RunId, job.ManifestPath, job.ModelOutput, job.CheckpointDirectory, replicas,
                [Akka.Cluster.Cluster.Get(system).SelfAddress.ToString()], []);
            var coordinator = TrainingNode.Coordinator(system);
            requester = system.ActorOf(Props.Create(() => new DataParallelRequester(coordinator, request, done)));
            using var registration = cancellationToken.Register(() => done.TrySetCanceled(cancellationToken));
            var m = done.Task.GetAwaiter().GetResult();
            var history = epochs.AfterAsync(m.EpochsRun, cancellationToken).GetAwaiter().GetResult();
            return new DataParallelOutcome(job, new FoldTrained(m.RunId, m.ModelPath, m.BestEpoch, m.EpochsRun, m.StoppedEarly), m.StepCoordinator,
                m.Participants, history, clock.Elapsed);
        }
        finally
        {
            if (requester is not null) system.Stop(requester);
        }
    }

    public IReadOnlyList<FoldOutcome> TrainFolds(IReadOnlyList<FoldJob> jobs, Action<FoldOutcome>? foldDone = null, CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource<IReadOnlyList<FoldOutcome>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var dispatcher = system.ActorOf(Props.Create(() => new FoldDispatcher(jobs, done, foldDone)));
        using var registration = cancellationToken.Register(() => done.TrySetCanceled(cancellationToken));
        // downed (e.g. by the split-brain resolver) this node's actor system stops: the folds cannot end here any more
        system.WhenTerminated.ContinueWith(_ => done.TrySetException(new InvalidOperationException(
            "this node's actor system stopped (downed or shut down) while folds were training; the journal keeps the folds that ended: " +
            "run the crossval again")), TaskScheduler.Default);
        try { return done.Task.GetAwaiter().GetResult(); }
        finally { system.Stop(dispatcher); }
    }
}

/// <summary>
/// Sends folds to the trainer nodes of the cluster (role <c>trainer</c>, not this node), one per node at a time, and
/// collects their <see cref="FoldTrained"/>. A fold whose node leaves the cluster (removed) goes back to the queue and
/// to the next free node; a node that says it is busy is asked again later; a fold that fails
/// <see cref="MaxAttempts"/> times fails the whole cross-validation. Each fold ends once: a late answer for a fold
/// already done is ignored.
/// </summary>
public sealed class FoldDispatcher : ReceiveActor, IWithTimers
{
    public const int MaxAttempts = 3;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly Queue<FoldJob> _queue;
    private readonly Dictionary<Address, FoldJob?> _trainers = new(); // Up trainer nodes → their fold (null: free)
    private readonly Dictionary<string, FoldOutcome> _done = new();
    private readonly Dictionary<string, int> _dispatches = new();
    private readonly Dictionary<string, Stopwatch> _clocks = new();
    private readonly IReadOnlyList<FoldJob> _jobs;
    private readonly TaskCompletionSource<IReadOnlyList<FoldOutcome>> _result;
    private readonly Action<FoldOutcome>? _foldDone;

    public FoldDispatcher(IReadOnlyList<FoldJob> jobs, TaskCompletionSource<IReadOnlyList<FoldOutcome>> result, Action<FoldOutcome>? foldDone)
    {
        _jobs = jobs;
        _queue = new Queue<FoldJob>(jobs);
        _result = result;
        _foldDone = foldDone;
        Receive<ClusterEvent.MemberUp>(e =>
        {
            if (!e.Member.HasRole(ClusterRoles.Trainer) || e.Member.Address.Equals(_cluster.SelfAddress)) return;
            _trainers.TryAdd(e.Member.Address, null);
            Dispatch();
        });
        Receive<ClusterEvent.MemberRemoved>(e => Gone(e.Member.Address, "was removed from the cluster"));
        Receive<ClusterEvent.MemberExited>(e => Gone(e.Member.Address, "left the cluster"));
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<FoldTrained>(m =>
        {
            var node = Sender.Path.Address;
            if (_trainers.TryGetValue(node, out var job) && job?.RunId == m.RunId) _trainers[node] = null;
            if (_done.ContainsKey(m.RunId) || _jobs.All(j => j.RunId != m.RunId)) return;
            var fold = _jobs.First(j => j.RunId == m.RunId);
            var outcome = new FoldOutcome(fold, m, node.ToString(), _dispatches.GetValueOrDefault(m.RunId), _clocks[m.RunId].Elapsed);
            _done[m.RunId] = outcome;
            _foldDone?.Invoke(outcome);
            if (_done.Count == _jobs.Count) _result.TrySetResult(_jobs.Select(j => _done[j.RunId]).ToList());
            Dispatch();
        });
        Receive<FoldFailed>(m =>
        {
            var node = Sender.Path.Address;
            if (!_trainers.TryGetValue(node, out var job) || job is null) return;
            _trainers[node] = null;
            if (m.Reason == TrainerActor.Busy)
            {
                _queue.Enqueue(job);
                Timers.StartSingleTimer("retry", RetryDispatch.Instance, TimeSpan.FromSeconds(2));
                return;
            }
            if (_dispatches.GetValueOrDefault(job.RunId) >= MaxAttempts)
            {
                _result.TrySetException(new InvalidOperationException($"fold run {job.RunId} failed {MaxAttempts} times, last on {node}: {m.Reason}"));
                return;
            }
            _log.Warning("fold run {0} failed on {1} ({2}); sending it again", job.RunId, node, m.Reason);
            _queue.Enqueue(job);
            Dispatch();
        });
        Receive<RetryDispatch>(_ => Dispatch());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private sealed class RetryDispatch
    {
        public static readonly RetryDispatch Instance = new();
    }

    protected override void PreStart() =>
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.IMemberEvent));

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    private void Gone(Address node, string why)
    {
        if (!_trainers.Remove(node, out var job)) return;
        if (job is not null && !_done.ContainsKey(job.RunId))
        {
            _log.Warning("trainer {0} {1} while training fold run {2}; it goes to the next free trainer and resumes from its checkpoint", node, why, job.RunId);
            _queue.Enqueue(job);
        }
        Dispatch();
    }

    private void Dispatch()
    {
        foreach (var node in _trainers.Where(kv => kv.Value is null).Select(kv => kv.Key).OrderBy(a => a.ToString(), StringComparer.Ordinal).ToList())
        {
            FoldJob? job = null;
            while (_queue.Count > 0 && job is null)
            {
                var next = _queue.Dequeue();
                if (!_done.ContainsKey(next.RunId)) job = next;
            }
            if (job is null) return;
            _trainers[node] = job;
            _dispatches[job.RunId] = _dispatches.GetValueOrDefault(job.RunId) + 1;
            if (!_clocks.ContainsKey(job.RunId)) _clocks[job.RunId] = Stopwatch.StartNew();
            Context.ActorSelection(new RootActorPath(node) / "user" / TrainerActor.Name)
                .Tell(new TrainFold(job.RunId, job.ManifestPath, job.ModelOutput, job.CheckpointDirectory));
        }
    }
}
