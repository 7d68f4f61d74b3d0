using System.Text.Json;

namespace EmotionCluster.Evaluator;

/// <summary>What to do with a command: persist an event, acknowledge a duplicate, or reject it.</summary>
public abstract record Decision
{
    public sealed record Persist(IEvaluatorEvent Event) : Decision;
    public sealed record AlreadyRecorded(string Event) : Decision;
    public sealed record Reject(string Reason) : Decision;
}

/// <summary>
/// The state of one run folded from its events, and the rules for commands. Plain and single-threaded: the
/// <see cref="EvaluatorActor"/> applies recovered and persisted events, the read side (<see cref="RunCatalog"/>)
/// applies events from the journal.
/// <para>Rules: a run is started once (the same start again is a duplicate); epochs come after the start, each
/// epoch number once (the same number again is a duplicate, so a retried send is harmless) and in increasing order;
/// metrics must fit the run's labels; nothing is recorded after the run completed or failed. A cross-validation is a
/// run too: after its start, one <see cref="FoldCompleted"/> per fold (each fold number once, in any order), then
/// <see cref="CrossValidationCompleted"/> once every fold is in, which completes it. Where a run's results went
/// (<see cref="ArtifactsRecorded"/>) is recorded once, also after the run completed.</para>
/// </summary>
public sealed class RunHistory(string runId)
{
    private readonly List<EpochEvaluated> _epochs = [];
    private readonly SortedList<int, FoldCompleted> _folds = [];

    public string RunId { get; } = RunIds.Check(runId);
    public RunStarted? Started { get; private set; }
    public RunCompleted? Completed { get; private set; }
    public RunFailed? Failed { get; private set; }
    public IReadOnlyList<EpochEvaluated> Epochs => _epochs;
    public CrossValidationCompleted? CrossValidation { get; private set; }
    public ArtifactsRecorded? Artifacts { get; private set; }
    public RunStatus Status => View.Status;
    public RunView View => new(RunId, Started, _epochs.ToArray(), Completed, Failed)
    {
        Folds = _folds.Values.ToArray(), CrossValidation = CrossValidation, Artifacts = Artifacts,
    };

    /// <summary>Folds one event in. Events of another run, or out of order, are a corrupt journal: they throw.</summary>
    public void Apply(IEvaluatorEvent evt)
    {
        ArgumentNullException.ThrowIfNull(evt);
        if (evt.RunId != RunId)
            throw new InvalidOperationException($"event {evt.GetType().Name} of run '{evt.RunId}' was applied to run '{RunId}'");
        switch (evt)
        {
            case RunStarted s:
                Started = s;
                break;
            case EpochEvaluated e:
                if (_epochs.Count > 0 && e.Epoch <= _epochs[^1].Epoch)
                    throw new InvalidOperationException($"run '{RunId}': epoch {e.Epoch} follows epoch {_epochs[^1].Epoch}");
                _epochs.Add(e);
                break;
            case RunCompleted c:
                Completed = c;
                break;
            case RunFailed f:
                Failed = f;
                break;
            case FoldCompleted f:
                if (!_folds.TryAdd(f.Fold.Fold, f))
                    throw new InvalidOperationException($"run '{RunId}': fold {f.Fold.Fold} recorded twice");
                break;
            case CrossValidationCompleted c:
                CrossValidation = c;
                break;
            case ArtifactsRecorded a:
                Artifacts = a;
                break;
            default:
                throw new InvalidOperationException($"unknown evaluator event {evt.GetType().Name}");
        }
    }

    public static RunHistory Replay(string runId, IEnumerable<IEvaluatorEvent> events)
    {
        var history = new RunHistory(runId);
        foreach (var e in events) history.Apply(e);
        return history;
    }

