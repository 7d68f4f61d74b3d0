using Akka.Actor;
using Akka.Hosting;
using Akka.Hosting.TestKit;
using EmotionCluster.Extraction;
using EmotionCluster.Hosting;
using Xunit;

namespace EmotionCluster.Evaluator.Tests;

/// <summary>The evaluator as a node runs it: a cluster of one with the evaluator role, the shard region from the registry.</summary>
public sealed class EvaluatorRegionTests(ITestOutputHelper output) : TestKit("evaluator-region-tests", output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ec-evaluator-tests", Guid.NewGuid().ToString("N"));
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider)
    {
        var node = new NodeSettings { Port = 0, ShardCount = 10, Roles = [ClusterRoles.Evaluator, ClusterRoles.Extractor] };
        var store = new DirectoryFeatureStore(Path.Combine(_dir, "features"));
        builder.AddHocon("akka.loglevel = WARNING", HoconAddMode.Prepend)
            .AddEmotionClusterNode(node, new PipelineServiceFactory(store), new ExtractorNodeStats())
            .AddEmotionClusterEvaluator(node, new PersistenceSettings { ConnectionString = $"Data Source={Path.Combine(_dir, "journal.db")}" });
    }

    [Fact]
    public async Task Commands_sent_to_the_region_reach_the_run_evaluator_and_the_journal()
    {
        await AwaitAssertAsync(() => Assert.Equal(Akka.Cluster.MemberStatus.Up, Akka.Cluster.Cluster.Get(Sys).SelfMember.Status),
            Timeout, cancellationToken: Ct);
        var region = ActorRegistry.Get<EvaluatorRegion>();
        foreach (string run in new[] { "region-1", "region-2" })
        {
            Assert.IsType<EvaluatorAck>(await region.Ask<object>(new StartRun(run, "{}", Samples.Labels), Timeout, Ct));
            for (int epoch = 1; epoch <= 3; epoch++)
                Assert.IsType<EvaluatorAck>(await region.Ask<object>(
                    RecordEpoch.FromReport(run, epoch, 1.0 / epoch, null, Samples.Metrics(epoch).ToReport(Samples.Labels)), Timeout, Ct));
        }
        Assert.IsType<EvaluatorAck>(await region.Ask<object>(new CompleteRun("region-1", null, null), Timeout, Ct));

        RunView one = await region.Ask<RunView>(new GetRun("region-1"), Timeout, Ct);
        Assert.Equal((RunStatus.Completed, 3), (one.Status, one.Epochs.Count));
        RunView unknown = await region.Ask<RunView>(new GetRun("never-started"), Timeout, Ct);
        Assert.Equal(RunStatus.NotStarted, unknown.Status);

        var runs = await new RunCatalog(Sys).ListAsync(Ct);
        Assert.Equal(["region-1", "region-2"], runs.Select(r => r.RunId).Order());
        Assert.Equal(RunStatus.Running, runs.Single(r => r.RunId == "region-2").Status);
    }
}
