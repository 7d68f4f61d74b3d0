using System.CommandLine;
using System.Globalization;
using EmotionCluster.Evaluator;
using Microsoft.Extensions.Configuration;
using Spectre.Console;

namespace EmotionCluster.Cli;

/// <summary>
/// <c>emotioncluster runs list|show</c>: training runs and their metric histories, read from the evaluator's journal
/// directly (a local ActorSystem with Akka.Persistence.Sql, no cluster). <c>--provider</c> and <c>--db</c> default to
/// EmotionCluster__Persistence__Provider and EmotionCluster__Persistence__ConnectionString, then to the SQLite file
/// out/emotioncluster.db when it exists (the main job's), else a node's default journal. A missing journal, an unreachable database and an unknown run are one line on stderr
/// with exit code 2.
/// </summary>
public static class RunsCommands
{
    public static Command Create()
    {
        var db = new Option<string?>("--db")
        {
            Description = "Journal connection string: 'Data Source=path.db' (SQLite) or 'Host=…;Database=…;Username=…' (PostgreSQL). " +
                          $"Default: ${PersistenceSettings.ConnectionStringVariable}, else {MainJobJournal} when it exists (the journal of the README's main job, " +
                          $"run from this folder with --out out/run), else a node's default journal '{PersistenceSettings.DefaultConnectionString}'.",
            Recursive = true,
        };
        var provider = new Option<string?>("--provider")
        {
            Description = $"sqlite or postgresql (default: ${PersistenceSettings.ProviderVariable}, else sqlite).",
            Recursive = true,
        };
        provider.AcceptOnlyFromAmong(PersistenceSettings.Sqlite, PersistenceSettings.Postgresql, PersistenceSettings.PostgresAlias);

        var runs = new Command("runs", "Training runs recorded by the evaluator (from the journal).") { db, provider };

        var listJson = new Option<bool>("--json") { Description = "Print the runs as JSON." };
        var list = new Command("list", "Every run: id, status, start, epochs, best epoch and its validation UAR.") { listJson };
        list.SetAction(parseResult => CliErrors.Run(parseResult, output =>
            Guard(() => List(output, Settings(parseResult.GetValue(provider), parseResult.GetValue(db)), parseResult.GetValue(listJson)))));
        runs.Subcommands.Add(list);

        var run = new Argument<string>("RUN") { Description = "The run id (see 'runs list')." };
        var showJson = new Option<bool>("--json") { Description = "Print the run as JSON (every epoch's metrics and confusion matrix)." };
        var curve = new Option<string?>("--curve") { Description = "Write the learning curve (train/validation loss, validation UAR per epoch) to this PNG." };
        var show = new Command("show", "One run: settings, labels, metric history per epoch, best epoch, test metrics.") { run, showJson, curve };
        show.SetAction(parseResult => CliErrors.Run(parseResult, output =>
            Guard(() => Show(output, Settings(parseResult.GetValue(provider), parseResult.GetValue(db)), parseResult.GetValue(run)!,
                parseResult.GetValue(showJson), parseResult.GetValue(curve)))));
        runs.Subcommands.Add(show);
        return runs;
    }

    /// <summary>The journal the README's main job writes beside its run directory (<c>--out out/run</c>), relative to the current folder.</summary>
    public const string MainJobJournal = "out/emotioncluster.db";

    /// <summary>
    /// The journal settings: the flags, else the environment (<c>EmotionCluster__Persistence__Provider</c>,
    /// <c>EmotionCluster__Persistence__ConnectionString</c>, bound by <see cref="PersistenceSettings.From"/> as on a node),
    /// else <see cref="MainJobJournal"/> when that file exists (read, never created), else a node's default journal
    /// (<see cref="PersistenceSettings.DefaultConnectionString"/>).
    /// </summary>
    public static PersistenceSettings Settings(string? provider, string? connectionString) =>
        Settings(provider, connectionString, EnvironmentConfiguration());

    /// <inheritdoc cref="Settings(string?, string?)"/>
    /// <param name="environment">the configuration the flags override (the process environment in the CLI).</param>
    public static PersistenceSettings Settings(string? provider, string? connectionString, IConfiguration environment)
    {
        var overrides = new Dictionary<string, string?>();
        if (provider is not null) overrides[ProviderKey] = provider;
        if (connectionString is not null) overrides[ConnectionStringKey] = connectionString;
        else if (string.IsNullOrEmpty(environment[ConnectionStringKey]) && File.Exists(MainJobJournal)) overrides[ConnectionStringKey] = $"Data Source={MainJobJournal}";
        var settings = PersistenceSettings.From(new ConfigurationBuilder().AddConfiguration(environment).AddInMemoryCollection(overrides).Build());
        settings.Validate();
        return settings;
    }

