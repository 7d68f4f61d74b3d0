using System.Diagnostics;
using EmotionCluster.Audio;
using EmotionCluster.Corpora;
using EmotionCluster.Features;
using EmotionCluster.Metrics;
using EmotionCluster.Model;
using EmotionCluster.TrainingActors;
using TrainingProgress = EmotionCluster.Experiments.TrainingProgress;

namespace EmotionCluster.Experiments;

/// <summary>A model trained on a split's training part, early-stopped on its validation part and scored on its test part.</summary>
public sealed record TrainedSplit(Split Split, string[] Labels, TrainingResult Training, EvaluationOutput TestOutput, ClassificationReport Test, TimeSpan Duration)
    : IDisposable
{
    /// <summary>The training run's id (its records in the journal).</summary>
    public string RunId { get; init; } = "";

    /// <summary>The test clips scored as users meet the model (lone clip, k enrollment clips, all of the speaker's clips).</summary>
    public ProtocolScores? Protocols { get; init; }

    /// <summary>How features become the model's input, its training-set prior included (what its model file keeps).</summary>
    public ModelInput Input { get; init; } = null!;

    /// <summary>Writes the model file (<see cref="ModelArtifact"/>) with the run's recipe, id and input prior.</summary>
    public void SaveModel(string path, Recipe recipe) => Training.Save(path, Labels, recipe, RunId, Input.Prior);

    /// <summary>Frees the model's tensors.</summary>
    public void Dispose() => Training.Dispose();
}

/// <summary>
/// One leave-one-speaker-out fold. <see cref="Report"/> is the headline protocol, the held-out speaker's clips each
/// scored on its own (<see cref="ProtocolScores.LoneClip"/>, as <c>predict FILE</c>); <see cref="Protocols"/> has all.
/// </summary>
public sealed record FoldResult(string TestSpeaker, string ValidationSpeakers, int TrainClips, int ValidationClips, int TestClips,
    int EpochsRun, int BestEpoch, ClassificationReport Report, TimeSpan Duration)
{
    /// <summary>The fold's training run (its records in the journal).</summary>
    public string RunId { get; init; } = "";

    /// <summary>The fold's number in its cross-validation, 1-based.</summary>
    public int Fold { get; init; }

    /// <summary>The trainer node that trained the fold (fold-parallel), null when this node did.</summary>
    public string? Node { get; init; }

    /// <summary>How often the fold was sent to a trainer node (more than 1: a node left mid-fold and another resumed it).</summary>
    public int Dispatches { get; init; } = 1;

    public ProtocolScores? Protocols { get; init; }

    /// <summary>Lone-clip UAR per recording condition (<see cref="PerturbationCondition.Id"/>); null when robustness was not measured.</summary>
    public IReadOnlyDictionary<string, double>? Robustness { get; init; }

    /// <summary>Where the fold's model was kept (<c>folds/FOLD/model.ecm</c> of the run); null when it was not kept.</summary>
    public string? ModelPath { get; init; }
}

/// <summary>
/// What cross-validation does besides training and the protocols on features: keep each fold's model, stream the
/// held-out clips (the streamed protocol), score them under recording conditions (the robustness protocol).
/// </summary>
public sealed record CrossValidationOptions
{
    /// <summary>Each fold's model is kept as <c>DIR/FOLD/model.ecm</c>, with the fold's <c>split.json</c>; null: a temporary file, deleted after scoring.</summary>
    public string? FoldModels { get; init; }

    /// <summary>Score the streamed protocol (the clips' WAV files through the live stream's path).</summary>
    public bool Streamed { get; init; } = true;

    /// <summary>The stream's window, hop and smoothing (a predictor node's defaults).</summary>
    public EmotionCluster.Streaming.StreamingSettings Streaming { get; init; } = new();

    /// <summary>Recording conditions to score lone-clip (the robustness protocol); null or empty: not measured.</summary>
    public IReadOnlyList<PerturbationCondition>? Robustness { get; init; }

    /// <summary>The run's folder of kept fold models.</summary>
    public const string FoldsFolder = "folds";

