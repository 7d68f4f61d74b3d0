using Akka.Actor;
using Akka.Hosting;
using Akka.Hosting.TestKit;
using Xunit;

namespace EmotionCluster.Evaluator.Tests;

/// <summary>
/// The evaluator actor against a real journal: epochs persist, a restarted actor recovers them, the read side
/// (a second ActorSystem, as the CLI uses) finds the runs by tag. Run against SQLite and PostgreSQL by the two
/// subclasses below.
/// </summary>
public abstract class EvaluatorJournalTests : TestKit
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    protected EvaluatorJournalTests(ITestOutputHelper output) : base("evaluator-journal-tests", output) { }

    /// <summary>The journal of this test (a fresh database each time).</summary>
    protected abstract PersistenceSettings Store { get; }

    /// <summary>Skips or fails when the store's server is not available.</summary>
    protected virtual void RequireStore() { }

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) =>
        builder.AddHocon("akka.loglevel = WARNING", HoconAddMode.Prepend).AddEmotionClusterPersistence(Store);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<T> Send<T>(IActorRef evaluator, object message) => await evaluator.Ask<T>(message, Timeout, Ct);

    private async Task<List<RecordEpoch>> RunEpochs(IActorRef evaluator, string runId, int from, int to)
    {
        var sent = new List<RecordEpoch>();
        for (int epoch = from; epoch <= to; epoch++)
        {
            var record = new RecordEpoch(runId, epoch, 1.0 / epoch, 1.2 / epoch, Samples.Metrics(epoch));
            var ack = await Send<EvaluatorAck>(evaluator, record);
            Assert.False(ack.Duplicate);
            sent.Add(record);
        }
        return sent;
    }

    private async Task Stop(IActorRef actor)
    {
        Watch(actor);
        actor.Tell(PoisonPill.Instance);
        await ExpectTerminatedAsync(actor, Timeout, cancellationToken: Ct);
    }

    [Fact]
    public async Task Persisted_epochs_are_recovered_by_a_restarted_actor()
    {
        RequireStore();
        const string run = "recover-1";
        var evaluator = Sys.ActorOf(EvaluatorActor.PropsFor(run));
        var started = await Send<EvaluatorAck>(evaluator, new StartRun(run, "{\"lr\":0.001}", Samples.Labels));
        Assert.Equal((nameof(RunStarted), 1L, false), (started.Event, started.SequenceNr, started.Duplicate));
        var sent = await RunEpochs(evaluator, run, 1, 6);
        await Stop(evaluator);

        var restarted = Sys.ActorOf(EvaluatorActor.PropsFor(run));
        RunView view = await Send<RunView>(restarted, new GetRun(run));
        Assert.Equal(RunStatus.Running, view.Status);
        Assert.Equal(Samples.Labels, view.Started!.Labels);
        Assert.Equal("{\"lr\":0.001}", view.Started.SettingsJson);
        Assert.Equal(sent.Select(s => s.Epoch), view.Epochs.Select(e => e.Epoch));
        Assert.Equal(sent.Select(s => s.Metrics), view.Epochs.Select(e => e.Metrics));
        Assert.Equal(sent.Select(s => s.ValLoss), view.Epochs.Select(e => e.ValLoss));

        // the recovered actor goes on where it stopped: a repeated epoch is a duplicate, the next one is stored
        var again = await Send<EvaluatorAck>(restarted, sent[^1]);
        Assert.True(again.Duplicate);
        await RunEpochs(restarted, run, 7, 7);
        var done = await Send<EvaluatorAck>(restarted, new CompleteRun(run, null, Samples.Metrics(99)));
        Assert.Equal((nameof(RunCompleted), 9L), (done.Event, done.SequenceNr));
        var rejected = await Send<EvaluatorRejected>(restarted, new RecordEpoch(run, 8, 0.1, 0.1, Samples.Metrics(8)));
        Assert.Contains("already completed", rejected.Reason);

        await Stop(restarted);
        view = await Send<RunView>(Sys.ActorOf(EvaluatorActor.PropsFor(run)), new GetRun(run));
        Assert.Equal(RunStatus.Completed, view.Status);
        Assert.Equal(7, view.Epochs.Count);
        Assert.Equal(RunHistory.BestByUar(view.Epochs)!.Epoch, view.BestEpoch);
        Assert.Equal(Samples.Metrics(99), view.Completed!.Test);
    }

    [Fact]
    public async Task Predictions_are_turned_into_metrics_with_the_run_labels()
    {
        RequireStore();
        const string run = "predictions-1";
        var evaluator = Sys.ActorOf(EvaluatorActor.PropsFor(run));
        await Send<EvaluatorAck>(evaluator, new StartRun(run, "{}", Samples.Labels));
        int[] truth = [0, 0, 1, 1, 2, 2];
        int[] predicted = [0, 1, 1, 1, 2, 0];
        await Send<EvaluatorAck>(evaluator, new RecordPredictions(run, 1, 0.9, null, truth, predicted));
        var bad = await Send<EvaluatorRejected>(evaluator, new RecordPredictions(run, 2, 0.9, null, [0, 3], [0, 1]));
        Assert.Contains("not a class index", bad.Reason);

        RunView view = await Send<RunView>(evaluator, new GetRun(run));
        var expected = EvaluationMetrics.FromPredictions(truth, predicted, Samples.Labels);
        Assert.Equal(expected, view.Epochs.Single().Metrics);
        Assert.Null(view.Epochs.Single().ValLoss);
        Assert.Equal(4.0 / 6, view.Epochs.Single().Metrics!.Accuracy, 12);
    }

    [Fact]
    public async Task The_read_side_lists_runs_by_tag_and_shows_one_run_from_the_journal_alone()
    {
        RequireStore();
        var a = Sys.ActorOf(EvaluatorActor.PropsFor("tag-a"));
        var b = Sys.ActorOf(EvaluatorActor.PropsFor("tag-b"));
        var c = Sys.ActorOf(EvaluatorActor.PropsFor("tag-c"));
        await Send<EvaluatorAck>(a, new StartRun("tag-a", "{}", Samples.Labels));
        await Send<EvaluatorAck>(b, new StartRun("tag-b", "{}", Samples.Labels));
        await Send<EvaluatorAck>(c, new StartRun("tag-c", "{}", Samples.Labels));
        await RunEpochs(a, "tag-a", 1, 4);
        await RunEpochs(b, "tag-b", 1, 2);
        await Send<EvaluatorAck>(a, new CompleteRun("tag-a", 2, null));
        await Send<EvaluatorAck>(c, new FailRun("tag-c", "out of memory"));

        // the tags are in the journal
        var catalog = new RunCatalog(Sys);
        var list = await catalog.ListAsync(Ct);
        Assert.Equal(["tag-a", "tag-b", "tag-c"], list.Select(r => r.RunId).Order());
        var runA = list.Single(r => r.RunId == "tag-a");
        Assert.Equal((RunStatus.Completed, 4, 2, Samples.Metrics(2).Uar), (runA.Status, runA.Epochs, runA.BestEpoch, runA.BestUar));
        Assert.NotNull(runA.EndedAt);
        var runB = list.Single(r => r.RunId == "tag-b");
        Assert.Equal((RunStatus.Running, 2), (runB.Status, runB.Epochs));
        Assert.Equal(RunHistory.BestByUar((await catalog.GetAsync("tag-b", Ct)).Epochs)!.Epoch, runB.BestEpoch);
        var runC = list.Single(r => r.RunId == "tag-c");
        Assert.Equal((RunStatus.Failed, 0, "out of memory"), (runC.Status, runC.Epochs, runC.FailureReason));
        Assert.Equal(["tag-a", "tag-b", "tag-c"], await catalog.RunIdsAsync(Ct));

        // another ActorSystem that only reads the journal (what the CLI does) sees the same
        await using var reader = await JournalReader.OpenAsync(Store, cancellationToken: Ct);
        RunView shown = await reader.Catalog.GetAsync("tag-a", Ct);
        RunView live = await Send<RunView>(a, new GetRun("tag-a"));
        Assert.Equal(live, shown);
        Assert.Equal(2, shown.BestEpoch);
        Assert.Equal(list, await reader.Catalog.ListAsync(Ct));

        var missing = await Assert.ThrowsAsync<RunNotFoundException>(() => reader.Catalog.GetAsync("tag-x", Ct));
        Assert.Contains("no run 'tag-x'", missing.Message);
        Assert.Contains("tag-a, tag-b, tag-c", missing.Message);

        string png = Path.Combine(Path.GetTempPath(), "ec-evaluator-tests", Guid.NewGuid().ToString("N"), "curve.png");
        RunCatalog.WriteLearningCurve(shown, png);
        byte[] header = File.ReadAllBytes(png)[..8];
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, header);
        Assert.True(new FileInfo(png).Length > 5_000);
    }

    [Fact]
    public async Task Events_are_bound_to_the_evaluator_serializer_and_survive_it()
    {
        RequireStore();
        var serialization = Sys.Serialization;
        object[] values =
        [
            new RunStarted("s-1", "{}", Samples.Labels, DateTimeOffset.UtcNow),
            new EpochEvaluated("s-1", 3, 0.5, 0.6, Samples.Metrics(3), DateTimeOffset.UtcNow),
            new RecordPredictions("s-1", 3, 0.5, null, [0, 1], [1, 1]),
        ];
        foreach (object value in values)
        {
            var serializer = serialization.FindSerializerFor(value);
            Assert.IsType<EvaluatorSerializer>(serializer);
            byte[] bytes = serializer.ToBinary(value);
            string manifest = Akka.Serialization.Serialization.ManifestFor(serializer, value);
            object back = serialization.Deserialize(bytes, serializer.Identifier, manifest);
            if (value is RecordPredictions p)
            {
                var q = Assert.IsType<RecordPredictions>(back);
                Assert.Equal(p.Truth, q.Truth);
                Assert.Equal(p.Predicted, q.Predicted);
            }
            else Assert.Equal(value, back);
        }
        await Task.CompletedTask;
    }
}
