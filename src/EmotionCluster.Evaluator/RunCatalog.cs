using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using EmotionCluster.Reporting;

namespace EmotionCluster.Evaluator;

/// <summary>One line of the runs list.</summary>
public sealed record RunSummary(string RunId, RunStatus Status, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, int Epochs,
    int? BestEpoch, double? BestUar, string? FailureReason)
{
    /// <summary>
    /// The held-out test clips' UAR with the run's final model, when the run scored any; for a cross-validation the
    /// mean over its folds of the lone-clip UAR.
    /// </summary>
    public double? TestUar { get; init; }

    /// <summary>A cross-validation's recorded folds (0 for other runs).</summary>
    public int Folds { get; init; }
}

/// <summary>No run with that id is in the journal.</summary>
public sealed class RunNotFoundException(string runId, IReadOnlyList<string> known)
    : Exception($"no run '{runId}' in the journal; " +
                (known.Count == 0 ? "it holds no runs yet" : $"runs: {string.Join(", ", known.Take(20))}{(known.Count > 20 ? ", …" : "")}"))
{
    public string RunId { get; } = runId;
}

/// <summary>
/// The read side of the evaluator: runs and their metric histories, from the journal alone (Akka.Persistence.Query,
/// <see cref="SqlReadJournal"/>: <c>CurrentEventsByTag</c> and <c>CurrentPersistenceIds</c>), through the same fold
/// as the actor (<see cref="RunHistory"/>). Needs an ActorSystem with <see cref="PersistenceHosting.AddEmotionClusterPersistence"/>;
/// no cluster. Each call reads what is in the journal when it starts.
/// </summary>
public sealed class RunCatalog
{
    private readonly SqlReadJournal _journal;
    private readonly IMaterializer _materializer;

    public RunCatalog(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        _journal = PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(SqlReadJournal.Identifier);
        _materializer = system.Materializer();
    }

    /// <summary>Every run (tag <see cref="EvaluatorTags.All"/>), most recently started first.</summary>
    public async Task<IReadOnlyList<RunSummary>> ListAsync(CancellationToken cancellationToken = default) =>
        (await ListRunsAsync(cancellationToken)).Select(Summarize).ToList();

    /// <summary>Every run's full history (one query over tag <see cref="EvaluatorTags.All"/>), most recently started first.</summary>
    public async Task<IReadOnlyList<RunView>> ListRunsAsync(CancellationToken cancellationToken = default)
    {
        var runs = new Dictionary<string, RunHistory>();
        foreach (var envelope in await ReadTag(EvaluatorTags.All, cancellationToken))
        {
            if (envelope.Event is not IEvaluatorEvent e) continue;
            if (!runs.TryGetValue(e.RunId, out var history)) runs[e.RunId] = history = new RunHistory(e.RunId);
            history.Apply(e);
        }
        return runs.Values.Select(h => h.View)
            .OrderByDescending(v => v.Started?.StartedAt ?? v.Failed?.At ?? DateTimeOffset.MinValue).ThenBy(v => v.RunId, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>One run's history (tag <c>run:{id}</c>); throws <see cref="RunNotFoundException"/> listing the runs there are.</summary>
    public async Task<RunView> GetAsync(string runId, CancellationToken cancellationToken = default)
    {
        RunIds.Check(runId);
        var events = (await ReadTag(EvaluatorTags.Run(runId), cancellationToken)).Select(e => e.Event).OfType<IEvaluatorEvent>().ToList();
        if (events.Count == 0) throw new RunNotFoundException(runId, await RunIdsAsync(cancellationToken));
        return RunHistory.Replay(runId, events).View;
    }

    /// <summary>The ids of every run with an evaluator journal (persistence ids <c>evaluator-*</c>), sorted.</summary>
    public async Task<IReadOnlyList<string>> RunIdsAsync(CancellationToken cancellationToken = default)
    {
        var ids = await _journal.CurrentPersistenceIds().RunWith(Sink.Seq<string>(), _materializer).WaitAsync(cancellationToken);
        return ids.Select(RunIds.FromPersistenceId).OfType<string>().Order(StringComparer.Ordinal).ToList();
    }

    private async Task<IReadOnlyList<EventEnvelope>> ReadTag(string tag, CancellationToken cancellationToken) =>
        await _journal.CurrentEventsByTag(tag, Offset.NoOffset()).RunWith(Sink.Seq<EventEnvelope>(), _materializer).WaitAsync(cancellationToken);

    public static RunSummary Summarize(RunView run) =>
        new(run.RunId, run.Status, run.Started?.StartedAt ?? run.Failed?.At, run.Completed?.At ?? run.Failed?.At, run.Epochs.Count,
            run.BestEpoch, run.BestUar, run.Failed?.Reason)
        { TestUar = run.Completed?.Test?.Uar ?? run.CrossValidation?.Summary.MeanUar, Folds = run.Folds.Count };

    /// <summary>Train and validation loss and validation UAR per epoch, as a PNG (<see cref="Charts.LearningCurve"/>).</summary>
    public static void WriteLearningCurve(RunView run, string pngPath)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (run.Epochs.Count == 0)
            throw new ArgumentException($"run '{run.RunId}' has no evaluated epochs yet; there is no learning curve to draw");
        Charts.LearningCurve(run.Epochs.Select(e => new EpochPoint(e.Epoch, e.TrainLoss, e.ValLoss, e.Metrics?.Uar)).ToList(),
            pngPath, $"run {run.RunId}");
    }

    /// <summary>The runs list as JSON (camelCase, status as text).</summary>
    public static string ToJson(IReadOnlyList<RunSummary> runs) => JsonSerializer.Serialize(runs, Json);

    /// <summary>A run as JSON: labels, status, best epoch, every epoch's metrics and the final test metrics.</summary>
    public static string ToJson(RunView run) => JsonSerializer.Serialize(new
    {
        runId = run.RunId,
        status = run.Status,
        startedAt = run.Started?.StartedAt,
        labels = run.Started?.Labels,
        description = run.Started?.Description,
        settings = run.Started is { } s ? JsonDocument.Parse(s.SettingsJson).RootElement : (JsonElement?)null,
        bestEpoch = run.BestEpoch,
        bestUar = run.BestUar,
        epochs = run.Epochs.Select(e => new { e.Epoch, e.TrainLoss, e.ValLoss, e.LearningRate, e.Seconds, e.Metrics, e.At }),
        completed = run.Completed,
        failed = run.Failed,
        folds = run.Folds.Select(f => new { f.Fold.Fold, f.Fold.TestSpeaker, f.Fold.ValidationSpeakers, f.Fold.FoldRunId, f.Fold.TrainClips,
            f.Fold.ValidationClips, f.Fold.TestClips, f.Fold.EpochsRun, f.Fold.BestEpoch, Seconds = f.Fold.Duration.TotalSeconds,
            f.Fold.LoneClip, f.Fold.SpeakerAll, f.Fold.Protocols, f.At }),
        crossValidation = run.CrossValidation is { } cv ? new { cv.Summary.Scheme, cv.Summary.Procedure, cv.Summary.Folds, cv.Summary.MeanAccuracy,
            cv.Summary.StdAccuracy, cv.Summary.MeanUar, cv.Summary.StdUar, cv.Summary.PooledConfusion, cv.Summary.Protocols, cv.At } : null,
        artifacts = run.Artifacts is { } a ? new { a.Artifacts.Job, a.Artifacts.Role, a.Artifacts.Directory, a.Artifacts.Description, a.Artifacts.Split,
            Seconds = a.Artifacts.Duration.TotalSeconds, a.At } : null,
    }, Json);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };
}
