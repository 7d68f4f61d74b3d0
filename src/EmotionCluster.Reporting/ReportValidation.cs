namespace EmotionCluster.Reporting;

/// <summary>Checks a <see cref="ReportInput"/> before anything is written; throws <see cref="ReportInputException"/> naming the field.</summary>
internal static class ReportValidation
{
    private const double Tolerance = 1e-6;

    public static void Validate(ReportInput input)
    {
        Run(input.Run ?? throw Missing("Run"));
        Dataset(input.Dataset ?? throw Missing("Dataset"));
        Preprocessing(input.Preprocessing ?? throw Missing("Preprocessing"));
        Features(input.Features ?? throw Missing("Features"));
        Model(input.Model ?? throw Missing("Model"));
        if (input.Training is { } t) Training(t);
        if (input.Evaluation is { } e) Evaluation(e);
        if (input.CrossValidation is { } cv) CrossValidation(cv);
        if (input.HumanBaseline is { } h) Human(h);
        if (input.Mfcc is { } m)
        {
            Text("Mfcc.Setup", m.Setup);
            Share("Mfcc.Accuracy", m.Accuracy);
            Share("Mfcc.Uar", m.Uar);
        }
    }

    private static void Run(RunInfo r)
    {
        Text("Run.CommandLine", r.CommandLine);
        Text("Run.Machine", r.Machine);
        Require(r.Cores >= 1, "Run.Cores", $"is {r.Cores}; give the machine's core count (Environment.ProcessorCount)");
        Require(r.Finished >= r.Started, "Run.Finished", $"{ReportFormat.Time(r.Finished)} is before Run.Started {ReportFormat.Time(r.Started)}");
        Settings("Run.Versions", r.Versions, allowEmpty: false);
    }

    private static void Dataset(DatasetSection d)
    {
        Require(d.Stats is not null, "Dataset.Stats", "is missing");
        Require(d.Stats!.Samples > 0 && d.Stats.PerEmotion.Count > 0, "Dataset.Stats", "describes an empty corpus");
        Text("Dataset.DistributionImage", d.DistributionImage);
        if (d.SpeakerImage is not null) Text("Dataset.SpeakerImage", d.SpeakerImage);
    }

    private static void Preprocessing(PreprocessingSection p)
    {
        Require(p.Steps is not null, "Preprocessing.Steps", "is missing; give an empty list when no preprocessing was applied");
        for (int i = 0; i < p.Steps!.Count; i++)
        {
            Text($"Preprocessing.Steps[{i}].Name", p.Steps[i].Name);
            Text($"Preprocessing.Steps[{i}].Parameters", p.Steps[i].Parameters);
        }
    }

    private static void Features(FeatureSection f)
    {
        Text("Features.Kind", f.Kind);
        Settings("Features.Parameters", f.Parameters, allowEmpty: false);
        Require(f.Bins >= 1, "Features.Bins", $"is {f.Bins}; it must be positive");
        Require(f.FramesPerExample >= 1, "Features.FramesPerExample", $"is {f.FramesPerExample}; it must be positive");
        Text("Features.FixedLength", f.FixedLength);
        Text("Features.ExampleImage", f.ExampleImage);
        Text("Features.ExampleCaption", f.ExampleCaption);
    }

    private static void Model(ModelSection m)
    {
        Text("Model.Architecture", m.Architecture);
        Text("Model.InputShape", m.InputShape);
        Text("Model.Activation", m.Activation);
        Text("Model.Output", m.Output);
        Text("Model.Loss", m.Loss);
        Text("Model.Optimizer", m.Optimizer);
        Require(m.Layers is { Count: > 0 }, "Model.Layers", "is empty; list the model's layers");
        for (int i = 0; i < m.Layers.Count; i++)
        {
            Text($"Model.Layers[{i}].Name", m.Layers[i].Name);
            Text($"Model.Layers[{i}].OutputShape", m.Layers[i].OutputShape);
            Require(m.Layers[i].Parameters >= 0, $"Model.Layers[{i}].Parameters", "is negative");
        }
        long sum = m.Layers.Sum(l => l.Parameters);
        Require(sum == m.TotalParameters, "Model.TotalParameters",
            $"is {m.TotalParameters} but the layers' parameters add up to {sum}; list every layer with weights once");
        Require(m.TrainableParameters >= 0 && m.TrainableParameters <= m.TotalParameters, "Model.TrainableParameters",
            $"is {m.TrainableParameters}; it must be between 0 and the total {m.TotalParameters}");
    }

