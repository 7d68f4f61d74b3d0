using System.Globalization;
using EmotionCluster.Corpora;
using static EmotionCluster.Reporting.ReportFormat;

namespace EmotionCluster.Reporting;

/// <summary>Renders a validated <see cref="ReportInput"/> to Markdown; <c>link</c> maps an image field to its relative link.</summary>
internal static class ReportSections
{
    private const int MaxIssuesListed = 10;

    /// <param name="vectorFigures">Every figure has an SVG twin next to it (<see cref="Charts.SvgPath"/>): the report says so.</param>
    public static string Render(ReportInput input, Func<string, string> link, bool vectorFigures = false)
    {
        var md = new MarkdownBuilder();
        var stats = input.Dataset.Stats;
        string title = input.Title ?? $"Speech emotion recognition on {stats.Corpus}: CNN on {input.Features.Kind}";
        md.Heading(1, title);
        md.Paragraph($"Written by EmotionCluster from the run of {Time(input.Run.Finished)} (seed {input.Run.Seed}); " +
                     "every number below comes from that run.");
        md.Paragraph("**Headline.** " + ResultsText.Headline(input));

        Dataset(md, input.Dataset, link);
        Preprocessing(md, input.Preprocessing);
        Features(md, input.Features, link);
        Model(md, input.Model);
        Training(md, input.Training, link);
        Evaluation(md, input.Evaluation, link);
        CrossValidation(md, input.CrossValidation, link);
        Human(md, input);
        md.Heading(2, ResearchReport.Headings[8]);
        foreach (string paragraph in ResultsText.Paragraphs(input)) md.Paragraph(paragraph);
        FutureWork(md, input);
        HowMade(md, input, vectorFigures);
        return md.ToString();
    }

    private static void Dataset(MarkdownBuilder md, DatasetSection d, Func<string, string> link)
    {
        var s = d.Stats;
        md.Heading(2, ResearchReport.Headings[0]);
        var rows = new List<string[]>
        {
            new[] { "Corpus", $"{s.Corpus} (read from {s.Root})" },
            new[] { "Samples", s.ReadableSamples < s.Samples ? $"{s.Samples} ({s.ReadableSamples} with readable audio)" : $"{s.Samples}" },
            new[] { "Emotions", $"{s.Emotions.Count}: {string.Join(", ", s.Emotions)}" },
            new[] { "Speakers", $"{s.Speakers.Count}: {string.Join(", ", s.Speakers)}" },
            new[] { "Audio formats", s.Formats.Count > 0 ? string.Join("; ", s.Formats.Select(f => $"{f.Label} ({f.Count} clips)")) : "no readable audio" },
            new[] { "Sample rates", s.SampleRates.Count > 0 ? string.Join(", ", s.SampleRates.Select(r => $"{r} Hz")) : "no readable audio" },
            new[] { "Durations", s.Durations is { } du
                ? $"min {Seconds(du.MinSeconds)}, median {Seconds(du.MedianSeconds)}, max {Seconds(du.MaxSeconds)}, total {(du.TotalSeconds / 60).ToString("0.0", CultureInfo.InvariantCulture)} min"
                : "no readable audio" },
            new[] { "Problems found", s.Issues.Count == 0 ? "none" : $"{s.Issues.Count} (listed below)" },
        };
        md.Table(["Property", "Value"], rows);

        md.Paragraph("Samples per emotion:");
        md.Table(["Emotion", ">Clips", ">Share"],
            s.PerEmotion.Select(e => new[] { e.Label, $"{e.Count}", Percent((double)e.Count / s.Samples) })
                .Append(["Total", $"{s.Samples}", Percent(1)]));
        md.Image($"Clips per emotion in {s.Corpus}", link("Dataset.DistributionImage"));

        md.Paragraph("Samples per speaker and emotion:");
        md.Table(["Speaker", .. s.Emotions.Select(e => ">" + e), ">Total"],
            s.PerSpeaker.Select(sp => (IReadOnlyList<string>)[sp.Label, .. s.Emotions.Select(e => $"{s.EmotionBySpeaker[sp.Label][e]}"), $"{sp.Count}"]));
        if (d.SpeakerImage is not null) md.Image($"Clips per speaker and emotion in {s.Corpus}", link("Dataset.SpeakerImage"));

        if (s.Issues.Count > 0)
        {
            md.Paragraph($"Problems found while reading the corpus ({s.Issues.Count}{(s.Issues.Count > MaxIssuesListed ? $", first {MaxIssuesListed}" : "")}):");
            md.Bullets(s.Issues.Take(MaxIssuesListed).Select(i => $"`{i.Path}`: {i.Problem}"));
        }
    }

