namespace EmotionCluster.Management;

/// <summary>
/// What a trainer node is doing, for <c>GET /api/train/status</c>. Registered in DI by the part of the node that
/// trains; when none is registered the API answers 404 (the trainer role is not on this node).
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
    string? Message);

/// <summary>One run: when, its state, headline metrics by name (e.g. <c>uar</c>, <c>accuracy</c>), where its artifacts are.</summary>
public sealed record RunInfo(
    string RunId,
    string State,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    string? Corpus,
    IReadOnlyDictionary<string, double> Metrics,
    string? ArtifactPath);
