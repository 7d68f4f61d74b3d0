using Akka.Actor;
using Akka.Hosting;
using Akka.Hosting.TestKit;
using EmotionCluster.Audio;
using EmotionCluster.Extraction;
using EmotionCluster.Hosting;
using Xunit;

namespace EmotionCluster.Extraction.Tests;

/// <summary>
/// <see cref="NodeSettings.ExtractionThreads"/> bounds how many clips a node extracts at once, however many are in
/// flight: the extractor entities run on their own dispatcher, not on the thread pool.
/// </summary>
public class ExtractionThreadsTests(ITestOutputHelper output) : TestKit("extraction-threads-tests", output), IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ec-threads-" + Guid.NewGuid().ToString("N"));
    private TestServiceFactory? _services;

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider)
    {
        _services = new TestServiceFactory(new DirectoryFeatureStore(Path.Combine(_dir, "store")), TimeSpan.FromMilliseconds(40));
        builder.AddEmotionClusterNode(new NodeSettings { Port = 0, ShardCount = 10, ExtractionThreads = 1 }, _services, new ExtractorNodeStats());
    }

    [Fact]
    public async Task One_extraction_thread_means_one_clip_at_a_time_with_many_in_flight()
    {
        Directory.CreateDirectory(_dir);
        var clips = Enumerable.Range(0, 12).Select(i =>
        {
            string path = Path.Combine(_dir, $"c{i}.wav");
            WavWriter.Write(path, new AudioClip(Enumerable.Range(0, 1600).Select(n => (float)Math.Sin(n * 0.01 * (i + 1))).ToArray(), 16000));
            return new ClipSource($"c{i}", path);
        }).ToList();
        await AwaitAssertAsync(() => Assert.Equal(Akka.Cluster.MemberStatus.Up, Akka.Cluster.Cluster.Get(Sys).SelfMember.Status), TimeSpan.FromSeconds(20), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(1, Sys.Settings.Config.GetInt($"{ClusterHosting.ExtractionDispatcher}.fork-join-executor.parallelism-max"));

        var coordinator = Sys.ActorOf(ExtractionCoordinator.PropsFor(ActorRegistry.Get<ClipExtractorRegion>(),
            new DirectoryFeatureStore(Path.Combine(_dir, "store")), new CoordinatorOptions(MaxInFlight: 8)));
        var summary = await coordinator.Ask<ExtractionSummary>(new RunExtraction(clips, "{\"v\":1}", ReturnFeatures: false),
            TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.Equal(12, summary.Succeeded);
        Assert.Equal(12, _services!.Calls);
        Assert.Equal(1, _services.MaxConcurrent);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(5000)]
    public void A_bad_thread_count_is_refused_with_its_name(int threads)
    {
        var e = Assert.Throws<ArgumentException>(() => new NodeSettings { ExtractionThreads = threads }.Validate());
        Assert.Contains("ExtractionThreads", e.Message);
    }

    [Fact]
    public void Zero_means_one_per_processor() =>
        Assert.Equal(Environment.ProcessorCount, new NodeSettings().EffectiveExtractionThreads);

    void IDisposable.Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
