using System.Data.Common;
using LinqToDB;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace EmotionCluster.Evaluator;

/// <summary>
/// Where the Akka.Persistence journal lives, bound from the configuration section <c>EmotionCluster:Persistence</c>
/// (appsettings.json; environment <c>EmotionCluster__Persistence__Provider</c> and
/// <c>EmotionCluster__Persistence__ConnectionString</c>). SQLite (a file, the default) or PostgreSQL.
/// </summary>
public sealed class PersistenceSettings
{
    public const string Section = "EmotionCluster:Persistence";
    public const string Sqlite = "sqlite";
    public const string Postgresql = "postgresql";
    /// <summary>Accepted for <see cref="Postgresql"/> (the name the Kubernetes manifests and compose file use).</summary>
    public const string PostgresAlias = "postgres";
    /// <summary>The journal of a node (and of <c>runs list</c>) when none is set: <c>$XDG_DATA_HOME/emotioncluster/emotioncluster.db</c>, never the current folder.</summary>
    public static string DefaultConnectionString => $"Data Source={EmotionCluster.Hosting.UserPaths.Data("emotioncluster.db")}";
    public const string ProviderVariable = "EmotionCluster__Persistence__Provider";
    public const string ConnectionStringVariable = "EmotionCluster__Persistence__ConnectionString";

    /// <summary><c>sqlite</c> (default) or <c>postgresql</c> (also <c>postgres</c>); case-insensitive.</summary>
    public string Provider { get; set; } = Sqlite;

    /// <summary>ADO.NET connection string: <c>Data Source=path.db</c> for SQLite, <c>Host=…;Database=…;Username=…</c> for PostgreSQL.</summary>
    public string ConnectionString { get; set; } = DefaultConnectionString;

    public bool IsPostgres => NormalizedProvider == Postgresql;

    private string NormalizedProvider => Provider?.Trim().ToLowerInvariant() switch
    {
        Sqlite => Sqlite,
        Postgresql or PostgresAlias => Postgresql,
        _ => throw new ArgumentException(
            $"{Section}:Provider '{Provider}' is not supported; use '{Sqlite}' or '{Postgresql}' ({ProviderVariable} or --provider)"),
    };

    /// <summary>The linq2db provider name Akka.Persistence.Sql uses.</summary>
    public string LinqProviderName => IsPostgres ? ProviderName.PostgreSQL15 : ProviderName.SQLiteMS;

    public static PersistenceSettings From(IConfiguration configuration)
    {
        var settings = new PersistenceSettings();
        configuration.GetSection(Section).Bind(settings);
        return settings;
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> naming the bad setting: an unknown provider, an empty or malformed
    /// connection string, a SQLite connection string without a file.
    /// </summary>
    public void Validate()
    {
        _ = NormalizedProvider;
        if (string.IsNullOrWhiteSpace(ConnectionString))
            throw new ArgumentException($"{Section}:ConnectionString is empty; set {ConnectionStringVariable} (e.g. '{DefaultConnectionString}')");
        DbConnectionStringBuilder builder;
        try { builder = IsPostgres ? new NpgsqlConnectionStringBuilder(ConnectionString) : new SqliteConnectionStringBuilder(ConnectionString); }
        catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException)
        {
            throw new ArgumentException($"{Section}:ConnectionString is not a valid {NormalizedProvider} connection string: {e.Message}", e);
        }
        if (builder is SqliteConnectionStringBuilder sqlite && string.IsNullOrWhiteSpace(sqlite.DataSource))
            throw new ArgumentException($"{Section}:ConnectionString has no 'Data Source' (the SQLite file), e.g. '{DefaultConnectionString}'");
        if (builder is NpgsqlConnectionStringBuilder pg && string.IsNullOrWhiteSpace(pg.Host))
            throw new ArgumentException($"{Section}:ConnectionString has no 'Host' for PostgreSQL, e.g. 'Host=127.0.0.1;Port=5432;Database=emotioncluster;Username=emotioncluster'");
    }

    /// <summary>The SQLite file (full path), or null for PostgreSQL and in-memory SQLite.</summary>
    public string? SqliteFile
    {
        get
        {
            if (IsPostgres) return null;
            var b = new SqliteConnectionStringBuilder(ConnectionString);
            return b.DataSource == ":memory:" || b.Mode == SqliteOpenMode.Memory ? null : Path.GetFullPath(b.DataSource);
        }
    }

    /// <summary>Where the journal is, without secrets: the SQLite file or host:port/database as user.</summary>
    public string Describe()
    {
        if (!IsPostgres) return $"sqlite {SqliteFile ?? ":memory:"}";
        var b = new NpgsqlConnectionStringBuilder(ConnectionString);
        return $"postgresql {b.Host}:{b.Port}/{b.Database ?? b.Username} as {b.Username ?? "(default user)"}";
    }

    /// <summary>Creates the folder of the SQLite file (SQLite creates the file, not its folder).</summary>
    public void EnsureSqliteFolder()
    {
        if (SqliteFile is { } file && Path.GetDirectoryName(file) is { Length: > 0 } dir) Directory.CreateDirectory(dir);
    }

    /// <summary>The same settings with the given overrides (null keeps the current value).</summary>
    public PersistenceSettings With(string? provider = null, string? connectionString = null) =>
        new() { Provider = provider ?? Provider, ConnectionString = connectionString ?? ConnectionString };
}

/// <summary>The journal's database cannot be reached; the message names the setting to fix.</summary>
public sealed class JournalUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Opens a plain connection to the journal's database, to fail early with a clear message.</summary>
public static class JournalConnectivity
{
    /// <summary>
    /// Connects and runs <c>SELECT 1</c> (PostgreSQL: at most <paramref name="timeout"/>, default 5 s). Throws
    /// <see cref="ArgumentException"/> for bad settings and <see cref="JournalUnavailableException"/> when the
    /// database does not answer.
    /// </summary>
    public static async Task CheckAsync(PersistenceSettings settings, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        settings.Validate();
        int seconds = (int)Math.Ceiling((timeout ?? TimeSpan.FromSeconds(5)).TotalSeconds);
        try
        {
            DbConnection connection;
            if (settings.IsPostgres)
            {
                var b = new NpgsqlConnectionStringBuilder(settings.ConnectionString);
                b.Timeout = Math.Min(b.Timeout, Math.Max(1, seconds));
                connection = new NpgsqlConnection(b.ConnectionString);
            }
            else
            {
                settings.EnsureSqliteFolder();
                connection = new SqliteConnection(settings.ConnectionString);
            }
            await using (connection)
            {
                await connection.OpenAsync(cancellationToken);
                await using var command = connection.CreateCommand();
                command.CommandText = "SELECT 1";
                await command.ExecuteScalarAsync(cancellationToken);
            }
        }
        catch (Exception e) when (e is DbException or IOException or UnauthorizedAccessException or TimeoutException or InvalidOperationException)
        {
            throw new JournalUnavailableException(
                $"cannot reach the journal ({settings.Describe()}): {e.Message.TrimEnd('.')}. " +
                $"Check that the database is running, or fix {PersistenceSettings.Section}:ConnectionString " +
                $"({PersistenceSettings.ConnectionStringVariable}, --db).", e);
        }
    }
}
