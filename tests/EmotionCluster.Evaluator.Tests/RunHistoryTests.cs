using Xunit;

namespace EmotionCluster.Evaluator.Tests;

/// <summary>The state fold and command rules, without an ActorSystem.</summary>
public sealed class RunHistoryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);

    private static RunHistory Started(string runId = "r1")
    {
        var h = new RunHistory(runId);
        h.Apply(Persisted(h.Decide(new StartRun(runId, "{\"a\":1}", Samples.Labels), T0)));
        return h;
    }

    private static IEvaluatorEvent Persisted(Decision d) => Assert.IsType<Decision.Persist>(d).Event;

    private static void Record(RunHistory h, int epoch, int seed) =>
        h.Apply(Persisted(h.Decide(new RecordEpoch(h.RunId, epoch, 1.0 / epoch, 1.1 / epoch, Samples.Metrics(seed)), T0.AddMinutes(epoch))));

    [Fact]
    public void Epochs_fold_into_the_history_in_order()
    {
        var h = Started();
        Record(h, 1, 0);
        Record(h, 2, 3);
        Record(h, 5, 1);
        Assert.Equal(RunStatus.Running, h.Status);
        Assert.Equal([1, 2, 5], h.Epochs.Select(e => e.Epoch));
        Assert.Equal(Samples.Metrics(3), h.Epochs[1].Metrics);
        Assert.Equal(T0.AddMinutes(2), h.Epochs[1].At);
        Assert.Equal(RunHistory.BestByUar(h.Epochs)!.Epoch, h.View.BestEpoch);
    }

    [Fact]
    public void Best_epoch_is_the_highest_validation_uar_and_the_earliest_on_ties()
    {
        var h = Started();
        Record(h, 1, 0);
        Record(h, 2, 2);   // Samples.Metrics(2) and (62) are the same matrix
        Record(h, 3, 62);
        Assert.True(Samples.Metrics(2).Uar > Samples.Metrics(0).Uar);
        Assert.Equal(2, h.View.BestEpoch);
        var completed = Assert.IsType<RunCompleted>(Persisted(h.Decide(new CompleteRun("r1", null, null), T0)));
        Assert.Equal(2, completed.BestEpoch);
        h.Apply(completed);
        Assert.Equal((RunStatus.Completed, 2), (h.Status, h.View.BestEpoch));
    }

    [Fact]
    public void An_explicit_best_epoch_wins_and_must_have_been_recorded()
    {
        var h = Started();
        Record(h, 1, 2);
        Record(h, 2, 0);
        var reject = Assert.IsType<Decision.Reject>(h.Decide(new CompleteRun("r1", 7, null), T0));
        Assert.Contains("best epoch 7 was never recorded", reject.Reason);
        h.Apply(Persisted(h.Decide(new CompleteRun("r1", 2, Samples.Metrics(5)), T0)));
        Assert.Equal(2, h.View.BestEpoch);
        Assert.Equal(Samples.Metrics(0).Uar, h.View.BestUar);
        Assert.IsType<Decision.AlreadyRecorded>(h.Decide(new CompleteRun("r1", 2, null), T0));
    }

    [Fact]
    public void Repeated_commands_are_duplicates_and_conflicting_ones_are_rejected()
    {
        var h = Started();
        Assert.IsType<Decision.AlreadyRecorded>(h.Decide(new StartRun("r1", "{\"a\":1}", Samples.Labels), T0));
        Assert.Contains("already started", Assert.IsType<Decision.Reject>(h.Decide(new StartRun("r1", "{\"a\":2}", Samples.Labels), T0)).Reason);
        Record(h, 1, 0);
        Record(h, 3, 0);
        Assert.IsType<Decision.AlreadyRecorded>(h.Decide(new RecordEpoch("r1", 3, 1, 1, Samples.Metrics(0)), T0));
        Assert.Contains("increasing order", Assert.IsType<Decision.Reject>(h.Decide(new RecordEpoch("r1", 2, 1, 1, Samples.Metrics(0)), T0)).Reason);
    }

    [Fact]
    public void The_start_records_what_the_run_is_and_a_later_start_with_fewer_replicas_is_the_same_run()
    {
        var h = new RunHistory("r1");
        var first = new RunDescription("0123456789abcdef", "emodb", "/data/emodb", "stratified-42", 42, 2, 2);
        var started = Assert.IsType<RunStarted>(Persisted(h.Decide(new StartRun("r1", "{\"a\":1}", Samples.Labels) { Description = first }, T0)));
        h.Apply(started);
        Assert.Equal(first, h.View.Started!.Description);
        // a coordinator that resumes after a replica died starts the same run again: a duplicate, the first description stays
        Assert.IsType<Decision.AlreadyRecorded>(h.Decide(new StartRun("r1", "{\"a\":1}", Samples.Labels) { Description = first with { Replicas = 1 } }, T0));
        Assert.Equal(first, h.View.Started!.Description);
        var bad = new RunHistory("r2").Decide(new StartRun("r2", "{}", Samples.Labels) { Description = first with { Replicas = -1 } }, T0);
        Assert.Contains("never negative", Assert.IsType<Decision.Reject>(bad).Reason);
    }

    [Theory]
    [InlineData("not started")]
    [InlineData("bad shape")]
    [InlineData("bad loss")]
    [InlineData("wrong run")]
    [InlineData("after failure")]
    [InlineData("no labels")]
    [InlineData("bad json")]
    public void Bad_commands_are_rejected_with_the_reason(string what)
    {
        var h = what == "not started" ? new RunHistory("r1") : Started();
        if (what == "after failure") h.Apply(Persisted(h.Decide(new FailRun("r1", "disk full"), T0)));
        IEvaluatorCommand command = what switch
        {
            "bad shape" => new RecordEpoch("r1", 1, 1, 1, EvaluationMetrics.From(
                EmotionCluster.Metrics.ClassificationMetrics.FromConfusion([[1, 0], [0, 1]], ["a", "b"]))),
            "bad loss" => new RecordEpoch("r1", 1, double.NaN, 1, Samples.Metrics(0)),
            "wrong run" => new RecordEpoch("r2", 1, 1, 1, Samples.Metrics(0)),
            "no labels" => new StartRun("r9", "{}", []),
            "bad json" => new StartRun("r1", "{not json", Samples.Labels),
            _ => new RecordEpoch("r1", 1, 1, 1, Samples.Metrics(0)),
        };
        if (command is StartRun { RunId: "r9" }) h = new RunHistory("r9");
        string reason = Assert.IsType<Decision.Reject>(h.Decide(command, T0)).Reason;
        string expected = what switch
        {
            "not started" => "send StartRun before you record an epoch",
            "bad shape" => "2 per-class scores but the run has 3 labels",
            "bad loss" => "must be finite",
            "wrong run" => "reached the evaluator of run 'r1'",
            "after failure" => "failed (disk full)",
            "no labels" => "has no labels",
            _ => "not valid JSON",
        };
        Assert.Contains(expected, reason);
    }

    [Fact]
    public void Predictions_are_scored_against_the_run_labels()
    {
        var h = Started();
        var evt = Assert.IsType<EpochEvaluated>(Persisted(h.Decide(new RecordPredictions("r1", 1, 0.5, 0.4, [0, 1, 2, 2], [0, 1, 2, 1]), T0)));
        Assert.Equal(0.75, evt.Metrics!.Accuracy);
        Assert.Equal((1 + 1 + 0.5) / 3, evt.Metrics!.Uar, 12);
        Assert.Equal([[1, 0, 0], [0, 1, 0], [0, 1, 1]], evt.Metrics!.Confusion);
        var mismatch = Assert.IsType<Decision.Reject>(h.Decide(new RecordPredictions("r1", 2, 0.5, 0.4, [0, 1], [0]), T0));
        Assert.Contains("must pair up", mismatch.Reason);
    }

    [Fact]
    public void Applying_events_out_of_order_or_of_another_run_is_a_corrupt_journal()
    {
        var h = Started();
        Record(h, 2, 0);
        Assert.Throws<InvalidOperationException>(() => h.Apply(new EpochEvaluated("r1", 2, 1, 1, Samples.Metrics(0), T0)));
        Assert.Throws<InvalidOperationException>(() => h.Apply(new RunFailed("other", "x", T0)));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("a/b", "may hold only")]
    [InlineData("run 1", "may hold only")]
    public void Run_ids_are_checked(string runId, string why)
    {
        Assert.Contains(why, RunIds.Problem(runId));
        Assert.Throws<ArgumentException>(() => new RunHistory(runId));
    }

    [Fact]
    public void Epochs_without_validation_metrics_count_for_the_curve_but_not_for_the_best()
    {
        var h = Started();
        h.Apply(Persisted(h.Decide(new RecordEpoch("r1", 1, 2.0, null, null), T0)));
        Assert.Null(h.View.BestEpoch);
        Record(h, 2, 0);
        h.Apply(Persisted(h.Decide(new RecordEpoch("r1", 3, 1.0, null, null), T0)));
        Assert.Equal(2, h.View.BestEpoch);
        Assert.Equal([null, Samples.Metrics(0).Uar, null], h.Epochs.Select(e => e.Metrics?.Uar));

        var none = Started("r2");
        none.Apply(Persisted(none.Decide(new RecordEpoch("r2", 1, 2.0, null, null), T0)));
        var completed = Assert.IsType<RunCompleted>(Persisted(none.Decide(new CompleteRun("r2", null, null), T0)));
        Assert.Null(completed.BestEpoch);
    }

    [Fact]
    public void A_run_becomes_a_management_run_info()
    {
        var h = new RunHistory("r1");
        h.Apply(Persisted(h.Decide(new StartRun("r1", "{\"corpus\":\"emodb\",\"epochs\":30}", Samples.Labels), T0)));
        Record(h, 1, 0);
        Record(h, 2, 2);
        var running = NodeRunCatalog.ToRunInfo(h.View);
        Assert.Equal(("r1", "running", T0, (DateTimeOffset?)null, "emodb"), (running.RunId, running.State, running.StartedAt, running.FinishedAt, running.Corpus));
        Assert.Equal(Samples.Metrics(2).Uar, running.Metrics["uar"]);
        Assert.Equal(Samples.Metrics(2).Accuracy, running.Metrics["accuracy"]);
        Assert.Equal(2, running.Metrics["epochs"]);
        Assert.Equal(2, running.Metrics["bestEpoch"]);
        h.Apply(Persisted(h.Decide(new CompleteRun("r1", 1, Samples.Metrics(5)), T0.AddHours(1))));
        var finished = NodeRunCatalog.ToRunInfo(h.View);
        Assert.Equal(("finished", (DateTimeOffset?)T0.AddHours(1)), (finished.State, finished.FinishedAt));
        Assert.Equal(Samples.Metrics(0).Uar, finished.Metrics["uar"]);
        Assert.Equal(Samples.Metrics(5).Uar, finished.Metrics["testUar"]);
        var failed = new RunHistory("r3");
        failed.Apply(Persisted(failed.Decide(new FailRun("r3", "bad settings"), T0)));
        Assert.Equal(("failed", T0, (string?)null), (NodeRunCatalog.ToRunInfo(failed.View).State, NodeRunCatalog.ToRunInfo(failed.View).StartedAt, NodeRunCatalog.ToRunInfo(failed.View).Corpus));
    }

    [Fact]
    public void Persistence_ids_map_back_to_run_ids()
    {
        Assert.Equal("evaluator-emodb-2026.11.25_a", RunIds.PersistenceId("emodb-2026.11.25_a"));
        Assert.Equal("emodb-1", RunIds.FromPersistenceId("evaluator-emodb-1"));
        Assert.Null(RunIds.FromPersistenceId("trainer-emodb-1"));
    }

    [Fact]
    public void Metrics_keep_what_the_report_says()
    {
        var report = EmotionCluster.Metrics.ClassificationMetrics.Compute([0, 0, 1, 2], [0, 1, 1, 1], Samples.Labels);
        var m = EvaluationMetrics.From(report);
        Assert.Equal((report.Accuracy, report.Uar, report.MacroF1), (m.Accuracy, m.Uar, m.MacroF1));
        Assert.Equal(report.PerClass.Select(c => (c.Precision, c.Recall, c.F1)), m.PerClass.Select(c => (c.Precision, c.Recall, c.F1)));
        Assert.Equal(4, m.Count);
        Assert.Equal(report.ToJson(), m.ToReport(Samples.Labels).ToJson());
    }

    [Fact]
    public void A_cross_validation_records_each_fold_once_in_any_order_and_completes_with_its_summary_over_all_of_them()
    {
        var h = Started("cv1");
        h.Apply(Persisted(h.Decide(new RecordFold("cv1", Samples.Fold(2)), T0)));     // fold-parallel: fold 2 may end first
        Assert.IsType<Decision.AlreadyRecorded>(h.Decide(new RecordFold("cv1", Samples.Fold(2)), T0)); // a retried send
        Assert.Contains("other results", Assert.IsType<Decision.Reject>(h.Decide(new RecordFold("cv1", Samples.Fold(2) with { TestClips = 99 }), T0)).Reason);
        var early = Assert.IsType<Decision.Reject>(h.Decide(new CompleteCrossValidation("cv1", Samples.Summary(2)), T0));
        Assert.Contains("missing: 1", early.Reason);
        h.Apply(Persisted(h.Decide(new RecordFold("cv1", Samples.Fold(1)), T0)));
        var wrongShape = Samples.Summary(2) with { PooledConfusion = [[1, 2], [3, 4]] };
        Assert.Contains("not 3 x 3", Assert.IsType<Decision.Reject>(h.Decide(new CompleteCrossValidation("cv1", wrongShape), T0)).Reason);
        h.Apply(Persisted(h.Decide(new CompleteCrossValidation("cv1", Samples.Summary(2)), T0)));

        Assert.Equal(RunStatus.Completed, h.Status);
        Assert.Equal([1, 2], h.View.Folds.Select(f => f.Fold.Fold));
        Assert.Equal(Samples.Summary(2), h.View.CrossValidation!.Summary);
        Assert.Contains("already completed", Assert.IsType<Decision.Reject>(h.Decide(new RecordFold("cv1", Samples.Fold(3)), T0)).Reason);
        Assert.Equal(0.6, RunCatalog.Summarize(h.View).TestUar); // runs list: the mean lone-clip UAR over the folds
    }

    [Fact]
    public void Artifacts_are_recorded_once_after_the_start_also_when_the_run_completed()
    {
        var none = new RunHistory("r0");
        Assert.Contains("not started", Assert.IsType<Decision.Reject>(none.Decide(new RecordArtifacts("r0", Samples.Artifacts()), T0)).Reason);
        var h = Started();
        Record(h, 1, 0);
        h.Apply(Persisted(h.Decide(new CompleteRun("r1", 1, Samples.Metrics(2)), T0)));
        Assert.Contains("absolute", Assert.IsType<Decision.Reject>(h.Decide(new RecordArtifacts("r1", Samples.Artifacts() with { Directory = "out/run" }), T0)).Reason);
        h.Apply(Persisted(h.Decide(new RecordArtifacts("r1", Samples.Artifacts()), T0)));
        Assert.IsType<Decision.AlreadyRecorded>(h.Decide(new RecordArtifacts("r1", Samples.Artifacts()), T0));
        Assert.IsType<Decision.Reject>(h.Decide(new RecordArtifacts("r1", Samples.Artifacts() with { Job = "job-other" }), T0));
        Assert.Equal(Samples.Artifacts(), h.View.Artifacts!.Artifacts);
        Assert.Equal(RunStatus.Completed, h.Status);
    }

    [Fact]
    public void An_epoch_keeps_its_learning_rate_and_duration()
    {
        var h = Started();
        h.Apply(Persisted(h.Decide(new RecordEpoch("r1", 1, 0.5, 0.6, Samples.Metrics(1)) { LearningRate = 0.002, Seconds = 4.25 }, T0)));
        Assert.Equal((0.002, 4.25), (h.Epochs[0].LearningRate, h.Epochs[0].Seconds));
    }
}
