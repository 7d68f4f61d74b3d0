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
    private readonly TrainerOptions options;
    private readonly TrainingJob job;
    private readonly IFeatureStore store;
    private readonly TrainingStatusBoard board;
    private readonly IEvaluationSink? sink;
    private IEvaluationSink? runSink;
    private readonly Action<string> output;
    private readonly ILoggingAdapter log = Context.GetLogger();
    private readonly Akka.Cluster.Cluster cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly IActorRef mediator = DistributedPubSub.Get(Context.System).Mediator;
    private readonly CheckpointStore checkpoints;
    private readonly Dictionary<Address, Member> trainers = new();
    private readonly HashSet<Address> unreachable = new();
    private DataParallelReplica? replica;
    private string runId = "";
    private Address? coordinator;
    private bool finished;

    // replica side
    private readonly GradientFrameAssembler resultFrames = new();
    private readonly Dictionary<long, float[]> results = new();
    private readonly ChunkAssembler stateChunks = new();
    private readonly Dictionary<string, byte[]> states = new();
    private DateTime lastStepStart = DateTime.MinValue;
    private bool inStep;

    // coordinator side
    private readonly Dictionary<Address, IActorRef> ready = new();
    private readonly Dictionary<Address, IActorRef> needState = new();
    private readonly GradientFrameAssembler contributionFrames = new();
    private readonly Dictionary<int, float[]> contributed = new();
    private StepReducer? step;
    private List<(Address Address, IActorRef? Ref)> participants = [];
    private bool started;
    private DateTime coordinatorSince;
    private readonly Stopwatch stepClock = new();
    private readonly Stopwatch epochClock = new();
    private long epochSamples;
    private double allReduceMs;
    private long stepBytes;
    private ThreadUsage runUsage;
    private readonly Stopwatch runClock = new();
    // every epoch this node judged (as coordinator or replica): a replica that takes over sends them again after the
    // run's start, so an epoch whose record died with the old coordinator still reaches the journal (repeats are ignored there)
    private readonly List<(EpochMetrics Metrics, Metrics.ClassificationReport? Validation)> judged = new();

    public TrainingRunActor(TrainerOptions options, TrainingJob job, IFeatureStore store, TrainingStatusBoard board, IEvaluationSink? sink, Action<string>? output)
    {
        this.options = options;
        this.job = job;
        this.store = store;
        this.board = board;
        this.sink = sink;
        this.output = output ?? (line => log.Info(line));
        checkpoints = new CheckpointStore(job.CheckpointDirectory ?? options.CheckpointDirectory);

        Receive<ClusterEvent.MemberUp>(e => OnMember(e.Member));
        Receive<ClusterEvent.MemberExited>(e => OnMemberGone(e.Member));
        Receive<ClusterEvent.MemberRemoved>(e => OnMemberGone(e.Member));
        Receive<ClusterEvent.UnreachableMember>(e => OnUnreachable(e.Member));
        Receive<ClusterEvent.ReachableMember>(e => unreachable.Remove(e.Member.Address));
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
            int pending = runSink?.PendingRecords ?? 0;
            if (pending > 0 && DateTime.UtcNow < m.Deadline)
            {
                Timers.StartSingleTimer("announce-end", m, TimeSpan.FromMilliseconds(100));
                return;
            }
            if (pending > 0)
                log.Warning("run {0} ended with {1} evaluator record(s) not yet in the journal after {2}; they stay in {3} and are sent when the run resumes",
                    runId, pending, RecordsDrainTimeout, checkpoints.Directory);
            Context.Parent.Tell(m.Ended);
        });

        Receive<StepStart>(m => Mine(m), OnStepStart);
        Receive<GradientFrame>(m => Mine(m) && m.Rank == GradientFrameAssembler.ResultRank, OnResultFrame);
        Receive<StepCompleted>(m => Mine(m), OnStepCompleted);
        Receive<DataChunk>(OnStateChunk);
        Receive<StateSnapshot>(m => Mine(m), OnStateSnapshot);
        Receive<TrainingFinished>(m => Mine(m), OnFinished);
        Receive<ITrainingMessage>(m => log.Warning("ignoring {0} of run {1}; this trainer runs {2} (are all trainers given the same manifest and settings?)",
            m.GetType().Name, m.RunId, runId == "" ? "nothing" : runId));
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

    private string Node => cluster.SelfAddress.ToString();
    private bool IsCoordinator => coordinator is not null && coordinator.Equals(cluster.SelfAddress);
    private bool Mine(IWithTrainingRunId m) => replica is not null && m.RunId == runId;

    protected override void PreStart()
    {
        cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
        Timers.StartPeriodicTimer("tick", new Tick(), TimeSpan.FromMilliseconds(250));
        try
        {
            board.SetState("loading", job.RunId, job.Data is null ? $"loading {job.ManifestPath}" : "preparing the examples");
            TrainingData data;
            if (job.Data is { } given)
            {
                data = given with { Recipe = options.ForThisNode(given.Recipe) };
                runId = job.RunId ?? throw new ArgumentException("a job with data in memory needs its run id");
            }
            else
            {
                var manifest = TrainingManifest.Load(job.ManifestPath!);
                data = TrainingData.Load(manifest, store, options.ForThisNode(manifest.GetRecipe(job.ManifestPath!)));
                runId = job.RunId ?? RunIdentity.Of(manifest); // a CLI's fold names its run (one per invocation)
            }
            replica = new DataParallelReplica(runId, data);
            Context.Parent.Tell(new TrainerActor.RunIdentified(runId));
            runSink = sink?.ForRun(Context, checkpoints.Directory);
            var checkpoint = checkpoints.TryLoad();
            if (checkpoint is not null)
            {
                replica.Restore(checkpoint, restoreRandom: true);
                output($"resumed from checkpoint epoch={checkpoint.Epoch} step={checkpoint.Step} run={runId} dir={checkpoints.Directory}");
            }
            // a run restored at its end is not marked finished here: the coordinator's first step finds it finished and
            // completes it (best weights, model file, test, journal, requester) again, idempotently; a replica learns
            // it from the coordinator
            board.SetState(replica.Finished ? "finishing" : "running", runId, $"{data.TrainX.Length} training examples, {replica.TotalSteps} steps");
            output($"trainer ready run={runId} examples={data.TrainX.Length} parameters={replica.ParameterCount} vector={replica.VectorLength} " +
                   $"steps={replica.TotalSteps} applied={replica.AppliedStep} device={options.Device} " +
                   $"torch-threads={TorchSharp.torch.get_num_threads()} thread={Environment.CurrentManagedThreadId} pool-thread={Thread.CurrentThread.IsThreadPoolThread.ToString().ToLowerInvariant()}");
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or InvalidOperationException or UnauthorizedAccessException)
        {
            replica?.Dispose();
            replica = null;
            board.SetState("failed", runId == "" ? null : runId, e.Message);
            output($"training failed: {e.Message}");
            Context.Parent.Tell(new RunFailed(job.RunId ?? (runId == "" ? null : runId), e.Message));
        }
    }

    /// <summary>
    /// After an exception (e.g. from torch) the default supervision restarts the actor: the new instance reloads the data
    /// and resumes from this trainer's last checkpoint; a replica that is behind is then re-synchronized by the coordinator.
    /// </summary>
    protected override void PreRestart(Exception reason, object message)
    {
        output($"trainer restarting after {reason.GetType().Name}: {reason.Message.Split('\n')[0]}; it resumes from its last checkpoint");
        base.PreRestart(reason, message);
    }

    protected override void PostStop()
    {
        cluster.Unsubscribe(Self);
        replica?.Dispose();
    }

    // ---- membership ----

    private void OnMember(Member m)
    {
        if (!m.HasRole(ClusterRoles.Trainer)) return;
        trainers[m.Address] = m;
        UpdateCoordinator();
    }

    private void OnMemberGone(Member m)
    {
        if (!trainers.Remove(m.Address)) return;
        ready.Remove(m.Address);
        needState.Remove(m.Address);
        DropFromStep(m.Address, "left the cluster");
        UpdateCoordinator();
    }

    private void OnUnreachable(Member m)
    {
        unreachable.Add(m.Address);
        DropFromStep(m.Address, "is unreachable");
    }

    private void UpdateCoordinator()
    {
        // a job whose examples are in this process only (the CLI's) is trained here alone; a manifest's run by the oldest trainer
        var oldest = job.Data is not null || job.Solo ? cluster.SelfAddress
            : trainers.Values.Where(m => m.Status == MemberStatus.Up && Participates(m.Address)).OrderBy(m => m, Member.AgeOrdering).FirstOrDefault()?.Address;
        if (oldest is null || oldest.Equals(coordinator)) return;
        coordinator = oldest;
        if (replica is null) return;
        output($"coordinator {oldest}{(IsCoordinator ? " (this node)" : "")}");
        if (IsCoordinator)
        {
            started = false;
            coordinatorSince = DateTime.UtcNow;
            results.Clear();
        }
        else
        {
            AbandonStep();
            inStep = false;
            SendReady();
        }
    }

    private void OnTick()
    {
        if (replica is null || coordinator is null) return;
        if (IsCoordinator)
        {
            if (started || finished) return;
            int readyCount = 1 + ready.Keys.Count(Eligible);
            // a named participant that already left the cluster is not waited for (a coordinator that took over)
            int wanted = job.Solo ? 1
                : job.Participants is { Count: > 0 } p ? Math.Max(1, p.Count(a => trainers.TryGetValue(Address.Parse(a), out var m) && m.Status == MemberStatus.Up))
                : options.MinReplicas;
            if (readyCount >= wanted || DateTime.UtcNow - coordinatorSince >= options.StartTimeout)
            {
                started = true;
                epochClock.Restart();
                runUsage = ThreadUsage.Now();
                runClock.Restart();
                // at every start, not only at step 0: idempotent in the journal, and a coordinator that resumes (or takes
                // over) after the first start never reached the journal still records the run
                // the run as it was planned: a coordinator that took over describes it with the participants it was started with
                runSink?.RunStarted(runId, replica.Data.Recipe.PortableJson(), replica.Data.Labels,
                    Describe(job.Participants is { Count: > 0 } planned ? planned.Count : readyCount));
                foreach (var (metrics, validation) in judged)
                {
                    runSink?.EpochEvaluated(metrics, validation);
                    // and on the topic: an epoch the old coordinator judged but did not publish before it died still reaches
                    // the requester's progress (RunEpochs replaces a repeated epoch)
                    mediator.Tell(new Publish(TrainingTopics.Evaluation, metrics));
                }
                output($"starting at step {replica.AppliedStep + 1} with {readyCount} replica(s)");
                StartNextStep();
            }
        }
        else if (!finished && DateTime.UtcNow - lastStepStart > (inStep ? 2 * options.StepTimeout : TimeSpan.FromSeconds(1)))
        {
            SendReady();
        }
    }

    /// <summary>What the run is, for the journal: the recipe's hash, where the examples come from, the seed, the trainer nodes Up now and the replicas.</summary>
    private Evaluator.RunDescription Describe(int replicas)
    {
        var data = replica!.Data;
        int nodes = Math.Max(1, trainers.Values.Count(m => m.Status == MemberStatus.Up));
        return new Evaluator.RunDescription(data.Recipe.Hash(), data.Origin.Corpus, data.Origin.CorpusPath, data.Origin.Split,
            data.Recipe.Training.Seed, nodes, replicas);
    }

    private void SendReady()
    {
        if (replica is null || coordinator is null || IsCoordinator || finished) return;
        Context.ActorSelection(new RootActorPath(coordinator) / "user" / TrainerActor.Name).Tell(new ReplicaReady(runId, replica.AppliedStep, Node));
    }

    private bool Eligible(Address a) => trainers.TryGetValue(a, out var m) && m.Status == MemberStatus.Up && !unreachable.Contains(a) && Participates(a);

    /// <summary>Whether the trainer at <paramref name="a"/> is one of this run's replicas (every trainer, unless the job names them).</summary>
    private bool Participates(Address a) => job.Participants is not { Count: > 0 } p || p.Contains(a.ToString());

    // ---- coordinator ----

    private void OnReady(ReplicaReady m)
    {
        if (!IsCoordinator) return;
        var address = Sender.Path.Address;
        if (!ready.ContainsKey(address)) output($"replica ready {address} applied={m.AppliedStep}");
        ready[address] = Sender;
        if (finished)
        {
            if (m.AppliedStep != replica!.AppliedStep) SendState(Sender); // a late replica ends with the final weights too
            Sender.Tell(new TrainingFinished(runId, replica.AppliedStep, replica.CompletedEpochs));
            return;
        }
        if (m.AppliedStep != replica!.AppliedStep) needState[address] = Sender;
    }

    private void StartNextStep()
    {
        var r = replica!;
        if (!IsCoordinator || step is not null || finished) return;
        if (r.Finished)
        {
            Finish();
            return;
        }
        foreach (var (address, actor) in needState.ToList())
        {
            if (!Eligible(address)) continue;
            SendState(actor);
            output($"sent state at step {r.AppliedStep} to {address}");
        }
        needState.Clear();

        participants = ready.Where(kv => Eligible(kv.Key)).Select(kv => (kv.Key, (IActorRef?)kv.Value))
            .Append((cluster.SelfAddress, null))
            .OrderBy(p => p.Item1.ToString(), StringComparer.Ordinal)
            .ToList();
        long s = r.AppliedStep + 1;
        contributed.Clear();
        stepClock.Restart();
        stepBytes = 0;
        if (participants.Count == 1)
        {
            // alone in this step: gradients applied in place, no vector to flatten, average and copy back
            ReducedStep alone;
            using (r.Stages.Measure("compute")) alone = r.TrainAlone(s);
            allReduceMs = 0;
            StepDone(alone, 0);
            return;
        }
        step = new StepReducer(s, Enumerable.Range(0, participants.Count), r.VectorLength);
        int self = 0;
        for (int rank = 0; rank < participants.Count; rank++)
        {
            if (participants[rank].Ref is { } actor) actor.Tell(new StepStart(runId, s, rank, participants.Count));
            else self = rank;
        }
        Timers.StartSingleTimer("step-timeout", new StepTimedOut(s), options.StepTimeout);
        Contribution own;
        using (r.Stages.Measure("compute")) own = r.Compute(s, self, participants.Count);
        var ownDone = stepClock.Elapsed;
        step.Add(own);
        allReduceMs = -ownDone.TotalMilliseconds;
        TryFinishStep();
    }

    private void OnContributionFrame(GradientFrame f)
    {
        if (step is null || f.Step != step.Step || !IsParticipant(f.Rank)) return;
        TrainingMetrics.AllReduceBytes.Add(f.Bytes.Length);
        stepBytes += f.Bytes.Length;
        try
        {
            if (contributionFrames.Add(f) is { } values) contributed[f.Rank] = values;
        }
        catch (InvalidDataException e)
        {
            log.Warning("step {0}: {1}; dropping rank {2}", f.Step, e.Message, f.Rank);
            if (step.Drop(f.Rank)) TrainingMetrics.DroppedReplicas.Add(1);
            TryFinishStep();
        }
    }

    private void OnContributed(GradientContributed m)
    {
        if (step is null || m.Step != step.Step || !IsParticipant(m.Rank)) return;
        if (!contributed.Remove(m.Rank, out var values))
        {
            log.Warning("step {0}: rank {1} reported its gradients without sending them; dropping it", m.Step, m.Rank);
            step.Drop(m.Rank);
        }
        else
        {
            step.Add(new Contribution(m.Rank, m.Weight, values, m.LossSum, m.Correct, m.Samples));
        }
        TryFinishStep();
    }

    private bool IsParticipant(int rank) =>
        rank >= 0 && rank < participants.Count && participants[rank].Ref is { } actor && actor.Path.Address.Equals(Sender.Path.Address);

    private void OnNeedState(NeedState m)
    {
        if (!IsCoordinator) return;
        var address = Sender.Path.Address;
        needState[address] = Sender;
        ready[address] = Sender;
        if (step is not null && m.Step == step.Step)
        {
            int rank = participants.FindIndex(p => p.Address.Equals(address));
            if (rank >= 0 && step.Drop(rank)) output($"step {m.Step}: rank {rank} ({address}) is at step {m.AppliedStep}; it gets the state after this step");
            TryFinishStep();
        }
    }

    private void OnStepTimeout(long s)
    {
        if (step is null || step.Step != s) return;
        foreach (int rank in step.Missing.ToList())
        {
            step.Drop(rank);
            TrainingMetrics.DroppedReplicas.Add(1);
            var address = participants[rank].Address;
            ready.Remove(address);
            output($"step {s}: dropped rank {rank} ({address}): no gradients within {options.StepTimeout.TotalSeconds:0.###} s");
        }
        TryFinishStep();
    }

    private void DropFromStep(Address address, string why)
    {
        if (step is null || !IsCoordinator) return;
        int rank = participants.FindIndex(p => p.Address.Equals(address));
        if (rank < 0 || participants[rank].Ref is null) return;
        if (step.Drop(rank))
        {
            TrainingMetrics.DroppedReplicas.Add(1);
            output($"step {step.Step}: dropped rank {rank} ({address}): it {why}");
        }
        ready.Remove(address);
        TryFinishStep();
    }

    private void TryFinishStep()
    {
        if (step is null || !step.IsComplete) return;
        var stageScope = replica!.Stages.Measure("reduce");
        var reduced = step.Reduce();
        var r = replica!;
        step = null;
        Timers.Cancel("step-timeout");
        contributionFrames.DiscardBefore(reduced.Step + 1);
        contributed.Clear();
        allReduceMs += stepClock.Elapsed.TotalMilliseconds;
        TrainingMetrics.AllReduceMilliseconds.Record(allReduceMs);
        double reduceMs = allReduceMs;

        var frames = reduced.Values is { } v ? GradientFrameAssembler.Split(runId, reduced.Step, GradientFrameAssembler.ResultRank, v).ToList() : [];
        var done = new StepCompleted(runId, reduced.Step, reduced.Values is not null, reduced.Contributors, reduced.Dropped, reduced.Weight, reduced.Loss, reduced.Correct, reduced.Samples);
        foreach (var (_, actor) in participants)
        {
            if (actor is null) continue;
            foreach (var f in frames)
            {
                actor.Tell(f);
                TrainingMetrics.AllReduceBytes.Add(f.Bytes.Length);
                stepBytes += f.Bytes.Length;
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
        var r = replica!;
        TrainingMetrics.StepTook(stepClock.Elapsed, coordinator: true);
        using (r.Stages.Measure("after-apply")) AfterApply(reduced);
        var stageScope = r.Stages.Measure("publish");

        epochSamples += reduced.Samples;
        var (epoch, _) = r.Plan.Locate(reduced.Step);
        double rate = epochSamples / Math.Max(epochClock.Elapsed.TotalSeconds, 1e-9);
        var progress = new TrainingProgress(runId, epoch, r.Settings.Epochs, reduced.Step, r.TotalSteps, reduced.Loss, rate,
            reduced.Contributors.Length, Node, DateTimeOffset.UtcNow);
        board.Report(progress);
        mediator.Tell(new Publish(TrainingTopics.Progress, progress));
        output(string.Create(CultureInfo.InvariantCulture,
            $"step {reduced.Step} epoch={epoch} replicas={reduced.Contributors.Length} dropped={reduced.Dropped.Length} loss={reduced.Loss:F4} ms={stepClock.Elapsed.TotalMilliseconds:F1} allreduce_ms={reduceMs:F1} bytes={stepBytes}"));
        if (r.IsEpochEnd(reduced.Step))
        {
            epochSamples = 0;
            epochClock.Restart();
        }
        Self.Tell(new NextStep());
        stageScope.Dispose();
    }

    private void SendState(IActorRef actor)
    {
        var bytes = replica!.CreateCheckpoint().ToBytes();
        string transfer = $"{runId}/state/{replica.AppliedStep}/{Guid.NewGuid():N}";
        foreach (var chunk in ChunkAssembler.Split(transfer, bytes)) actor.Tell(chunk);
        actor.Tell(new StateSnapshot(runId, replica.AppliedStep, transfer));
    }

    private void Finish()
    {
        if (finished) return;
        finished = true;
        var r = replica!;
        foreach (var (address, actor) in needState)
            if (Eligible(address)) SendState(actor);
        needState.Clear();
        foreach (var actor in ready.Values) actor.Tell(new TrainingFinished(runId, r.AppliedStep, r.CompletedEpochs));
        r.RestoreBest(); // the recipe's model selection: the best validation epoch's weights
        string modelOutput = job.ModelOutput ?? options.ModelOutput;
        if (!string.IsNullOrWhiteSpace(modelOutput))
            ModelArtifact.Save(modelOutput, r.Trainer.Model, r.Data.Labels, r.Data.Recipe, runId, r.Data.Input.Prior);
        var test = r.Test();
        if (test is { } t)
            output(string.Create(CultureInfo.InvariantCulture, $"test accuracy={t.Report.Accuracy:F3} uar={t.Report.Uar:F3} clips={r.Data.TestY.Length} best_epoch={r.BestEpoch}"));
        runSink?.RunCompleted(runId, r.BestEpoch > 0 ? r.BestEpoch : null, test?.Report);
        // the end is announced once the journal has the run's records (a bounded wait): whoever then stops this actor,
        // or deletes the job's folder with the outbox, loses nothing
        Self.Tell(new AnnounceEnd(new RunEnded(runId, string.IsNullOrWhiteSpace(modelOutput) ? null : Path.GetFullPath(modelOutput), r.BestEpoch,
            r.CompletedEpochs, r.StopEarly, test?.Report), DateTime.UtcNow + RecordsDrainTimeout));
        board.SetState("finished", runId, $"finished {r.AppliedStep} steps, {r.CompletedEpochs} epochs");
        var used = ThreadUsage.Now() - runUsage;
        output(string.Create(CultureInfo.InvariantCulture,
            $"stage times thread wall_ms={runClock.Elapsed.TotalMilliseconds:F1} cpu_ms={used.Cpu.TotalMilliseconds:F1} sys_ms={used.Kernel.TotalMilliseconds:F1} faults={used.MinorFaults}; ") + r.Stages.Summary());
        output($"training finished steps={r.AppliedStep} epochs={r.CompletedEpochs} checksum={r.Trainer.WeightChecksum()}");
    }

    /// <summary>Writes the new best model and announces it on the node's event stream.</summary>
    private void SaveBestModel(DataParallelReplica r, int epoch, double uar)
    {
        if (job.Data is not null || job.Solo || string.IsNullOrWhiteSpace(options.BestModelOutput)) return; // a CLI job's model (or fold's) is its own
        string path = Path.GetFullPath(options.BestModelOutput);
        try
        {
            ModelArtifact.Save(path, r.Trainer.Model, r.Data.Labels, r.Data.Recipe, runId, r.Data.Input.Prior); // atomic: temporary file, then rename
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warning("could not write the best model to {0} ({1}); training goes on", path, e.Message);
            return;
        }
        Context.System.EventStream.Publish(new ModelFileSaved(path, runId, epoch, uar));
        output(string.Create(CultureInfo.InvariantCulture, $"best model epoch {epoch} val_uar={uar:F3} saved to {path}"));
    }

    // ---- replica ----

    private void OnStepStart(StepStart m)
    {
        lastStepStart = DateTime.UtcNow;
        var r = replica!;
        if (m.Step != r.AppliedStep + 1)
        {
            inStep = false;
            Sender.Tell(new NeedState(runId, m.Step, r.AppliedStep, Node));
            return;
        }
        inStep = true;
        var contribution = r.Compute(m.Step, m.Rank, m.Replicas);
        foreach (var f in GradientFrameAssembler.Split(runId, m.Step, m.Rank, contribution.Values))
        {
            Sender.Tell(f);
            TrainingMetrics.AllReduceBytes.Add(f.Bytes.Length);
        }
        Sender.Tell(new GradientContributed(runId, m.Step, m.Rank, contribution.Weight, contribution.LossSum, contribution.Correct, contribution.Samples));
    }

    private void OnResultFrame(GradientFrame f)
    {
        if (f.Step <= replica!.AppliedStep) return;
        TrainingMetrics.AllReduceBytes.Add(f.Bytes.Length);
        try
        {
            if (resultFrames.Add(f) is { } values) results[f.Step] = values;
        }
        catch (InvalidDataException e)
        {
            log.Warning("{0}; waiting for the coordinator's state", e.Message);
        }
    }

    private void OnStepCompleted(StepCompleted m)
    {
        var r = replica!;
        var stepStarted = lastStepStart;
        lastStepStart = DateTime.UtcNow;
        inStep = false;
        if (m.Step != r.AppliedStep + 1)
        {
            log.Info("step {0} completed but this replica is at step {1}; it will ask for the coordinator's state", m.Step, r.AppliedStep);
            return;
        }
        float[]? values = null;
        if (m.Update && !results.Remove(m.Step, out values))
        {
            log.Warning("step {0} completed but its averaged gradients did not arrive; asking for the coordinator's state", m.Step);
            Sender.Tell(new NeedState(runId, m.Step + 1, r.AppliedStep, Node));
            return;
        }
        var reduced = new ReducedStep(m.Step, values, m.Contributors, m.Dropped, m.Weight, m.Loss, m.Correct, m.Samples);
        r.Apply(reduced);
        TrainingMetrics.StepTook(DateTime.UtcNow - stepStarted, coordinator: false);
        foreach (var stale in results.Keys.Where(k => k <= m.Step).ToList()) results.Remove(stale);
        resultFrames.DiscardBefore(m.Step + 1);
        AfterApply(reduced);
    }

    private void OnStateChunk(DataChunk chunk)
    {
        try
        {
            if (stateChunks.Add(chunk) is { } bytes) states[chunk.TransferId] = bytes;
        }
        catch (InvalidDataException e)
        {
            log.Warning("state transfer: {0}", e.Message);
        }
    }

    private void OnStateSnapshot(StateSnapshot m)
    {
        if (!states.Remove(m.TransferId, out var bytes))
        {
            log.Warning("state snapshot {0} arrived without its data", m.TransferId);
            return;
        }
        var r = replica!;
        var checkpoint = TrainingCheckpoint.FromBytes(bytes, $"state from {Sender.Path.Address}");
        r.Restore(checkpoint, restoreRandom: false);
        results.Clear();
        resultFrames.DiscardBefore(long.MaxValue);
        checkpoints.Save(r.CreateCheckpoint());
        output($"synchronized to step {checkpoint.Step} (epoch {checkpoint.Epoch}) from {Sender.Path.Address} checksum={r.Trainer.WeightChecksum()}");
    }

    private void OnFinished(TrainingFinished m)
    {
        if (finished) return;
        finished = true;
        var r = replica!;
        board.SetState("finished", runId, $"finished {m.Steps} steps, {m.Epochs} epochs");
        output($"training finished steps={r.AppliedStep} epochs={r.CompletedEpochs} checksum={r.Trainer.WeightChecksum()}");
        // this replica's part is done: its node may take the next job (the coordinator writes the model and answers with it)
        Context.Parent.Tell(new RunEnded(runId, null, r.BestEpoch, r.CompletedEpochs, r.StopEarly, null));
    }

    private void AbandonStep()
    {
        step = null;
        contributed.Clear();
        contributionFrames.DiscardBefore(long.MaxValue);
        Timers.Cancel("step-timeout");
    }

    // ---- both ----

    private void AfterApply(ReducedStep reduced)
    {
        var r = replica!;
        TrainingMetrics.StepApplied(reduced.Samples, reduced.Loss);
        if (!r.IsEpochEnd(reduced.Step)) return;
        int epoch = r.CompletedEpochs;
        var (loss, accuracy) = r.TakeEpochMetrics();
        string checksum;
        using (r.Stages.Measure("checksum")) checksum = r.Trainer.WeightChecksum();
        string line = string.Create(CultureInfo.InvariantCulture,
            $"epoch {epoch} done step={reduced.Step} loss={loss:F4} accuracy={accuracy:F3} replicas={reduced.Contributors.Length} checksum={checksum}");
        // every replica judges the epoch (the same weights give the same decision), so any of them can take over
        (double? Loss, Metrics.ClassificationReport Report, bool IsBest)? validation;
        using (r.Stages.Measure("validate")) validation = r.EndEpoch(epoch);
        bool stop = r.StopEarly;
        var metrics = new EpochMetrics(runId, epoch, loss, accuracy, validation?.Loss, validation?.Report.Accuracy, validation?.Report.Uar, reduced.Contributors.Length)
        {
            LearningRate = r.EpochLearningRate, Seconds = epochClock.Elapsed.TotalSeconds, IsBest = r.BestEpoch == epoch,
        };
        judged.RemoveAll(j => j.Metrics.Epoch >= epoch); // a resumed or resynchronized run judges an epoch again
        judged.Add((metrics, validation?.Report));
        if (IsCoordinator)
        {
            if (validation is { IsBest: true } v) SaveBestModel(r, epoch, v.Report.Uar);
            board.Report(metrics);
            TrainingMetrics.EpochEvaluated(metrics);
            mediator.Tell(new Publish(TrainingTopics.Evaluation, metrics));
            // into the run's outbox (on disk) before the checkpoint below: a checkpointed epoch's record is never lost
            runSink?.EpochEvaluated(metrics, validation?.Report);
            if (validation is { } val) line += string.Create(CultureInfo.InvariantCulture, $" val_uar={val.Report.Uar:F3}");
        }
        if (epoch % options.CheckpointEveryEpochs == 0 || r.Finished || stop)
            using (r.Stages.Measure("checkpoint")) checkpoints.Save(r.CreateCheckpoint());
        if (stop && IsCoordinator)
        {
            output(line);
            output($"early stopping after epoch {epoch}: {r.Settings.EarlyStoppingPatience} epochs without a better validation UAR (best epoch {r.BestEpoch})");
            Finish();
            return;
        }
        output(line);
    }
}
