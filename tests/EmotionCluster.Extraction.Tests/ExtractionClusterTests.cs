using Akka.Actor;
using Akka.Hosting;
using Akka.Hosting.TestKit;
using EmotionCluster.Audio;
using EmotionCluster.Extraction;
using EmotionCluster.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace EmotionCluster.Extraction.Tests;

/// <summary>The sharded extraction on one embedded node (all roles), through the real hosting setup.</summary>
public class ExtractionClusterTests : TestKit, IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ec-cluster-" + Guid.NewGuid().ToString("N"));
    private readonly DirectoryFeatureStore _nodeStore;
    private readonly DirectoryFeatureStore _coordinatorStore;
    private readonly TestServiceFactory _services;
    private readonly ExtractorNodeStats _stats = new();

    public ExtractionClusterTests(ITestOutputHelper output) : base("extraction-tests", output)
    {
        _nodeStore = new DirectoryFeatureStore(Path.Combine(_dir, "node-store"));
        _coordinatorStore = new DirectoryFeatureStore(Path.Combine(_dir, "coordinator-store"));
        _services = new TestServiceFactory(_nodeStore);
    }

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) =>
        builder.AddEmotionClusterNode(new NodeSettings { Port = 0, ShardCount = 10 }, _services, _stats);

    private List<ClipSource> WriteClips(int good, bool withBad)
    {
        Directory.CreateDirectory(Path.Combine(_dir, "wav"));
        var clips = new List<ClipSource>();
        for (int i = 0; i < good; i++)
        {
            string path = Path.Combine(_dir, "wav", $"clip{i:D2}.wav");
            var samples = Enumerable.Range(0, 16000 + i * 4000).Select(n => (float)(0.3 * Math.Sin(n * (0.01 + i * 0.001)))).ToArray();
            WavWriter.Write(path, new AudioClip(samples, 16000));
            clips.Add(new ClipSource($"clip{i:D2}", path));
        }
        if (withBad)
        {
            string corrupt = Path.Combine(_dir, "wav", "corrupt.wav");
            File.WriteAllBytes(corrupt, "this is not a wav file"u8.ToArray());
            clips.Add(new ClipSource("corrupt", corrupt));
            clips.Add(new ClipSource("missing", Path.Combine(_dir, "wav", "missing.wav")));
        }
        return clips;
    }

    private async Task<ExtractionSummary> Run(RunExtraction run, IFeatureStore store)
    {
        await AwaitAssertAsync(() => Assert.Equal(Akka.Cluster.MemberStatus.Up, Akka.Cluster.Cluster.Get(Sys).SelfMember.Status), TimeSpan.FromSeconds(20), cancellationToken: TestContext.Current.CancellationToken);
        var region = ActorRegistry.Get<ClipExtractorRegion>();
        var coordinator = Sys.ActorOf(ExtractionCoordinator.PropsFor(region, store, new CoordinatorOptions(MaxInFlight: 4)));
        return await coordinator.Ask<ExtractionSummary>(run, TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Every_clip_gets_features_or_an_error_and_bad_files_do_not_stop_the_run()
    {
        var clips = WriteClips(good: 12, withBad: true);
        var progress = CreateTestProbe();
        ExtractionSummary summary = await Run(new RunExtraction(clips, "{\"v\":1}", ReturnFeatures: false, progress.Ref), _nodeStore);

        Assert.Equal(14, summary.Results.Count);
        Assert.Equal(12, summary.Succeeded);
        Assert.Contains("not a RIFF/WAVE file", summary.Results["corrupt"].Error);
        Assert.Contains("corrupt", summary.Results["corrupt"].Error);
        Assert.NotNull(summary.Results["missing"].Error);
        foreach (var c in clips.Take(12))
            Assert.True(_nodeStore.Contains(summary.Results[c.ClipId].Key!.Value));
        Assert.Equal(12, summary.ClipsPerNode.Values.Sum());
        Assert.Equal(0, summary.DuplicateReplies);
        var last = progress.ReceiveN(14, cancellationToken: TestContext.Current.CancellationToken).Cast<ExtractionProgress>().Last();
        Assert.Equal((12, 2, 14), (last.Done, last.Failed, last.Total));
    }

    [Fact]
    public async Task A_rerun_reuses_stored_features_instead_of_recomputing()
    {
        var clips = WriteClips(good: 6, withBad: false);
        await Run(new RunExtraction(clips, "{\"v\":2}", false), _nodeStore);
        int calls = _services.Calls;
        Assert.Equal(6, calls);
        ExtractionSummary again = await Run(new RunExtraction(clips, "{\"v\":2}", false), _nodeStore);
        Assert.Equal(6, again.Succeeded);
        Assert.All(again.Results.Values, r => Assert.True(r.Cached));
        Assert.Equal(calls, _services.Calls);
        // Other settings are other features.
        await Run(new RunExtraction(clips, "{\"v\":3}", false), _nodeStore);
        Assert.Equal(calls + 6, _services.Calls);
    }

    [Fact]
    public async Task Nodes_without_the_audio_get_bytes_from_the_coordinator_and_return_features_in_chunks()
    {
        var clips = WriteClips(good: 5, withBad: false); // the largest clip is 32000 samples: 64 kB of audio, 2 chunks
        ExtractionSummary summary = await Run(new RunExtraction(clips, "{\"v\":4}", ReturnFeatures: true, ServeAudio: true), _coordinatorStore);
        Assert.Equal(5, summary.Succeeded);
        foreach (var c in clips)
        {
            var key = summary.Results[c.ClipId].Key!.Value;
            var fromCoordinator = _coordinatorStore.TryGet(key)!;
            var fromNode = _nodeStore.TryGet(key)!;
            Assert.Equal(fromNode.Data, fromCoordinator.Data);
        }
    }

    [Fact]
    public async Task Bad_settings_are_a_per_clip_error_naming_the_problem()
    {
        var clips = WriteClips(good: 2, withBad: false);
        ExtractionSummary summary = await Run(new RunExtraction(clips, "not json", false), _nodeStore);
        Assert.All(summary.Results.Values, r => Assert.Contains("bad feature settings", r.Error));
    }

    [Fact]
    public async Task Duplicate_clip_ids_are_refused()
    {
        var clips = WriteClips(good: 1, withBad: false);
        await AwaitAssertAsync(() => Assert.Equal(Akka.Cluster.MemberStatus.Up, Akka.Cluster.Cluster.Get(Sys).SelfMember.Status), TimeSpan.FromSeconds(20), cancellationToken: TestContext.Current.CancellationToken);
        var coordinator = Sys.ActorOf(ExtractionCoordinator.PropsFor(ActorRegistry.Get<ClipExtractorRegion>(), _nodeStore));
        var e = await Assert.ThrowsAsync<ArgumentException>(() => coordinator.Ask<ExtractionSummary>(new RunExtraction([clips[0], clips[0]], "{}", false), TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken));
        Assert.Contains("unique", e.Message);
    }

    void IDisposable.Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }
}
