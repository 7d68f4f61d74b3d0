using EmotionCluster.Corpora;
using EmotionCluster.Extraction;
using EmotionCluster.Metrics;
using EmotionCluster.Model;
using EmotionCluster.Reporting;

namespace EmotionCluster.Experiments;

/// <summary>Where a long run reports progress (the CLI draws bars; tests collect lines).</summary>
public interface IRunObserver
{
    void Extraction(BatchProgress progress);
    void Epoch(TrainingProgress progress);
    void Line(string text);
}

/// <summary>Where a command's clips come from: one corpus or several (<c>--data</c> repeated), read with these options.</summary>
public sealed record CorpusSource(IReadOnlyList<string> Paths, CorpusOptions Options)
{
    /// <summary>One corpus as it is, or the union of several with speakers and clip ids namespaced per corpus.</summary>
    public Corpus Load() => Paths.Count == 1 ? CorpusLoader.Load(Paths[0], Options) : CorpusLoader.LoadMany(Paths, Options);

    public override string ToString() => string.Join(", ", Paths);
}

/// <summary>A corpus loaded, filtered to the configured emotions, with its features.</summary>
public sealed record PreparedCorpus(Corpus Corpus, DatasetStats Stats, string[] Labels, FeatureSet Features);

/// <summary>
/// The commands' work on a run directory: prepare (corpus → features via the given provider, dataset sections and
/// charts), train on the 70/20/10 split (model artifact, metrics, charts), leave-one-speaker-out, and the report.
/// </summary>
/// <param name="journal">Where the runs' results are recorded beyond the trainer's own records (folds, cross-validation
/// summaries, where each run's results went), so <c>report --run-id</c> can rebuild the report; null records nothing.</param>
/// <param name="job">This command's job id (shared by the runs of one command); null makes a new one.</param>
/// <param name="foldTrainer">Trainer nodes of the cluster: with any Up, cross-validation spreads its folds over them.</param>
public sealed class Workflow(ExperimentSettings settings, IFeatureProvider provider, RunDirectory run, IRunObserver observer, EmotionCluster.TrainingActors.IModelTrainer? trainer = null,
    EmotionCluster.TrainingActors.IRunJournal? journal = null, string? job = null, EmotionCluster.TrainingActors.IFoldTrainer? foldTrainer = null, int trainers = 1)
{

    public const string DistributionChart = "emotion_distribution.png";
    public const string SpeakerChart = "speaker_distribution.png";
    public const string SpectrogramChart = "spectrogram_example.png";
    public const string LearningCurveChart = "learning_curve.png";
    public const string ConfusionChart = "confusion_test.png";
    public const string NormalizedConfusionChart = "confusion_test_normalized.png";
    public const string CvConfusionChart = "confusion_loso.png";
    public const string CvNormalizedConfusionChart = "confusion_loso_normalized.png";

    public ExperimentRunner Runner { get; } = new(settings, trainer, foldTrainer, Path.Combine(run.Root, "checkpoints", "folds")) { Trainers = trainers };

    /// <summary>The command's job: every run it records carries it (<see cref="EmotionCluster.Evaluator.ArtifactsRecord.Job"/>).</summary>
    public string Job { get; } = job ?? NewJobId();

    /// <summary>"job-", the UTC start (yyyyMMddHHmmss) and 8 random hex digits.</summary>
    public static string NewJobId() =>
        $"job-{DateTime.UtcNow:yyyyMMddHHmmss}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4))}";

    /// <summary>Records where a run's results went (no journal: nothing).</summary>
    public void RecordArtifacts(string runId, EmotionCluster.Evaluator.ReportRole role, string directory, string description,
        EmotionCluster.Evaluator.SplitCount[] split, TimeSpan duration, CancellationToken ct = default) =>
        journal?.Record(new EmotionCluster.Evaluator.RecordArtifacts(runId,
            new EmotionCluster.Evaluator.ArtifactsRecord(Job, role, Path.GetFullPath(directory), description, split, duration)), ct);
    public RunDirectory Run => run;
    public IFeatureProvider Provider => provider;

    /// <summary>Another experiment on the same node (feature provider and trainer), writing to <paramref name="directory"/>.</summary>
    public Workflow With(ExperimentSettings other, RunDirectory directory) => new(other, provider, directory, observer, trainer, journal, Job, foldTrainer, trainers);

    /// <param name="perEmotionLimit">Keep at most this many clips per emotion (quick runs); null keeps all.</param>
    public async Task<PreparedCorpus> PrepareAsync(CorpusSource source, string commandLine, int? perEmotionLimit = null, CancellationToken ct = default)
    {
        var started = DateTimeOffset.Now;
        if (source.Paths.Count == 0) throw new ArgumentException("no corpus given; pass --data DIR (or a manifest file), repeatable");
        Corpus corpus = source.Load();
        foreach (var issue in corpus.Issues.Take(20)) observer.Line($"corpus: {issue}");
        var clips = Runner.SelectClips(corpus.Clips);
        if (perEmotionLimit is { } limit)
        {
            if (limit < 1) throw new ArgumentException($"the per-emotion limit {limit} must be at least 1");
            clips = LimitPerEmotion(clips, limit);
        }
        var selected = corpus with { Clips = clips };
        DatasetStats stats = DatasetStats.Compute(selected);
        observer.Line($"corpus {corpus.Name}: {clips.Count} clips, {stats.Emotions.Count} emotions, {stats.Speakers.Count} speakers");

        run.WriteText(RunDirectory.SettingsFile, settings.ToJson());
        Charts.EmotionDistribution(stats, run.File(DistributionChart));
        Charts.SpeakerDistribution(stats, run.File(SpeakerChart));

        var features = await FeatureSet.ExtractAsync(clips, settings.Features, provider, new SyncProgress<BatchProgress>(observer.Extraction), ct);
        observer.Line($"features: {features.Clips.Count} clips ({features.Cached} from the feature store), {features.Failures.Count} failed");
        foreach (var f in features.Failures) observer.Line($"  failed: {f.Clip.Path}: {f.Error}");
        if (features.Clips.Count == 0) throw new InvalidDataException($"{source}: no clip produced features; see the errors above");
        features = await TrainingVariants.AddAsync(features, settings, provider, new SyncProgress<BatchProgress>(observer.Extraction), observer.Line, ct);
        run.Save("failures", features.Failures.Select(f => new { f.Clip.Id, f.Clip.Path, f.Error }).ToList());

        string[] labels = ExperimentRunner.LabelsOf(features.Clips);
        ClipInfo example = features.Clips[0];
        ReportParts.DrawExample(example, settings.Features, run.File(SpectrogramChart));

        run.Save("dataset", new DatasetSection(stats, run.File(DistributionChart), run.File(SpeakerChart)));
        run.Save("preprocessing", ReportParts.Preprocessing(settings.Features.Audio));
        run.Save("features", ReportParts.Features(settings, run.File(SpectrogramChart), example));
        run.Save("model", ReportParts.Model(settings, labels.Length, labels));
        if (HumanBaseline.FromStats(stats) is { } human) run.Save("human", human);
        run.Save("run", ReportParts.Run(commandLine, settings.Training.Seed, started, DateTimeOffset.Now));
        return new PreparedCorpus(selected, stats, labels, features);
    }

    /// <summary>
    /// At most <paramref name="limit"/> clips per emotion, taken round-robin over the speakers (each speaker's clips in
    /// id order), so a small subset still has every speaker for speaker-independent splits.
    /// </summary>
    public static IReadOnlyList<ClipInfo> LimitPerEmotion(IReadOnlyList<ClipInfo> clips, int limit)
    {
        var keep = clips.GroupBy(c => c.Emotion).SelectMany(g => g
                .GroupBy(c => c.Speaker)
                .SelectMany(s => s.OrderBy(c => c.Id, StringComparer.Ordinal).Select((c, i) => (c, i)))
                .OrderBy(p => p.i).ThenBy(p => p.c.Speaker, StringComparer.Ordinal)
                .Take(limit).Select(p => p.c))
            .ToHashSet();
        return clips.Where(keep.Contains).ToList();
    }

    /// <summary>Stratified 70/20/10: trains, keeps the best epoch, scores the test part; saves the model artifact.</summary>
    public TrainedSplit TrainSplit(PreparedCorpus prepared, bool saveModel = true, CancellationToken ct = default)
    {
        Runner.Corpus = Identity(prepared.Corpus);
        var split = Splits.Stratified(prepared.Features.Clips, settings.Training.Seed);
        observer.Line($"split 70/20/10: train {split.Train.Count}, validation {split.Validation.Count}, test {split.Test.Count}");
        var trained = Runner.TrainSplit(prepared.Features, split, prepared.Labels,
            new SyncProgress<EpochReport>(e => observer.Epoch(new TrainingProgress(0, 0, e, settings.Training.Epochs))), ct);
        if (!saveModel) return trained;

        trained.SaveModel(run.File(RunDirectory.ModelFile), settings);
        Charts.LearningCurve(ReportParts.Curve(trained.Training.History), run.File(LearningCurveChart), "Learning curve (70/20/10 split)");
        ReportParts.DrawConfusion(trained.Test.Confusion, trained.Labels, run.File(ConfusionChart), run.File(NormalizedConfusionChart), "Test set confusion matrix");
        run.WriteText("metrics_test.json", trained.Test.ToJson());
        run.WriteText(SplitManifest.FileName, SplitManifest.Of(split).ToJson());
        run.WriteText(Predictions.TestFile, Predictions.ToJson(Predictions.Of(split.Test, trained.Labels, trained.TestOutput)));
        run.Save("history", trained.Training.History);
        string splitMethod = SplitMethod(settings);
        run.Save("training", ReportParts.Training(settings, trained, splitMethod, run.File(LearningCurveChart)));
        run.Save("evaluation", ReportParts.Evaluation(trained.Test, TestSetName(split.Test.Count), run.File(ConfusionChart), run.File(NormalizedConfusionChart)));
        RecordArtifacts(trained.RunId, EmotionCluster.Evaluator.ReportRole.Split, run.Root, splitMethod, ReportParts.Counts(split, trained.Labels), trained.Duration, ct);
        observer.Line($"test: accuracy {trained.Test.Accuracy:0.000}, UAR {trained.Test.Uar:0.000} (best epoch {trained.Training.BestEpoch} of {trained.Training.History.Count}); model {run.File(RunDirectory.ModelFile)}; run {trained.RunId}");
        if (trained.Protocols is { } p)
        {
            observer.Line($"test clips as users meet the model: {p.Describe()}");
            run.WriteText("protocols_test.json", System.Text.Json.JsonSerializer.Serialize(new
            {
                loneClip = System.Text.Json.JsonDocument.Parse(p.LoneClip.ToJson()).RootElement,
                enrolledUar = p.Enrolled.ToDictionary(e => $"k{e.Key}", e => e.Value),
                speakerAllUar = p.SpeakerAll.Uar,
            }, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        }
        return trained;
    }

    /// <summary>A corpus' name and absolute path (paths joined by the path separator for several), as the journal records runs on it.</summary>
    public static (string Name, string Path) Identity(Corpus corpus) =>
        (corpus.Name, string.Join(System.IO.Path.PathSeparator, corpus.Root.Split(System.IO.Path.PathSeparator).Select(p => p.Length == 0 ? p : System.IO.Path.GetFullPath(p))));

    /// <summary>How the main split is made, as the report and the journal say it.</summary>
    public static string SplitMethod(ExperimentSettings s) => $"stratified by emotion, 70/20/10, seed {s.Training.Seed}";

    /// <summary>The evaluation section's set name for a test part of <paramref name="clips"/> clips.</summary>
    public static string TestSetName(int clips) => $"held-out test set (10%, {clips} clips)";

    /// <summary>Leave-one-speaker-out (early-stopping set per <see cref="ExperimentSettings.LosoValidation"/>); saves per-fold lines, the summary and the pooled confusion matrix.</summary>
    /// <param name="onlySpeakers">Run only the folds that hold out these speakers (null: every fold).</param>
    /// <param name="groupedFolds">K speaker-grouped folds (<see cref="Splits.SpeakerGroupedFolds"/>) instead of one per speaker.</param>
    /// <param name="robustness">Recording conditions to score each fold's held-out clips under (lone clip); null: none.</param>
    /// <remarks>Each fold's model is kept as <c>folds/FOLD/model.ecm</c> of the run, beside the fold's <c>split.json</c>.</remarks>
    public CrossValidationResult CrossValidate(PreparedCorpus prepared, bool save = true, CancellationToken ct = default, IReadOnlyCollection<string>? onlySpeakers = null,
        int? groupedFolds = null, IReadOnlyList<EmotionCluster.Audio.PerturbationCondition>? robustness = null)
    {
        (prepared.Corpus with { Clips = prepared.Features.Clips }).RequireSpeakers("speaker-independent cross-validation");
        Runner.Corpus = Identity(prepared.Corpus);
        var folds = groupedFolds is { } k
            ? Splits.SpeakerGroupedFolds(prepared.Features.Clips, k, settings.Training.Seed, settings.LosoValidation)
            : Splits.LeaveOneSpeakerOut(prepared.Features.Clips, settings.Training.Seed, settings.LosoValidation);
        if (onlySpeakers is { Count: > 0 })
        {
            var unknown = onlySpeakers.Where(s => !folds.Any(f => f.TestSpeakers.Contains(s))).ToList();
            if (unknown.Count > 0)
                throw new ArgumentException($"no fold holds out speaker(s) {string.Join(", ", unknown)}; the speakers are {string.Join(", ", folds.SelectMany(f => f.TestSpeakers))}");
            folds = folds.Where(f => f.TestSpeakers.Any(onlySpeakers.Contains)).ToList();
        }
        observer.Line((groupedFolds is null ? $"leave-one-speaker-out: {folds.Count} folds" : $"{folds.Count} speaker-grouped folds") +
                      (trainers > 1 ? $", each trained data-parallel on {trainers} trainer nodes"
                          : folds.Count > 1 && foldTrainer is { Trainers: > 0 } t ? $", spread over {t.Trainers} trainer node(s)" : ""));
        string scheme = groupedFolds is { } groups ? $"{groups} speaker-grouped folds" : "leave-one-speaker-out";
        string heldOut = groupedFolds is null ? "the held-out speaker" : "the held-out speakers";
        string procedure = settings.LosoValidation == LosoValidation.NextSpeaker
            ? $"per fold: train on the other speakers but one, early stopping on that one (the next speaker in order), test on {heldOut}, each clip scored on its own"
            : $"per fold: train on 80% of the other speakers' clips, early stopping on the remaining 20% (stratified by emotion), test on {heldOut}, each clip scored on its own";
        // the cross-validation is a run of its own in the journal: its folds (each with its training run) and its summary
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string cvRunId = $"cv-{Job["job-".Length..]}-{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join(',', folds.SelectMany(f => f.TestSpeakers)))))[..8]}";
        var (corpusName, corpusPath) = Runner.Corpus;
        journal?.Record(new EmotionCluster.Evaluator.StartRun(cvRunId, settings.ToJson(), prepared.Labels)
        {
            // the folds' trainers: the cluster's trainer nodes (fold-parallel), else this node; each fold on one replica
            Description = new EmotionCluster.Evaluator.RunDescription(settings.Hash(), corpusName, corpusPath, scheme, settings.Training.Seed,
                trainers > 1 ? trainers : folds.Count > 1 && foldTrainer is { Trainers: > 0 } nodes ? nodes.Trainers : 1, trainers),
        }, ct);
        var records = new List<EmotionCluster.Evaluator.FoldRecord>();
        var cv = Runner.CrossValidate(prepared.Features, folds, prepared.Labels, new SyncProgress<TrainingProgress>(observer.Epoch),
            f =>
            {
                var record = ReportParts.Record(f, f.Fold);
                records.Add(record);
                journal?.Record(new EmotionCluster.Evaluator.RecordFold(cvRunId, record), ct);
                observer.Line($"fold speaker {f.TestSpeaker}: {f.Protocols!.Describe()}; lone clip accuracy {f.Report.Accuracy:0.000} " +
                              $"({f.TestClips} clips, best epoch {f.BestEpoch}/{f.EpochsRun}, {f.Duration.TotalSeconds:0}s, run {f.RunId}" +
                              (f.Node is null ? ")" : $", trained on {f.Node}{(f.Dispatches > 1 ? $" after {f.Dispatches - 1} trainer(s) left mid-fold" : "")})") +
                              (f.Robustness is { } r ? "; lone clip UAR by condition: " + string.Join(", ", r.Select(c => $"{c.Key} {c.Value:0.000}")) : ""));
            }, ct,
            new CrossValidationOptions { FoldModels = save ? run.File(CrossValidationOptions.FoldsFolder) : null, Robustness = robustness });
        var summary = ReportParts.Record(cv, scheme, procedure);
        journal?.Record(new EmotionCluster.Evaluator.CompleteCrossValidation(cvRunId, summary), ct);
        observer.Line($"LOSO mean accuracy {cv.Summary.MeanAccuracy:0.000} ± {cv.Summary.StdAccuracy:0.000}, mean UAR {cv.Summary.MeanUar:0.000} ± {cv.Summary.StdUar:0.000} " +
                      "(lone clip: each clip on its own, as predict FILE)");
        foreach (var m in cv.ProtocolMeans)
            observer.Line($"  {m.Protocol}: mean UAR {m.MeanUar:0.000} ± {m.StdUar:0.000} ({m.Folds} folds)");
        if (cv.Robustness.Count > 0) observer.Line("lone clip under recording conditions (mean UAR ± std over folds, drop from clean):");
        foreach (var c in cv.Robustness)
            observer.Line($"  {c.Condition}: {c.MeanUar:0.000} ± {c.StdUar:0.000}, drop {c.DropFromClean:+0.000;-0.000;0.000} ({c.Folds} folds)");
        if (journal is not null) observer.Line($"cross-validation run {cvRunId}");
        if (!save) return cv;
        ReportParts.DrawConfusion(cv.Summary.Pooled.Confusion, cv.Labels, run.File(CvConfusionChart), run.File(CvNormalizedConfusionChart),
            $"{char.ToUpperInvariant(scheme[0])}{scheme[1..]}, pooled confusion matrix (lone clip)");
        run.WriteText("crossval.json", cv.Summary.ToJson()); // the headline: lone clip
        if (cv.SpeakerAdapted is { } adapted) run.WriteText("crossval_speaker_adapted.json", adapted.ToJson());
        run.WriteText(ProtocolMean.FileName, ProtocolMean.ToJson(cv.ProtocolMeans));
        if (cv.Robustness.Count > 0) run.WriteText(RobustnessProtocol.FileName, RobustnessProtocol.ToJson(cv.Robustness));
        run.Save("folds", cv.Folds.Select(f => new { f.TestSpeaker, f.RunId, f.ValidationSpeakers, f.TrainClips, f.ValidationClips, f.TestClips, f.EpochsRun, f.BestEpoch, f.Report.Accuracy, f.Report.Uar, Seconds = f.Duration.TotalSeconds }).ToList());
        run.Save("crossvalidation", ReportParts.CrossValidation(summary, records, cv.Labels, run.File(CvConfusionChart)) with
        {
            Robustness = ReportParts.Robustness(cv.Robustness),
        });
        RecordArtifacts(cvRunId, EmotionCluster.Evaluator.ReportRole.CrossValidation, run.Root, scheme, [], clock.Elapsed, ct);
        return cv;
    }

    /// <summary>Writes report.md from the sections present; returns its path.</summary>
    public static string WriteReport(RunDirectory run, string? reportPath = null)
    {
        string path = reportPath ?? run.File("report.md");
        ResearchReport.WriteMarkdown(run.Assemble(), path);
        return path;
    }
}
