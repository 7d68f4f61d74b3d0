using EmotionCluster.Metrics;

namespace EmotionCluster.Evaluator;

/// <summary>A message to or from the evaluator; all are bound to <see cref="EvaluatorSerializer"/>.</summary>
public interface IEvaluatorMessage;

/// <summary>A message addressed to the evaluator of one run (the shard entity id is the run id).</summary>
public interface IWithRunId
{
    string RunId { get; }
}

/// <summary>A command that may change a run's history; answered with <see cref="EvaluatorAck"/> or <see cref="EvaluatorRejected"/>.</summary>
public interface IEvaluatorCommand : IWithRunId, IEvaluatorMessage;

/// <summary>
/// Begin a run. Sending it again with the same settings and labels is acknowledged as a duplicate (whatever its
/// <see cref="Description"/>: a coordinator that resumes with fewer replicas starts the same run; the first start's
/// description is kept).
/// </summary>
public sealed record StartRun(string RunId, string SettingsJson, string[] Labels) : IEvaluatorCommand
{
    /// <summary>What the run is: recipe hash, corpus, split, seed, nodes and replicas (null: not known to the sender).</summary>
    public RunDescription? Description { get; init; }

    public bool Equals(StartRun? other) =>
        other is not null && RunId == other.RunId && SettingsJson == other.SettingsJson && Labels.AsSpan().SequenceEqual(other.Labels)
        && Equals(Description, other.Description);

    public override int GetHashCode() => HashCode.Combine(RunId, SettingsJson, Labels.Length);
}

/// <summary>
/// Record one epoch with its validation metrics, computed by the sender (see <see cref="FromReport"/>);
/// <see cref="Metrics"/> null: no validation set, only the training loss is recorded.
/// </summary>
public sealed record RecordEpoch(string RunId, int Epoch, double TrainLoss, double? ValLoss, EvaluationMetrics? Metrics) : IEvaluatorCommand
{
    /// <summary>The learning rate of the epoch's first step, when known.</summary>
    public double? LearningRate { get; init; }

    /// <summary>Wall-clock seconds of the epoch, when known.</summary>
    public double? Seconds { get; init; }

    public static RecordEpoch FromReport(string runId, int epoch, double trainLoss, double? valLoss, ClassificationReport? validation) =>
        new(runId, epoch, trainLoss, valLoss, validation is null ? null : EvaluationMetrics.From(validation));
}

/// <summary>
/// Record one epoch from the validation predictions: class indices into the run's labels, the evaluator computes
/// the metrics. Both arrays travel in one remote frame (128 kB): keep them under ~15,000 examples each, or send
/// <see cref="RecordEpoch"/> instead.
/// </summary>
public sealed record RecordPredictions(string RunId, int Epoch, double TrainLoss, double? ValLoss, int[] Truth, int[] Predicted) : IEvaluatorCommand;

/// <summary>
/// Finish a run. <see cref="BestEpoch"/> null: the evaluator picks the epoch with the best validation UAR
/// (earliest on ties). <see cref="Test"/>: the final test metrics, if there is a test set.
/// </summary>
public sealed record CompleteRun(string RunId, int? BestEpoch, EvaluationMetrics? Test) : IEvaluatorCommand
{
    public static CompleteRun FromReport(string runId, int? bestEpoch, ClassificationReport? test) =>
        new(runId, bestEpoch, test is null ? null : EvaluationMetrics.From(test));
}

/// <summary>
/// Record one fold of the cross-validation run <paramref name="RunId"/> (started with <see cref="StartRun"/> like any
/// run). The same fold number again is acknowledged as a duplicate; folds may come in any order.
/// </summary>
public sealed record RecordFold(string RunId, FoldRecord Fold) : IEvaluatorCommand;

/// <summary>End the cross-validation run <paramref name="RunId"/> with its summary; every fold (1..Folds) must be recorded first.</summary>
public sealed record CompleteCrossValidation(string RunId, CrossValidationRecord Summary) : IEvaluatorCommand;

/// <summary>
/// Record where a started run's results went (<see cref="ArtifactsRecord"/>); allowed after the run completed, once
/// (the same record again is a duplicate).
/// </summary>
public sealed record RecordArtifacts(string RunId, ArtifactsRecord Artifacts) : IEvaluatorCommand;

