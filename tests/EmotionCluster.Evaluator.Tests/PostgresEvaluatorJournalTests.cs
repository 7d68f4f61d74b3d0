using Akka.Actor;
using Akka.Hosting;
using Akka.Hosting.TestKit;
using Xunit;

namespace EmotionCluster.Evaluator.Tests;

public sealed class PostgresEvaluatorJournalTests : EvaluatorJournalTests, IClassFixture<PostgresFixture>
{
    private readonly PostgresFixture _server;

    public PostgresEvaluatorJournalTests(PostgresFixture server, ITestOutputHelper output) : base(output)
    {
        _server = server;
        Store = server.ServerConnectionString is null
            ? new PersistenceSettings { ConnectionString = $"Data Source={Samples.NewSqliteFile()}" } // never used: the tests skip or fail first
            : new PersistenceSettings
            {
                Provider = PersistenceSettings.Postgresql,
                ConnectionString = server.NewDatabaseAsync(TestContext.Current.CancellationToken).GetAwaiter().GetResult(),
            };
    }

    protected override PersistenceSettings Store { get; }

    protected override void RequireStore() => _server.Require();
}
