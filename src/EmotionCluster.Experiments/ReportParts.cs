using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using EmotionCluster.Audio;
using EmotionCluster.Corpora;
using EmotionCluster.Evaluator;
using EmotionCluster.Extraction;
using EmotionCluster.Features;
using EmotionCluster.Metrics;
using EmotionCluster.Model;
using EmotionCluster.Reporting;

namespace EmotionCluster.Experiments;

/// <summary>
/// The report's sections built from real run results. Each command (<c>dataset stats</c>, <c>train</c>,
/// <c>crossval</c>) stores its sections in the run directory (<see cref="RunDirectory"/>); <c>report</c> puts them together.
/// </summary>
public static class ReportParts
{
    private static string F(double v, string format = "0.###") => v.ToString(format, CultureInfo.InvariantCulture);

    public static PreprocessingSection Preprocessing(AudioSettings audio)
    {
        var p = audio.Preprocess;
        var steps = new List<PreprocessingStep>
        {
            new("decode and resample", $"WAV (PCM 8/16/24/32-bit or float) downmixed to mono, resampled to {audio.TargetSampleRate} Hz (windowed-sinc, anti-aliased)"),
        };
        if (p.DcRemoval != DcRemoval.None)
            steps.Add(new("DC removal", p.DcRemoval == DcRemoval.SubtractMean ? "subtract the clip mean" : $"one-pole high-pass at {F(p.HighPassCutoffHz)} Hz"));
        if (p.ReduceNoise)
            steps.Add(new("noise reduction", $"spectral gating: noise profile from the quietest {F(p.NoiseFrameFraction * 100)}% of frames, " +
                $"gate at mean + {F(p.NoiseStdThreshold)} std per bin, gated bins reduced by {F(p.NoisePropDecrease * 100)}%, " +
                $"STFT {p.NoiseFftSize}/{p.NoiseHop}, mask smoothed over {F(p.NoiseSmoothingMs)} ms"));
        if (p.TrimSilence)
            steps.Add(new("silence trimming", $"{F(p.TrimFrameMs)} ms frames more than {F(-p.TrimThresholdDb)} dB below the loudest frame cut at both ends, {F(p.TrimMarginMs)} ms margin kept"));
        if (p.Normalization != Normalization.None)
            steps.Add(new("normalization", p.Normalization == Normalization.Peak
                ? $"peak to {F(p.PeakTarget)} (gain at most {F(p.MaxGainDb)} dB)"
                : $"RMS to {F(p.RmsTargetDbfs)} dBFS (gain at most {F(p.MaxGainDb)} dB, peak kept within ±1)"));
        return new PreprocessingSection(steps);
    }

    public static IReadOnlyList<Setting> FeatureParameters(FeaturePipelineSettings f)
    {
        var m = f.Mel;
        var list = new List<Setting>
        {
            new("sample rate", $"{m.SampleRate} Hz"),
            new("FFT size (n_fft)", m.NFft.ToString(CultureInfo.InvariantCulture)),
            new("window", $"{m.Window}, {m.WinLength} samples ({F(1000.0 * m.WinLength / m.SampleRate)} ms)"),
            new("hop", $"{m.HopLength} samples ({F(1000.0 * m.HopLength / m.SampleRate)} ms)"),
            new("mel bands (n_mels)", m.NMels.ToString(CultureInfo.InvariantCulture)),
            new("frequency range", $"{F(m.FMin)}–{F(m.EffectiveFMax)} Hz"),
            new("mel scale / norm", $"{m.Scale} / {m.Norm}"),
            new("power → dB", $"power {F(m.Power)}, 10·log10, top_db {(m.TopDb is { } t ? F(t) : "off")}"),
            new("centering", m.Center ? $"centered frames, {m.PadMode} padding" : "not centered"),
        };
        if (f.Kind == FeatureKind.Mfcc) list.Add(new("MFCCs", $"{f.MfccCount} (DCT-II, ortho, of the log-mel bands)"));
        if (f.Encoder is { } e)
        {
            if (e.Input == EncoderInput.Waveform) list.Clear(); // the mel settings play no part
            list.Insert(0, new("pretrained encoder", $"{e.Describe()}, frozen"));
            list.Insert(1, new("encoder input", e.Input == EncoderInput.Waveform ? $"the preprocessed waveform at {e.SampleRate} Hz" : "the log-mel spectrogram below"));
            list.Insert(2, new("embedding rate", e.FramesPerSecond > 0 ? $"{F(e.FramesPerSecond)} per second" : "one per clip"));
        }
        return list;
    }

