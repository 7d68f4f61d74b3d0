using static EmotionCluster.Reporting.ReportFormat;

namespace EmotionCluster.Reporting;

/// <summary>
/// The sentences that interpret the numbers: headline, results paragraphs and the MFCC note. Every figure in them is
/// read from the <see cref="ReportInput"/>; nothing is claimed that the input does not show.
/// </summary>
public static class ResultsText
{
    /// <summary>One sentence: the speaker-independent UAR when cross-validation ran, else the held-out test figures.</summary>
    public static string Headline(ReportInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.CrossValidation is { } cv)
            return $"Speaker-independent UAR {MeanStd(cv.MeanUar, cv.StdUar)} and accuracy {MeanStd(cv.MeanAccuracy, cv.StdAccuracy)} " +
                   $"({cv.Scheme}, mean ± std over {cv.Folds.Count} folds); chance level is {Chance(cv.Labels.Count)}.";
        if (input.Evaluation is { } e)
            return $"UAR {Percent(e.MacroRecall)} and accuracy {Percent(e.Accuracy)} on the {e.SetName}; chance level is " +
                   $"{Chance(e.Labels.Count)}. Speaker-independent evaluation: {ResearchReport.NotRunPhrase} (run `{ResearchReport.CrossValidationCommand}`).";
        return $"No model was evaluated: {ResearchReport.NotRunPhrase} (run `{ResearchReport.TrainCommand}` or `{ResearchReport.CrossValidationCommand}`).";
    }

    /// <summary>The results section: overall figures, chance and majority baselines, best and worst emotion, largest confusion, gap to listeners.</summary>
    public static IReadOnlyList<string> Paragraphs(ReportInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var cv = input.CrossValidation;
        var e = input.Evaluation;
        if (cv is null && e is null)
            return [$"There are no results to discuss: model evaluation was {ResearchReport.NotRunPhrase} (run `{ResearchReport.TrainCommand}` or `{ResearchReport.CrossValidationCommand}`)."];

        var paragraphs = new List<string>();
        var overall = new List<string>();
        if (cv is not null)
        {
            overall.Add($"Speaker-independent ({cv.Scheme}, {cv.Folds.Count} folds), the model reaches a mean UAR of {MeanStd(cv.MeanUar, cv.StdUar)} " +
                        $"and a mean accuracy of {MeanStd(cv.MeanAccuracy, cv.StdAccuracy)}.");
            if (cv.Folds.Count > 1)
            {
                var low = cv.Folds.MinBy(f => f.Uar)!;
                var high = cv.Folds.MaxBy(f => f.Uar)!;
                overall.Add($"Per fold, the UAR ranges from {Percent(low.Uar)} (test speaker {low.TestSpeaker}) to {Percent(high.Uar)} (test speaker {high.TestSpeaker}).");
            }
        }
        if (e is not null)
            overall.Add($"{(cv is null ? "On" : "For comparison, on")} the {e.SetName}, {e.PerClass.Sum(c => c.Support)} clips, the model reaches " +
                        $"accuracy {Percent(e.Accuracy)}, UAR {Percent(e.MacroRecall)} and macro F1 {Percent(e.MacroF1)}.");
        paragraphs.Add(string.Join(" ", overall));

        var stats = input.Dataset.Stats;
        int classes = cv?.Labels.Count ?? e!.Labels.Count;
        double headlineUar = cv?.MeanUar ?? e!.MacroRecall;
        var majority = stats.PerEmotion.MaxBy(p => p.Count)!;
        paragraphs.Add($"With {classes} emotions, chance level is {Chance(classes)}; always answering the most frequent emotion " +
                       $"({majority.Label}, {majority.Count} of {stats.Samples} clips) would give an accuracy of {Percent((double)majority.Count / stats.Samples)}. " +
                       $"The headline UAR of {Percent(headlineUar)} is {Gap(headlineUar, 1.0 / classes)} chance.");

        var facts = cv is not null ? ConfusionAnalysis.Analyze(cv.Labels, cv.PooledConfusion) : ConfusionAnalysis.Analyze(e!.Labels, e.Confusion);
        string where = cv is not null ? $"Pooled over the {cv.Folds.Count} folds" : $"On the {e!.SetName}";
        paragraphs.Add($"{where}, {ClassSentence(facts)} {ConfusionSentence(facts)}");

        if (input.HumanBaseline is { } h) paragraphs.Add(HumanSentence(h, facts, cv is not null, e));
        if (input.Mfcc is { } m)
        {
            var (protocol, melUar) = MfccProtocol(input, m);
            paragraphs.Add($"With MFCC features ({m.Setup}) the UAR is {Percent(m.Uar)} ({protocol})" +
                           (melUar is { } mel ? $", {Gap(m.Uar, mel)} the log-mel figure of {Percent(mel)}." : "; the matching log-mel run is not part of this report."));
        }
        return paragraphs;
    }

    /// <summary>Best and worst recognised emotion by recall.</summary>
    public static string ClassSentence(ConfusionFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        if (facts.Best.Recall == facts.Worst.Recall)
            return $"every emotion is recognised equally well (recall {Percent(facts.Best.Recall)}).";
        return $"{facts.Best.Label} is recognised best (recall {Percent(facts.Best.Recall)}, {facts.Best.Correct} of {facts.Best.Total} clips) " +
               $"and {facts.Worst.Label} worst (recall {Percent(facts.Worst.Recall)}, {facts.Worst.Correct} of {facts.Worst.Total} clips).";
    }

    /// <summary>The largest confusion (by share of the true emotion's clips) and the reverse direction.</summary>
    public static string ConfusionSentence(ConfusionFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        if (facts.MostConfused is not { } m) return "No clip was misclassified.";
        var r = facts.Reverse!;
        return $"The largest confusion is {m.TrueLabel} taken for {m.PredictedLabel}: {m.Count} of {m.TrueTotal} {m.TrueLabel} clips ({Percent(m.Share)}); " +
               $"the other way round, {r.Count} of {r.TrueTotal} {r.TrueLabel} clips ({Percent(r.Share)}) were taken for {r.PredictedLabel}.";
    }

    private static string HumanSentence(HumanBaseline h, ConfusionFacts facts, bool crossValidated, EvaluationSection? e)
    {
        string which = crossValidated
            ? (facts.Total == h.CorpusFiles ? $"speaker-independent accuracy pooled over the folds (the same {h.CorpusFiles} files)" : $"speaker-independent accuracy pooled over the folds ({facts.Total} clips)")
            : $"accuracy on the {e!.SetName}";
        var text = new List<string>
        {
            $"Listeners recognised on average {Percent(h.CorpusFilesMean)} of the {h.CorpusFiles} corpus files; the model's {which}, " +
            $"{Percent(facts.Accuracy)}, is {Gap(facts.Accuracy, h.CorpusFilesMean)} that.",
        };
        if (h.CorpusFilesUar is { } uar)
            text.Add($"By UAR, the model's {Percent(facts.Uar)} is {Gap(facts.Uar, uar)} the listeners' {Percent(uar)}.");
        if (h.AllRatedMean is { } all)
            text.Add($"Over all rated recordings the listeners' mean is {Percent(all)}, {Gap(all, h.CorpusFilesMean)} their mean over the corpus files.");
        return string.Join(" ", text);
    }

    /// <summary>Whether an MFCC run was done, and its figures beside the matching log-mel figures.</summary>
    public static string MfccSentence(ReportInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Mfcc is not { } m)
            return $"**MFCC features.** No MFCC run was done for this report: the MFCC comparison was {ResearchReport.NotRunPhrase} " +
                   $"(run `{ResearchReport.MfccCommand}`). MFCCs (a DCT of the log-mel bands) are the classic alternative input and would show whether the CNN gains from the full log-mel detail.";
        var (protocol, melUar) = MfccProtocol(input, m);
        string comparison = melUar is { } mel
            ? $"against UAR {Percent(mel)} with {input.Features.Kind} under the same protocol: {Gap(m.Uar, mel)} it."
            : "the matching log-mel run is not part of this report.";
        return $"**MFCC features.** An MFCC run was done ({m.Setup}): accuracy {Percent(m.Accuracy)}, UAR {Percent(m.Uar)} ({protocol}), {comparison}";
    }

    /// <summary>How the MFCC run was evaluated, and the log-mel UAR under the same protocol when this report has it.</summary>
    private static (string Protocol, double? MelUar) MfccProtocol(ReportInput input, MfccComparison m) => m.Protocol switch
    {
        EvaluationProtocol.CrossValidation => ("mean over the speaker-independent folds", input.CrossValidation?.MeanUar),
        _ => ("held-out test set", input.Evaluation?.MacroRecall),
    };

    private static string Chance(int classes) => $"1/{classes} = {Percent(1.0 / classes)}";

    /// <summary>"12.3 points above" / "4.0 points below" / "level with", comparing <paramref name="value"/> to <paramref name="reference"/>.</summary>
    private static string Gap(double value, double reference)
    {
        string points = Points(value - reference);
        if (points == Points(0)) return "level with";
        return $"{points} points {(value > reference ? "above" : "below")}";
    }
}
