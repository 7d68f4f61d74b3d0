using EmotionCluster.Corpora;
using EmotionCluster.Features;

namespace EmotionCluster.Reporting.Tests;

/// <summary>
/// A complete <see cref="ReportInput"/> from synthetic but consistent numbers (7 emotions, 10 speakers, a test-set
/// confusion matrix, 10 leave-one-speaker-out folds) with real PNG charts drawn by <see cref="Charts"/>. Images live
/// under <c>{root}/run</c> (outside the report folder) except the learning curve, which is inside <c>{root}/report</c>.
/// </summary>
internal sealed class SyntheticRun
{
    public static readonly string[] Labels = [.. Emotions.All];
    public static readonly string[] Speakers = ["03", "08", "09", "10", "11", "12", "13", "14", "15", "16"];

    /// <summary>Test-set confusion [true][predicted]; sadness is best (10/10), happiness worst (4/10), happiness→anger the largest confusion (5 of 10).</summary>
    public static readonly int[][] TestConfusion =
    [
        [12, 0, 0, 0, 1, 0, 0], // anger
        [0, 7, 0, 0, 0, 1, 1],  // boredom
        [0, 0, 6, 1, 0, 0, 0],  // disgust
        [1, 0, 1, 6, 0, 0, 0],  // fear
        [5, 0, 0, 1, 4, 0, 0],  // happiness
        [0, 0, 0, 0, 0, 10, 0], // sadness
        [0, 1, 0, 0, 0, 1, 6],  // neutral
    ];

    public SyntheticRun(string root)
    {
        Root = root;
        ReportPath = Path.Combine(root, "report", "report.md");
        Stats = MakeStats();
        string run = Path.Combine(root, "run");
        Charts.EmotionDistribution(Stats, Path.Combine(run, "emotions.png"));
        Charts.SpeakerDistribution(Stats, Path.Combine(run, "speakers.png"));
        Charts.Spectrogram(ExampleSpectrogram(), Path.Combine(run, "example spectrogram.png"), "03a01Wa (anger)", 0.01, 8000);
        Charts.LearningCurve(Epochs, Path.Combine(root, "report", "curves", "learning.png"));
        Charts.ConfusionMatrix(ToArray(TestConfusion), Labels, Path.Combine(run, "test", "cm.png"), normalized: false);
        Charts.ConfusionMatrix(ToArray(TestConfusion), Labels, Path.Combine(run, "test", "cm-normalized.png"), normalized: true);

        Folds = Speakers.Select(FoldConfusion).ToArray();
        Pooled = Sum(Folds);
        Charts.ConfusionMatrix(ToArray(Pooled), Labels, Path.Combine(run, "loso", "cm.png"), normalized: false);
        Input = MakeInput(run);
    }

    public string Root { get; }
    public string ReportPath { get; }
    public DatasetStats Stats { get; }
    public int[][][] Folds { get; }
    public int[][] Pooled { get; }
    public ReportInput Input { get; }

    public static readonly EpochPoint[] Epochs = Enumerable.Range(1, 31)
        .Select(e => new EpochPoint(e, 2.0 / Math.Sqrt(e), 2.1 / Math.Sqrt(e) + 0.01 * e, Math.Min(0.8, 0.2 + 0.03 * e))).ToArray();

    /// <summary>Clips of an emotion by a speaker: 3..8, deterministic.</summary>
    public static int ClipCount(int speaker, int emotion) => 3 + (speaker * 7 + emotion * 3) % 6;

    private static DatasetStats MakeStats()
    {
        var bySpeaker = new Dictionary<string, IReadOnlyDictionary<string, int>>();
        for (int s = 0; s < Speakers.Length; s++)
            bySpeaker[Speakers[s]] = Enumerable.Range(0, Labels.Length).ToDictionary(e => Labels[e], e => ClipCount(s, e));
        var perEmotion = Enumerable.Range(0, Labels.Length)
            .Select(e => new LabelCount(Labels[e], Enumerable.Range(0, Speakers.Length).Sum(s => ClipCount(s, e)))).ToList();
        var perSpeaker = Enumerable.Range(0, Speakers.Length)
            .Select(s => new LabelCount(Speakers[s], Enumerable.Range(0, Labels.Length).Sum(e => ClipCount(s, e)))).ToList();
        int samples = perEmotion.Sum(p => p.Count);
        return new DatasetStats
        {
            Corpus = "emodb", Root = "/data/emodb", Samples = samples, ReadableSamples = samples,
            Emotions = Labels, Speakers = Speakers, PerEmotion = perEmotion, PerSpeaker = perSpeaker, EmotionBySpeaker = bySpeaker,
            Formats = [new("PCM16 mono 16000 Hz", samples)], SampleRates = [16000], Channels = [1],
            Durations = new DurationSummary(1.23, 2.61, 8.98, 1234.5),
            HumanRecognitionMean = 0.9354, HumanRecognitionUar = 0.9217, RatedRecognitionMean = 0.8523, Issues = [],
        };
    }