    /// <summary>A fold's folder name: the split's name with characters a file name cannot hold replaced.</summary>
    public static string FoldName(Split fold) =>
        string.Concat(fold.Name.Select(ch => char.IsLetterOrDigit(ch) || ch is '-' or '_' or '.' or '+' ? ch : '_'));
}

/// <summary>
/// Leave-one-speaker-out: <see cref="Summary"/> over the folds' headline (lone clip) reports; <see cref="SpeakerAdapted"/>
/// over the folds' reports with all of the held-out speaker's clips as statistics; <see cref="ProtocolMeans"/> the
/// mean ± std over folds of every protocol's UAR.
/// </summary>
public sealed record CrossValidationResult(string[] Labels, IReadOnlyList<FoldResult> Folds, CrossValidationSummary Summary)
{
    public CrossValidationSummary? SpeakerAdapted { get; init; }
    public IReadOnlyList<ProtocolMean> ProtocolMeans { get; init; } = [];

    /// <summary>Per recording condition, the lone-clip UAR over folds (empty when robustness was not measured).</summary>
    public IReadOnlyList<RobustnessMean> Robustness { get; init; } = [];
}

/// <summary>A protocol's UAR over folds: mean, population std, the folds it was measured on.</summary>
public sealed record ProtocolMean(string Protocol, double MeanUar, double StdUar, int Folds)
{
    /// <summary>A cross-validation run's protocol means, in its run directory.</summary>
    public const string FileName = "crossval_protocols.json";

    private static readonly System.Text.Json.JsonSerializerOptions Json = new() { WriteIndented = true };

    public static string ToJson(IReadOnlyList<ProtocolMean> means) => System.Text.Json.JsonSerializer.Serialize(means, Json);

    public static IReadOnlyList<ProtocolMean> FromJson(string json) => System.Text.Json.JsonSerializer.Deserialize<List<ProtocolMean>>(json, Json) ?? [];
}

/// <summary>Progress of a long run: which fold (1-based, 0 for a single split), and the epoch just finished.</summary>
public readonly record struct TrainingProgress(int Fold, int Folds, EpochReport Epoch, int MaxEpochs);

/// <summary>
/// The experiment logic, without console: clips and features in, trained models and metrics out. Each model is trained
/// by an <see cref="IModelTrainer"/> — the trainer actor of the command's node (<see cref="ActorModelTrainer"/>), the same
/// actor and arithmetic as trainer nodes — on the examples <see cref="Data"/> shapes by the recipe.
/// </summary>
public sealed class ExperimentRunner
{
    private readonly IModelTrainer? _trainer;
    private readonly IFoldTrainer? _folds;
    private readonly string? _foldDirectory;
    private readonly string _invocation;

