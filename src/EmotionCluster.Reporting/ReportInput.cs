using EmotionCluster.Corpora;

namespace EmotionCluster.Reporting;

/// <summary>
/// Everything <see cref="ResearchReport"/> writes, from one real run. Rates (accuracy, recall, UAR, ...) are shares in
/// 0..1, never percentages. Image paths may be absolute or relative to the working directory; each must exist.
/// The optional sections (null) are rendered as an explicit "not run in this report" note with the command to run.
/// </summary>
public sealed record ReportInput
{
    /// <summary>Report title; null gives "Speech emotion recognition on {corpus}: {model} on {features}".</summary>
    public string? Title { get; init; }
    public required RunInfo Run { get; init; }
    public required DatasetSection Dataset { get; init; }
    public required PreprocessingSection Preprocessing { get; init; }
    public required FeatureSection Features { get; init; }
    public required ModelSection Model { get; init; }
    /// <summary>Training on the 70/20/10 split; null when only cross-validation was run.</summary>
    public TrainingSection? Training { get; init; }
    /// <summary>The held-out test set of the split; null when only cross-validation was run.</summary>
    public EvaluationSection? Evaluation { get; init; }
    /// <summary>Speaker-independent (leave-one-speaker-out) results, the headline; null when not run.</summary>
    public CrossValidationSection? CrossValidation { get; init; }
    /// <summary>Listener recognition rates (EMO-DB); null when the corpus has no listening test.</summary>
    public HumanBaseline? HumanBaseline { get; init; }
    /// <summary>The same pipeline with MFCC instead of log-mel features; null when no MFCC run was done.</summary>
    public MfccComparison? Mfcc { get; init; }
}

/// <summary>An ordered name/value pair: a parameter, a setting or a software version.</summary>
public sealed record Setting(string Name, string Value);

/// <summary>The corpus, with its emotion distribution chart (<see cref="Charts.EmotionDistribution"/>) and optionally the per-speaker chart.</summary>
public sealed record DatasetSection(DatasetStats Stats, string DistributionImage, string? SpeakerImage = null);

/// <summary>One preprocessing step in the order applied, e.g. ("noise reduction", "spectral gating, 1.5 x noise floor, ...").</summary>
public sealed record PreprocessingStep(string Name, string Parameters);

/// <summary>Preprocessing applied to every clip before feature extraction, in order; an empty list means none.</summary>
public sealed record PreprocessingSection(IReadOnlyList<PreprocessingStep> Steps);

/// <summary>The model input: e.g. "log-mel spectrogram (dB)" with its parameters, and one example drawn with <see cref="Charts.Spectrogram"/>.</summary>
public sealed record FeatureSection
{
    /// <summary>What the features are, e.g. "log-mel spectrogram (dB)".</summary>
    public required string Kind { get; init; }
    /// <summary>Extraction parameters in display order, e.g. ("sample rate", "16000 Hz"), ("mel bands", "64").</summary>
    public required IReadOnlyList<Setting> Parameters { get; init; }
    /// <summary>Rows of one example (mel bands).</summary>
    public required int Bins { get; init; }
    /// <summary>Columns of one example: every clip is cut or padded to this many frames.</summary>
    public required int FramesPerExample { get; init; }
    /// <summary>How a clip is brought to <see cref="FramesPerExample"/>, e.g. "centre crop / zero padding (3.0 s)".</summary>
    public required string FixedLength { get; init; }
    public required string ExampleImage { get; init; }
    /// <summary>Which clip the example shows, e.g. "03a01Wa (anger)".</summary>
    public required string ExampleCaption { get; init; }
}

/// <summary>One row of the layer table; <see cref="Parameters"/> counts the layer's own weights (0 for pooling, dropout, ...).</summary>
public sealed record LayerRow(string Name, string OutputShape, long Parameters);

public sealed record ModelSection
{
    /// <summary>One sentence, e.g. "CNN: 4 blocks of Conv2D 3x3, batch norm, ReLU, 2x2 max pooling and dropout; global average pooling; dense 64".</summary>
    public required string Architecture { get; init; }
    /// <summary>Input shape as the layer table writes shapes, e.g. "1 x 64 x 300".</summary>
    public required string InputShape { get; init; }
    /// <summary>The layers in order; their parameters must add up to <see cref="TotalParameters"/>.</summary>
    public required IReadOnlyList<LayerRow> Layers { get; init; }
    public required long TotalParameters { get; init; }
    public required long TrainableParameters { get; init; }
    /// <summary>Hidden activation, e.g. "ReLU".</summary>
    public required string Activation { get; init; }
    /// <summary>Output layer, e.g. "dense 7 + softmax over the emotions".</summary>
    public required string Output { get; init; }
    /// <summary>e.g. "cross-entropy, label smoothing 0.1, balanced class weights".</summary>
    public required string Loss { get; init; }
    /// <summary>e.g. "AdamW (betas 0.9/0.999, eps 1e-8, weight decay 0.01)".</summary>
    public required string Optimizer { get; init; }
}