    /// <summary>Speaker s's fold: each clip right unless (clip + s + e) % 4 == 0, then predicted as the next emotion.</summary>
    private static int[][] FoldConfusion(string speaker, int s)
    {
        var m = NewMatrix();
        for (int e = 0; e < Labels.Length; e++)
            for (int clip = 0; clip < ClipCount(s, e); clip++)
                m[e][(clip + s + e) % 4 == 0 ? (e + 1) % Labels.Length : e]++;
        return m;
    }

    private ReportInput MakeInput(string run)
    {
        var test = Metrics(TestConfusion);
        var foldRows = Folds.Select((f, i) =>
        {
            var m = Metrics(f);
            return new FoldRow(Speakers[i], f.Sum(r => r.Sum()), m.Accuracy, m.MacroRecall);
        }).ToList();
        double meanAcc = foldRows.Average(f => f.Accuracy), meanUar = foldRows.Average(f => f.Uar);
        return new ReportInput
        {
            Run = new RunInfo
            {
                CommandLine = "emotioncluster report --data /data/emodb --out runs/r1 --seed 42",
                Seed = 42,
                Started = new DateTimeOffset(2025, 3, 14, 9, 26, 53, TimeSpan.Zero),
                Finished = new DateTimeOffset(2025, 3, 14, 10, 58, 12, TimeSpan.Zero),
                Machine = "Debian 12 x86_64 (testhost)",
                Cores = 2,
                Versions = [new("EmotionCluster", "0.3.1+1d636c8"), new(".NET", "10.0.1"), new("TorchSharp", "0.107.0")],
            },
            Dataset = new DatasetSection(Stats, Path.Combine(run, "emotions.png"), Path.Combine(run, "speakers.png")),
            Preprocessing = new PreprocessingSection([
                new("resampling", "to 16000 Hz, mono"),
                new("noise reduction", "spectral gating, threshold 1.5 x noise floor, 10th percentile frames"),
                new("normalization", "peak to -1 dBFS"),
                new("silence trimming", "below -40 dB, 50 ms margin"),
            ]),
            Features = new FeatureSection
            {
                Kind = "log-mel spectrogram (dB)",
                Parameters = [new("sample rate", "16000 Hz"), new("FFT size", "512"), new("window", "Hann, 400 samples (25 ms)"),
                    new("hop", "160 samples (10 ms)"), new("mel bands", "64"), new("frequency range", "0-8000 Hz"), new("top dB", "80")],
                Bins = 64,
                FramesPerExample = 300,
                FixedLength = "centre crop or zero padding to 3.00 s",
                ExampleImage = Path.Combine(run, "example spectrogram.png"),
                ExampleCaption = "03a01Wa (anger)",
            },
            Model = new ModelSection
            {
                Architecture = "CNN: 4 blocks of Conv2D 3x3, batch norm, ReLU, 2x2 max pooling and dropout; global average pooling; dense 64",
                InputShape = "1 x 64 x 300",
                Layers = [new("block 1 (conv 16, BN)", "16 x 32 x 150", 176), new("block 2 (conv 32, BN)", "32 x 16 x 75", 4672),
                    new("block 3 (conv 64, BN)", "64 x 8 x 37", 18560), new("block 4 (conv 128, BN)", "128 x 4 x 18", 73984),
                    new("global average pooling", "128", 0), new("dense", "64", 8256), new("output", "7", 455)],
                TotalParameters = 106103,
                TrainableParameters = 106103,
                Activation = "ReLU",
                Output = "dense 7 + softmax over the emotions",
                Loss = "cross-entropy, label smoothing 0.1, balanced class weights",
                Optimizer = "AdamW (betas 0.9/0.999, eps 1e-8, weight decay 0.01)",
            },
            Training = new TrainingSection
            {
                SplitMethod = "stratified by emotion, 70/20/10, seed 42",
                Split = Enumerable.Range(0, Labels.Length).Select(e => new SplitRow(Labels[e], 40 + e, 11 + e % 3, TestConfusion[e].Sum())).ToList(),
                MaxEpochs = 60, EpochsRun = 31, BestEpoch = 16, SelectionMetric = "validation UAR", BestValidationScore = 0.7312,
                EarlyStoppingPatience = 15, BatchSize = 32, LearningRate = 0.0003,
                Schedule = "2 warm-up epochs, then cosine decay to 1% of the base rate",
                ClassImbalance = "balanced class weights in the loss (n / (K x class count))",
                Augmentation = "SpecAugment: 2 time masks up to 20 frames, 2 frequency masks up to 8 bands",
                Dropout = "0.1 after each conv block, 0.3 before the output layer",
                Other = [new("weight decay", "0.01"), new("label smoothing", "0.1")],
                Duration = TimeSpan.FromSeconds(754),
                LearningCurveImage = Path.Combine(Root, "report", "curves", "learning.png"),
            },
            Evaluation = test with
            {
                ConfusionImage = Path.Combine(run, "test", "cm.png"),
                NormalizedConfusionImage = Path.Combine(run, "test", "cm-normalized.png"),
            },
            CrossValidation = new CrossValidationSection
            {
                Scheme = "leave-one-speaker-out",
                Procedure = "Each fold trains on 8 speakers, stops early on a 9th and tests on the held-out one",
                Folds = foldRows,
                MeanAccuracy = meanAcc, StdAccuracy = PopulationStd(foldRows.Select(f => f.Accuracy)),
                MeanUar = meanUar, StdUar = PopulationStd(foldRows.Select(f => f.Uar)),
                StdKind = "population standard deviation",
                Labels = Labels,
                PooledConfusion = Pooled,
                PooledConfusionImage = Path.Combine(run, "loso", "cm.png"),
            },
            HumanBaseline = HumanBaseline.FromStats(Stats),
            Mfcc = new MfccComparison("40 MFCCs from the same mel filterbank, same CNN", EvaluationProtocol.CrossValidation, 0.6123, 0.5987),
        };
    }