    private static void Training(TrainingSection t)
    {
        Text("Training.SplitMethod", t.SplitMethod);
        Require(t.Split is { Count: > 0 }, "Training.Split", "is empty; give the clips per emotion in train, validation and test");
        for (int i = 0; i < t.Split.Count; i++)
        {
            Text($"Training.Split[{i}].Label", t.Split[i].Label);
            Require(t.Split[i].Train >= 0 && t.Split[i].Validation >= 0 && t.Split[i].Test >= 0, $"Training.Split[{i}]", "holds a negative count");
        }
        Require(t.MaxEpochs >= 1, "Training.MaxEpochs", $"is {t.MaxEpochs}; it must be at least 1");
        Require(t.EpochsRun >= 1 && t.EpochsRun <= t.MaxEpochs, "Training.EpochsRun", $"is {t.EpochsRun}; it must be in 1..MaxEpochs ({t.MaxEpochs})");
        Require(t.BestEpoch >= 1 && t.BestEpoch <= t.EpochsRun, "Training.BestEpoch", $"is {t.BestEpoch}; it must be in 1..EpochsRun ({t.EpochsRun})");
        Text("Training.SelectionMetric", t.SelectionMetric);
        Share("Training.BestValidationScore", t.BestValidationScore);
        Require(t.EarlyStoppingPatience >= 0, "Training.EarlyStoppingPatience", "is negative; use 0 when early stopping was off");
        Require(t.BatchSize >= 1, "Training.BatchSize", $"is {t.BatchSize}; it must be positive");
        Require(t.LearningRate > 0 && double.IsFinite(t.LearningRate), "Training.LearningRate", $"is {t.LearningRate}; it must be positive");
        Text("Training.Schedule", t.Schedule);
        Text("Training.ClassImbalance", t.ClassImbalance);
        Text("Training.Augmentation", t.Augmentation);
        Text("Training.Dropout", t.Dropout);
        Settings("Training.Other", t.Other, allowEmpty: true);
        Require(t.Duration is null || t.Duration >= TimeSpan.Zero, "Training.Duration", "is negative");
        Text("Training.LearningCurveImage", t.LearningCurveImage);
    }

    private static void Evaluation(EvaluationSection e)
    {
        Text("Evaluation.SetName", e.SetName);
        Labels("Evaluation.Labels", e.Labels);
        Matrix("Evaluation.Confusion", e.Confusion, e.Labels);
        Require(e.PerClass is not null && e.PerClass.Count == e.Labels.Count, "Evaluation.PerClass", $"must have one row per label ({e.Labels.Count})");
        int total = e.Confusion.Sum(r => r.Sum());
        for (int i = 0; i < e.PerClass!.Count; i++)
        {
            var row = e.PerClass[i];
            string field = $"Evaluation.PerClass[{i}]";
            Require(row.Label == e.Labels[i], field, $"is '{row.Label}' but label {i} is '{e.Labels[i]}'; keep the label order");
            int support = e.Confusion[i].Sum();
            Require(row.Support == support, field + ".Support", $"is {row.Support} but the confusion row of '{row.Label}' sums to {support}");
            Share(field + ".Precision", row.Precision);
            Require(row.Recall.HasValue == (support > 0) && row.F1.HasValue == (support > 0), field,
                support > 0 ? "needs a recall and an F1 (the class has clips)" : "has no clips, so its recall and F1 must be null");
            if (row.Recall is { } recall)
            {
                Share(field + ".Recall", recall);
                Require(Math.Abs(recall - (double)e.Confusion[i][i] / support) < Tolerance, field + ".Recall",
                    $"is {recall} but the confusion matrix gives {e.Confusion[i][i]}/{support}");
            }
            if (row.F1 is { } f1) Share(field + ".F1", f1);
        }
        Share("Evaluation.Accuracy", e.Accuracy);
        double trace = Enumerable.Range(0, e.Labels.Count).Sum(i => e.Confusion[i][i]);
        Require(Math.Abs(e.Accuracy - trace / total) < Tolerance, "Evaluation.Accuracy",
            $"is {e.Accuracy} but the confusion matrix gives {trace}/{total}");
        Share("Evaluation.MacroPrecision", e.MacroPrecision);
        Share("Evaluation.MacroRecall", e.MacroRecall);
        Share("Evaluation.MacroF1", e.MacroF1);
        Share("Evaluation.WeightedPrecision", e.WeightedPrecision);
        Share("Evaluation.WeightedRecall", e.WeightedRecall);
        Share("Evaluation.WeightedF1", e.WeightedF1);
        Text("Evaluation.ConfusionImage", e.ConfusionImage);
        Text("Evaluation.NormalizedConfusionImage", e.NormalizedConfusionImage);
    }