    private static void Preprocessing(MarkdownBuilder md, PreprocessingSection p)
    {
        md.Heading(2, ResearchReport.Headings[1]);
        if (p.Steps.Count == 0)
        {
            md.Paragraph("No preprocessing was applied: features were computed from the audio as stored.");
            return;
        }
        md.Paragraph($"Every clip went through these {p.Steps.Count} steps, in this order, before feature extraction:");
        md.Table([">#", "Step", "Parameters"], p.Steps.Select((s, i) => new[] { $"{i + 1}", s.Name, s.Parameters }));
    }

    private static void Features(MarkdownBuilder md, FeatureSection f, Func<string, string> link)
    {
        md.Heading(2, ResearchReport.Headings[2]);
        md.Paragraph($"Each clip becomes a {f.Kind} of {f.Bins} bins x {f.FramesPerExample} frames ({f.FixedLength}).");
        md.Table(["Parameter", "Value"], f.Parameters.Select(p => new[] { p.Name, p.Value }));
        md.Image($"Example {f.Kind}: {f.ExampleCaption}", link("Features.ExampleImage"));
        md.Paragraph($"Example input: {f.ExampleCaption}.");
    }

    private static void Model(MarkdownBuilder md, ModelSection m)
    {
        md.Heading(2, ResearchReport.Headings[3]);
        md.Bullets([
            $"Architecture: {m.Architecture}",
            $"Input: {m.InputShape}",
            $"Hidden activation: {m.Activation}",
            $"Output: {m.Output}",
            $"Loss: {m.Loss}",
            $"Optimizer: {m.Optimizer}",
        ]);
        md.Table(["Layer", "Output shape", ">Parameters"], m.Layers.Select(l => new[] { l.Name, l.OutputShape, Count(l.Parameters) }));
        md.Paragraph($"Total parameters: {Count(m.TotalParameters)}, of which {Count(m.TrainableParameters)} trainable.");
    }

    private static void Training(MarkdownBuilder md, TrainingSection? t, Func<string, string> link)
    {
        md.Heading(2, ResearchReport.Headings[4]);
        if (t is null)
        {
            md.Paragraph(NotRun("Training on a train/validation/test split", ResearchReport.TrainCommand));
            return;
        }
        int train = t.Split.Sum(r => r.Train), validation = t.Split.Sum(r => r.Validation), test = t.Split.Sum(r => r.Test);
        int all = train + validation + test;
        md.Paragraph($"Split: {t.SplitMethod}. Of {all} clips, {train} ({Percent(Share(train, all))}) are for training, " +
                     $"{validation} ({Percent(Share(validation, all))}) for validation and {test} ({Percent(Share(test, all))}) for testing.");
        md.Table(["Emotion", ">Train", ">Validation", ">Test", ">Total"],
            t.Split.Select(r => new[] { r.Label, $"{r.Train}", $"{r.Validation}", $"{r.Test}", $"{r.Train + r.Validation + r.Test}" })
                .Append(["Total", $"{train}", $"{validation}", $"{test}", $"{all}"]));

        string epochs = t.EpochsRun < t.MaxEpochs
            ? $"{t.EpochsRun} of at most {t.MaxEpochs} (stopped early)"
            : $"{t.EpochsRun} of {t.MaxEpochs} (ran to the limit)";
        string stopping = t.EarlyStoppingPatience > 0
            ? $"after {t.EarlyStoppingPatience} epochs without a better {t.SelectionMetric}; the best epoch's weights are kept"
            : $"off; the weights of the epoch with the best {t.SelectionMetric} are kept";
        var rows = new List<string[]>
        {
            new[] { "Epochs", epochs },
            new[] { "Best epoch", $"{t.BestEpoch} ({t.SelectionMetric} {Percent(t.BestValidationScore)})" },
            new[] { "Early stopping", stopping },
            new[] { "Batch size", $"{t.BatchSize}" },
            new[] { "Learning rate", Number(t.LearningRate) },
            new[] { "Learning-rate schedule", t.Schedule },
            new[] { "Class imbalance", t.ClassImbalance },
            new[] { "Augmentation", t.Augmentation },
            new[] { "Dropout", t.Dropout },
        };
        rows.AddRange(t.Other.Select(o => new[] { o.Name, o.Value }));
        if (t.Duration is { } d) rows.Add(["Training time", Span(d)]);
        md.Table(["Setting", "Value"], rows);
        md.Image("Learning curve: loss and validation score per epoch", link("Training.LearningCurveImage"));
    }

