using EmotionCluster.Evaluator;
using EmotionCluster.Metrics;
using EmotionCluster.Reporting;

namespace EmotionCluster.Experiments;

/// <summary>
/// <c>report --run-id RUN</c>: the report of the job RUN belongs to, rebuilt from the journal and the run directory
/// alone. The results — training (epochs, kept epoch, split, wall time), test metrics, the cross-validation's folds and
/// summary, the MFCC comparison — and their charts come from the journal's records of the job's runs
/// (<see cref="ArtifactsRecorded"/> links each to the job and its run directory); the descriptions of the inputs
/// (dataset, preprocessing, features, model, the command line) and the experiment settings from the run directory.
/// </summary>
public static class JournalReport
{
    /// <summary>The job's runs by their part of the report, found from any one of them.</summary>
    public sealed record JobRuns(string Job, string Directory, RunView? Split, RunView? CrossValidation, RunView? Mfcc);

    /// <exception cref="RunNotFoundException">no such run.</exception>
    /// <exception cref="InvalidDataException">the run has no recorded artifacts, or its job's records are incomplete (the message says what).</exception>
    public static async Task<JobRuns> FindAsync(RunCatalog catalog, string runId, CancellationToken ct = default)
    {
        RunView run = await catalog.GetAsync(runId, ct);
        if (run.Artifacts is null)
        {
            var all = await catalog.ListRunsAsync(ct);
            var parent = all.FirstOrDefault(v => v.Folds.Any(f => f.Fold.FoldRunId == runId));
            if (parent?.Artifacts is null)
                throw new InvalidDataException($"run {runId} has no report in the journal (no recorded artifacts: a run trained by a trainer node from a manifest, " +
                                               "or by a version before report --run-id); pass the run id of a train, crossval or run command, or use report --run DIR");
            run = parent;
        }
        string job = run.Artifacts!.Artifacts.Job;
        var runs = (await catalog.ListRunsAsync(ct)).Where(v => v.Artifacts?.Artifacts.Job == job).ToList();
        RunView? Role(ReportRole role) => runs.Where(v => v.Artifacts!.Artifacts.Role == role).OrderByDescending(v => v.Artifacts!.At).FirstOrDefault();
        return new JobRuns(job, run.Artifacts.Artifacts.Directory, Role(ReportRole.Split), Role(ReportRole.CrossValidation), Role(ReportRole.Mfcc));
    }

    /// <summary>Writes report.md (or <paramref name="reportPath"/>) of <paramref name="job"/>'s run directory; redraws the result charts from the journal.</summary>
    public static string Write(JobRuns job, string? reportPath = null)
    {
        if (!Directory.Exists(job.Directory))
            throw new InvalidDataException($"job {job.Job}'s run directory {job.Directory} is gone; the report needs its artifacts (settings, dataset sections)");
        var run = new RunDirectory(job.Directory);
        string settingsPath = run.File(RunDirectory.SettingsFile);
        if (!File.Exists(settingsPath)) throw new InvalidDataException($"{settingsPath} is missing; the report needs the job's experiment settings");
        var settings = ExperimentSettings.Load(settingsPath);
        var input = run.Assemble() with
        {
            Training = null, Evaluation = null, CrossValidation = null, Mfcc = null,
        };
        if (job.Split is { } split)
        {
            var (labels, test, artifacts) = Completed(split);
            var best = split.Best ?? throw new InvalidDataException($"run {split.RunId} recorded no kept epoch");
            Charts.LearningCurve(split.Epochs.Select(e => new EpochPoint(e.Epoch, e.TrainLoss, e.ValLoss, e.Metrics?.Uar)).ToList(),
                run.File(Workflow.LearningCurveChart), "Learning curve (70/20/10 split)");
            ReportParts.DrawConfusion(test.Confusion, labels, run.File(Workflow.ConfusionChart), run.File(Workflow.NormalizedConfusionChart), "Test set confusion matrix");
            input = input with
            {
                Training = ReportParts.Training(settings, artifacts.Split, artifacts.Description, split.Epochs.Count, best.Epoch, best.Metrics?.Uar ?? 0,
                    artifacts.Duration, run.File(Workflow.LearningCurveChart)),
                Evaluation = ReportParts.Evaluation(test.ToReport(labels), Workflow.TestSetName(artifacts.Split.Sum(c => c.Test)),
                    run.File(Workflow.ConfusionChart), run.File(Workflow.NormalizedConfusionChart)),
            };
        }
        if (job.CrossValidation is { } cv)
        {
            var summary = cv.CrossValidation?.Summary ?? throw new InvalidDataException($"cross-validation run {cv.RunId} has no summary (status {cv.Status})");
            string[] labels = cv.Started!.Labels;
            string scheme = summary.Scheme;
            ReportParts.DrawConfusion(summary.PooledConfusion, labels, run.File(Workflow.CvConfusionChart), run.File(Workflow.CvNormalizedConfusionChart),
                $"{char.ToUpperInvariant(scheme[0])}{scheme[1..]}, pooled confusion matrix (lone clip)");
            input = input with { CrossValidation = ReportParts.CrossValidation(summary, cv.Folds.Select(f => f.Fold).ToList(), labels, run.File(Workflow.CvConfusionChart)) };
        }
        if (job.Mfcc is { } mfcc)
        {
            var (_, test, artifacts) = Completed(mfcc);
            input = input with { Mfcc = new MfccComparison(artifacts.Description, EvaluationProtocol.HeldOutTest, test.Accuracy, test.Uar) };
        }
        string path = reportPath ?? run.File("report.md");
        ResearchReport.WriteMarkdown(input, path);
        return path;
    }

    private static (string[] Labels, EvaluationMetrics Test, ArtifactsRecord Artifacts) Completed(RunView run)
    {
        if (run.Completed?.Test is not { } test || run.Started is null)
            throw new InvalidDataException($"run {run.RunId} has no test metrics in the journal (status {run.Status})");
        return (run.Started.Labels, test, run.Artifacts!.Artifacts);
    }
}