/// <summary>Clips of one emotion in each part of the split.</summary>
public sealed record SplitRow(string Label, int Train, int Validation, int Test);

public sealed record TrainingSection
{
    /// <summary>How the split was made, e.g. "stratified by emotion, 70/20/10, seed 42".</summary>
    public required string SplitMethod { get; init; }
    /// <summary>Per emotion, in label order.</summary>
    public required IReadOnlyList<SplitRow> Split { get; init; }
    public required int MaxEpochs { get; init; }
    public required int EpochsRun { get; init; }
    /// <summary>The epoch whose weights were kept (1-based).</summary>
    public required int BestEpoch { get; init; }
    /// <summary>What chose <see cref="BestEpoch"/> and early stopping, e.g. "validation UAR".</summary>
    public required string SelectionMetric { get; init; }
    /// <summary>That metric at <see cref="BestEpoch"/> (0..1).</summary>
    public required double BestValidationScore { get; init; }
    /// <summary>Epochs without improvement before stopping; 0 means early stopping was off.</summary>
    public required int EarlyStoppingPatience { get; init; }
    public required int BatchSize { get; init; }
    public required double LearningRate { get; init; }
    /// <summary>e.g. "2 warm-up epochs, then cosine decay to 1% of the base rate".</summary>
    public required string Schedule { get; init; }
    /// <summary>e.g. "balanced class weights in the loss (n / (K x class count))".</summary>
    public required string ClassImbalance { get; init; }
    /// <summary>e.g. "SpecAugment: 2 time masks up to 20 frames, 2 frequency masks up to 8 bands", or "none".</summary>
    public required string Augmentation { get; init; }
    /// <summary>e.g. "0.1 after each conv block, 0.3 before the output layer".</summary>
    public required string Dropout { get; init; }
    /// <summary>Further settings in display order (weight decay, label smoothing, threads, ...); may be empty.</summary>
    public IReadOnlyList<Setting> Other { get; init; } = [];
    /// <summary>Wall-clock training time, when measured.</summary>
    public TimeSpan? Duration { get; init; }
    /// <summary>Drawn with <see cref="Charts.LearningCurve"/>.</summary>
    public required string LearningCurveImage { get; init; }
}

/// <summary>One class row; <see cref="Recall"/> and <see cref="F1"/> are null when the class has no clips in the evaluated set.</summary>
public sealed record ClassRow(string Label, double Precision, double? Recall, double? F1, int Support);

/// <summary>Metrics on one evaluated set. <see cref="Confusion"/> is [true][predicted] in <see cref="Labels"/> order.</summary>
public sealed record EvaluationSection
{
    /// <summary>What was evaluated, e.g. "held-out test set (10%)".</summary>
    public required string SetName { get; init; }
    public required IReadOnlyList<string> Labels { get; init; }
    public required double Accuracy { get; init; }
    /// <summary>One row per label, same order as <see cref="Labels"/>; supports must equal the confusion row sums.</summary>
    public required IReadOnlyList<ClassRow> PerClass { get; init; }
    /// <summary>Macro averages over the classes with clips; macro recall is the UAR.</summary>
    public required double MacroPrecision { get; init; }
    public required double MacroRecall { get; init; }
    public required double MacroF1 { get; init; }
    public required double WeightedPrecision { get; init; }
    public required double WeightedRecall { get; init; }
    public required double WeightedF1 { get; init; }
    public required int[][] Confusion { get; init; }
    /// <summary>Counts (<see cref="Charts.ConfusionMatrix"/> with normalized false).</summary>
    public required string ConfusionImage { get; init; }
    /// <summary>Row-normalized (normalized true).</summary>
    public required string NormalizedConfusionImage { get; init; }
}

/// <summary>One fold: the speaker held out for testing and the scores on that speaker's clips.</summary>
public sealed record FoldRow(string TestSpeaker, int TestClips, double Accuracy, double Uar);

/// <summary>One evaluation protocol's UAR over the folds (lone clip, k enrollment clips, all of the speaker's clips).</summary>
public sealed record ProtocolRow(string Protocol, string Description, double MeanUar, double StdUar, int Folds);

/// <summary>One recording condition's lone-clip UAR over the folds and its drop from the clean recordings' mean.</summary>
public sealed record RobustnessRow(string Condition, string Description, double MeanUar, double StdUar, double DropFromClean, int Folds);

