using EmotionCluster.Testing;
using Npgsql;
using Xunit;

namespace EmotionCluster.Evaluator.Tests;

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