    /// <summary>The decision for <paramref name="command"/>; <paramref name="now"/> stamps a new event.</summary>
    public Decision Decide(IEvaluatorCommand command, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.RunId != RunId)
            return new Decision.Reject($"command for run '{command.RunId}' reached the evaluator of run '{RunId}'");
        return command switch
        {
            StartRun s => DecideStart(s, now),
            RecordEpoch r => DecideEpoch(r.Epoch, r.TrainLoss, r.ValLoss, () => r.Metrics, now, r.LearningRate, r.Seconds),
            RecordPredictions p => DecideEpoch(p.Epoch, p.TrainLoss, p.ValLoss,
                () => EvaluationMetrics.FromPredictions(p.Truth, p.Predicted, Started!.Labels), now, null, null),
            CompleteRun c => DecideComplete(c, now),
            FailRun f => DecideFail(f, now),
            RecordFold f => DecideFold(f, now),
            CompleteCrossValidation c => DecideCrossValidation(c, now),
            RecordArtifacts a => DecideArtifacts(a, now),
            _ => new Decision.Reject($"unknown evaluator command {command.GetType().Name}"),
        };
    }

    private Decision DecideStart(StartRun s, DateTimeOffset now)
    {
        if (s.Labels is null || s.Labels.Length == 0)
            return new Decision.Reject($"run '{RunId}': StartRun has no labels; pass the label map (class index -> name)");
        if (s.Labels.Any(string.IsNullOrWhiteSpace) || s.Labels.Distinct().Count() != s.Labels.Length)
            return new Decision.Reject($"run '{RunId}': the labels must be distinct and non-empty ({string.Join(", ", s.Labels)})");
        if (s.SettingsJson is null || !IsJson(s.SettingsJson))
            return new Decision.Reject($"run '{RunId}': SettingsJson is not valid JSON");
        if (Started is not null)
            return Started.SettingsJson == s.SettingsJson && Started.Labels.SequenceEqual(s.Labels)
                ? new Decision.AlreadyRecorded(nameof(RunStarted))
                : new Decision.Reject($"run '{RunId}' was already started (at {Started.StartedAt:u}) with other settings or labels; use a new run id");
        if (s.Description is { } d && DescriptionProblem(d) is { } problem) return new Decision.Reject($"run '{RunId}': {problem}");
        return new Decision.Persist(new RunStarted(RunId, s.SettingsJson, (string[])s.Labels.Clone(), now) { Description = s.Description });
    }

    private static string? DescriptionProblem(RunDescription d) =>
        d.RecipeHash is null || d.Corpus is null || d.CorpusPath is null || d.Split is null ? "the run's description has a null field; use \"\" for what is not known"
        : d.Nodes < 0 || d.Replicas < 0 ? $"the run's description has {d.Nodes} nodes and {d.Replicas} replicas; counts are never negative"
        : null;

    private Decision DecideEpoch(int epoch, double trainLoss, double? valLoss, Func<EvaluationMetrics?> metrics, DateTimeOffset now,
        double? learningRate, double? seconds)
    {
        if (NotOpen("record an epoch") is { } closed) return closed;
        if (epoch < 0) return new Decision.Reject($"run '{RunId}': epoch {epoch} is negative");
        if (!double.IsFinite(trainLoss) || valLoss is { } v && !double.IsFinite(v))
            return new Decision.Reject($"run '{RunId}' epoch {epoch}: the losses must be finite numbers (train {trainLoss}, validation {valLoss})");
        if (_epochs.Any(e => e.Epoch == epoch)) return new Decision.AlreadyRecorded(nameof(EpochEvaluated));
        if (_epochs.Count > 0 && epoch < _epochs[^1].Epoch)
            return new Decision.Reject($"run '{RunId}': epoch {epoch} comes after epoch {_epochs[^1].Epoch}; epochs are recorded in increasing order");
        EvaluationMetrics? m;
        try { m = metrics(); }
        catch (ArgumentException e) { return new Decision.Reject($"run '{RunId}' epoch {epoch}: {e.Message}"); }
        if (m?.ShapeProblem(Started!.Labels.Length) is { } problem) return new Decision.Reject($"run '{RunId}' epoch {epoch}: {problem}");
        return new Decision.Persist(new EpochEvaluated(RunId, epoch, trainLoss, valLoss, m, now) { LearningRate = learningRate, Seconds = seconds });
    }

    private Decision DecideFold(RecordFold f, DateTimeOffset now)
    {
        var fold = f.Fold;
        if (fold is null) return new Decision.Reject($"run '{RunId}': RecordFold has no fold");
        if (_folds.TryGetValue(fold.Fold, out var recorded))
            return recorded.Fold.Equals(fold) ? new Decision.AlreadyRecorded(nameof(FoldCompleted))
                : new Decision.Reject($"run '{RunId}': fold {fold.Fold} was already recorded with other results");
        if (NotOpen("record a fold") is { } closed) return closed;
        if (fold.Fold < 1) return new Decision.Reject($"run '{RunId}': fold {fold.Fold} must be 1 or more");
        if (RunIds.Problem(fold.FoldRunId) is { } bad) return new Decision.Reject($"run '{RunId}' fold {fold.Fold}: {bad}");
        if (fold.LoneClip.ShapeProblem(Started!.Labels.Length) is { } problem) return new Decision.Reject($"run '{RunId}' fold {fold.Fold}: {problem}");
        if (fold.SpeakerAll?.ShapeProblem(Started.Labels.Length) is { } p2) return new Decision.Reject($"run '{RunId}' fold {fold.Fold} (speaker-adapted): {p2}");
        return new Decision.Persist(new FoldCompleted(RunId, fold, now));
    }

    private Decision DecideCrossValidation(CompleteCrossValidation c, DateTimeOffset now)
    {
        if (CrossValidation is not null)
            return CrossValidation.Summary.Equals(c.Summary) ? new Decision.AlreadyRecorded(nameof(CrossValidationCompleted))
                : new Decision.Reject($"run '{RunId}': the cross-validation was already completed with another summary");
        if (NotOpen("complete its cross-validation") is { } closed) return closed;
        if (c.Summary is null) return new Decision.Reject($"run '{RunId}': CompleteCrossValidation has no summary");
        var missing = Enumerable.Range(1, Math.Max(0, c.Summary.Folds)).Where(i => !_folds.ContainsKey(i)).ToList();
        if (c.Summary.Folds < 1 || missing.Count > 0 || _folds.Count != c.Summary.Folds)
            return new Decision.Reject($"run '{RunId}': the summary is over {c.Summary.Folds} folds but folds {string.Join(", ", _folds.Keys)} are recorded" +
                                       (missing.Count > 0 ? $" (missing: {string.Join(", ", missing)})" : "") + "; record every fold first");
        int k = Started!.Labels.Length;
        if (c.Summary.PooledConfusion.Length != k || c.Summary.PooledConfusion.Any(r => r is null || r.Length != k))
            return new Decision.Reject($"run '{RunId}': the pooled confusion matrix is not {k} x {k} (the run has {k} labels)");
        return new Decision.Persist(new CrossValidationCompleted(RunId, c.Summary, now));
    }

    private Decision DecideArtifacts(RecordArtifacts a, DateTimeOffset now)
    {
        if (a.Artifacts is null) return new Decision.Reject($"run '{RunId}': RecordArtifacts has no record");
        if (Artifacts is not null)
            return Artifacts.Artifacts.Equals(a.Artifacts) ? new Decision.AlreadyRecorded(nameof(ArtifactsRecorded))
                : new Decision.Reject($"run '{RunId}': its artifacts were already recorded (job {Artifacts.Artifacts.Job}, {Artifacts.Artifacts.Directory})");
        if (Started is null) return new Decision.Reject($"run '{RunId}' was not started; send StartRun before you record its artifacts");
        if (string.IsNullOrWhiteSpace(a.Artifacts.Job) || !Path.IsPathFullyQualified(a.Artifacts.Directory))
            return new Decision.Reject($"run '{RunId}': artifacts need a job id and an absolute run directory (got '{a.Artifacts.Job}', '{a.Artifacts.Directory}')");
        return new Decision.Persist(new ArtifactsRecorded(RunId, a.Artifacts, now));
    }

    private Decision DecideComplete(CompleteRun c, DateTimeOffset now)
    {
        if (Completed is not null) return new Decision.AlreadyRecorded(nameof(RunCompleted));
        if (NotOpen("complete it") is { } closed) return closed;
        int? best = c.BestEpoch ?? BestByUar(_epochs)?.Epoch;
        if (c.BestEpoch is { } b && _epochs.All(e => e.Epoch != b))
            return new Decision.Reject($"run '{RunId}': best epoch {b} was never recorded (recorded: {Describe(_epochs)})");
        if (c.Test?.ShapeProblem(Started!.Labels.Length) is { } problem) return new Decision.Reject($"run '{RunId}' test metrics: {problem}");
        return new Decision.Persist(new RunCompleted(RunId, best, c.Test, now));
    }

    private Decision DecideFail(FailRun f, DateTimeOffset now)
    {
        if (Failed is not null) return new Decision.AlreadyRecorded(nameof(RunFailed));
        if (Completed is not null) return new Decision.Reject($"run '{RunId}' already completed; it cannot fail now");
        if (string.IsNullOrWhiteSpace(f.Reason)) return new Decision.Reject($"run '{RunId}': FailRun needs a reason");
        return new Decision.Persist(new RunFailed(RunId, f.Reason, now)); // a run may fail before it started (e.g. bad settings)
    }

    private Decision.Reject? NotOpen(string what) =>
        Started is null ? new Decision.Reject($"run '{RunId}' was not started; send StartRun before you {what}")
        : Completed is not null || CrossValidation is not null ? new Decision.Reject($"run '{RunId}' already completed; cannot {what}")
        : Failed is not null ? new Decision.Reject($"run '{RunId}' failed ({Failed.Reason}); cannot {what}")
        : null;

    /// <summary>The epoch with the highest validation UAR, the earliest on ties; null when no epoch has validation metrics.</summary>
    public static EpochEvaluated? BestByUar(IReadOnlyList<EpochEvaluated> epochs)
    {
        EpochEvaluated? best = null;
        foreach (var e in epochs)
            if (e.Metrics is { } m && (best is null || m.Uar > best.Metrics!.Uar)) best = e;
        return best;
    }

    private static string Describe(IReadOnlyList<EpochEvaluated> epochs) =>
        epochs.Count == 0 ? "none" : $"{epochs[0].Epoch}..{epochs[^1].Epoch}, {epochs.Count} epochs";

    private static bool IsJson(string text)
    {
        try { using var _ = JsonDocument.Parse(text); return true; }
        catch (JsonException) { return false; }
    }
}