    public static FeatureSection Features(ExperimentSettings s, string exampleImage, ClipInfo example)
    {
        return new FeatureSection
        {
            Kind = s.Features.Encoder is { } e ? $"embedding sequence of the pretrained encoder '{Path.GetFileName(e.Path)}'" : s.Features.Kind == FeatureKind.Mfcc ? "MFCC" : "log-mel spectrogram (dB)",
            Parameters = FeatureParameters(s.Features),
            Bins = s.Features.Bins,
            FramesPerExample = s.Input.Frames,
            FixedLength = $"{SpeakerNormText(s.Input.SpeakerNorm)}{(s.Input.Standardize ? s.Input.PerBand ? "per-clip standardization of each band (zero mean, unit variance over time), then " : "per-clip standardization (zero mean, unit variance), then " : "")}centre crop / padding to {s.Input.Frames} frames " +
                          (s.Features.FramesPerSecond > 0 ? $"({F(s.Input.Frames / s.Features.FramesPerSecond, "0.0#")} s)" : "(one embedding per clip, padded)"),
            ExampleImage = exampleImage,
            ExampleCaption = $"{example.Id} ({example.Emotion}, speaker {example.Speaker})",
        };
    }

    private static string SpeakerNormText(SpeakerNormalization mode) => mode switch
    {
        SpeakerNormalization.Mean => "speaker normalization (each band minus its mean over all of the speaker's clips), then ",
        SpeakerNormalization.MeanVariance => "speaker normalization (each band to zero mean, unit variance over all of the speaker's clips), then ",
        _ => "",
    };

    /// <summary>Draws the example spectrogram (log-mel of the preprocessed clip, the model's features).</summary>
    public static void DrawExample(ClipInfo clip, FeaturePipelineSettings settings, string pngPath)
    {
        var logMel = settings with { Kind = FeatureKind.LogMel, Encoder = null }; // an encoder's embeddings are not drawn: the clip's log-mel is
        Spectrogram spec = new PipelineFeaturizer(logMel).Extract(File.ReadAllBytes(clip.Path), clip.Path);
        Charts.Spectrogram(spec, pngPath, $"log-mel of {clip.Id} ({clip.Emotion}), preprocessed audio",
            (double)logMel.Mel.HopLength / logMel.Mel.SampleRate, logMel.Mel.EffectiveFMax);
    }

    public static ModelSection Model(ExperimentSettings s, int classes, string[] labels)
    {
        var cnn = s.CnnFor(classes);
        using var model = new SerCnn(cnn);
        var summary = model.ArchitectureSummary();
        var t = s.Training;
        string Shape(long[] shape) => string.Join(" x ", shape.Skip(1));
        return new ModelSection
        {
            Architecture = $"CNN: {cnn.Channels.Count} blocks of Conv2D {cnn.KernelSize}x{cnn.KernelSize} ({string.Join("-", cnn.Channels)} channels), batch norm, " +
                           $"2x2 max pooling, ReLU and dropout {F(cnn.ConvDropout)}; {(cnn.Pooling == CnnPooling.MeanStd ? "mean over bands, then mean and standard deviation over time (statistics pooling)" : "global average pooling")}; dense {cnn.DenseSize} with ReLU and dropout {F(cnn.DenseDropout)}; dense {classes}",
            InputShape = $"1 x {cnn.InputBins} x {cnn.InputFrames}",
            Layers = summary.Layers.Select(l => new LayerRow($"{l.Name} ({l.Type})", Shape(l.OutputShape), l.Parameters)).ToList(),
            TotalParameters = summary.TotalParameters,
            TrainableParameters = model.ParameterCount,
            Activation = "ReLU",
            Output = $"dense {classes} + softmax over the emotions ({string.Join(", ", labels)})",
            Loss = "cross-entropy" + (t.LabelSmoothing > 0 ? $", label smoothing {F(t.LabelSmoothing)}" : "") + (t.BalancedClassWeights ? ", balanced class weights" : ""),
            Optimizer = $"AdamW (betas 0.9/0.999, eps 1e-8, weight decay {F(t.WeightDecay)}), learning rate {F(t.LearningRate)}",
        };
    }

    public static string ScheduleText(TrainingSettings t) => t.Schedule switch
    {
        LrSchedule.Cosine => $"{F(t.WarmupEpochs)} warm-up epochs, then cosine decay to {F(t.MinLearningRateFactor * 100)}% of the base rate",
        _ => $"{t.Schedule} (warm-up {F(t.WarmupEpochs)} epochs)",
    };

    /// <summary>The clips of each label in each part of <paramref name="split"/>, as the journal records them.</summary>
    public static SplitCount[] Counts(Split split, string[] labels)
    {
        int Count(IReadOnlyList<ClipInfo> clips, string l) => clips.Count(c => c.Emotion == l);
        return labels.Select(l => new SplitCount(l, Count(split.Train, l), Count(split.Validation, l), Count(split.Test, l))).ToArray();
    }

    /// <summary>
    /// The training section from what the journal holds of a run (the split's counts, epochs run, the kept epoch and its
    /// validation UAR, the wall time) and the recipe: the same builder for the command's report and <c>report --run-id</c>.
    /// </summary>
    public static TrainingSection Training(Recipe s, IReadOnlyList<SplitCount> split, string splitMethod, int epochsRun, int bestEpoch, double bestValidationUar,
        TimeSpan duration, string learningCurveImage)
    {
        var t = s.Training;
        var cnn = s.Cnn;
        return new TrainingSection
        {
            SplitMethod = splitMethod,
            Split = split.Select(c => new SplitRow(c.Label, c.Train, c.Validation, c.Test)).ToList(),
            MaxEpochs = t.Epochs,
            EpochsRun = epochsRun,
            BestEpoch = bestEpoch,
            SelectionMetric = "validation UAR (ties: lower validation loss)",
            BestValidationScore = bestValidationUar,
            EarlyStoppingPatience = t.EarlyStoppingPatience,
            BatchSize = t.BatchSize,
            LearningRate = t.LearningRate,
            Schedule = ScheduleText(t),
            ClassImbalance = t.BalancedClassWeights ? "balanced class weights in the loss (n / (K x class count)) plus augmentation" : "none",
            Augmentation = s.Augmentation.Describe(),
            Dropout = $"{F(cnn.ConvDropout)} after each conv block, {F(cnn.DenseDropout)} before the output layer",
            Other =
            [
                new("weight decay", F(t.WeightDecay)), new("label smoothing", F(t.LabelSmoothing)),
                new("seed", t.Seed.ToString(CultureInfo.InvariantCulture)), new("threads", t.Threads.ToString(CultureInfo.InvariantCulture)),
                new("device", t.Device),
            ],
            Duration = duration,
            LearningCurveImage = learningCurveImage,
        };
    }

    /// <summary>The training section of a split trained by this command.</summary>
    public static TrainingSection Training(ExperimentSettings s, TrainedSplit trained, string splitMethod, string learningCurveImage)
    {
        var h = trained.Training.History;
        var best = h[trained.Training.BestEpoch - 1];
        return Training(s, Counts(trained.Split, trained.Labels), splitMethod, h.Count, trained.Training.BestEpoch, best.ValidationUar ?? 0,
            trained.Duration, learningCurveImage);
    }

    public static IReadOnlyList<EpochPoint> Curve(IReadOnlyList<EpochReport> history) =>
        history.Select(e => new EpochPoint(e.Epoch, e.TrainLoss, e.ValidationLoss, e.ValidationUar)).ToList();

    public static EvaluationSection Evaluation(ClassificationReport r, string setName, string confusionImage, string normalizedImage) => new()
    {
        SetName = setName,
        Labels = r.Labels,
        Accuracy = r.Accuracy,
        PerClass = r.PerClass.Select(c => new ClassRow(c.Label, c.Precision, c.Recall, c.F1, c.Support)).ToList(),
        MacroPrecision = r.MacroPrecision,
        MacroRecall = r.MacroRecall,
        MacroF1 = r.MacroF1,
        WeightedPrecision = r.WeightedPrecision,
        WeightedRecall = r.WeightedRecall,
        WeightedF1 = r.WeightedF1,
        Confusion = r.Confusion,
        ConfusionImage = confusionImage,
        NormalizedConfusionImage = normalizedImage,
    };

    public static void DrawConfusion(int[][] confusion, string[] labels, string countsPng, string normalizedPng, string title)
    {
        var m = new int[labels.Length, labels.Length];
        for (int i = 0; i < labels.Length; i++) for (int j = 0; j < labels.Length; j++) m[i, j] = confusion[i][j];
        Charts.ConfusionMatrix(m, labels, countsPng, normalized: false, title);
        Charts.ConfusionMatrix(m, labels, normalizedPng, normalized: true, title + " (row-normalized)");
    }

    /// <summary>
    /// The cross-validation section from its journal records (the folds, the summary with its scheme and procedure, the
    /// labels): the same builder for the command's report and <c>report --run-id</c>.
    /// </summary>
    public static CrossValidationSection CrossValidation(CrossValidationRecord summary, IReadOnlyList<FoldRecord> folds, string[] labels, string pooledImage) => new()
    {
        Scheme = summary.Scheme,
        Procedure = summary.Procedure,
        Folds = folds.OrderBy(f => f.Fold).Select(f => new FoldRow(f.TestSpeaker, f.TestClips, f.LoneClip.Accuracy, f.LoneClip.Uar)).ToList(),
        MeanAccuracy = summary.MeanAccuracy,
        StdAccuracy = summary.StdAccuracy,
        MeanUar = summary.MeanUar,
        StdUar = summary.StdUar,
        StdKind = "population standard deviation over folds",
        Labels = labels,
        PooledConfusion = summary.PooledConfusion,
        PooledConfusionImage = pooledImage,
        Protocols = ProtocolRows(summary.Protocols.Select(m => new ProtocolMean(m.Protocol, m.MeanUar, m.StdUar, m.Folds))),
    };

    /// <summary>The report's rows of the robustness protocol.</summary>
    public static IReadOnlyList<RobustnessRow> Robustness(IReadOnlyList<RobustnessMean> rows) =>
        rows.Select(r => new RobustnessRow(r.Condition, r.Description, r.MeanUar, r.StdUar, r.DropFromClean, r.Folds)).ToList();

    /// <summary>A fold as the cross-validation's run records it (fold numbers 1-based, in the order of <paramref name="index"/>).</summary>
    public static FoldRecord Record(FoldResult f, int index) =>
        new(index, f.TestSpeaker, f.ValidationSpeakers, f.RunId, f.TrainClips, f.ValidationClips, f.TestClips, f.EpochsRun, f.BestEpoch, f.Duration,
            EvaluationMetrics.From(f.Report), f.Protocols is { } p ? EvaluationMetrics.From(p.SpeakerAll) : null,
            f.Protocols is { } q ? ProtocolUars(q) : []);

    /// <summary>Every protocol's UAR of one fold, the headline (lone clip) first.</summary>
    public static ProtocolUar[] ProtocolUars(ProtocolScores p) =>
    [
        new(ProtocolScores.LoneClipName, p.LoneClip.Uar),
        .. (p.Streamed is { } s ? [new ProtocolUar(StreamedProtocol.Name, s.Uar)] : Array.Empty<ProtocolUar>()),
        .. (p.StreamedLastSmoothed is { } l ? [new ProtocolUar(StreamedProtocol.LastSmoothedName, l.Uar)] : Array.Empty<ProtocolUar>()),
        .. ProtocolScores.EnrollmentSizes.Where(p.Enrolled.ContainsKey).Select(k => new ProtocolUar($"speaker-adapted, k={k}", p.Enrolled[k])),
        new("speaker-adapted, all clips", p.SpeakerAll.Uar),
    ];

    /// <summary>The cross-validation's summary as its run records it.</summary>
    public static CrossValidationRecord Record(CrossValidationResult cv, string scheme, string procedure) =>
        new(scheme, procedure, cv.Folds.Count, cv.Summary.MeanAccuracy, cv.Summary.StdAccuracy, cv.Summary.MeanUar, cv.Summary.StdUar,
            cv.Summary.Pooled.Confusion.Select(r => (int[])r.Clone()).ToArray(),
            cv.ProtocolMeans.Select(m => new ProtocolMeanUar(m.Protocol, m.MeanUar, m.StdUar, m.Folds)).ToArray());

    /// <summary>The report's protocol table for <paramref name="means"/> (in their order).</summary>
    public static IReadOnlyList<ProtocolRow> ProtocolRows(IEnumerable<ProtocolMean> means) =>
        means.Select(m => new ProtocolRow(m.Protocol, ProtocolDescription(m.Protocol), m.MeanUar, m.StdUar, m.Folds)).ToList();

    private static string ProtocolDescription(string protocol) => protocol switch
    {
        ProtocolScores.LoneClipName => "each clip on its own, exactly as `predict FILE` (the fold table and the pooled matrix below)",
        "speaker-adapted, all clips" => "every clip of the held-out speaker as unlabelled enrollment (how training normalizes)",
        StreamedProtocol.Name => "each clip's WAV sent through the live stream's path (windows of the model's input length every 0.5 s, a node's defaults); " +
                      "the clip's label is the mean of its windows' probabilities",
        StreamedProtocol.LastSmoothedName => "the same streams; the clip's label is the last hop's smoothed emotion (what the live page shows at the end)",
        _ when protocol.StartsWith("speaker-adapted, k=", StringComparison.Ordinal) =>
            $"{protocol["speaker-adapted, k=".Length..]} random unlabelled clip(s) of the speaker as enrollment, not scored; mean of {ProtocolScores.Draws} draws",
        _ => protocol,
    };

    public static RunInfo Run(string commandLine, int seed, DateTimeOffset started, DateTimeOffset finished) => new()
    {
        CommandLine = commandLine,
        Seed = seed,
        Started = started,
        Finished = finished,
        Machine = $"{System.Runtime.InteropServices.RuntimeInformation.OSDescription}, {System.Runtime.InteropServices.RuntimeInformation.OSArchitecture}",
        Cores = Environment.ProcessorCount,
        Versions =
        [
            new("EmotionCluster", typeof(ReportParts).Assembly.GetName().Version?.ToString() ?? "?"),
            new(".NET", Environment.Version.ToString()),
            new("TorchSharp", typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString() ?? "?"),
        ],
    };
}

/// <summary>
/// A run's output folder: the model, metrics as JSON, charts, and the report's sections as JSON
/// (<c>parts/*.json</c>) so <c>report</c> can assemble them later.
/// </summary>
public sealed class RunDirectory
{
    public const string ModelFile = "model.ecm";
    public const string SettingsFile = "settings.json";
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    public RunDirectory(string path)
    {
        Root = Path.GetFullPath(path);
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(Path.Combine(Root, "parts"));
    }