    /// <summary>Metrics as the Evaluation project defines them (scikit-learn conventions), images left blank for the caller.</summary>
    public static EvaluationSection Metrics(int[][] confusion)
    {
        int k = confusion.Length, total = confusion.Sum(r => r.Sum());
        var rows = new List<ClassRow>();
        for (int c = 0; c < k; c++)
        {
            int support = confusion[c].Sum(), predicted = confusion.Sum(r => r[c]), tp = confusion[c][c];
            double precision = predicted == 0 ? 0 : (double)tp / predicted;
            double? recall = support == 0 ? null : (double)tp / support;
            double? f1 = recall is { } r ? (precision + r == 0 ? 0 : 2 * precision * r / (precision + r)) : null;
            rows.Add(new ClassRow(Labels[c], precision, recall, f1, support));
        }
        var present = rows.Where(r => r.Support > 0).ToList();
        return new EvaluationSection
        {
            SetName = "held-out test set (10%)",
            Labels = Labels,
            Accuracy = (double)Enumerable.Range(0, k).Sum(i => confusion[i][i]) / total,
            PerClass = rows,
            MacroPrecision = present.Average(r => r.Precision),
            MacroRecall = present.Average(r => r.Recall!.Value),
            MacroF1 = present.Average(r => r.F1!.Value),
            WeightedPrecision = present.Sum(r => r.Support * r.Precision) / total,
            WeightedRecall = present.Sum(r => r.Support * r.Recall!.Value) / total,
            WeightedF1 = present.Sum(r => r.Support * r.F1!.Value) / total,
            Confusion = confusion,
            ConfusionImage = "",
            NormalizedConfusionImage = "",
        };
    }

    private static Spectrogram ExampleSpectrogram()
    {
        int bins = 64, frames = 300;
        var data = new float[bins * frames];
        for (int b = 0; b < bins; b++)
            for (int f = 0; f < frames; f++)
                data[b * frames + f] = -80 + 70 * (float)Math.Exp(-b / 20.0) * (float)(0.5 + 0.5 * Math.Sin(f * 0.05 + b * 0.1));
        return Spectrogram.Create(data, bins, frames);
    }

    private static double PopulationStd(IEnumerable<double> values)
    {
        var v = values.ToArray();
        double mean = v.Average();
        return Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / v.Length);
    }

    private static int[][] NewMatrix() => Enumerable.Range(0, Labels.Length).Select(_ => new int[Labels.Length]).ToArray();

    private static int[][] Sum(IEnumerable<int[][]> matrices)
    {
        var sum = NewMatrix();
        foreach (var m in matrices)
            for (int i = 0; i < Labels.Length; i++)
                for (int j = 0; j < Labels.Length; j++) sum[i][j] += m[i][j];
        return sum;
    }

    public static int[,] ToArray(int[][] m)
    {
        var a = new int[m.Length, m.Length];
        for (int i = 0; i < m.Length; i++)
            for (int j = 0; j < m.Length; j++) a[i, j] = m[i][j];
        return a;
    }
}