    /// <param name="trainer">Trains the models (<see cref="TrainSplit"/>, <see cref="CrossValidate"/>); null when only shaping is needed.</param>
    /// <param name="folds">With trainer nodes in the cluster, <see cref="CrossValidate"/> spreads its folds over them
    /// (fold-parallel); their manifests, models and checkpoints go below <paramref name="foldDirectory"/>.</param>
    public ExperimentRunner(ExperimentSettings settings, IModelTrainer? trainer = null, IFoldTrainer? folds = null, string? foldDirectory = null)
    {
        settings.Validate();
        Settings = settings;
        _trainer = trainer;
        _folds = folds;
        _foldDirectory = foldDirectory;
        _invocation = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture) + "/" + Environment.ProcessId;
    }

    public ExperimentSettings Settings { get; }

    /// <summary>
    /// The corpus the clips come from, as the command named it (name and path; empty when not set): recorded with each
    /// run in the journal (<see cref="TrainingData.Origin"/>, and the fold manifests of a fold-parallel cross-validation).
    /// </summary>
    public (string Name, string Path) Corpus { get; set; } = ("", "");

    /// <summary>
    /// Trainer nodes each run is trained on, data-parallel (<c>--trainers N</c>): 1 trains on this node's trainer (or,
    /// for a cross-validation with trainer nodes in the cluster, one fold per node); more sends each run — the split,
    /// every fold in turn, the MFCC run — to that many trainer nodes of the cluster (<see cref="IFoldTrainer.TrainDataParallel"/>).
    /// </summary>
    public int Trainers { get; init; } = 1;

    /// <summary>The clips of the configured emotions (all when none are configured).</summary>
    public IReadOnlyList<ClipInfo> SelectClips(IReadOnlyList<ClipInfo> clips)
    {
        if (Settings.Emotions is null) return clips;
        var wanted = Settings.Emotions.Select(Normalize).ToHashSet();
        var present = clips.Select(c => c.Emotion).ToHashSet();
        var missing = wanted.Where(w => !present.Contains(w)).ToList();
        if (missing.Count > 0)
            throw new ArgumentException($"emotions {string.Join(", ", missing)} are not in the corpus (it has {string.Join(", ", Emotions.InOrder(present))})");
        return clips.Where(c => wanted.Contains(c.Emotion)).ToList();
    }

    private static string Normalize(string emotion) => emotion.Trim().ToLowerInvariant();

    /// <summary>Label map: the emotions present, in the canonical order.</summary>
    public static string[] LabelsOf(IEnumerable<ClipInfo> clips) => Emotions.InOrder(clips.Select(c => c.Emotion)).ToArray();

    /// <summary>Each clip's index in <paramref name="labels"/>; a clip whose emotion is not among them is an error.</summary>
    public static int[] LabelIndices(IEnumerable<ClipInfo> clips, string[] labels)
    {
        var index = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i);
        return clips.Select(c => index.TryGetValue(c.Emotion, out int y) ? y
            : throw new ArgumentException($"clip {c.Id} has emotion '{c.Emotion}', which is not among the labels {string.Join(", ", labels)}")).ToArray();
    }

    /// <summary>
    /// The split's examples shaped by the recipe (<see cref="TrainingData.Build"/>: speaker statistics over every clip of
    /// the split by the corpus' speakers, standardization, crop or pad, augmentation, the test clips' scoring windows):
    /// exactly what a trainer node builds from the same split's manifest.
    /// </summary>
    public TrainingData Data(FeatureSet features, Split split, string[] labels)
    {
        // recorded variants (multi-condition training) go with the training part only
        IReadOnlyList<LabelledFeatures> Part(IReadOnlyList<ClipInfo> clips, bool train = false) =>
            clips.Zip(LabelIndices(clips, labels), (c, y) => new LabelledFeatures(c.Id, features[c], y, EmotionCluster.Experiments.SpeakerStatistics.SpeakerOf(c))
            {
                Variants = train ? features.VariantsOf(c).Select(v => v.Features).ToArray() : [],
            }).ToList();
        return TrainingData.Build(Settings, labels, Part(split.Train, train: true), Part(split.Validation), Part(split.Test))
            with { Origin = new DataOrigin(Corpus.Name, Corpus.Path, split.Name) };
    }

    /// <summary>Trains on the split's training part through the trainer, keeps the best validation epoch, scores the test part.</summary>
    public TrainedSplit TrainSplit(FeatureSet features, Split split, string[] labels, IProgress<EpochReport>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var trainer = _trainer ?? throw new InvalidOperationException("this experiment runner has no model trainer; give it the node's (ActorModelTrainer)");
        if (Trainers < 1) throw new ArgumentException($"--trainers {Trainers}: train on at least 1 trainer");
        var clock = Stopwatch.StartNew();
        if (split.Test.Count == 0)
            throw new ArgumentException($"split {split.Name}: the test part is empty ({split.Train.Count} train, {split.Validation.Count} validation clips); use more clips per emotion");
        var data = Data(features, split, labels);
        string runId = RunIdentity.ForJob(Settings, labels, split.Train.Select(c => c.Id), split.Validation.Select(c => c.Id), split.Test.Select(c => c.Id),
            $"{_invocation}/{split.Name}");
        var result = Trainers > 1 ? TrainDataParallel(features, split, labels, runId, progress, cancellationToken)
            : trainer.Train(data, runId, progress, cancellationToken);
        try
        {
            // the test clips' windows scored with the run's model, as the trainer scored them for the journal
            EvaluationOutput output = Inference.RunAveraged(result.Model, data.TestCrops, data.TestY, TorchRuntime.ResolveDevice(Settings.Training.Device));
            var report = ClassificationMetrics.Compute(data.TestY, output.Predicted, labels);
            var protocols = ProtocolScores.Score(result.Model, data.Input,
                split.Test.Zip(data.TestY, (c, y) => (c, features[c], y)).ToList(), labels, report, Settings.Training.Seed,
                TorchRuntime.ResolveDevice(Settings.Training.Device));
            return new TrainedSplit(split, labels, result, output, report, clock.Elapsed) { RunId = runId, Protocols = protocols, Input = data.Input };
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Leave-one-speaker-out: one model per fold, scored on the held-out speaker under every protocol; the model file is
    /// kept where <paramref name="options"/> say (<see cref="CrossValidationOptions.FoldModels"/>), which also say whether
    /// the clips are streamed and under which recording conditions they are scored.
    /// </summary>
    public CrossValidationResult CrossValidate(FeatureSet features, IReadOnlyList<Split> folds, string[] labels,
        IProgress<TrainingProgress>? progress = null, Action<FoldResult>? foldDone = null, CancellationToken cancellationToken = default,
        CrossValidationOptions? options = null)
    {
        options ??= new CrossValidationOptions();
        var results = new List<FoldResult>();
        if (_folds is { Trainers: > 0 } && _foldDirectory is not null && folds.Count > 1 && Trainers == 1)
            results.AddRange(CrossValidateOnTrainers(features, folds, labels, foldDone, cancellationToken));
        else
        for (int f = 0; f < folds.Count; f++)
        {
            var fold = folds[f];
            int index = f + 1;
            var epochProgress = progress is null ? null
                : new SyncProgress<EpochReport>(e => progress.Report(new TrainingProgress(index, folds.Count, e, Settings.Training.Epochs)));
            using var t = TrainSplit(features, fold, labels, epochProgress, cancellationToken);
            var (protocols, robustness, kept) = ScoreFoldModel(t, fold, labels, options);
            var result = new FoldResult(string.Join("+", fold.TestSpeakers), string.Join("+", fold.ValidationSpeakers),
                fold.Train.Count, fold.Validation.Count, fold.Test.Count, t.Training.History.Count, t.Training.BestEpoch,
                protocols.LoneClip, t.Duration)
            { RunId = t.RunId, Protocols = protocols, Robustness = robustness, ModelPath = kept, Fold = index };
            results.Add(result);
            foldDone?.Invoke(result);
        }
        var means = new List<ProtocolMean>();
        void Mean(string name, IEnumerable<double?> values)
        {
            var v = values.Where(x => x.HasValue).Select(x => x!.Value).ToList();
            if (v.Count > 0) means.Add(new ProtocolMean(name, v.Average(), CrossValidationSummary.Std(v), v.Count));
        }
        Mean(ProtocolScores.LoneClipName, results.Select(r => (double?)r.Protocols!.LoneClip.Uar));
        Mean(StreamedProtocol.Name, results.Select(r => r.Protocols!.Streamed?.Uar));
        Mean(StreamedProtocol.LastSmoothedName, results.Select(r => r.Protocols!.StreamedLastSmoothed?.Uar));
        foreach (int k in ProtocolScores.EnrollmentSizes)
            Mean($"speaker-adapted, k={k}", results.Select(r => r.Protocols!.Enrolled.TryGetValue(k, out double u) ? u : (double?)null));
        Mean("speaker-adapted, all clips", results.Select(r => (double?)r.Protocols!.SpeakerAll.Uar));
        return new CrossValidationResult(labels, results, CrossValidationSummary.Create(results.Select(r => r.Report).ToList()))
        {
            SpeakerAdapted = CrossValidationSummary.Create(results.Select(r => r.Protocols!.SpeakerAll).ToList()),
            ProtocolMeans = means,
            Robustness = options.Robustness is { Count: > 0 } conditions ? RobustnessProtocol.Means(results, conditions) : [],
        };
    }

    /// <summary>
    /// Saves the fold's model (kept under <see cref="CrossValidationOptions.FoldModels"/>, else in a temporary file) and
    /// scores what needs the model file: the streamed protocol and the recording conditions.
    /// </summary>
    private (ProtocolScores Protocols, IReadOnlyDictionary<string, double>? Robustness, string? Kept) ScoreFoldModel(TrainedSplit t, Split fold,
        string[] labels, CrossValidationOptions options)
    {
        var protocols = t.Protocols!;
        bool robust = options.Robustness is { Count: > 0 };
        if (options.FoldModels is null && !options.Streamed && !robust) return (protocols, null, null);
        string dir = options.FoldModels is { } root
            ? Path.Combine(root, CrossValidationOptions.FoldName(fold))
            : Directory.CreateTempSubdirectory("ec-fold-").FullName;
        Directory.CreateDirectory(dir);
        string modelPath = Path.Combine(dir, "model.ecm");
        try
        {
            t.SaveModel(modelPath, Settings);
            if (options.FoldModels is not null) File.WriteAllText(Path.Combine(dir, SplitManifest.FileName), SplitManifest.Of(fold).ToJson());
            var test = fold.Test.Zip(LabelIndices(fold.Test, labels), (c, y) => (c, y)).ToList();
            if (options.Streamed)
            {
                var streamed = StreamedProtocol.Score(modelPath, test, labels, options.Streaming);
                protocols = protocols with { Streamed = streamed.Mean, StreamedLastSmoothed = streamed.LastSmoothed };
            }
            IReadOnlyDictionary<string, double>? robustness = null;
            if (robust)
                robustness = RobustnessProtocol.Score(modelPath, test, fold.Train, options.Robustness!, labels, Settings.Training.Seed)
                    .ToDictionary(p => p.Key, p => p.Value.Uar);
            return (protocols, robustness, options.FoldModels is null ? null : modelPath);
        }
        finally
        {
            if (options.FoldModels is null)
                try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>
    /// The split as a manifest (the recipe and its clips by feature key, read by the trainer nodes from their feature
    /// store) trained data-parallel across <see cref="Trainers"/> trainer nodes; the model they wrote, with the run's epochs.
    /// </summary>
    private TrainingResult TrainDataParallel(FeatureSet features, Split split, string[] labels, string runId, IProgress<EpochReport>? progress,
        CancellationToken cancellationToken)
    {
        if (_folds is null || _foldDirectory is null)
            throw new InvalidOperationException($"--trainers {Trainers} trains across trainer nodes of a cluster; join one (--join SEED)");
        var job = WriteJob(features, split, labels, runId);
        try
        {
            var outcome = _folds.TrainDataParallel(job, Trainers, progress, cancellationToken);
            var (model, _) = ModelArtifact.Load(outcome.Result.ModelPath!, TorchRuntime.ResolveDevice(Settings.Training.Device));
            return new TrainingResult(model, outcome.History, outcome.Result.BestEpoch, outcome.Result.StoppedEarly, null);
        }
        finally
        {
            try { Directory.Delete(Path.GetDirectoryName(job.ManifestPath)!, recursive: true); }
            catch (IOException) { }
        }
    }

    /// <summary>Writes <paramref name="split"/> as the training manifest of run <paramref name="runId"/> in a folder of its own below the fold directory.</summary>
    private FoldJob WriteJob(FeatureSet features, Split split, string[] labels, string runId)
    {
        string dir = Path.Combine(Path.GetFullPath(_foldDirectory!), runId);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        string manifestPath = Path.Combine(dir, "manifest.json");
        (TrainingManifest.Create(labels, Settings, ManifestPart(features, split.Train, labels, Settings, train: true),
                ManifestPart(features, split.Validation, labels, Settings), ManifestPart(features, split.Test, labels, Settings))
            with { Corpus = Corpus.Name, CorpusPath = Corpus.Path, Split = split.Name }).Save(manifestPath);
        return new FoldJob(runId, manifestPath, Path.Combine(dir, "model.ecm"), Path.Combine(dir, "checkpoint"));
    }

    /// <summary>
    /// A part of a split as a manifest's examples (the clips' features by key in the feature store, their labels and
    /// speakers); a training part also lists each clip's recorded variants (<see cref="TrainingVariants"/>).
    /// </summary>
    public static ManifestExample[] ManifestPart(FeatureSet features, IReadOnlyList<ClipInfo> clips, string[] labels, EmotionCluster.Model.Recipe recipe, bool train = false)
    {
        string settingsHash = recipe.Features.Hash();
        return clips.Zip(LabelIndices(clips, labels), (c, y) =>
            new ManifestExample(c.Id, EmotionCluster.Extraction.FeatureKey.HashContent(File.ReadAllBytes(c.Path)), settingsHash, y,
                c.Speaker == ClipInfo.UnknownSpeaker ? null : c.Speaker)
            {
                Variants = train && features.VariantsOf(c) is { Count: > 0 } v ? v.Select(x => x.Key.ContentHash).ToArray() : null,
            }).ToArray();
    }

    /// <summary>
    /// Fold-parallel: each fold as a manifest (the recipe and the fold's clips by feature key, read by the trainer nodes
    /// from their feature store) sent to a trainer node by <see cref="IFoldTrainer"/>; each fold's model is then scored
    /// here exactly as <see cref="TrainSplit"/> scores it. A fold is its own run in the journal, as on one node.
    /// </summary>
    private List<FoldResult> CrossValidateOnTrainers(FeatureSet features, IReadOnlyList<Split> folds, string[] labels, Action<FoldResult>? foldDone,
        CancellationToken cancellationToken)
    {
        var jobs = new List<FoldJob>();
        foreach (var fold in folds)
        {
            if (fold.Test.Count == 0) throw new ArgumentException($"split {fold.Name}: the test part is empty");
            string runId = RunIdentity.ForJob(Settings, labels, fold.Train.Select(c => c.Id), fold.Validation.Select(c => c.Id), fold.Test.Select(c => c.Id),
                $"{_invocation}/{fold.Name}");
            jobs.Add(WriteJob(features, fold, labels, runId));
        }
        var outcomes = _folds!.TrainFolds(jobs, cancellationToken: cancellationToken);
        var results = new List<FoldResult>();
        var device = TorchRuntime.ResolveDevice(Settings.Training.Device);
        for (int f = 0; f < folds.Count; f++)
        {
            var fold = folds[f];
            var outcome = outcomes[f];
            var (model, manifest) = ModelArtifact.Load(outcome.Result.ModelPath ?? throw new InvalidOperationException($"fold run {outcome.Job.RunId} wrote no model"), device);
            using (model)
            {
                var data = Data(features, fold, labels);
                EvaluationOutput output = Inference.RunAveraged(model, data.TestCrops, data.TestY, device);
                var report = ClassificationMetrics.Compute(data.TestY, output.Predicted, labels);
                var protocols = ProtocolScores.Score(model, manifest.Input, fold.Test.Zip(data.TestY, (c, y) => (c, features[c], y)).ToList(), labels, report,
                    Settings.Training.Seed, device);
                var result = new FoldResult(string.Join("+", fold.TestSpeakers), string.Join("+", fold.ValidationSpeakers),
                    fold.Train.Count, fold.Validation.Count, fold.Test.Count, outcome.Result.EpochsRun, outcome.Result.BestEpoch, protocols.LoneClip, outcome.Duration)
                { RunId = outcome.Job.RunId, Protocols = protocols, Fold = f + 1, Node = outcome.Node, Dispatches = outcome.Dispatches };
                results.Add(result);
                foldDone?.Invoke(result);
            }
            try { Directory.Delete(Path.GetDirectoryName(outcome.Job.ManifestPath)!, recursive: true); }
            catch (IOException) { }
        }
        return results;
    }
}


/// <summary>An <see cref="IProgress{T}"/> that calls its handler on the reporting thread (no synchronization context hop).</summary>
public sealed class SyncProgress<T>(Action<T> handler) : IProgress<T>
{
    public void Report(T value) => handler(value);
}