    private static void Evaluation(MarkdownBuilder md, EvaluationSection? e, Func<string, string> link)
    {
        md.Heading(2, ResearchReport.Headings[5]);
        if (e is null)
        {
            md.Paragraph(NotRun("Evaluation on a held-out test set", ResearchReport.TrainCommand));
            return;
        }
        int total = e.PerClass.Sum(c => c.Support);
        md.Paragraph($"On the {e.SetName}, {total} clips: accuracy {Percent(e.Accuracy)}, unweighted average recall (UAR, the macro " +
                     $"recall) {Percent(e.MacroRecall)}, macro F1 {Percent(e.MacroF1)}, weighted F1 {Percent(e.WeightedF1)}.");
        static string Optional(double? v) => v is { } x ? Percent(x) : "no clips";
        md.Table(["Emotion", ">Precision", ">Recall", ">F1", ">Support"],
            e.PerClass.Select(c => new[] { c.Label, Percent(c.Precision), Optional(c.Recall), Optional(c.F1), $"{c.Support}" })
                .Append(["Macro average (recall = UAR)", Percent(e.MacroPrecision), Percent(e.MacroRecall), Percent(e.MacroF1), $"{total}"])
                .Append(["Weighted average", Percent(e.WeightedPrecision), Percent(e.WeightedRecall), Percent(e.WeightedF1), $"{total}"]));
        md.Paragraph("Rows are the true emotions, columns the predictions; the second matrix shows each row as shares of its clips.");
        md.Image("Confusion matrix (counts)", link("Evaluation.ConfusionImage"));
        md.Image("Confusion matrix (row-normalized)", link("Evaluation.NormalizedConfusionImage"));
    }

    private static void CrossValidation(MarkdownBuilder md, CrossValidationSection? cv, Func<string, string> link)
    {
        md.Heading(2, ResearchReport.Headings[6]);
        if (cv is null)
        {
            md.Paragraph(NotRun("Speaker-independent (leave-one-speaker-out) evaluation", ResearchReport.CrossValidationCommand));
            return;
        }
        var pooled = ConfusionAnalysis.Analyze(cv.Labels, cv.PooledConfusion);
        md.Paragraph($"Scheme: {cv.Scheme}, {cv.Folds.Count} folds. {cv.Procedure}.");
        if (cv.Protocols.Count > 0)
        {
            md.Paragraph("How the held-out speaker's clips were scored, the headline first: each protocol is what a user of the " +
                         "model has at hand (a lone file, a few unlabelled recordings of the same speaker, all of them).");
            md.Table(["Protocol", "What the model gets", ">Mean UAR ± std", ">Folds"],
                cv.Protocols.Select(p => new[] { p.Protocol, p.Description, MeanStd(p.MeanUar, p.StdUar), $"{p.Folds}" }));
        }
        if (cv.Robustness.Count > 0)
        {
            md.Paragraph("Robustness to the recording: the held-out clips scored lone-clip (as `predict FILE`) after each recording " +
                         "condition was applied to their audio (babble from the fold's training speakers; docs/accuracy.md). " +
                         "The drop is the clean mean UAR minus the condition's, in percentage points.");
            md.Table(["Condition", "What was done", ">Mean UAR ± std", ">Drop from clean", ">Folds"],
                cv.Robustness.Select(r => new[]
                {
                    r.Condition, r.Description, MeanStd(r.MeanUar, r.StdUar),
                    r.Condition == "clean" ? "reference" : (100 * r.DropFromClean).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " pp",
                    $"{r.Folds}",
                }));
        }
        md.Table([">Fold", "Test speaker", ">Test clips", ">Accuracy", ">UAR"],
            cv.Folds.Select((f, i) => new[] { $"{i + 1}", f.TestSpeaker, $"{f.TestClips}", Percent(f.Accuracy), Percent(f.Uar) })
                .Append(["Mean ± std", $"all {cv.Folds.Count}", $"{pooled.Total}", MeanStd(cv.MeanAccuracy, cv.StdAccuracy), MeanStd(cv.MeanUar, cv.StdUar)]));
        md.Paragraph($"Mean ± std are over the {cv.Folds.Count} folds ({cv.StdKind}; pp = percentage points). " +
                     $"Pooled over all folds ({pooled.Total} test predictions): accuracy {Percent(pooled.Accuracy)}, UAR {Percent(pooled.Uar)}.");
        md.Table(["Emotion", ">Correct", ">Clips", ">Recall"],
            pooled.Recalls.Select(r => new[] { r.Label, $"{r.Correct}", $"{r.Total}", Percent(r.Recall) }));
        md.Image("Pooled confusion matrix over all folds", link("CrossValidation.PooledConfusionImage"));
    }

