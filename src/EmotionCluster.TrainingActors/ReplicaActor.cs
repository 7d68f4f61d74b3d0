using System.Globalization;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using EmotionCluster.Hosting;
using EmotionCluster.Metrics;
using EmotionCluster.Model;
using EmotionCluster.Wire;
using Microsoft.Extensions.Logging;

namespace EmotionCluster.TrainingActors;

/// <summary>
/// The replica side of one training run on this node: a child of the run's <see cref="TrainingRunActor"/> on every
/// participant (the coordinator's node too), a thin shell over the run's <see cref="DataParallelReplica"/>, which it
/// owns (on its own pinned thread). It computes its slice of each <see cref="StepStart"/> and sends the gradients to the
/// step's coordinator, applies the averaged result (<see cref="GradientFrame"/>s, then <see cref="StepCompleted"/>),
/// takes the coordinator's state when it is behind (<see cref="NeedState"/>, <see cref="StateSnapshot"/>), judges each
/// epoch (validation, early stopping), checkpoints, and at the run's end restores the best epoch, writes the model and
/// scores the test clips (<see cref="Finish"/>). Its parent learns every applied step (<see cref="Applied"/>). While
/// another node coordinates, it announces itself there (<see cref="ReplicaReady"/>, repeated while idle); while its own
/// parent coordinates (<see cref="Coordinate"/>), it takes steps from the parent only and an epoch's checkpoint waits
/// until the parent has recorded the epoch (<see cref="EpochRecorded"/>), so a checkpointed epoch's record is never lost.
/// </summary>
public sealed class ReplicaActor : ReceiveActor, IWithTimers
{
    public const string Name = "replica";

    // ---- parent → replica ----

    /// <summary>Who coordinates the run (null: nobody yet); <paramref name="Here"/>: this node's run actor, the parent. Answered with <see cref="Coordinated"/>.</summary>
    public sealed record Coordinate(Address? Coordinator, bool Here);

    /// <summary>The parent, this step's only replica: train step <paramref name="Step"/> on the whole batch in place. Answered with <see cref="Applied"/>.</summary>
    public sealed record TrainAlone(long Step);

    /// <summary>The parent has recorded the epoch that ended with step <paramref name="Step"/>: its checkpoint may be written.</summary>
    public sealed record EpochRecorded(long Step);

    /// <summary>The parent wants this replica's state (for replicas that are behind). Answered with <see cref="Snapshot"/>.</summary>
    public sealed record TakeSnapshot;

    /// <summary>The run is over: restore the best epoch, write the model to <paramref name="ModelOutput"/> (none when null or empty), score the test clips. Answered with <see cref="Finished"/>.</summary>
    public sealed record Finish(string? ModelOutput);

    // ---- replica → parent ----

    /// <summary>Where the replica is: its applied step, completed epochs, whether the run is over for it, its best epoch and early stopping.</summary>
    public sealed record Status(long AppliedStep, int CompletedEpochs, bool Finished, int BestEpoch, bool StopEarly);

    /// <summary>The answer to <see cref="Coordinate"/>: the replica's state after every step it applied before.</summary>
    public sealed record Coordinated(Status Status);

    /// <summary>
    /// A step was applied (<see cref="ReducedStep.Values"/> left out). At an epoch's end <paramref name="Epoch"/> is the
    /// replica's judgement of it (every replica judges, so any can take over).
    /// </summary>
    public sealed record Applied(ReducedStep Step, Status Status, JudgedEpoch? Epoch);

    /// <summary>An epoch's metrics (<see cref="EpochMetrics.Seconds"/> is the coordinator's to fill in) and its validation report.</summary>
    public sealed record JudgedEpoch(EpochMetrics Metrics, ClassificationReport? Validation);

    /// <summary>The replica took the coordinator's state.</summary>
    public sealed record Synchronized(Status Status);

    /// <summary>The coordinator (of another node) said the run is over (<see cref="TrainingFinished"/>).</summary>
    public sealed record Ended(Status Status);

    /// <summary>The answer to <see cref="TakeSnapshot"/>: a <see cref="TrainingCheckpoint"/> (bytes) at <paramref name="Step"/>.</summary>
    public sealed record Snapshot(long Step, byte[] Bytes);