/// <summary>Mark a run failed.</summary>
public sealed record FailRun(string RunId, string Reason) : IEvaluatorCommand;

/// <summary>Ask for a run's history; answered with <see cref="RunView"/> (status <see cref="RunStatus.NotStarted"/> if unknown).</summary>
public sealed record GetRun(string RunId) : IWithRunId, IEvaluatorMessage;

/// <summary>The command's event is in the journal (<see cref="Duplicate"/>: it already was; nothing was written).</summary>
public sealed record EvaluatorAck(string RunId, string Event, long SequenceNr, bool Duplicate) : IEvaluatorMessage;

/// <summary>The command was refused (or the journal failed to store it); <see cref="Reason"/> says why.</summary>
public sealed record EvaluatorRejected(string RunId, string Reason) : IEvaluatorMessage;

public enum RunStatus : byte
{
    NotStarted = 0,
    Running = 1,
    Completed = 2,
    Failed = 3,
}

/// <summary>A run's history as folded from its events (<see cref="RunHistory"/>); also the reply to <see cref="GetRun"/>.</summary>
public sealed record RunView(string RunId, RunStarted? Started, IReadOnlyList<EpochEvaluated> Epochs, RunCompleted? Completed, RunFailed? Failed)
    : IEvaluatorMessage
{
    /// <summary>A cross-validation run's folds, in fold order.</summary>
    public IReadOnlyList<FoldCompleted> Folds { get; init; } = [];

    /// <summary>A cross-validation run's summary (it is then completed).</summary>
    public CrossValidationCompleted? CrossValidation { get; init; }

    /// <summary>Where the run's results went, when a job recorded it.</summary>
    public ArtifactsRecorded? Artifacts { get; init; }

    public RunStatus Status => Failed is not null ? RunStatus.Failed
        : Completed is not null || CrossValidation is not null ? RunStatus.Completed
        : Started is not null ? RunStatus.Running
        : RunStatus.NotStarted;

    /// <summary>The kept epoch when the run completed; before that, the epoch with the best validation UAR so far (null without validation metrics).</summary>
    public int? BestEpoch => Completed is not null ? Completed.BestEpoch : RunHistory.BestByUar(Epochs)?.Epoch;

    public EpochEvaluated? Best => BestEpoch is { } b ? Epochs.FirstOrDefault(e => e.Epoch == b) : null;

    public double? BestUar => Best?.Metrics?.Uar;

    public bool Equals(RunView? other) =>
        other is not null && RunId == other.RunId && Equals(Started, other.Started) && Epochs.SequenceEqual(other.Epochs)
        && Equals(Completed, other.Completed) && Equals(Failed, other.Failed) && Folds.SequenceEqual(other.Folds)
        && Equals(CrossValidation, other.CrossValidation) && Equals(Artifacts, other.Artifacts);

    public override int GetHashCode() => HashCode.Combine(RunId, Epochs.Count);
}

/// <summary>Run ids name actors, persistence ids (<c>evaluator-{id}</c>) and tags, so they are kept plain.</summary>
public static class RunIds
{
    public const int MaxLength = 100;
    public const string PersistencePrefix = "evaluator-";

    /// <summary>Null when <paramref name="runId"/> is usable; otherwise what is wrong with it.</summary>
    public static string? Problem(string? runId)
    {
        if (string.IsNullOrEmpty(runId)) return "the run id is empty";
        if (runId.Length > MaxLength) return $"run id '{runId[..20]}…' is longer than {MaxLength} characters";
        if (!runId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            return $"run id '{runId}' may hold only letters, digits, '-', '_' and '.'";
        return null;
    }

    public static string Check(string? runId) =>
        Problem(runId) is { } problem ? throw new ArgumentException(problem, nameof(runId)) : runId!;

    public static string PersistenceId(string runId) => PersistencePrefix + Check(runId);

    /// <summary>The run id of an evaluator persistence id, or null for other persistence ids.</summary>
    public static string? FromPersistenceId(string persistenceId) =>
        persistenceId.StartsWith(PersistencePrefix, StringComparison.Ordinal) ? persistenceId[PersistencePrefix.Length..] : null;
}
