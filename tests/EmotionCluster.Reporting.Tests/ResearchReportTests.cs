using System.Text.RegularExpressions;
using EmotionCluster.Corpora;
using EmotionCluster.Testing;
using Xunit;
using static EmotionCluster.Reporting.ReportFormat;

namespace EmotionCluster.Reporting.Tests;

public sealed class ResearchReportTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly SyntheticRun _run;

    public ResearchReportTests() => _run = new SyntheticRun(_dir.Path);

    public void Dispose() => _dir.Dispose();

    private string Write(ReportInput input) => ResearchReport.WriteMarkdown(input, _run.ReportPath);

    [Fact]
    public void Full_input_fills_every_section_and_leaves_nothing_unfilled()
    {
        string md = Write(_run.Input);

        Assert.Equal(md, File.ReadAllText(_run.ReportPath));
        foreach (string heading in ResearchReport.Headings) Assert.Contains($"\n## {heading}\n", md);
        Assert.StartsWith("# Speech emotion recognition on emodb: CNN on log-mel spectrogram (dB)\n", md);
        Assert.Empty(ResearchReport.FindUnfilled(md));
        Assert.DoesNotContain(ResearchReport.NotRunPhrase, md);
        Assert.DoesNotContain("…", md);
    }

    [Fact]
    public void Every_input_number_appears_in_the_report()
    {
        string md = Write(_run.Input);
        var input = _run.Input;
        var s = input.Dataset.Stats;

        // dataset
        Assert.Contains($"| Samples | {s.Samples} |", md);
        Assert.Contains("| Emotions | 7: anger, boredom, disgust, fear, happiness, sadness, neutral |", md);
        Assert.Contains($"| Speakers | 10: {string.Join(", ", SyntheticRun.Speakers)} |", md);
        Assert.Contains($"PCM16 mono 16000 Hz ({s.Samples} clips)", md);
        Assert.Contains("min 1.23 s, median 2.61 s, max 8.98 s, total 20.6 min", md);
        foreach (var e in s.PerEmotion) Assert.Contains($"| {e.Label} | {e.Count} | {Percent((double)e.Count / s.Samples)} |", md);
        foreach (var sp in s.PerSpeaker)
            Assert.Contains($"| {sp.Label} | {string.Join(" | ", s.Emotions.Select(e => s.EmotionBySpeaker[sp.Label][e]))} | {sp.Count} |", md);

        // preprocessing, features, model
        foreach (var (step, i) in input.Preprocessing.Steps.Select((p, i) => (p, i)))
            Assert.Contains($"| {i + 1} | {step.Name} | {step.Parameters} |", md);
        foreach (var p in input.Features.Parameters) Assert.Contains($"| {p.Name} | {p.Value} |", md);
        Assert.Contains("64 bins x 300 frames (centre crop or zero padding to 3.00 s)", md);
        foreach (var l in input.Model.Layers) Assert.Contains($"| {l.Name} | {l.OutputShape} | {l.Parameters:N0} |", md);
        Assert.Contains("| block 4 (conv 128, BN) | 128 x 4 x 18 | 73,984 |", md);
        Assert.Contains("Total parameters: 106,103, of which 106,103 trainable.", md);
        foreach (string text in new[] { input.Model.Architecture, input.Model.Activation, input.Model.Output, input.Model.Loss, input.Model.Optimizer })
            Assert.Contains(text, md);

        // training
        var t = input.Training!;
        foreach (var r in t.Split) Assert.Contains($"| {r.Label} | {r.Train} | {r.Validation} | {r.Test} | {r.Train + r.Validation + r.Test} |", md);
        int train = t.Split.Sum(r => r.Train), val = t.Split.Sum(r => r.Validation), test = t.Split.Sum(r => r.Test);
        Assert.Contains($"| Total | {train} | {val} | {test} | {train + val + test} |", md);
        Assert.Contains("| Epochs | 31 of at most 60 (stopped early) |", md);
        Assert.Contains("| Best epoch | 16 (validation UAR 73.1%) |", md);
        Assert.Contains("after 15 epochs without a better validation UAR", md);
        Assert.Contains("| Batch size | 32 |", md);
        Assert.Contains("| Learning rate | 0.0003 |", md);
        foreach (string text in new[] { t.Schedule, t.ClassImbalance, t.Augmentation, t.Dropout }) Assert.Contains(text, md);
        Assert.Contains("| weight decay | 0.01 |", md);
        Assert.Contains("| Training time | 12 min 34 s |", md);

        // held-out evaluation
        var ev = input.Evaluation!;
        foreach (var c in ev.PerClass)
            Assert.Contains($"| {c.Label} | {Percent(c.Precision)} | {Percent(c.Recall!.Value)} | {Percent(c.F1!.Value)} | {c.Support} |", md);
        Assert.Contains("| happiness | 80.0% | 40.0% | 53.3% | 10 |", md); // 4 of 5 predictions right, 4 of 10 recalled
        Assert.Contains($"| Macro average (recall = UAR) | {Percent(ev.MacroPrecision)} | {Percent(ev.MacroRecall)} | {Percent(ev.MacroF1)} | 65 |", md);
        Assert.Contains($"| Weighted average | {Percent(ev.WeightedPrecision)} | {Percent(ev.WeightedRecall)} | {Percent(ev.WeightedF1)} | 65 |", md);
        Assert.Contains("accuracy 78.5%", md); // 51 of 65

        // speaker-independent
        var cv = input.CrossValidation!;
        foreach (var (f, i) in cv.Folds.Select((f, i) => (f, i)))
            Assert.Contains($"| {i + 1} | {f.TestSpeaker} | {f.TestClips} | {Percent(f.Accuracy)} | {Percent(f.Uar)} |", md);
        Assert.Contains($"| Mean ± std | all 10 | {s.Samples} | {MeanStd(cv.MeanAccuracy, cv.StdAccuracy)} | {MeanStd(cv.MeanUar, cv.StdUar)} |", md);
        for (int e = 0; e < 7; e++)
            Assert.Contains($"| {SyntheticRun.Labels[e]} | {_run.Pooled[e][e]} | {_run.Pooled[e].Sum()} |", md);

        // human baseline, MFCC, run
        Assert.Contains("| Listeners | mean recognition over the " + s.Samples + " corpus files | 93.5% |", md);
        Assert.Contains("| Listeners | UAR over emotions, corpus files | 92.2% |", md);
        Assert.Contains("| Listeners | mean recognition over all rated recordings | 85.2% |", md);
        Assert.Contains("accuracy 61.2%, UAR 59.9% (mean over the speaker-independent folds)", md);
        Assert.Contains("```\nemotioncluster report --data /data/emodb --out runs/r1 --seed 42\n```", md);
        Assert.Contains("| Seed | 42 |", md);
        Assert.Contains("| Started | 2025-03-14 09:26:53 +00:00 |", md);
        Assert.Contains("| Run time | 1 h 31 min 19 s |", md);
        Assert.Contains("| Cores | 2 |", md);
        Assert.Contains("| TorchSharp | 0.107.0 |", md);
    }

    [Fact]
    public void Image_links_are_relative_and_resolve_to_the_images()
    {
        string md = Write(_run.Input);
        string reportDir = Path.GetDirectoryName(_run.ReportPath)!;
        var links = Regex.Matches(md, @"!\[[^\]]*\]\(([^)]+)\)").Select(m => m.Groups[1].Value).ToList();

        Assert.Equal(7, links.Count);
        foreach (string link in links)
        {
            Assert.False(Path.IsPathRooted(link), link);
            Assert.DoesNotContain("..", link);
            Png.AssertValid(Path.Combine(reportDir, Uri.UnescapeDataString(link)));
        }
        Assert.Contains("curves/learning.png", links);          // inside the report folder: linked in place
        Assert.Contains("figures/example%20spectrogram.png", links); // outside: copied, the space escaped
        Assert.Contains("figures/cm.png", links);               // test-set confusion matrix ...
        Assert.Contains("figures/cm-2.png", links);             // ... and the LOSO one with the same file name
        Assert.Equal(File.ReadAllBytes(Path.Combine(_dir.Path, "run", "loso", "cm.png")), File.ReadAllBytes(Path.Combine(reportDir, "figures", "cm-2.png")));
        Assert.False(File.Exists(Path.Combine(reportDir, "figures", "learning.png")));
        foreach (string link in links) // every figure has its SVG twin next to it, the copied ones too
            Assert.True(File.Exists(Charts.SvgPath(Path.Combine(reportDir, Uri.UnescapeDataString(link)))), link);
        Assert.Contains("Every figure is also saved as SVG", md);
    }

    [Fact]
    public void A_copied_image_never_overwrites_an_input_image_in_the_figures_folder()
    {
        string reportDir = Path.GetDirectoryName(_run.ReportPath)!;
        string inPlace = Path.Combine(reportDir, ResearchReport.FiguresFolder, "cm.png");
        Directory.CreateDirectory(Path.GetDirectoryName(inPlace)!);
        File.Copy(_run.Input.Dataset.DistributionImage, inPlace);
        var input = _run.Input with { Dataset = _run.Input.Dataset with { DistributionImage = inPlace } };

        string md = Write(input);

        Assert.Contains("](figures/cm.png)", md);   // the in-place distribution chart
        Assert.Contains("](figures/cm-2.png)", md); // the test-set confusion matrix, copied beside it
        Assert.Contains("](figures/cm-3.png)", md); // the LOSO one
        Assert.Equal(File.ReadAllBytes(_run.Input.Dataset.DistributionImage), File.ReadAllBytes(inPlace));
    }

    [Fact]
    public void Writing_twice_gives_the_same_report()
    {
        string first = Write(_run.Input);
        Assert.Equal(first, Write(_run.Input));
    }

    [Fact]
    public void Partial_input_says_what_was_not_run_and_how_to_run_it()
    {
        var input = _run.Input with { Training = null, Evaluation = null, CrossValidation = null, HumanBaseline = null, Mfcc = null };
        string md = Write(input);

        foreach (string heading in ResearchReport.Headings) Assert.Contains($"\n## {heading}\n", md);
        Assert.Contains($"Training on a train/validation/test split: not run in this report (run `{ResearchReport.TrainCommand}`).", md);
        Assert.Contains($"Evaluation on a held-out test set: not run in this report (run `{ResearchReport.TrainCommand}`).", md);
        Assert.Contains($"Speaker-independent (leave-one-speaker-out) evaluation: not run in this report (run `{ResearchReport.CrossValidationCommand}`).", md);
        Assert.Contains("Human baseline: not run in this report", md);
        Assert.Contains($"the MFCC comparison was not run in this report (run `{ResearchReport.MfccCommand}`)", md);
        Assert.Contains("There are no results to discuss", md);
        Assert.Contains("**Headline.** No model was evaluated: not run in this report", md);
        Assert.Empty(ResearchReport.FindUnfilled(md));
        Assert.Equal(3, Regex.Matches(md, @"!\[").Count); // distribution, speakers, spectrogram
    }

    [Fact]
    public void Without_cross_validation_the_results_come_from_the_test_set()
    {
        string md = Write(_run.Input with { CrossValidation = null, Mfcc = null });
        string results = Section(md, "9. Results");

        Assert.Contains("On the held-out test set (10%), sadness is recognised best (recall 100.0%, 10 of 10 clips) and happiness worst (recall 40.0%, 4 of 10 clips).", results);
        Assert.Contains("The largest confusion is happiness taken for anger: 5 of 10 happiness clips (50.0%); the other way round, 1 of 13 anger clips (7.7%) were taken for happiness.", results);
        Assert.Contains("chance level is 1/7 = 14.3%", results);
        Assert.Contains("the model's accuracy on the held-out test set (10%), 78.5%, is 15.1 points below that.", results); // 0.9354 - 51/65 = 0.1508
        Assert.Contains("**Headline.** UAR", md);
        Assert.Contains("Speaker-independent evaluation: not run in this report", md);
        Assert.Contains("the matching log-mel run is not part of this report", Write(_run.Input with { CrossValidation = null }));
    }

    [Fact]
    public void With_cross_validation_the_results_use_the_pooled_folds()
    {
        string md = Write(_run.Input);
        string results = Section(md, "9. Results");
        var cv = _run.Input.CrossValidation!;
        var pooled = ConfusionAnalysis.Analyze(cv.Labels, cv.PooledConfusion);

        Assert.Contains($"mean UAR of {MeanStd(cv.MeanUar, cv.StdUar)}", results);
        Assert.Contains($"Pooled over the 10 folds, {ResultsText.ClassSentence(pooled)} {ResultsText.ConfusionSentence(pooled)}", results);
        Assert.Contains($"pooled over the folds (the same {_run.Stats.Samples} files), {Percent(pooled.Accuracy)}", results);
        var majority = _run.Stats.PerEmotion.MaxBy(p => p.Count)!;
        Assert.Contains($"({majority.Label}, {majority.Count} of {_run.Stats.Samples} clips)", results);
        Assert.Contains("An MFCC run was done (40 MFCCs from the same mel filterbank, same CNN)", Section(md, "10. Future work"));
        Assert.Contains($"With MFCC features (40 MFCCs from the same mel filterbank, same CNN) the UAR is 59.9% (mean over the speaker-independent folds), " +
                        $"{Points(cv.MeanUar - 0.5987)} points below the log-mel figure of {Percent(cv.MeanUar)}.", results);
        Assert.Contains($"against UAR {Percent(cv.MeanUar)} with log-mel spectrogram (dB) under the same protocol", md);
    }

    [Fact]
    public void A_missing_image_is_a_clear_error_and_nothing_is_written()
    {
        string missing = _run.Input.Evaluation!.ConfusionImage;
        File.Delete(missing);

        var e = Assert.Throws<ReportInputException>(() => Write(_run.Input));
        Assert.Equal("Evaluation.ConfusionImage", e.Field);
        Assert.Contains(missing, e.Message);
        Assert.Contains("does not exist", e.Message);
        Assert.False(File.Exists(_run.ReportPath));
    }

    [Fact]
    public void Inconsistent_input_is_rejected_naming_the_field()
    {
        ReportInputException Reject(ReportInput input) => Assert.Throws<ReportInputException>(() => Write(input));
        var ev = _run.Input.Evaluation!;
        var cv = _run.Input.CrossValidation!;

        Assert.Equal("Evaluation.Accuracy", Reject(_run.Input with { Evaluation = ev with { Accuracy = 78.5 } }).Field);
        Assert.Contains("0.724 for 72.4%", Reject(_run.Input with { Mfcc = _run.Input.Mfcc! with { Uar = 59.9 } }).Message);
        Assert.Equal("Evaluation.Accuracy", Reject(_run.Input with { Evaluation = ev with { Accuracy = 0.5 } }).Field);
        Assert.Equal("Evaluation.PerClass[4].Support", Reject(_run.Input with
        {
            Evaluation = ev with { PerClass = ev.PerClass.Select((c, i) => i == 4 ? c with { Support = 11 } : c).ToList() },
        }).Field);
        Assert.Equal("Model.TotalParameters", Reject(_run.Input with { Model = _run.Input.Model with { TotalParameters = 1 } }).Field);
        Assert.Equal("CrossValidation.MeanUar", Reject(_run.Input with { CrossValidation = cv with { MeanUar = cv.MeanUar + 0.01 } }).Field);
        Assert.Equal("CrossValidation.PooledConfusion", Reject(_run.Input with { CrossValidation = cv with { Folds = cv.Folds.Skip(1).ToList(), MeanAccuracy = cv.Folds.Skip(1).Average(f => f.Accuracy), MeanUar = cv.Folds.Skip(1).Average(f => f.Uar) } }).Field);
        Assert.Equal("Training.BestEpoch", Reject(_run.Input with { Training = _run.Input.Training! with { BestEpoch = 40 } }).Field);
        Assert.Equal("Run.Versions", Reject(_run.Input with { Run = _run.Input.Run with { Versions = [] } }).Field);
        Assert.Equal("Features.ExampleCaption", Reject(_run.Input with { Features = _run.Input.Features with { ExampleCaption = " " } }).Field);
        Assert.False(File.Exists(_run.ReportPath));
    }

    [Fact]
    public void A_class_without_test_clips_is_shown_as_such()
    {
        int[][] confusion = SyntheticRun.TestConfusion.Select((r, i) => i == 6 ? new int[7] : (int[])r.Clone()).ToArray();
        confusion[0][6] = 1; // an anger clip predicted as neutral: neutral has predictions but no clips
        confusion[0][0] = 11;
        var ev = SyntheticRun.Metrics(confusion) with
        {
            ConfusionImage = _run.Input.Evaluation!.ConfusionImage,
            NormalizedConfusionImage = _run.Input.Evaluation.NormalizedConfusionImage,
        };
        string md = Write(_run.Input with { Evaluation = ev });

        Assert.Contains("| neutral | 0.0% | no clips | no clips | 0 |", md);
        Assert.Empty(ResearchReport.FindUnfilled(md));
    }

    [EmoDbFact]
    public void Human_baseline_from_EmoDb_ratings()
    {
        var stats = DatasetStats.Compute(CorpusLoader.Load(Datasets.RequireEmoDb()));
        var human = HumanBaseline.FromStats(stats);

        Assert.NotNull(human);
        Assert.Equal(535, human.CorpusFiles);
        Assert.Equal("93.5%", Percent(human.CorpusFilesMean)); // mean of erkennung.txt over the 535 corpus files
        Assert.Equal("85.2%", Percent(human.AllRatedMean!.Value)); // over all 816 rated recordings
        Assert.Contains("80%", human.Note);
    }

    [Fact]
    public void No_ratings_no_human_baseline()
    {
        Assert.Null(HumanBaseline.FromStats(_run.Stats with { HumanRecognitionMean = null, HumanRecognitionUar = null, RatedRecognitionMean = null }));
        Assert.Null(HumanBaseline.FromStats(_run.Stats with { Corpus = "aesdd" })!.Note);
    }

    /// <summary>The text of a level-2 section, up to the next level-2 heading.</summary>
    private static string Section(string md, string heading)
    {
        int start = md.IndexOf($"\n## {heading}\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no section {heading}");
        int end = md.IndexOf("\n## ", start + 4, StringComparison.Ordinal);
        return end < 0 ? md[start..] : md[start..end];
    }
}
