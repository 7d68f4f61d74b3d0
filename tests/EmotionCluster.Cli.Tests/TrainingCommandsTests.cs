using System.Text.Json;
using EmotionCluster.Metrics;
using EmotionCluster.Reporting;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Cli.Tests;

/// <summary>
/// The training commands end to end on a small EMO-DB subset (real audio, real training, few epochs): one run
/// directory through train → predict → evaluate → report, and a leave-one-speaker-out run.
/// </summary>
[Collection("training")]
public class TrainingCommandsTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => InProcessCli.Run(args);

    [EmoDbFact]
    public void Train_then_predict_and_evaluate_reproduce_the_test_metrics_and_the_report_is_complete()
    {
        using var dir = new TempDir();
        string run = dir.File("run");
        var (code, output, error) = Run("train", "--data", Datasets.RequireEmoDb(), "--out", run, "--store", dir.File("features"),
            "--limit", "12", "--epochs", "2", "--seed", "5");
        Assert.True(code == 0, error + output);
        Assert.Contains("sharded extraction on an embedded cluster node", output);
        Assert.Contains("features: 84 clips", output);
        Assert.Contains("10 speakers", output);
        Assert.Matches(@"test: accuracy \d\.\d{3}, UAR \d\.\d{3}", output);
        string model = Path.Combine(run, "model.ecm");
        Assert.True(File.Exists(model));
        foreach (string png in new[] { "learning_curve.png", "confusion_test.png", "confusion_test_normalized.png", "emotion_distribution.png", "spectrogram_example.png" })
            Png.AssertValid(Path.Combine(run, png));

        string report = File.ReadAllText(Path.Combine(run, "report.md"));
        Assert.Empty(ResearchReport.FindUnfilled(report));
        Assert.Contains("| Samples | 84 |", report);

        // the run went through the trainer actor and the evaluator persisted it beside the run directory
        string runId = System.Text.RegularExpressions.Regex.Match(output, @"run (train-[0-9a-f]{16})").Groups[1].Value;
        Assert.NotEqual("", runId);
        string db = $"Data Source={dir.File("emotioncluster.db")}";
        (code, output, error) = Run("runs", "list", "--db", db, "--json");
        Assert.True(code == 0, error + output);
        using (var runs = JsonDocument.Parse(output))
        {
            var listed = Assert.Single(runs.RootElement.EnumerateArray());
            Assert.Equal(runId, listed.GetProperty("runId").GetString());
            Assert.Equal(2, listed.GetProperty("epochs").GetInt32());
            var saved = ClassificationReport.FromJson(File.ReadAllText(Path.Combine(run, "metrics_test.json")));
            Assert.Equal(saved.Uar, listed.GetProperty("testUar").GetDouble(), 12); // the test metrics the run directory has
        }
        (code, output, error) = Run("runs", "show", runId, "--db", db);
        Assert.True(code == 0, error + output);
        Assert.Contains("Test:", output);
        Assert.False(Directory.Exists(Path.Combine(run, "checkpoints"))); // the job's checkpoints are gone with the job

        // predict: label and per-class probabilities summing to 1; a bad file is an error line, the rest goes on
        string wav = Directory.GetFiles(Path.Combine(Datasets.RequireEmoDb(), "wav"), "*.wav").Order().First();
        string junk = dir.File("junk.wav");
        File.WriteAllBytes(junk, [1, 2, 3]);
        (code, output, error) = Run("predict", wav, junk, "--model", model, "--json");
        Assert.Equal(2, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        using (var doc = JsonDocument.Parse(lines[0]))
        {
            var probabilities = doc.RootElement.GetProperty("probabilities").EnumerateObject().ToList();
            Assert.Equal(7, probabilities.Count);
            Assert.Equal(1.0, probabilities.Sum(p => p.Value.GetDouble()), 4);
            Assert.Contains(doc.RootElement.GetProperty("label").GetString(), probabilities.Select(p => p.Name));
        }
        Assert.Contains("junk.wav", lines[1]);
        Assert.Contains("error", lines[1]);

        // evaluate a saved model on the whole corpus
        (code, output, error) = Run("evaluate", "--model", model, "--data", Datasets.RequireEmoDb(), "--split", "all", "--out", dir.File("eval-all"));
        Assert.True(code == 0, error + output);
        var all = ClassificationReport.FromJson(File.ReadAllText(dir.File("eval-all", "metrics.json")));
        Assert.Equal(535, all.Count);
        Png.AssertValid(dir.File("eval-all", "confusion.png"));
    }

    [EmoDbFact]
    public void Evaluate_and_predict_reproduce_the_saved_test_metrics_and_probabilities_exactly()
    {
        using var dir = new TempDir();
        string emodb = Datasets.RequireEmoDb(), run = dir.File("run"), model = Path.Combine(run, "model.ecm"), config = dir.File("no-speaker-norm.json");
        File.WriteAllText(config, """{ "Input": { "SpeakerNorm": "None" } }"""); // each clip alone: predict needs no speaker grouping
        var (code, output, error) = Run("train", "--data", emodb, "--out", run, "--extraction", "local", "--store", dir.File("features"),
            "--limit", "12", "--epochs", "2", "--seed", "9", "--config", config);
        Assert.True(code == 0, error + output);
        var saved = EmotionCluster.Experiments.Predictions.Load(Path.Combine(run, "predictions_test.json"));
        Assert.Equal(14, saved.Count); // per emotion of 12: train round(8.4) = 8, validation round(2.4) = 2, test the other 2
        string savedMetrics = File.ReadAllText(Path.Combine(run, "metrics_test.json"));

        // evaluate --split test: the test clips listed in split.json beside the model
        (code, output, error) = Run("evaluate", "--model", model, "--data", emodb, "--split", "test", "--out", dir.File("eval"));
        Assert.True(code == 0, error + output);
        Assert.Contains("split.json", output);
        Assert.Equal(savedMetrics, File.ReadAllText(dir.File("eval", "metrics.json")));
        Assert.Equal(File.ReadAllText(Path.Combine(run, "predictions_test.json")), File.ReadAllText(dir.File("eval", "predictions.json")));

        // without split.json the same test part is rebuilt from --seed and --limit
        File.Delete(Path.Combine(run, "split.json"));
        (code, output, error) = Run("evaluate", "--model", model, "--data", emodb, "--split", "test", "--seed", "9", "--limit", "12", "--out", dir.File("eval2"));
        Assert.True(code == 0, error + output);
        Assert.Equal(savedMetrics, File.ReadAllText(dir.File("eval2", "metrics.json")));

        // predict, one file at a time, gives the same bits as the evaluation during training
        (code, output, error) = Run(["predict", "--model", model, "--json", .. saved.Select(p => p.Path)]);
        Assert.True(code == 0, error + output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(saved.Count, lines.Length);
        foreach (var (line, expected) in lines.Zip(saved))
        {
            using var doc = JsonDocument.Parse(line);
            Assert.Equal(expected.Path, doc.RootElement.GetProperty("file").GetString());
            Assert.Equal(expected.Predicted, doc.RootElement.GetProperty("label").GetString());
            var probabilities = doc.RootElement.GetProperty("probabilities").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetSingle());
            Assert.Equal(expected.Probabilities, probabilities);
        }
    }

    [EmoDbFact]
    public void A_speaker_normalized_model_is_evaluated_on_its_speakers_statistics_and_predict_reproduces_it_with_same_speaker()
    {
        using var dir = new TempDir();
        string emodb = Datasets.RequireEmoDb(), run = dir.File("run"), model = Path.Combine(run, "model.ecm"), config = dir.File("speaker.json");
        File.WriteAllText(config, """{ "Input": { "SpeakerNorm": "MeanVariance" } }"""); // the default, written out
        var (code, output, error) = Run("train", "--data", emodb, "--out", run, "--extraction", "local", "--store", dir.File("features"),
            "--limit", "12", "--epochs", "2", "--seed", "9", "--config", config);
        Assert.True(code == 0, error + output);
        var saved = EmotionCluster.Experiments.Predictions.Load(Path.Combine(run, "predictions_test.json"));

        // evaluate --split test: speakers' statistics over the clips of split.json, as in training
        (code, output, error) = Run("evaluate", "--model", model, "--data", emodb, "--split", "test", "--out", dir.File("eval"));
        Assert.True(code == 0, error + output);
        Assert.Equal(File.ReadAllText(Path.Combine(run, "predictions_test.json")), File.ReadAllText(dir.File("eval", "predictions.json")));

        // predict --same-speaker on all of one speaker's clips of the split gives that speaker's test predictions bit for bit;
        // each file alone is normalized by its own statistics and comes out differently
        var split = EmotionCluster.Experiments.SplitManifest.Load(Path.Combine(run, "split.json"));
        var test = saved[0];
        string speaker = Path.GetFileName(test.Path)[..2];
        var speakerFiles = split.Train.Concat(split.Validation).Concat(split.Test)
            .Select(id => Path.GetFullPath(Path.Combine(emodb, "wav", id + ".wav"))).Where(f => Path.GetFileName(f).StartsWith(speaker)).ToList();
        Assert.Contains(test.Path, speakerFiles);
        var together = PredictJson(["predict", "--model", model, "--json", "--same-speaker", .. speakerFiles]);
        Assert.Equal(test.Probabilities, together[test.Path]);
        var alone = PredictJson(["predict", "--model", model, "--json", test.Path]);
        Assert.NotEqual(test.Probabilities, alone[test.Path]);

        // the corpus as a CSV manifest: predict --data --same-speaker groups its clips by the manifest's speakers, exactly
        // as evaluate does over the same corpus
        string csv = dir.File("emodb.csv");
        (code, output, error) = Run("dataset", "manifest", "--data", emodb, "--out", csv);
        Assert.True(code == 0, error + output);
        (code, output, error) = Run("evaluate", "--model", model, "--data", csv, "--split", "all", "--out", dir.File("eval-csv"));
        Assert.True(code == 0, error + output);
        var evaluated = EmotionCluster.Experiments.Predictions.Load(dir.File("eval-csv", "predictions.json"));
        var byManifest = PredictJson(["predict", "--model", model, "--json", "--same-speaker", "--data", csv]);
        Assert.Equal(535, byManifest.Count); // every clip of the manifest, whatever its emotion
        Assert.All(evaluated, e => Assert.Equal(e.Probabilities, byManifest[e.Path]));
    }

    private static Dictionary<string, Dictionary<string, float>> PredictJson(string[] args)
    {
        var (code, output, error) = Run(args);
        Assert.True(code == 0, error + output);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            using var doc = JsonDocument.Parse(line);
            return (File: doc.RootElement.GetProperty("file").GetString()!,
                P: doc.RootElement.GetProperty("probabilities").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetSingle()));
        }).ToDictionary(x => x.File, x => x.P);
    }

    [EmoDbFact]
    public void Run_the_main_job_fills_every_section_of_the_report_and_every_image_opens()
    {
        using var dir = new TempDir();
        string run = dir.File("run");
        var (code, output, error) = Run("run", "--data", Datasets.RequireEmoDb(), "--out", run, "--store", dir.File("features"),
            "--limit", "6", "--epochs", "1", "--emotions", "anger,sadness,neutral");
        Assert.True(code == 0, error + output);
        Assert.Contains("LOSO mean accuracy", output);
        Assert.Contains("MFCC comparison", output);
        string reportPath = Path.Combine(run, "report.md");
        string report = File.ReadAllText(reportPath);
        Assert.Empty(ResearchReport.FindUnfilled(report));
        Assert.DoesNotContain(ResearchReport.NotRunPhrase, report); // the main job runs every section
        var images = System.Text.RegularExpressions.Regex.Matches(report, @"!\[[^\]]*\]\(([^)]+)\)").Select(m => m.Groups[1].Value).ToList();
        // emotion and speaker distributions, example spectrogram, learning curve, test confusion (counts, normalized), LOSO pooled confusion
        Assert.Equal(7, images.Count);
        foreach (string link in images) Png.AssertValid(Path.Combine(run, Uri.UnescapeDataString(link)));

        // the journal has the job's three runs (split, cross-validation with every fold, MFCC) and rebuilds the same report
        var runs = Journal(dir.File("emotioncluster.db"));
        var split = Assert.Single(runs, r => r.Artifacts?.Artifacts.Role == EmotionCluster.Evaluator.ReportRole.Split);
        var cv = Assert.Single(runs, r => r.Artifacts?.Artifacts.Role == EmotionCluster.Evaluator.ReportRole.CrossValidation);
        Assert.Single(runs, r => r.Artifacts?.Artifacts.Role == EmotionCluster.Evaluator.ReportRole.Mfcc);
        Assert.Equal(EmotionCluster.Evaluator.RunStatus.Completed, cv.Status);
        Assert.All(cv.Folds, f => Assert.Contains(runs, r => r.RunId == f.Fold.FoldRunId && r.Status == EmotionCluster.Evaluator.RunStatus.Completed));
        var saved = CrossValidationSummary.FromJson(File.ReadAllText(Path.Combine(run, "crossval.json")));
        Assert.Equal(saved.MeanUar, cv.CrossValidation!.Summary.MeanUar);
        Assert.Equal(saved.Folds, cv.Folds.Count); // one per speaker of the subset
        Assert.Equal(Enumerable.Range(1, saved.Folds), cv.Folds.Select(f => f.Fold.Fold));
        AssertRebuiltReportIsTheSame(dir, run, cv.RunId, ["training", "evaluation", "crossvalidation", "mfcc"]);
        AssertRebuiltReportIsTheSame(dir, run, split.RunId, ["training", "evaluation", "crossvalidation", "mfcc"]);
    }

    [EmoDbFact]
    public void After_the_main_job_runs_list_shows_its_run_runs_show_its_epochs_and_report_run_id_rebuilds_the_same_report()
    {
        using var dir = new TempDir();
        string run = dir.File("run");
        var (code, output, error) = Run("run", "--data", Datasets.RequireEmoDb(), "--out", run, "--store", dir.File("features"),
            "--limit", "6", "--epochs", "3", "--emotions", "anger,sadness,neutral", "--no-crossval", "--no-mfcc");
        Assert.True(code == 0, error + output);
        string db = $"Data Source={dir.File("emotioncluster.db")}";
        var trained = Assert.Single(Journal(dir.File("emotioncluster.db")));
        Assert.Equal(3, trained.Epochs.Count);
        Assert.All(trained.Epochs, e => Assert.True(e.LearningRate > 0 && e.Seconds > 0));
        var metrics = ClassificationReport.FromJson(File.ReadAllText(Path.Combine(run, "metrics_test.json")));
        Assert.Equal(metrics.Uar, trained.Completed!.Test!.Uar, 12); // the journal's test metrics are the command's
        // the run's start says what it is: the hash of the recipe written into the model file, the corpus, split, seed and trainers
        var (model, written) = EmotionCluster.Model.ModelArtifact.Load(Path.Combine(run, "model.ecm"));
        model.Dispose();
        var description = trained.Started!.Description;
        Assert.NotNull(description);
        Assert.Equal(new EmotionCluster.Evaluator.RunDescription(written.Recipe!.Hash(), "emodb", Path.GetFullPath(Datasets.RequireEmoDb()),
            "stratified-42", 42, 1, 1), description);

        (code, output, error) = Run("runs", "show", trained.RunId, "--db", db);
        Assert.True(code == 0, error + output);
        Assert.Contains(written.Recipe.Hash(), output);
        Assert.Contains("stratified-42", output);
        Assert.Contains("1 replica(s) of 1 trainer node(s)", output);

        (code, output, error) = Run("runs", "list", "--db", db, "--json");
        Assert.True(code == 0, error + output);
        using (var list = JsonDocument.Parse(output))
        {
            var row = Assert.Single(list.RootElement.EnumerateArray());
            Assert.Equal(trained.RunId, row.GetProperty("runId").GetString());
            Assert.Equal(metrics.Uar, row.GetProperty("testUar").GetDouble(), 12);
        }
        (code, output, error) = Run("runs", "show", trained.RunId, "--db", db, "--json");
        Assert.True(code == 0, error + output);
        using (var shown = JsonDocument.Parse(output))
        {
            Assert.Equal(3, shown.RootElement.GetProperty("epochs").GetArrayLength());
            Assert.Equal("stratified-42", shown.RootElement.GetProperty("description").GetProperty("split").GetString());
        }

        AssertRebuiltReportIsTheSame(dir, run, trained.RunId, ["training", "evaluation"]);

        (code, _, error) = Run("report", "--run-id", "train-0000000000000000", "--db", db);
        Assert.Equal(2, code);
        Assert.Contains($"no run 'train-0000000000000000' in the journal; runs: {trained.RunId}", error);
    }

    private static IReadOnlyList<EmotionCluster.Evaluator.RunView> Journal(string sqliteFile)
    {
        var settings = new EmotionCluster.Evaluator.PersistenceSettings { ConnectionString = $"Data Source={sqliteFile}" };
        var reader = EmotionCluster.Evaluator.JournalReader.OpenAsync(settings).GetAwaiter().GetResult();
        try { return reader.Catalog.ListRunsAsync().GetAwaiter().GetResult(); }
        finally { reader.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
    }

    /// <summary>
    /// Deletes the result sections the command wrote and their charts, rebuilds the report from the journal with
    /// <c>report --run-id</c>, and checks that it is the command's report, byte for byte, with every chart drawn again.
    /// </summary>
    private static void AssertRebuiltReportIsTheSame(TempDir dir, string run, string runId, string[] resultParts)
    {
        string original = File.ReadAllText(Path.Combine(run, "report.md"));
        foreach (string part in resultParts) File.Delete(Path.Combine(run, "parts", part + ".json"));
        string[] charts = ["learning_curve", "confusion_test", "confusion_test_normalized", "confusion_loso", "confusion_loso_normalized"];
        foreach (string chart in charts) File.Delete(Path.Combine(run, chart + ".png"));
        var (code, output, error) = Run("report", "--run-id", runId, "--db", $"Data Source={dir.File("emotioncluster.db")}", "--output", Path.Combine(run, "report.md"));
        Assert.True(code == 0, error + output);
        Assert.Equal(original, File.ReadAllText(Path.Combine(run, "report.md")));
        var images = System.Text.RegularExpressions.Regex.Matches(original, @"!\[[^\]]*\]\(([^)]+)\)").Select(m => m.Groups[1].Value).ToList();
        foreach (string link in images) Png.AssertValid(Path.Combine(run, Uri.UnescapeDataString(link)));
    }

    [EmoDbFact]
    public void Crossval_runs_one_fold_per_speaker_and_pools_every_test_clip()
    {
        using var dir = new TempDir();
        string run = dir.File("run");
        var (code, output, error) = Run("crossval", "--data", Datasets.RequireEmoDb(), "--out", run, "--store", dir.File("features"),
            "--limit", "6", "--epochs", "1", "--emotions", "anger,sadness,neutral");
        Assert.True(code == 0, error + output);
        var summary = CrossValidationSummary.FromJson(File.ReadAllText(Path.Combine(run, "crossval.json")));
        Assert.Equal(["anger", "sadness", "neutral"], summary.Labels);
        Assert.Equal(18, summary.Pooled.Count);
        Assert.Equal(summary.Folds, output.Split('\n').Count(l => l.StartsWith("fold speaker ", StringComparison.Ordinal)));
        Assert.Contains("LOSO mean accuracy", output);
        Png.AssertValid(Path.Combine(run, "confusion_loso.png"));
        Assert.Empty(ResearchReport.FindUnfilled(File.ReadAllText(Path.Combine(run, "report.md"))));
    }

    [EmoDbFact]
    public void Crossval_streams_the_held_out_clips_keeps_the_fold_models_and_with_robustness_tables_every_recording_condition()
    {
        using var dir = new TempDir();
        string run = dir.File("run");
        var (code, output, error) = Run("crossval", "--data", Datasets.RequireEmoDb(), "--speakers", "03", "--out", run, "--store", dir.File("features"),
            "--limit", "12", "--epochs", "1", "--emotions", "anger,sadness,neutral", "--robustness");
        Assert.True(code == 0, error + output);

        // the fold's model is kept with its split, and loads as a predictor
        string fold = Path.Combine(run, "folds", "loso-03");
        using (var predictor = EmotionCluster.Model.Predictor.Load(Path.Combine(fold, "model.ecm")))
            Assert.Equal(["anger", "sadness", "neutral"], predictor.Labels);
        var split = EmotionCluster.Experiments.SplitManifest.Load(Path.Combine(fold, "split.json"));
        Assert.All(split.Test, id => Assert.StartsWith("03", id));
        Assert.DoesNotContain(split.Train, id => id.StartsWith("03", StringComparison.Ordinal));

        // the streamed protocol beside the others
        using var protocols = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "crossval_protocols.json")));
        var names = protocols.RootElement.EnumerateArray().Select(p => p.GetProperty("Protocol").GetString()).ToList();
        Assert.Equal(["lone clip", "streamed", "streamed, last smoothed hop"], names.Take(3));
        Assert.All(protocols.RootElement.EnumerateArray(), p => Assert.InRange(p.GetProperty("MeanUar").GetDouble(), 0, 1));

        // every condition, clean first; clean through predict's path (WAV bytes) is the lone-clip figure from the feature store
        using var robustness = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "crossval_robustness.json")));
        var rows = robustness.RootElement.EnumerateArray().ToList();
        Assert.Equal(EmotionCluster.Audio.PerturbationCondition.Standard.Select(c => c.Id), rows.Select(r => r.GetProperty("Condition").GetString()));
        Assert.All(rows, r => Assert.Equal(1, r.GetProperty("Folds").GetInt32()));
        double clean = rows[0].GetProperty("MeanUar").GetDouble();
        Assert.Equal(0, rows[0].GetProperty("DropFromClean").GetDouble());
        var summary = CrossValidationSummary.FromJson(File.ReadAllText(Path.Combine(run, "crossval.json")));
        Assert.Equal(summary.MeanUar, clean, 9);
        Assert.All(rows, r => Assert.Equal(clean - r.GetProperty("MeanUar").GetDouble(), r.GetProperty("DropFromClean").GetDouble(), 9));

        string report = File.ReadAllText(Path.Combine(run, "report.md"));
        Assert.Empty(ResearchReport.FindUnfilled(report));
        Assert.Contains("| Condition | What was done |", report);
        foreach (var c in EmotionCluster.Audio.PerturbationCondition.Standard) Assert.Contains($"| {c.Id} | {c.Describe()} |", report);
        Assert.Contains("| streamed |", report);

        // the kept fold models scored again without training: the same figures
        (code, output, error) = Run("robustness", "--run", run, "--data", Datasets.RequireEmoDb(), "--conditions", "white-20db,telephone");
        Assert.True(code == 0, error + output);
        using (var again = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "crossval_robustness.json"))))
        {
            var rescored = again.RootElement.EnumerateArray().ToList();
            Assert.Equal(["clean", "white-20db", "telephone"], rescored.Select(r => r.GetProperty("Condition").GetString()));
            foreach (var r in rescored)
                Assert.Equal(rows.Single(o => o.GetProperty("Condition").GetString() == r.GetProperty("Condition").GetString()).GetProperty("MeanUar").GetDouble(),
                    r.GetProperty("MeanUar").GetDouble(), 9);
        }
        Assert.Contains("| telephone |", File.ReadAllText(Path.Combine(run, "report.md")));
        (code, _, error) = Run("robustness", "--run", dir.File("nothing"), "--data", Datasets.RequireEmoDb());
        Assert.NotEqual(0, code);
        Assert.Contains("crossval", error);

        // the streamed protocol scored again on the kept models, as for a run made before crossval streamed: the same
        // figures, put back after the lone clip, and the report's protocol table rewritten
        var before = EmotionCluster.Experiments.ProtocolMean.FromJson(File.ReadAllText(Path.Combine(run, "crossval_protocols.json")));
        File.WriteAllText(Path.Combine(run, "crossval_protocols.json"),
            EmotionCluster.Experiments.ProtocolMean.ToJson(before.Where(m => !m.Protocol.StartsWith("streamed", StringComparison.Ordinal)).ToList()));
        (code, output, error) = Run("streamed", "--run", run, "--data", Datasets.RequireEmoDb());
        Assert.True(code == 0, error + output);
        var after = EmotionCluster.Experiments.ProtocolMean.FromJson(File.ReadAllText(Path.Combine(run, "crossval_protocols.json")));
        Assert.Equal(before.Select(m => m.Protocol), after.Select(m => m.Protocol));
        foreach (var (b, a) in before.Zip(after)) Assert.Equal(b.MeanUar, a.MeanUar, 9);
        using (var streamed = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "crossval_streamed.json"))))
        {
            var fold03 = Assert.Single(streamed.RootElement.GetProperty("folds").EnumerateArray());
            Assert.Equal("03", fold03.GetProperty("Speakers").GetString());
            Assert.Equal(split.Test.Count, fold03.GetProperty("Clips").GetInt32());
            Assert.Equal(before.Single(m => m.Protocol == "streamed").MeanUar, fold03.GetProperty("Uar").GetDouble(), 9);
        }
        Assert.Contains("| streamed |", File.ReadAllText(Path.Combine(run, "report.md")));
        (code, _, error) = Run("streamed", "--run", dir.File("nothing"), "--data", Datasets.RequireEmoDb());
        Assert.NotEqual(0, code);
        Assert.Contains("crossval", error);

        // a condition that does not exist is refused before any training
        (code, _, error) = Run("crossval", "--data", Datasets.RequireEmoDb(), "--speakers", "03", "--out", dir.File("bad"), "--store", dir.File("features"),
            "--limit", "12", "--epochs", "1", "--robustness", "white-20db,underwater");
        Assert.NotEqual(0, code);
        Assert.Contains("underwater", error);
    }

    [EmoDbFact]
    public void Manifest_lists_the_split_by_feature_keys_that_the_trainer_finds_in_the_store()
    {
        using var dir = new TempDir();
        string corpus = dir.File("corpus");
        Directory.CreateDirectory(Path.Combine(corpus, "wav"));
        foreach (var group in Directory.GetFiles(Path.Combine(Datasets.RequireEmoDb(), "wav"), "*.wav").Order(StringComparer.Ordinal)
                     .GroupBy(f => Path.GetFileName(f)[5]))
            foreach (string f in group.Take(10)) File.Copy(f, Path.Combine(corpus, "wav", Path.GetFileName(f)));
        string store = dir.File("features"), manifestPath = dir.File("m", "train.json");
        var (code, output, error) = Run("manifest", "--data", corpus, "--out", dir.File("run"), "--store", store, "--manifest", manifestPath,
            "--emotions", "anger,sadness,neutral");
        Assert.True(code == 0, error + output);
        Assert.Contains("EmotionCluster__Training__Manifest=", output);

        var manifest = EmotionCluster.TrainingActors.TrainingManifest.Load(manifestPath);
        Assert.Equal(["anger", "sadness", "neutral"], manifest.Labels);
        Assert.Equal(30, manifest.Train.Length + manifest.Validation.Length + manifest.Test!.Length); // 70/20/10 of 3 x 10 clips
        Assert.Equal(21, manifest.Train.Length);
        Assert.Empty(manifest.Train.Select(e => e.ClipId).Intersect(manifest.Test.Select(e => e.ClipId)));
        Assert.All(manifest.Train, e => Assert.Equal(manifest.Labels[e.Label], e.ClipId[5] switch { 'W' => "anger", 'T' => "sadness", _ => "neutral" }));
        Assert.All(manifest.Train.Concat(manifest.Test), e => Assert.Equal(e.ClipId[..2], e.Speaker)); // EMO-DB's speaker, for speaker normalization
        // the one recipe: what the CLI trains is what the trainer nodes train
        Assert.Equal(new EmotionCluster.Experiments.ExperimentSettings().RecipeJson(), manifest.GetRecipe().RecipeJson());
        // the trainer reads every example from the store the extraction filled and shapes it by the recipe
        var data = EmotionCluster.TrainingActors.TrainingData.Load(manifest, new EmotionCluster.Extraction.DirectoryFeatureStore(store));
        Assert.Equal(21, data.TrainX.Length);
        Assert.Equal(6, data.ValidationX.Length);
        Assert.Equal(3, data.TestCrops.Length);
        Assert.All(data.TrainX, x => Assert.Equal((64, 300), (x.Bins, x.Frames)));
        Assert.NotNull(data.Augment);
    }

    [EmoDbFact]
    public void Two_corpora_train_as_one_and_the_model_is_scored_on_another_corpus_by_the_labels_both_have()
    {
        using var dir = new TempDir();
        string emodb = Datasets.RequireEmoDb();
        // a RAVDESS-named corpus of EMO-DB audio (4 actors, RAVDESS's own names, calm and surprised among them)
        string ravdess = dir.File("ravdess");
        var wavs = Directory.GetFiles(Path.Combine(emodb, "wav"), "*.wav").Order().ToArray();
        var names = PublicCorpusNames.Ravdess().Where(n => string.CompareOrdinal(n, "Actor_05") < 0).ToList();
        for (int i = 0; i < names.Count; i++)
        {
            string target = Path.Combine(ravdess, names[i]);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.CreateSymbolicLink(target, wavs[i % wavs.Length]);
        }
        string run = dir.File("run");
        var (code, output, error) = Run("train", "--data", emodb, "--data", ravdess, "--out", run, "--store", dir.File("features"),
            "--limit", "12", "--epochs", "1", "--emotions", "anger,sadness,neutral");
        Assert.True(code == 0, error + output);
        Assert.Contains("corpus emodb+ravdess: 36 clips, 3 emotions", output);
        var split = EmotionCluster.Experiments.SplitManifest.Load(Path.Combine(run, "split.json"));
        var ids = split.Train.Concat(split.Validation).Concat(split.Test).ToList();
        Assert.Contains(ids, id => id.StartsWith("emodb/", StringComparison.Ordinal));
        Assert.Contains(ids, id => id.StartsWith("ravdess/", StringComparison.Ordinal)); // both corpora, ids kept apart

        // cross-corpus: scored on the model's labels the corpus has; RAVDESS's other emotions are named as left out
        (code, output, error) = Run("evaluate", "--model", Path.Combine(run, "model.ecm"), "--data", ravdess, "--out", dir.File("eval"));
        Assert.True(code == 0, error + output);
        Assert.Contains("labels scored: anger, sadness, neutral", output);
        Assert.Contains("left out", output);
        Assert.Contains("calm", output);
        var report = ClassificationReport.FromJson(File.ReadAllText(dir.File("eval", "metrics.json")));
        Assert.Equal(4 * (8 + 8 + 4), report.Count); // 4 actors: 8 anger, 8 sadness and 4 neutral clips each
    }

    [EmoDbFact]
    public void Crossval_runs_on_a_csv_manifest_by_speaker_and_in_speaker_grouped_folds()
    {
        using var dir = new TempDir();
        string csv = dir.File("emodb.csv");
        var (code, output, error) = Run("dataset", "manifest", "--data", Datasets.RequireEmoDb(), "--out", csv);
        Assert.True(code == 0, error + output);

        (code, output, error) = Run("crossval", "--data", csv, "--speakers", "03", "--out", dir.File("loso"), "--store", dir.File("features"),
            "--limit", "8", "--epochs", "1", "--emotions", "anger,sadness,neutral");
        Assert.True(code == 0, error + output);
        Assert.Single(output.Split('\n'), l => l.StartsWith("fold speaker 03:", StringComparison.Ordinal));

        (code, output, error) = Run("crossval", "--data", csv, "--folds", "2", "--out", dir.File("grouped"), "--store", dir.File("features"),
            "--limit", "8", "--epochs", "1", "--emotions", "anger,sadness,neutral");
        Assert.True(code == 0, error + output);
        Assert.Contains("2 speaker-grouped folds", output);
        var summary = CrossValidationSummary.FromJson(File.ReadAllText(dir.File("grouped", "crossval.json")));
        Assert.Equal(2, summary.Folds);
        Assert.Equal(24, summary.Pooled.Count); // every clip is tested once

        // a corpus without speakers gets the error and the fix, never a silent random split
        File.WriteAllLines(dir.File("nospeaker.csv"), File.ReadAllLines(csv).Select(l => string.Join(',', l.Split(',').Take(2))));
        (code, output, error) = Run("crossval", "--data", dir.File("nospeaker.csv"), "--out", dir.File("none"), "--store", dir.File("features"),
            "--limit", "8", "--epochs", "1", "--emotions", "anger,sadness,neutral");
        Assert.Equal(2, code);
        Assert.Contains("no speakers", error);
        Assert.Contains("--speaker-pattern", error);
    }

    public static TheoryData<string> PublicCorpora => ["ravdess", "crema-d", "tess", "savee", "emovo"];

    [EmoDbTheory]
    [MemberData(nameof(PublicCorpora))]
    public void A_public_corpus_by_its_own_names_is_counted_and_a_leave_one_speaker_out_fold_runs(string name)
    {
        using var dir = new TempDir();
        // the corpus' real file names (a few speakers of it) over EMO-DB audio
        var names = name switch
        {
            "ravdess" => PublicCorpusNames.Ravdess().Where(n => string.CompareOrdinal(n, "Actor_04") < 0),
            "crema-d" => PublicCorpusNames.CremaD().Where(n => string.CompareOrdinal(n, "AudioWAV/1004") < 0),
            "tess" => PublicCorpusNames.Tess(),
            "savee" => PublicCorpusNames.Savee(flat: false),
            _ => PublicCorpusNames.Emovo().Where(n => n[0] == 'f'),
        };
        string tree = dir.File(name);
        var wavs = Directory.GetFiles(Path.Combine(Datasets.RequireEmoDb(), "wav"), "*.wav").Order().ToArray();
        int i = 0;
        foreach (string relative in names)
        {
            string target = Path.Combine(tree, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.CreateSymbolicLink(target, wavs[i++ % wavs.Length]);
        }
        var corpus = EmotionCluster.Corpora.CorpusLoader.Load(tree);
        Assert.Empty(corpus.Issues);
        int speakers = corpus.Clips.Select(c => c.Speaker).Distinct().Count();

        var (code, output, error) = Run("dataset", "stats", "--data", tree, "--out", dir.File("stats"));
        Assert.True(code == 0, error + output);
        Assert.Contains($"{i} ", output); // every file counted

        string held = corpus.Clips.Select(c => c.Speaker).Order(StringComparer.Ordinal).First();
        (code, output, error) = Run("crossval", "--data", tree, "--speakers", held, "--out", dir.File("run"), "--store", dir.File("features"),
            "--limit", "6", "--epochs", "1", "--emotions", "anger,sadness,neutral");
        Assert.True(code == 0, error + output);
        Assert.Contains($"{speakers} speakers", output);
        Assert.Single(output.Split('\n'), l => l.StartsWith($"fold speaker {held}:", StringComparison.Ordinal));
    }

    [EmoDbFact]
    public void Predict_warns_about_a_recording_too_quiet_to_trust()
    {
        using var dir = new TempDir();
        string run = dir.File("run");
        var (code, output, error) = Run("train", "--data", Datasets.RequireEmoDb(), "--out", run, "--store", dir.File("features"),
            "--limit", "10", "--epochs", "1", "--emotions", "anger,sadness");
        Assert.True(code == 0, error + output);
        string wav = Directory.GetFiles(Path.Combine(Datasets.RequireEmoDb(), "wav"), "*.wav").Order().First();
        var (clip, _) = EmotionCluster.Audio.WavReader.Read(wav);
        string quiet = dir.File("quiet.wav");
        File.WriteAllBytes(quiet, EmotionCluster.Audio.WavWriter.ToBytes(clip.Samples.Select(x => x * 0.001f).ToArray(), clip.SampleRate));
        (code, output, error) = Run("predict", wav, quiet, "--model", Path.Combine(run, "model.ecm"));
        Assert.Equal(0, code);
        Assert.Equal(2, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length); // both files are still classified
        Assert.Contains($"warning: {quiet}: too quiet", error);
        Assert.DoesNotContain($"warning: {wav}", error);
    }

    [Fact]
    public void Bad_inputs_are_one_line_errors()
    {
        using var dir = new TempDir();
        var (code, _, error) = Run("predict", "x.wav", "--model", dir.File("missing.ecm"));
        Assert.Equal(2, code);
        Assert.StartsWith("error: ", error);
        Assert.Contains("missing.ecm", error);

        (code, _, error) = Run("train", "--data", dir.Path, "--out", dir.File("run"), "--epochs", "1");
        Assert.Equal(2, code);
        Assert.StartsWith("error: ", error);

        File.WriteAllText(dir.File("bad.json"), """{ "Training": { "Epocs": 3 } }""");
        (code, _, error) = Run("train", "--data", dir.Path, "--out", dir.File("run"), "--config", dir.File("bad.json"));
        Assert.Equal(2, code);
        Assert.Contains("bad.json", error);
        Assert.Contains("Epocs", error);

        (code, _, error) = Run("report", "--run", dir.File("nothing"));
        Assert.Equal(2, code);
        Assert.Contains("no such run directory", error);
    }
}