    /// <summary>The process environment as configuration (<c>EmotionCluster__Persistence__…</c> is <c>EmotionCluster:Persistence:…</c>).</summary>
    public static IConfiguration EnvironmentConfiguration() => new ConfigurationBuilder().AddEnvironmentVariables().Build();

    /// <summary>The connection string's key (<see cref="PersistenceSettings.ConnectionStringVariable"/> in the environment).</summary>
    public const string ConnectionStringKey = $"{PersistenceSettings.Section}:{nameof(PersistenceSettings.ConnectionString)}";
    private const string ProviderKey = $"{PersistenceSettings.Section}:{nameof(PersistenceSettings.Provider)}";

    private static int Guard(Func<Task<int>> action)
    {
        try
        {
            return action().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is JournalUnavailableException or RunNotFoundException)
        {
            throw new CliException(e.Message);
        }
        catch (System.Runtime.Serialization.SerializationException e)
        {
            throw new CliException($"the journal holds an event this version cannot read ({e.Message}); was it written by another version of EmotionCluster?");
        }
    }

    public static async Task<int> List(TextWriter output, PersistenceSettings settings, bool json)
    {
        await using var reader = await JournalReader.OpenAsync(settings);
        var runs = await reader.Catalog.ListAsync();
        if (json)
        {
            output.WriteLine(RunCatalog.ToJson(runs));
            return CliErrors.Ok;
        }
        if (runs.Count == 0)
        {
            output.WriteLine($"no runs in the journal ({settings.Describe()})");
            return CliErrors.Ok;
        }
        var table = new Table().Title($"Runs in {Markup.Escape(settings.Describe())}")
            .AddColumn("Run").AddColumn("Status").AddColumn("Started (UTC)").AddColumn(new TableColumn("Epochs").RightAligned())
            .AddColumn(new TableColumn("Best epoch").RightAligned()).AddColumn(new TableColumn("Best val UAR").RightAligned())
            .AddColumn(new TableColumn("Test UAR").RightAligned());
        foreach (var r in runs)
            table.AddRow(Markup.Escape(r.RunId), Status(r.Status, r.FailureReason), Time(r.StartedAt), Num(r.Epochs),
                r.BestEpoch is { } b ? Num(b) : "-", r.BestUar is { } u ? Fixed(u) : "-",
                r.TestUar is { } t ? Fixed(t) + (r.Folds > 0 ? $" (mean of {r.Folds} folds)" : "") : "-");
        CliConsole.For(output).Write(table);
        return CliErrors.Ok;
    }