    /// <summary>
    /// The answer to <see cref="Finish"/>: the state at the last step (for replicas that are behind), the test clips'
    /// report (null without test clips), this replica's stage times and its weights' checksum.
    /// </summary>
    public sealed record Finished(Status Status, byte[] State, ClassificationReport? Test, string StageTimes, string Checksum);

    private readonly string _runId;
    private readonly DataParallelReplica _replica;
    private readonly CheckpointStore _checkpoints;
    private readonly TrainerOptions _options;
    private readonly string? _bestModelPath;
    private readonly ILogger _logger;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _node;
    private readonly GradientFrameAssembler _resultFrames = new();
    private readonly Dictionary<long, float[]> _results = new();
    private readonly ChunkAssembler _stateChunks = new();
    private readonly Dictionary<string, byte[]> _states = new();
    private Address? _coordinator;
    private bool _here;
    private bool _finished;
    private bool _checkpointPending;
    private DateTime _lastStepStart = DateTime.MinValue;
    private bool _inStep;
    private ThreadUsage? _usage;
    private readonly System.Diagnostics.Stopwatch _clock = new();

    /// <param name="bestModelPath">Where the coordinator writes each new best model (null: nowhere, e.g. a CLI job).</param>
    public ReplicaActor(DataParallelReplica replica, CheckpointStore checkpoints, TrainerOptions options, string? bestModelPath, ILoggerFactory? loggers)
    {
        _replica = replica;
        _runId = replica.RunId;
        _checkpoints = checkpoints;
        _options = options;
        _bestModelPath = bestModelPath;
        _logger = TrainingLog.OrNull(loggers).CreateLogger<ReplicaActor>();
        _node = Akka.Cluster.Cluster.Get(Context.System).SelfAddress.ToString();

        Receive<Coordinate>(OnCoordinate);
        Receive<Tick>(_ => OnTick());
        Receive<StepStart>(m => m.RunId == _runId && FromCoordinator(), OnStepStart);
        Receive<GradientFrame>(m => m.RunId == _runId && m.Rank == GradientFrameAssembler.ResultRank && FromCoordinator(), OnResultFrame);
        Receive<StepCompleted>(m => m.RunId == _runId && FromCoordinator(), OnStepCompleted);
        Receive<TrainAlone>(m => Sender.Equals(Context.Parent), m => Train(m.Step));
        Receive<DataChunk>(OnStateChunk);
        Receive<StateSnapshot>(m => m.RunId == _runId && !_here, OnStateSnapshot);
        Receive<TrainingFinished>(m => m.RunId == _runId && !_here, OnTrainingFinished);
        Receive<EpochRecorded>(_ =>
        {
            if (!_checkpointPending) return;
            _checkpointPending = false;
            SaveCheckpoint();
        });
        Receive<TakeSnapshot>(_ => Sender.Tell(new Snapshot(_replica.AppliedStep, _replica.CreateCheckpoint().ToBytes())));
        Receive<Finish>(OnFinish);
        Receive<IWithTrainingRunId>(m => _log.Debug("replica of run {0} ignores {1} of run {2} (or from a node that does not coordinate it)",
            _runId, m.GetType().Name, m.RunId));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private sealed record Tick;

    public static Props PropsFor(DataParallelReplica replica, CheckpointStore checkpoints, TrainerOptions options, string? bestModelPath, ILoggerFactory? loggers = null) =>
        Props.Create(() => new ReplicaActor(replica, checkpoints, options, bestModelPath, loggers)).WithDispatcher(TrainerActor.DispatcherId);

    private Status Current => new(_replica.AppliedStep, _replica.CompletedEpochs, _replica.Finished, _replica.BestEpoch, _replica.StopEarly);

    // while the parent coordinates, its steps only (a late message of the previous coordinator must not move the state under it)
    private bool FromCoordinator() => !_here || Sender.Equals(Context.Parent);

    protected override void PreStart() => Timers.StartPeriodicTimer("tick", new Tick(), TimeSpan.FromMilliseconds(250));

    protected override void PostStop() => _replica.Dispose();

    private void OnCoordinate(Coordinate m)
    {
        _coordinator = m.Coordinator;
        _here = m.Here;
        _inStep = false;
        if (_here)
        {
            _results.Clear();
            _resultFrames.DiscardBefore(long.MaxValue);
        }
        Sender.Tell(new Coordinated(Current));
        SendReady();
    }

    private void OnTick()
    {
        if (!_finished && DateTime.UtcNow - _lastStepStart > (_inStep ? 2 * _options.StepTimeout : TimeSpan.FromSeconds(1))) SendReady();
    }

    private void SendReady()
    {
        if (_coordinator is null || _here || _finished) return;
        Context.ActorSelection(new RootActorPath(_coordinator) / "user" / TrainerActor.Name).Tell(new ReplicaReady(_runId, _replica.AppliedStep, _node));
    }

    private void OnStepStart(StepStart m)
    {
        _lastStepStart = DateTime.UtcNow;
        _usage ??= StartClock();
        var r = _replica;
        if (m.Step != r.AppliedStep + 1)
        {
            _inStep = false;
            Sender.Tell(new NeedState(_runId, m.Step, r.AppliedStep, _node));
            return;
        }
        _inStep = true;
        Contribution contribution;
        using (r.Stages.Measure("compute")) contribution = r.Compute(m.Step, m.Rank, m.Replicas);
        foreach (var f in GradientFrameAssembler.Split(_runId, m.Step, m.Rank, contribution.Values))
        {
            Sender.Tell(f);
            if (!_here) TrainingMetrics.AllReduceBytes.Add(f.Bytes.Length);
        }
        Sender.Tell(new GradientContributed(_runId, m.Step, m.Rank, contribution.Weight, contribution.LossSum, contribution.Correct, contribution.Samples));
    }

    private void OnResultFrame(GradientFrame f)
    {
        if (f.Step <= _replica.AppliedStep) return;
        if (!_here) TrainingMetrics.AllReduceBytes.Add(f.Bytes.Length);
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
        var r = _replica;
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
            Sender.Tell(new NeedState(_runId, m.Step + 1, r.AppliedStep, _node));
            return;
        }
        var reduced = new ReducedStep(m.Step, values, m.Contributors, m.Dropped, m.Weight, m.Loss, m.Correct, m.Samples);
        using (r.Stages.Measure("apply")) r.Apply(reduced);
        if (!_here) TrainingMetrics.StepTook(DateTime.UtcNow - stepStarted, coordinator: false);
        foreach (var stale in _results.Keys.Where(k => k <= m.Step).ToList()) _results.Remove(stale);
        _resultFrames.DiscardBefore(m.Step + 1);
        AfterApply(reduced);
    }

