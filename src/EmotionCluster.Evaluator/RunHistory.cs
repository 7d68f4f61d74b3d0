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
/// metrics must fit the run's labels; nothing is recorded after the run completed or failed.</para>
/// </summary>
public sealed class RunHistory(string runId)
{
    private readonly List<EpochEvaluated> _epochs = [];

    public string RunId { get; } = RunIds.Check(runId);
    public RunStarted? Started { get; private set; }
    public RunCompleted? Completed { get; private set; }
    public RunFailed? Failed { get; private set; }
    public IReadOnlyList<EpochEvaluated> Epochs => _epochs;
    public RunStatus Status => View.Status;
    public RunView View => new(RunId, Started, _epochs.ToArray(), Completed, Failed);

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
            RecordEpoch r => DecideEpoch(r.Epoch, r.TrainLoss, r.ValLoss, () => r.Metrics, now),
            RecordPredictions p => DecideEpoch(p.Epoch, p.TrainLoss, p.ValLoss,
                () => EvaluationMetrics.FromPredictions(p.Truth, p.Predicted, Started!.Labels), now),
            CompleteRun c => DecideComplete(c, now),
            FailRun f => DecideFail(f, now),
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
        return new Decision.Persist(new RunStarted(RunId, s.SettingsJson, (string[])s.Labels.Clone(), now));
    }

    private Decision DecideEpoch(int epoch, double trainLoss, double? valLoss, Func<EvaluationMetrics?> metrics, DateTimeOffset now)
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
        return new Decision.Persist(new EpochEvaluated(RunId, epoch, trainLoss, valLoss, m, now));
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
        : Completed is not null ? new Decision.Reject($"run '{RunId}' already completed; cannot {what}")
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