public sealed record CrossValidationSection
{
    /// <summary>e.g. "leave-one-speaker-out".</summary>
    public required string Scheme { get; init; }
    /// <summary>How each fold was trained, e.g. "train on 8 speakers, early stopping on a 9th, test on the held-out one".</summary>
    public required string Procedure { get; init; }
    public required IReadOnlyList<FoldRow> Folds { get; init; }
    /// <summary>Mean of the fold accuracies; must match <see cref="Folds"/>.</summary>
    public required double MeanAccuracy { get; init; }
    /// <summary>Standard deviation over folds, as computed by the pipeline (state which kind in <see cref="StdKind"/>).</summary>
    public required double StdAccuracy { get; init; }
    public required double MeanUar { get; init; }
    public required double StdUar { get; init; }
    /// <summary>e.g. "population standard deviation over folds".</summary>
    public required string StdKind { get; init; }
    public required IReadOnlyList<string> Labels { get; init; }
    /// <summary>Sum of the folds' confusion matrices, [true][predicted].</summary>
    public required int[][] PooledConfusion { get; init; }
    public required string PooledConfusionImage { get; init; }
    /// <summary>Every protocol's mean ± std over folds, the headline first; empty in runs from before 2026-12-07.</summary>
    public IReadOnlyList<ProtocolRow> Protocols { get; init; } = [];
    /// <summary>Lone clip under recording conditions (clean first), when <c>crossval --robustness</c> measured them; else empty.</summary>
    public IReadOnlyList<RobustnessRow> Robustness { get; init; } = [];
}

/// <summary>
/// Listener recognition rates from the corpus' perception test. <see cref="CorpusFilesMean"/> is the mean over the
/// corpus files the model is evaluated on; <see cref="AllRatedMean"/> over every recording the listeners rated.
/// </summary>
public sealed record HumanBaseline
{
    /// <summary>e.g. "EMO-DB listening test (20 listeners per recording)".</summary>
    public required string Source { get; init; }
    public required int CorpusFiles { get; init; }
    public required double CorpusFilesMean { get; init; }
    /// <summary>Unweighted mean over emotions of the per-emotion means (comparable to the UAR).</summary>
    public double? CorpusFilesUar { get; init; }
    public double? AllRatedMean { get; init; }
    /// <summary>A caveat shown under the table, e.g. how the corpus files were selected.</summary>
    public string? Note { get; init; }

    /// <summary>The baseline carried by <paramref name="stats"/>, or null when the corpus has no listener ratings.</summary>
    public static HumanBaseline? FromStats(DatasetStats stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        if (stats.HumanRecognitionMean is not { } mean) return null;
        bool emoDb = stats.Corpus == EmoDbCorpus.Name;
        return new HumanBaseline
        {
            Source = emoDb ? "EMO-DB listening test (20 listeners per recording)" : $"{stats.Corpus} listening test",
            CorpusFiles = stats.Samples,
            CorpusFilesMean = mean,
            CorpusFilesUar = stats.HumanRecognitionUar,
            AllRatedMean = stats.RatedRecognitionMean,
            Note = emoDb
                ? "EMO-DB kept only recordings that at least 80% of the listeners recognised, so the mean over the corpus " +
                  "files is biased upwards; the mean over all rated recordings includes the recordings left out of the corpus."
                : null,
        };
    }
}

/// <summary>Which evaluation an <see cref="MfccComparison"/> used, so it is set beside the matching log-mel figure.</summary>
public enum EvaluationProtocol { HeldOutTest, CrossValidation }

/// <summary>The same model trained on MFCC features.</summary>
public sealed record MfccComparison(string Setup, EvaluationProtocol Protocol, double Accuracy, double Uar);

/// <summary>How the run was made.</summary>
public sealed record RunInfo
{
    /// <summary>The exact command line, e.g. "emotioncluster train --data ../shared/datasets/emodb --seed 42".</summary>
    public required string CommandLine { get; init; }
    public required int Seed { get; init; }
    public required DateTimeOffset Started { get; init; }
    public required DateTimeOffset Finished { get; init; }
    /// <summary>e.g. "Debian 12, x86_64" or the host name.</summary>
    public required string Machine { get; init; }
    public required int Cores { get; init; }
    /// <summary>Software versions in display order, e.g. ("EmotionCluster", "1.0.0+1d636c8"), (".NET", "10.0.0"), ("TorchSharp", "0.107.0").</summary>
    public required IReadOnlyList<Setting> Versions { get; init; }
}

/// <summary>Bad report input: names the input field and what is wrong.</summary>
public sealed class ReportInputException(string field, string problem) : Exception($"report input {field}: {problem}")
{
    public string Field { get; } = field;
    public string Problem { get; } = problem;
}
