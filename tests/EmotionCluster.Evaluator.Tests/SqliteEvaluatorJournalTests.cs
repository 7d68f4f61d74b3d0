using Akka.Actor;
using Akka.Hosting;
using Akka.Hosting.TestKit;
using Xunit;

namespace EmotionCluster.Evaluator.Tests;

public sealed class SqliteEvaluatorJournalTests(ITestOutputHelper output) : EvaluatorJournalTests(output)
{
    protected override PersistenceSettings Store { get; } = new() { ConnectionString = $"Data Source={Samples.NewSqliteFile()}" };
}
