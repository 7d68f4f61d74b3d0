using EmotionCluster.Testing;
using Npgsql;
using Xunit;

namespace EmotionCluster.Evaluator.Tests;

/// <summary>Sample metrics and paths shared by the tests.</summary>
public static class Samples
{
    public static readonly string[] Labels = ["anger", "boredom", "neutral"];

    /// <summary>Metrics of a 3-class confusion matrix that depends on <paramref name="seed"/>.</summary>
    public static EvaluationMetrics Metrics(int seed)
    {
        int[][] confusion = [[5 + seed % 4, 2, 1], [1, 4 + seed % 3, 2], [0, 1, 6 + seed % 5]];
        return EvaluationMetrics.From(EmotionCluster.Evaluation.ClassificationMetrics.FromConfusion(confusion, Labels));
    }

    /// <summary>A fold of a cross-validation whose numbers depend on <paramref name="fold"/>.</summary>
    public static FoldRecord Fold(int fold) =>
        new(fold, $"s{fold:00}", "20% slice", $"train-fold{fold}", 80 + fold, 20, 10 + fold, 12, 7, TimeSpan.FromTicks(123_456_789 + fold),
            Metrics(fold), fold % 2 == 0 ? null : Metrics(fold + 1),
            [new ProtocolUar("lone clip", Metrics(fold).Uar), new ProtocolUar("speaker-adapted, k=5", 0.5 + fold / 100.0)]);

    /// <summary>A cross-validation summary over <paramref name="folds"/> folds.</summary>
    public static CrossValidationRecord Summary(int folds) =>
        new("leave-one-speaker-out", "per fold: train, stop early, test", folds, 0.61, 0.05, 0.6, 0.04, [[3, 1, 0], [0, 4, 1], [1, 0, 5]],
            [new ProtocolMeanUar("lone clip", 0.6, 0.04, folds), new ProtocolMeanUar("speaker-adapted, all clips", 0.7, 0.03, folds)]);

    public static ArtifactsRecord Artifacts() =>
        new("job-20261207-abc", ReportRole.Split, "/tmp/run", "stratified by emotion, 70/20/10, seed 42",
            [new SplitCount("anger", 7, 2, 1), new SplitCount("boredom", 14, 4, 2), new SplitCount("neutral", 7, 2, 1)], TimeSpan.FromTicks(98_765_432));

    public static string NewSqliteFile() =>
        Path.Combine(Path.GetTempPath(), "ec-evaluator-tests", Guid.NewGuid().ToString("N"), "journal.db");
}

/// <summary>
/// A real PostgreSQL server for the journal tests, found through the environment variable
/// <c>EMOTIONCLUSTER_PG</c> (a connection string; <c>deploy/start-test-postgres.sh</c> starts one and prints it).
/// Each test gets a database of its own, dropped at the end. Without the variable the PostgreSQL tests are
/// skipped with the reason, except under CI=true, where they fail: CI must run them.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public const string Variable = "EMOTIONCLUSTER_PG";
    private readonly List<string> _databases = [];

    public string? ServerConnectionString { get; } = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } v ? v : null;

    /// <summary>Skips (locally) or fails (CI) the current test when no server is configured.</summary>
    public void Require()
    {
        if (ServerConnectionString is not null) return;
        string reason = $"no PostgreSQL server: set {Variable} to a connection string (eval \"$(bash deploy/start-test-postgres.sh)\")";
        if (Datasets.IsCi) Assert.Fail($"{reason}; under CI=true the PostgreSQL journal tests must run");
        Assert.Skip(reason);
    }

    /// <summary>A new, empty database on the server; its connection string.</summary>
    public async Task<string> NewDatabaseAsync(CancellationToken cancellationToken)
    {
        Require();
        string name = "ec_test_" + Guid.NewGuid().ToString("N")[..16];
        await using (var connection = new NpgsqlConnection(ServerConnectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        lock (_databases) _databases.Add(name);
        return new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = name }.ConnectionString;
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (ServerConnectionString is null) return;
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(ServerConnectionString);
        await connection.OpenAsync();
        foreach (string name in _databases)
        {
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }
}