    /// <summary>The parent's step with no other replica: computed and applied in place.</summary>
    private void Train(long step)
    {
        _usage ??= StartClock();
        ReducedStep reduced;
        using (_replica.Stages.Measure("compute")) reduced = _replica.TrainAlone(step);
        AfterApply(reduced);
    }

    private ThreadUsage StartClock()
    {
        _clock.Restart();
        return ThreadUsage.Now();
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
        var r = _replica;
        var checkpoint = TrainingCheckpoint.FromBytes(bytes, $"state from {Sender.Path.Address}");
        r.Restore(checkpoint, restoreRandom: false);
        _results.Clear();
        _resultFrames.DiscardBefore(long.MaxValue);
        _checkpoints.Save(r.CreateCheckpoint());
        _logger.Line($"synchronized to step {checkpoint.Step} (epoch {checkpoint.Epoch}) from {Sender.Path.Address} checksum={r.Trainer.WeightChecksum()}");
        Context.Parent.Tell(new Synchronized(Current));
    }

    private void OnTrainingFinished(TrainingFinished m)
    {
        if (_finished) return;
        _finished = true;
        var r = _replica;
        _logger.Line($"training finished steps={r.AppliedStep} epochs={r.CompletedEpochs} checksum={r.Trainer.WeightChecksum()}");
        Context.Parent.Tell(new Ended(Current));
    }