    public string Root { get; }
    public string File(string name) => Path.Combine(Root, name);
    private string Part(string name) => Path.Combine(Root, "parts", name + ".json");

    public void Save<T>(string part, T value) => WriteAtomic(Part(part), JsonSerializer.Serialize(value, Json));

    public T? Load<T>(string part) where T : class
    {
        string path = Part(part);
        if (!System.IO.File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<T>(System.IO.File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: unreadable report part ({e.Message}); rerun the command that wrote it", e); }
    }

    public bool Has(string part) => System.IO.File.Exists(Part(part));

    public void WriteText(string name, string text) => WriteAtomic(File(name), text);

    public static void WriteAtomic(string path, string text)
    {
        string tmp = path + ".tmp";
        System.IO.File.WriteAllText(tmp, text);
        System.IO.File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Sections in one report input; throws naming the missing part and the command that makes it.</summary>
    public ReportInput Assemble()
    {
        T Need<T>(string part, string command) where T : class =>
            Load<T>(part) ?? throw new InvalidDataException($"{Root}: the run has no {part} section yet; run '{command}' with --out {Root}");
        return new ReportInput
        {
            Run = Need<RunInfo>("run", "emotioncluster train"),
            Dataset = Need<DatasetSection>("dataset", "emotioncluster train"),
            Preprocessing = Need<PreprocessingSection>("preprocessing", "emotioncluster train"),
            Features = Need<FeatureSection>("features", "emotioncluster train"),
            Model = Need<ModelSection>("model", "emotioncluster train"),
            Training = Load<TrainingSection>("training"),
            Evaluation = Load<EvaluationSection>("evaluation"),
            CrossValidation = Load<CrossValidationSection>("crossvalidation"),
            HumanBaseline = Load<HumanBaseline>("human"),
            Mfcc = Load<MfccComparison>("mfcc"),
        };
    }
}