    public static async Task<int> Show(TextWriter output, PersistenceSettings settings, string runId, bool json, string? curvePath)
    {
        if (RunIds.Problem(runId) is { } problem) throw new CliException($"RUN: {problem}");
        await using var reader = await JournalReader.OpenAsync(settings);
        RunView run = await reader.Catalog.GetAsync(runId);
        if (curvePath is not null) RunCatalog.WriteLearningCurve(run, curvePath);
        if (json)
        {
            output.WriteLine(RunCatalog.ToJson(run));
            return CliErrors.Ok;
        }

        IAnsiConsole console = CliConsole.For(output);
        var head = new Table().HideHeaders().AddColumn("what").AddColumn("value").Title($"Run [bold]{Markup.Escape(run.RunId)}[/]");
        head.AddRow("Status", Status(run.Status, run.Failed?.Reason));
        head.AddRow("Started", Time(run.Started?.StartedAt));
        if ((run.Completed?.At ?? run.Failed?.At) is { } ended) head.AddRow("Ended", Time(ended));
        if (run.Started is { } started)
        {
            head.AddRow("Labels", Markup.Escape(string.Join(", ", started.Labels)));
            if (started.Description is { } d)
            {
                head.AddRow("Recipe", Markup.Escape(d.RecipeHash));
                head.AddRow("Corpus", Markup.Escape(d.Corpus.Length == 0 && d.CorpusPath.Length == 0 ? "-" : d.CorpusPath.Length == 0 ? d.Corpus : $"{d.Corpus} ({d.CorpusPath})"));
                head.AddRow("Split", Markup.Escape(d.Split.Length == 0 ? "-" : d.Split));
                head.AddRow("Seed", Num(d.Seed));
                head.AddRow("Trainers", $"{Num(d.Replicas)} replica(s) of {Num(d.Nodes)} trainer node(s)");
            }
            head.AddRow("Settings", Markup.Escape(started.SettingsJson.Length > 400 ? started.SettingsJson[..400] + "…" : started.SettingsJson));
        }
        head.AddRow("Epochs", Num(run.Epochs.Count));
        head.AddRow("Best epoch", run.BestEpoch is { } best ? $"{Num(best)} (val UAR {(run.BestUar is { } u ? Fixed(u) : "-")})" : "-");
        console.Write(head);

        if (run.Epochs.Count > 0)
        {
            var epochs = new Table().Title("Metric history (validation)").AddColumn(new TableColumn("Epoch").RightAligned())
                .AddColumn(new TableColumn("Train loss").RightAligned()).AddColumn(new TableColumn("Val loss").RightAligned())
                .AddColumn(new TableColumn("Accuracy").RightAligned()).AddColumn(new TableColumn("UAR").RightAligned())
                .AddColumn(new TableColumn("Macro F1").RightAligned()).AddColumn(new TableColumn("LR").RightAligned())
                .AddColumn(new TableColumn("Seconds").RightAligned());
            foreach (var e in run.Epochs)
                epochs.AddRow((e.Epoch == run.BestEpoch ? "*" : "") + Num(e.Epoch), Fixed(e.TrainLoss), e.ValLoss is { } v ? Fixed(v) : "-",
                    e.Metrics is { } m ? Fixed(m.Accuracy) : "-", e.Metrics is { } m2 ? Fixed(m2.Uar) : "-", e.Metrics is { } m3 ? Fixed(m3.MacroF1) : "-",
                    e.LearningRate is { } lr ? lr.ToString("0.######", CultureInfo.InvariantCulture) : "-",
                    e.Seconds is { } sec ? sec.ToString("0.0", CultureInfo.InvariantCulture) : "-");
            console.Write(epochs);
        }
        if (run.Folds.Count > 0)
        {
            var folds = new Table().Title("Folds (held-out clips each scored on its own)").AddColumn(new TableColumn("Fold").RightAligned())
                .AddColumn("Test speaker").AddColumn(new TableColumn("Clips").RightAligned()).AddColumn(new TableColumn("Accuracy").RightAligned())
                .AddColumn(new TableColumn("UAR").RightAligned()).AddColumn(new TableColumn("Best epoch").RightAligned()).AddColumn("Run");
            foreach (var f in run.Folds.Select(f => f.Fold))
                folds.AddRow(Num(f.Fold), Markup.Escape(f.TestSpeaker), Num(f.TestClips), Fixed(f.LoneClip.Accuracy), Fixed(f.LoneClip.Uar),
                    $"{Num(f.BestEpoch)}/{Num(f.EpochsRun)}", Markup.Escape(f.FoldRunId));
            console.Write(folds);
        }
        if (run.CrossValidation?.Summary is { } cv)
        {
            console.WriteLine($"{cv.Scheme}, {cv.Folds} folds: mean accuracy {Fixed(cv.MeanAccuracy)} ± {Fixed(cv.StdAccuracy)}, mean UAR {Fixed(cv.MeanUar)} ± {Fixed(cv.StdUar)}");
            foreach (var p in cv.Protocols) console.WriteLine($"  {p.Protocol}: mean UAR {Fixed(p.MeanUar)} ± {Fixed(p.StdUar)} ({p.Folds} folds)");
        }
        if (run.Artifacts?.Artifacts is { } a)
            console.WriteLine($"Report: job {a.Job}, {a.Role} of {a.Directory} (rebuild: emotioncluster report --run-id {run.RunId})");
        if (run.Started is { } s && run.Best?.Metrics is { } bestMetrics)
        {
            console.WriteLine($"Best epoch {run.BestEpoch}, validation:");
            console.Write(new Text(bestMetrics.ToReport(s.Labels).FormatTable()));
        }
        if (run.Started is { } s2 && run.Completed?.Test is { } test)
        {
            console.WriteLine("Test:");
            console.Write(new Text(test.ToReport(s2.Labels).FormatTable()));
        }
        if (curvePath is not null) console.WriteLine($"wrote {curvePath}");
        return CliErrors.Ok;
    }

    private static string Status(RunStatus status, string? reason) => status switch
    {
        RunStatus.Completed => "completed",
        RunStatus.Failed => Markup.Escape($"failed: {reason}"),
        RunStatus.Running => "running",
        _ => "not started",
    };

    private static string Time(DateTimeOffset? t) => t is { } x ? x.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "-";
    private static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);
    private static string Fixed(double v) => v.ToString("0.0000", CultureInfo.InvariantCulture);
}