    private static void CrossValidation(CrossValidationSection cv)
    {
        Text("CrossValidation.Scheme", cv.Scheme);
        Text("CrossValidation.Procedure", cv.Procedure);
        Text("CrossValidation.StdKind", cv.StdKind);
        Require(cv.Folds is { Count: > 0 }, "CrossValidation.Folds", "is empty");
        for (int i = 0; i < cv.Folds.Count; i++)
        {
            Text($"CrossValidation.Folds[{i}].TestSpeaker", cv.Folds[i].TestSpeaker);
            Require(cv.Folds[i].TestClips >= 1, $"CrossValidation.Folds[{i}].TestClips", "must be at least 1");
            Share($"CrossValidation.Folds[{i}].Accuracy", cv.Folds[i].Accuracy);
            Share($"CrossValidation.Folds[{i}].Uar", cv.Folds[i].Uar);
        }
        Share("CrossValidation.MeanAccuracy", cv.MeanAccuracy);
        Share("CrossValidation.MeanUar", cv.MeanUar);
        double meanAccuracy = cv.Folds.Average(f => f.Accuracy), meanUar = cv.Folds.Average(f => f.Uar);
        Require(Math.Abs(cv.MeanAccuracy - meanAccuracy) < Tolerance, "CrossValidation.MeanAccuracy", $"is {cv.MeanAccuracy} but the folds average {meanAccuracy}");
        Require(Math.Abs(cv.MeanUar - meanUar) < Tolerance, "CrossValidation.MeanUar", $"is {cv.MeanUar} but the folds average {meanUar}");
        Share("CrossValidation.StdAccuracy", cv.StdAccuracy);
        Share("CrossValidation.StdUar", cv.StdUar);
        Labels("CrossValidation.Labels", cv.Labels);
        Matrix("CrossValidation.PooledConfusion", cv.PooledConfusion, cv.Labels);
        int pooled = cv.PooledConfusion.Sum(r => r.Sum()), clips = cv.Folds.Sum(f => f.TestClips);
        Require(pooled == clips, "CrossValidation.PooledConfusion", $"counts {pooled} clips but the folds tested {clips}");
        Text("CrossValidation.PooledConfusionImage", cv.PooledConfusionImage);
    }

    private static void Human(HumanBaseline h)
    {
        Text("HumanBaseline.Source", h.Source);
        Require(h.CorpusFiles >= 1, "HumanBaseline.CorpusFiles", "must be at least 1");
        Share("HumanBaseline.CorpusFilesMean", h.CorpusFilesMean);
        if (h.CorpusFilesUar is { } uar) Share("HumanBaseline.CorpusFilesUar", uar);
        if (h.AllRatedMean is { } all) Share("HumanBaseline.AllRatedMean", all);
        if (h.Note is not null) Text("HumanBaseline.Note", h.Note);
    }

    private static void Labels(string field, IReadOnlyList<string> labels)
    {
        Require(labels is { Count: > 0 }, field, "is empty");
        for (int i = 0; i < labels.Count; i++) Text($"{field}[{i}]", labels[i]);
        Require(labels.Distinct().Count() == labels.Count, field, $"repeats a label ({string.Join(", ", labels)})");
    }

    private static void Matrix(string field, int[][] m, IReadOnlyList<string> labels)
    {
        try
        {
            ConfusionAnalysis.Analyze(labels, m);
        }
        catch (ArgumentException e)
        {
            throw new ReportInputException(field, e.Message.Split(" (Parameter")[0]);
        }
    }

    private static void Settings(string field, IReadOnlyList<Setting> settings, bool allowEmpty)
    {
        Require(settings is not null && (allowEmpty || settings.Count > 0), field, "is empty");
        for (int i = 0; i < settings!.Count; i++)
        {
            Text($"{field}[{i}].Name", settings[i].Name);
            Text($"{field}[{i}].Value", settings[i].Value);
        }
    }

    private static void Share(string field, double value) =>
        Require(double.IsFinite(value) && value >= 0 && value <= 1, field, $"is {value}; rates are shares in 0..1 (0.724 for 72.4%)");

    private static void Text(string field, string? value) =>
        Require(!string.IsNullOrWhiteSpace(value), field, "is empty");

    private static void Require(bool ok, string field, string problem)
    {
        if (!ok) throw new ReportInputException(field, problem);
    }

    private static ReportInputException Missing(string field) => new(field, "is missing");
}
