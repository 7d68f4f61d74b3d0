using EmotionCluster.Testing;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace EmotionCluster.Evaluator.Tests;

/// <summary>The journal settings: names, defaults, validation messages, connectivity errors.</summary>
public sealed class PersistenceSettingsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Defaults_are_a_sqlite_file_in_the_user_data_folder_not_the_current_one()
    {
        var s = new PersistenceSettings();
        s.Validate();
        Assert.Equal("sqlite", s.Provider);
        string file = EmotionCluster.Hosting.UserPaths.Data("emotioncluster.db");
        Assert.Equal($"Data Source={file}", s.ConnectionString);
        Assert.Equal(file, s.SqliteFile);
        Assert.True(Path.IsPathRooted(file)); // not relative to wherever the node was started
        Assert.EndsWith(Path.Combine("emotioncluster", "emotioncluster.db"), file);
        Assert.Equal(LinqToDB.ProviderName.SQLiteMS, s.LinqProviderName);
    }

    [Fact]
    public void The_environment_names_of_the_deployment_files_bind()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            // what k8s/base and deploy/docker-compose.yml set, with __ turned into : as the environment provider does
            [PersistenceSettings.ProviderVariable.Replace("__", ":")] = "postgres",
            [PersistenceSettings.ConnectionStringVariable.Replace("__", ":")] = "Host=db;Port=5432;Database=emotioncluster;Username=ec;Password=secret",
        }).Build();
        var s = PersistenceSettings.From(config);
        s.Validate();
        Assert.True(s.IsPostgres);
        Assert.Equal(LinqToDB.ProviderName.PostgreSQL15, s.LinqProviderName);
        Assert.Equal("postgresql db:5432/emotioncluster as ec", s.Describe());
        Assert.DoesNotContain("secret", s.Describe());
        Assert.Null(s.SqliteFile);
    }

    [Fact]
    public void The_deployment_files_use_these_names()
    {
        string[] files = ["k8s/base/kustomization.yaml", "k8s/base/trainer.yaml", "deploy/docker-compose.yml"];
        string text = string.Join('\n', files.Select(f => File.ReadAllText(Path.Combine(Datasets.RepoRoot, f))));
        Assert.Contains(PersistenceSettings.ProviderVariable + "=postgres", text);
        Assert.Contains(PersistenceSettings.ConnectionStringVariable, text);
        Assert.True(new PersistenceSettings { Provider = "postgres", ConnectionString = "Host=x" }.IsPostgres);
    }

    [Theory]
    [InlineData("mysql", "Data Source=x.db", "EmotionCluster:Persistence:Provider 'mysql' is not supported; use 'sqlite' or 'postgresql'")]
    [InlineData("sqlite", " ", "EmotionCluster:Persistence:ConnectionString is empty")]
    [InlineData("sqlite", "Nonsense=1", "EmotionCluster:Persistence:ConnectionString is not a valid sqlite connection string")]
    [InlineData("sqlite", "Cache=Shared", "has no 'Data Source'")]
    [InlineData("postgresql", "Database=x", "has no 'Host'")]
    [InlineData("postgresql", "Hots=x", "is not a valid postgresql connection string")]
    public void Bad_settings_name_the_setting(string provider, string connectionString, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => new PersistenceSettings { Provider = provider, ConnectionString = connectionString }.Validate());
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public async Task An_unreachable_postgresql_names_the_setting()
    {
        int port = FreePort();
        var s = new PersistenceSettings { Provider = "postgresql", ConnectionString = $"Host=127.0.0.1;Port={port};Database=x;Username=u;Password=topsecret" };
        var e = await Assert.ThrowsAsync<JournalUnavailableException>(() => JournalConnectivity.CheckAsync(s, TimeSpan.FromSeconds(2), Ct));
        Assert.Contains($"cannot reach the journal (postgresql 127.0.0.1:{port}/x as u)", e.Message);
        Assert.Contains("EmotionCluster:Persistence:ConnectionString", e.Message);
        Assert.DoesNotContain("topsecret", e.Message);

        var readiness = await new JournalReadinessCheck(s).CheckAsync(Ct);
        Assert.False(readiness.Ok);
        Assert.Contains("cannot reach the journal", readiness.Detail);
        Assert.Equal("journal", new JournalReadinessCheck(s).Name);
    }

    [Fact]
    public async Task A_missing_sqlite_journal_is_not_created_by_a_reader()
    {
        string file = Samples.NewSqliteFile();
        var s = new PersistenceSettings { ConnectionString = $"Data Source={file}" };
        var e = await Assert.ThrowsAsync<JournalUnavailableException>(() => JournalReader.OpenAsync(s, cancellationToken: Ct));
        Assert.Contains($"no journal at {file}", e.Message);
        Assert.False(File.Exists(file));

        var readiness = await new JournalReadinessCheck(s).CheckAsync(Ct); // the node side creates it
        Assert.True(readiness.Ok, readiness.Detail);
        Assert.Equal($"journal reachable: sqlite {file}", readiness.Detail);
    }

    private static int FreePort()
    {
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        int port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}