    private static void Human(MarkdownBuilder md, ReportInput input)
    {
        md.Heading(2, ResearchReport.Headings[7]);
        if (input.HumanBaseline is not { } h)
        {
            md.Paragraph($"Human baseline: {ResearchReport.NotRunPhrase} (no listener ratings were given for {input.Dataset.Stats.Corpus}; " +
                         $"for EMO-DB, put erkennung.txt beside wav/ and check with `{ResearchReport.DatasetStatsCommand}`).");
            return;
        }
        var rows = new List<string[]>
        {
            new[] { "Listeners", $"mean recognition over the {h.CorpusFiles} corpus files", Percent(h.CorpusFilesMean) },
        };
        if (h.CorpusFilesUar is { } uar) rows.Add(["Listeners", "UAR over emotions, corpus files", Percent(uar)]);
        if (h.AllRatedMean is { } all) rows.Add(["Listeners", "mean recognition over all rated recordings", Percent(all)]);
        if (input.CrossValidation is { } cv)
        {
            var pooled = ConfusionAnalysis.Analyze(cv.Labels, cv.PooledConfusion);
            rows.Add(["This model, speaker-independent", $"accuracy pooled over the {cv.Folds.Count} folds ({pooled.Total} clips)", Percent(pooled.Accuracy)]);
            rows.Add(["This model, speaker-independent", "UAR pooled over the folds", Percent(pooled.Uar)]);
        }
        if (input.Evaluation is { } e)
        {
            rows.Add(["This model", $"accuracy on the {e.SetName}", Percent(e.Accuracy)]);
            rows.Add(["This model", $"UAR on the {e.SetName}", Percent(e.MacroRecall)]);
        }
        md.Paragraph($"Listener figures: {h.Source}.");
        md.Table(["Who", "Measure", ">Value"], rows);
        md.Paragraph("A listener's recognition rate of a file is the share of listeners who named the intended emotion; " +
                     "the mean over files compares with the model's accuracy, the mean over emotions with its UAR." +
                     (h.Note is null ? "" : " " + h.Note));
    }

    private static void FutureWork(MarkdownBuilder md, ReportInput input)
    {
        md.Heading(2, ResearchReport.Headings[9]);
        md.Bullets([
            ResultsText.MfccSentence(input),
            "**Transfer learning.** Replace the log-mel CNN front end with a pretrained speech model (wav2vec 2.0, HuBERT or " +
            "WavLM embeddings, fine-tuned or frozen with a small classifier), which learns from far more speech than this corpus holds.",
            $"**More data.** Add AESDD (Acted Emotional Speech Dynamic Database, Greek; the corpus loader already reads it) and other " +
            $"corpora: {input.Dataset.Stats.Samples} clips from {input.Dataset.Stats.Speakers.Count} speakers are few for a CNN.",
            "**Cross-corpus evaluation.** Train on one corpus and test on another on the emotions they share (EMO-DB and AESDD share " +
            "anger, disgust, fear, happiness and sadness) to measure how well the model carries over to new speakers, language and recording conditions.",
        ]);
    }

    private static void HowMade(MarkdownBuilder md, ReportInput input, bool vectorFigures)
    {
        var r = input.Run;
        md.Heading(2, ResearchReport.Headings[10]);
        if (vectorFigures)
            md.Paragraph("Every figure is also saved as SVG (vector graphics for papers and slides) next to its PNG, with the same " +
                         "name and the extension `.svg`. Each emotion has one colour in every figure and on the live page.");
        md.Paragraph("Command line:");
        md.Code(r.CommandLine);
        md.Table(["Item", "Value"], new[]
        {
            new[] { "Seed", $"{r.Seed}" },
            new[] { "Started", Time(r.Started) },
            new[] { "Finished", Time(r.Finished) },
            new[] { "Run time", Span(r.Finished - r.Started) },
            new[] { "Machine", r.Machine },
            new[] { "Cores", $"{r.Cores}" },
            new[] { "Data", input.Dataset.Stats.Root },
        });
        md.Paragraph("Software:");
        md.Table(["Component", "Version"], r.Versions.Select(v => new[] { v.Name, v.Value }));
    }

    internal static string NotRun(string what, string command) => $"{what}: {ResearchReport.NotRunPhrase} (run `{command}`).";

    private static double Share(int part, int whole) => whole == 0 ? 0 : (double)part / whole;
}