    private void OnFinish(Finish m)
    {
        _finished = true;
        var r = _replica;
        var state = r.CreateCheckpoint().ToBytes(); // the last step's state, for replicas that are behind
        r.RestoreBest(); // the recipe's model selection: the best validation epoch's weights
        if (!string.IsNullOrWhiteSpace(m.ModelOutput))
            ModelArtifact.Save(m.ModelOutput, r.Trainer.Model, r.Data.Labels, r.Data.Recipe, _runId, r.Data.Input.Prior);
        var test = r.Test();
        var used = _usage is { } start ? ThreadUsage.Now() - start : default;
        string stages = string.Create(CultureInfo.InvariantCulture,
            $"stage times thread wall_ms={_clock.Elapsed.TotalMilliseconds:F1} cpu_ms={used.Cpu.TotalMilliseconds:F1} sys_ms={used.Kernel.TotalMilliseconds:F1} faults={used.MinorFaults}; ") + r.Stages.Summary();
        Sender.Tell(new Finished(Current, state, test?.Report, stages, r.Trainer.WeightChecksum()));
    }

    /// <summary>After every applied step: at an epoch's end the judgement (validation, best model, early stopping) and the checkpoint; then the parent hears of it.</summary>
    private void AfterApply(ReducedStep reduced)
    {
        var r = _replica;
        TrainingMetrics.StepApplied(reduced.Samples, reduced.Loss);
        JudgedEpoch? judged = null;
        if (r.IsEpochEnd(reduced.Step))
        {
            int epoch = r.CompletedEpochs;
            var (loss, accuracy) = r.TakeEpochMetrics();
            string checksum;
            using (r.Stages.Measure("checksum")) checksum = r.Trainer.WeightChecksum();
            string line = string.Create(CultureInfo.InvariantCulture,
                $"epoch {epoch} done step={reduced.Step} loss={loss:F4} accuracy={accuracy:F3} replicas={reduced.Contributors.Length} checksum={checksum}");
            // every replica judges the epoch (the same weights give the same decision), so any of them can take over
            (double? Loss, ClassificationReport Report, bool IsBest)? validation;
            using (r.Stages.Measure("validate")) validation = r.EndEpoch(epoch);
            var metrics = new EpochMetrics(_runId, epoch, loss, accuracy, validation?.Loss, validation?.Report.Accuracy, validation?.Report.Uar, reduced.Contributors.Length)
            {
                LearningRate = r.EpochLearningRate, IsBest = r.BestEpoch == epoch,
            };
            judged = new JudgedEpoch(metrics, validation?.Report);
            if (_here)
            {
                if (validation is { IsBest: true } v) SaveBestModel(epoch, v.Report.Uar);
                if (validation is { } val) line += string.Create(CultureInfo.InvariantCulture, $" val_uar={val.Report.Uar:F3}");
            }
            if (epoch % _options.CheckpointEveryEpochs == 0 || r.Finished)
            {
                // the coordinator's epoch goes into the run's outbox (on disk, by the parent) before its checkpoint
                if (_here) _checkpointPending = true;
                else SaveCheckpoint();
            }
            _logger.Line(line);
        }
        Context.Parent.Tell(new Applied(reduced with { Values = null }, Current, judged));
    }

    private void SaveCheckpoint()
    {
        using (_replica.Stages.Measure("checkpoint")) _checkpoints.Save(_replica.CreateCheckpoint());
    }

    /// <summary>Writes the new best model and announces it on the node's event stream.</summary>
    private void SaveBestModel(int epoch, double uar)
    {
        if (_bestModelPath is null) return;
        var r = _replica;
        try
        {
            ModelArtifact.Save(_bestModelPath, r.Trainer.Model, r.Data.Labels, r.Data.Recipe, _runId, r.Data.Input.Prior); // atomic: temporary file, then rename
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.Warning("could not write the best model to {0} ({1}); training goes on", _bestModelPath, e.Message);
            return;
        }
        Context.System.EventStream.Publish(new ModelFileSaved(_bestModelPath, _runId, epoch, uar));
        _logger.Line(string.Create(CultureInfo.InvariantCulture, $"best model epoch {epoch} val_uar={uar:F3} saved to {_bestModelPath}"));
    }
}
