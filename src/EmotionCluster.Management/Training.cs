namespace EmotionCluster.Management;

/// <summary>
/// Training as a node sees it, for <c>GET /api/train/status</c>: its own trainer and the cluster's training runs.
/// Registered in DI by the part of the node that trains (on every node with the training wiring); when none is
/// registered the API answers 404.
/// </summary>
public interface ITrainingStatusSource
{
    Task<TrainingStatus> GetStatusAsync(CancellationToken cancellationToken);
}

/// <summary>
/// The runs an evaluator/trainer node knows (finished and running), for <c>GET /api/runs</c>. Registered in DI by
/// the part of the node that keeps runs; when none is registered the API answers 404.
/// </summary>
public interface IRunCatalog
{
    Task<IReadOnlyList<RunInfo>> ListAsync(CancellationToken cancellationToken);
}

/// <summary>
/// A training snapshot. <see cref="State"/>: <c>idle</c>, <c>running</c>, <c>finished</c> or <c>failed</c>;
/// the numbers are null when not known (e.g. no run yet). Fold/Folds for cross-validation, else 1/1.
/// <see cref="Runs"/>: the cluster's training runs as the training coordinator reports them (newest first; null from a
/// node that does not know them, e.g. an older one).
/// </summary>
public sealed record TrainingStatus(
    string State,
    string? RunId,
    int? Fold,
    int? Folds,
    int? Epoch,
    int? MaxEpochs,
    double? TrainLoss,
    double? ValidationLoss,
    double? ValidationUar,
    DateTimeOffset? StartedAt,
    DateTimeOffset UpdatedAt,
    string? Message,
    IReadOnlyList<TrainingRunStatus>? Runs = null);

/// <summary>
/// One training run of the cluster: <see cref="State"/> as its coordinator last published it (e.g. <c>dispatched</c>,
/// <c>running</c>, <c>completed</c>, <c>failed</c>), the node of that coordinator, the trainer nodes taking part and the
/// latest step and epoch seen (null until the run's first step reaches this node).
/// </summary>
public sealed record TrainingRunStatus(
    string RunId,
    string State,
    string? Coordinator,
    IReadOnlyList<string> Participants,
    string? Detail,
    int? Epoch,
    int? MaxEpochs,
    long? Step,
    long? TotalSteps,
    DateTimeOffset UpdatedAt);

/// <summary>One run: when, its state, headline metrics by name (e.g. <c>uar</c>, <c>accuracy</c>), where its artifacts are.</summary>
public sealed record RunInfo(
    string RunId,
    string State,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    string? Corpus,
    IReadOnlyDictionary<string, double> Metrics,
    string? ArtifactPath);
