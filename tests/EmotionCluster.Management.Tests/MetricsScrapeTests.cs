using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Akka.Remote.Hosting;
using EmotionCluster.Evaluator;
using EmotionCluster.Extraction;
using EmotionCluster.Hosting;
using EmotionCluster.Streaming;
using EmotionCluster.Testing;
using EmotionCluster.TrainingActors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace EmotionCluster.Management.Tests;

/// <summary>
/// The node's real /metrics endpoint (ManagementHosting's services and routes on Kestrel, loopback, a token) over a
/// real one-node cluster in this process, scraped over HTTP after the parts' own instruments were used: the metric
/// names of training, extraction, streaming, evaluator and cluster; the backlog gauges of real queues and mailboxes.
/// </summary>
[Collection("in-process-metrics")] // the instruments are static: one of these tests at a time
public sealed class MetricsScrapeTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Token = "metrics-test-token";
    private const string PinnedDispatcher = "metrics-test-pinned"; // a thread per blocked actor: the pool stays free
    private WebApplication _app = null!;
    private ActorSystem _system = null!;
    private string _url = "";

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{NodeProcess.FreePort()}");
        var node = new NodeSettings { Roles = [ClusterRoles.Extractor] };
        builder.Services.AddSingleton(node);
        builder.AddEmotionClusterManagement(node, new HttpSettings { Token = Token });
        builder.Services.AddAkka(node.ActorSystemName, akka =>
        {
            akka.AddHocon($"akka.loglevel = WARNING\n{PinnedDispatcher} {{ type = PinnedDispatcher }}", HoconAddMode.Prepend)
                .WithRemoting(new RemoteOptions { HostName = "127.0.0.1", Port = 0 })
                .WithClustering(new ClusterOptions())
                .AddStartup((system, _) => Akka.Cluster.Cluster.Get(system).Join(Akka.Cluster.Cluster.Get(system).SelfAddress));
        });
        _app = builder.Build();
        _app.MapEmotionClusterManagement();
        await _app.StartAsync();
        _url = _app.Urls.Single();
        _system = _app.Services.GetRequiredService<ActorSystem>();
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Akka.Cluster.Cluster.Get(_system).RegisterOnMemberUp(() => up.TrySetResult());
        await up.Task.WaitAsync(TimeSpan.FromSeconds(60));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task<string> Scrape(string? token = Token)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        using var request = new HttpRequestMessage(HttpMethod.Get, _url + HttpSettings.MetricsPath);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using HttpResponseMessage response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The value of one sample line (<c>name{labels} value</c>), or null when the series is not exported.</summary>
    private static double? Sample(string text, string series)
    {
        Match m = Regex.Match(text, "\n" + Regex.Escape(series) + " ([^ \n]+)\n");
        return m.Success ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    /// <summary>Scrapes until <paramref name="series"/> has <paramref name="expected"/> (null: is absent); the actors work asynchronously.</summary>
    private async Task<string> ScrapeUntil(string series, double? expected)
    {
        string text = "";
        for (DateTime until = DateTime.UtcNow.AddSeconds(30); DateTime.UtcNow < until; await Task.Delay(100))
        {
            text = await Scrape();
            if (Sample(text, series) == expected) return text;
        }
        Assert.Fail($"{series} did not reach {expected?.ToString(CultureInfo.InvariantCulture) ?? "absent"} within 30 s; last scrape:\n" +
                    string.Join('\n', text.Split('\n').Where(l => l.StartsWith("emotioncluster_", StringComparison.Ordinal))));
        return text;
    }

    [Fact]
    public async Task Every_parts_own_instruments_reach_the_metrics_endpoint_under_names_relative_to_their_meter()
    {
        // What the trainer actor records for each applied step and epoch (TrainerActor calls exactly these).
        TrainingMetrics.StepApplied(samples: 12, loss: 0.8125);
        TrainingMetrics.StepTook(TimeSpan.FromMilliseconds(200), coordinator: true);
        TrainingMetrics.StepTook(TimeSpan.FromMilliseconds(40), coordinator: false);
        TrainingMetrics.EpochEvaluated(new EpochMetrics("run", 1, 0.8, 0.5, 0.9375, 0.5, 0.625, 2));
        TrainingMetrics.AllReduceMilliseconds.Record(3);
        TrainingMetrics.AllReduceBytes.Add(4096);
        TrainingMetrics.DroppedReplicas.Add(1);
        // ClipExtractorActor, PredictorActor and the batcher, EvaluatorActor.
        ExtractionMetrics.Finished(ExtractionMetrics.Start(), succeeded: true, cached: false);
        ExtractionMetrics.CountExtracted(cached: false);
        ExtractionMetrics.CountFailed();
        StreamingMetrics.Predictions.Add(1);
        StreamingMetrics.HopLatency.Record(12);
        StreamingMetrics.ActiveStreams.Add(1);
        StreamingMetrics.ActiveStreams.Add(-1);
        EvaluatorInstruments.EventsPersisted.Add(1, new KeyValuePair<string, object?>("event", "EpochRecorded"));
        EvaluatorInstruments.RecoverySeconds.Record(0.02);

        string text = await Scrape();
        output.WriteLine(string.Join('\n', text.Split('\n').Where(l => l.StartsWith("emotioncluster_", StringComparison.Ordinal))));
        var names = Regex.Matches(text, @"^(emotioncluster_\w+)", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToHashSet();
        Assert.DoesNotContain(names, n => n.IndexOf("emotioncluster_", 1, StringComparison.Ordinal) >= 0); // no doubled prefix

        // Training: steps, examples, step time by role, loss, validation.
        Assert.True(Sample(text, "emotioncluster_training_steps") >= 1);
        Assert.True(Sample(text, "emotioncluster_training_samples") >= 12);
        Assert.Equal(0, Sample(text, "emotioncluster_training_step_duration_bucket{role=\"coordinator\",le=\"0.1\"}"));
        Assert.True(Sample(text, "emotioncluster_training_step_duration_bucket{role=\"coordinator\",le=\"0.25\"}") >= 1);
        Assert.True(Sample(text, "emotioncluster_training_step_duration_count{role=\"replica\"}") >= 1);
        Assert.Equal(0.8125, Sample(text, "emotioncluster_training_loss"));
        Assert.Equal(0.9375, Sample(text, "emotioncluster_training_validation_loss"));
        Assert.Equal(0.625, Sample(text, "emotioncluster_training_validation_uar"));
        Assert.True(Sample(text, "emotioncluster_training_allreduce_ms_count") >= 1);
        Assert.True(Sample(text, "emotioncluster_training_allreduce_bytes") >= 4096);
        Assert.True(Sample(text, "emotioncluster_training_dropped_replicas") >= 1);
        // Extraction.
        Assert.True(Sample(text, "emotioncluster_extraction_clips{outcome=\"extracted\"}") >= 1);
        Assert.True(Sample(text, "emotioncluster_extraction_clips{outcome=\"failed\"}") >= 1);
        Assert.True(Sample(text, "emotioncluster_extraction_duration_count{outcome=\"extracted\"}") >= 1);
        Assert.Equal(0, Sample(text, "emotioncluster_extraction_active"));
        // Streaming.
        Assert.True(Sample(text, "emotioncluster_streaming_predictions") >= 1);
        Assert.True(Sample(text, "emotioncluster_streaming_hop_latency_bucket{le=\"25\"}") >= 1);
        Assert.Equal(0, Sample(text, "emotioncluster_streaming_active_streams"));
        // Evaluator.
        Assert.True(Sample(text, "emotioncluster_evaluator_events_persisted{event=\"EpochRecorded\"}") >= 1);
        Assert.True(Sample(text, "emotioncluster_evaluator_recovery_duration_count") >= 1);
        // Cluster: this one node, Up, leader, nobody unreachable.
        Assert.Equal(1, Sample(text, "emotioncluster_cluster_members{status=\"Up\"}"));
        Assert.Equal(1, Sample(text, "emotioncluster_cluster_self_up"));
        Assert.Equal(1, Sample(text, "emotioncluster_cluster_is_leader"));
        Assert.Equal(0, Sample(text, "emotioncluster_cluster_unreachable_members"));
    }

    [Fact]
    public void No_instrument_of_an_EmotionCluster_meter_repeats_the_prefix_in_its_name()
    {
        NodeMetrics.Initialize(typeof(ExtractionMetrics), typeof(StreamingMetrics), typeof(TrainingMetrics), typeof(EvaluatorInstruments));
        var instruments = new List<Instrument>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (i, _) => { if (NodeMetrics.IsExported(i)) lock (instruments) instruments.Add(i); },
        };
        listener.Start();
        foreach (string meter in new[] { ExtractionMetrics.MeterName, StreamingMetrics.MeterName, TrainingMetrics.MeterName, EvaluatorInstruments.MeterName })
            Assert.Contains(instruments, i => i.Meter.Name == meter);
        Assert.All(instruments, i => Assert.False(i.Name.StartsWith("emotioncluster", StringComparison.OrdinalIgnoreCase),
            $"{i.Meter.Name} instrument '{i.Name}' repeats the prefix: /metrics would show {i.Meter.Name.ToLowerInvariant().Replace('.', '_')}_{i.Name}"));
    }

    private sealed record Job(string Id, int N);

    /// <summary>Blocks on its first message until released, so the ones after it wait in its mailbox.</summary>
    private sealed class Blocker : ReceiveActor
    {
        public Blocker(SemaphoreSlim started, SemaphoreSlim release)
        {
            bool first = true;
            ReceiveAny(_ =>
            {
                if (!first) return;
                first = false;
                started.Release();
                release.Wait(TimeSpan.FromSeconds(60));
            });
        }
    }

    [Fact]
    public async Task Backlogs_of_real_queues_and_mailboxes_are_exported()
    {
        var started = new SemaphoreSlim(0);
        var release = new SemaphoreSlim(0);
        Props blocker = Props.Create(() => new Blocker(started, release)).WithDispatcher(PinnedDispatcher);
        try
        {
            // A top-level actor busy with one message while five wait.
            IActorRef busy = _system.ActorOf(blocker, "busy-worker");
            busy.Tell(0);
            Assert.True(await started.WaitAsync(TimeSpan.FromSeconds(20)));
            for (int i = 0; i < 5; i++) busy.Tell(i);
            // Per-connection actors are one series: two of them with 2 and 1 waiting.
            for (int k = 0; k < 2; k++)
            {
                IActorRef client = _system.ActorOf(blocker, $"stream-client-{Guid.NewGuid():N}");
                client.Tell(0);
                Assert.True(await started.WaitAsync(TimeSpan.FromSeconds(20)));
                for (int i = 0; i <= 1 - k; i++) client.Tell(i);
            }
            string text = await Scrape();
            output.WriteLine(string.Join('\n', text.Split('\n').Where(l => l.StartsWith("emotioncluster_actor", StringComparison.Ordinal))));
            Assert.Equal(5, Sample(text, "emotioncluster_actor_mailbox_messages{actor=\"/user/busy-worker\"}"));
            Assert.Equal(3, Sample(text, "emotioncluster_actor_mailbox_messages{actor=\"/user/stream-client-*\"}"));

            // A shard region whose entity e1 is busy while three more of its messages wait at the entity.
            IActorRef region = await ClusterSharding.Get(_system).StartAsync("backlog-test", _ => blocker, ClusterShardingSettings.Create(_system),
                HashCodeMessageExtractor.Create(4, m => ((Job)m).Id, m => m));
            region.Tell(new Job("e1", 0));
            Assert.True(await started.WaitAsync(TimeSpan.FromSeconds(20)));
            for (int i = 1; i <= 3; i++) region.Tell(new Job("e1", i));
            text = await ScrapeUntil("emotioncluster_shard_region_entity_mailbox_messages{type=\"backlog-test\"}", 3);
            Assert.Equal(1, Sample(text, "emotioncluster_shard_region_entities{type=\"backlog-test\"}"));
            Assert.Equal(0, Sample(text, "emotioncluster_actor_mailbox_messages{actor=\"/system/sharding/backlog-test\"}"));

            // An extraction coordinator with 5 clips and room for 2 in flight, towards extractors that never answer.
            var store = new DirectoryFeatureStore(Path.Combine(Path.GetTempPath(), "ec-metrics-" + Guid.NewGuid().ToString("N")));
            IActorRef coordinator = _system.ActorOf(ExtractionCoordinator.PropsFor(ActorRefs.Nobody, store, new CoordinatorOptions(MaxInFlight: 2, RetryAfter: TimeSpan.FromMinutes(5))));
            coordinator.Tell(new RunExtraction(Enumerable.Range(0, 5).Select(i => new ClipSource($"c{i}", $"/nowhere/c{i}.wav")).ToList(), "{}", false));
            text = await ScrapeUntil("emotioncluster_extraction_waiting", 3);
            Assert.Equal(2, Sample(text, "emotioncluster_extraction_in_flight"));
            await coordinator.GracefulStop(TimeSpan.FromSeconds(10));
            text = await ScrapeUntil("emotioncluster_extraction_waiting", 0);
            Assert.Equal(0, Sample(text, "emotioncluster_extraction_in_flight"));

            // The streaming queues: an inference batcher registers its queue (empty while idle) while it exists.
            using (var batcher = new InferenceBatcher(maxBatch: 4, capacity: 8))
            {
                Assert.Equal(1, StreamingMetrics.InferenceQueue.Queues);
                text = await Scrape();
                Assert.Equal(0, Sample(text, "emotioncluster_streaming_inference_queue"));
                Assert.Equal(0, Sample(text, "emotioncluster_streaming_outgoing_queue"));
                Assert.Equal(0, Sample(text, "emotioncluster_streaming_frames_in_flight"));
            }
            Assert.Equal(0, StreamingMetrics.InferenceQueue.Queues);

            // Stopped actors leave no stale series.
            release.Release(10);
            await busy.GracefulStop(TimeSpan.FromSeconds(10));
            await ScrapeUntil("emotioncluster_actor_mailbox_messages{actor=\"/user/busy-worker\"}", null);
        }
        finally
        {
            release.Release(100);
        }
    }

    [Fact]
    public void A_queue_gauge_sums_its_live_queues()
    {
        var gauge = new QueueGauge();
        Assert.Equal(0, gauge.Total);
        int a = 3;
        IDisposable first = gauge.Register(() => a);
        using IDisposable second = gauge.Register(() => 4);
        Assert.Equal((2, 7L), (gauge.Queues, gauge.Total));
        a = 10;
        Assert.Equal(14, gauge.Total);
        first.Dispose();
        first.Dispose();
        Assert.Equal((1, 4L), (gauge.Queues, gauge.Total));
    }

    [Theory]
    [InlineData("/user/trainer", "/user/trainer")]
    [InlineData("/user/stream-client-0123456789abcdef0123456789ABCDEF", "/user/stream-client-*")]
    [InlineData("/user/$a", "/user/$*")]
    [InlineData("/system/sharding/clip-extractorCoordinator", "/system/sharding/clip-extractorCoordinator")]
    [InlineData("/user/run-12", "/user/run-12")]
    public void Per_instance_actor_names_share_one_series(string path, string series) => Assert.Equal(series, MailboxDepths.SeriesName(path));
}
