using System.Text;
using System.Text.RegularExpressions;

namespace EmotionCluster.Reporting;

/// <summary>A leftover placeholder found by <see cref="ResearchReport.FindUnfilled"/>: 1-based line, why, and the line.</summary>
public sealed record UnfilledItem(int Line, string Reason, string Text);

/// <summary>
/// Writes the research report (Markdown) of one run from a <see cref="ReportInput"/>: dataset, preprocessing, features,
/// model, training, held-out evaluation, speaker-independent results, human baseline, a results paragraph whose every
/// number comes from the input, future work, and how the report was made.
/// </summary>
public static partial class ResearchReport
{
    /// <summary>Every absent optional section says this, followed by the command that produces it.</summary>
    public const string NotRunPhrase = "not run in this report";

    /// <summary>Commands named in the "not run" notes.</summary>
    public const string TrainCommand = "emotioncluster train …";
    public const string CrossValidationCommand = "emotioncluster crossval …";
    public const string MfccCommand = "emotioncluster train --features mfcc …";
    public const string DatasetStatsCommand = "emotioncluster dataset stats …";

    /// <summary>Copied images (those outside the report's folder) go to this subfolder of it.</summary>
    public const string FiguresFolder = "figures";

    /// <summary>The section headings (level 2), in order; every report has all of them.</summary>
    public static IReadOnlyList<string> Headings { get; } =
    [
        "1. Dataset", "2. Preprocessing", "3. Features", "4. Model", "5. Training", "6. Evaluation on the held-out test set",
        "7. Speaker-independent results", "8. Human baseline", "9. Results", "10. Future work", "How this report was made",
    ];

    /// <summary>
    /// Validates <paramref name="input"/>, places its images (an image inside the report's folder is linked where it is;
    /// one outside is copied to <see cref="FiguresFolder"/>, with its SVG twin from <see cref="Charts"/> when there is
    /// one), and writes the Markdown report; when every image has an SVG twin, the report says so. Links are relative to the
    /// report's folder. Nothing is written when the input is invalid.
    /// </summary>
    /// <returns>The Markdown written.</returns>
    /// <exception cref="ReportInputException">A field is missing, inconsistent or out of range, or an image does not exist.</exception>
    public static string WriteMarkdown(ReportInput input, string reportPath)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentException.ThrowIfNullOrWhiteSpace(reportPath);
        ReportValidation.Validate(input);
        var images = Images(input);
        foreach (var (field, path) in images)
            if (!File.Exists(path))
                throw new ReportInputException(field, $"image {Path.GetFullPath(path)} does not exist; draw it (see {nameof(Charts)}) or correct the path");

        string fullReport = Path.GetFullPath(reportPath);
        string reportDir = Path.GetDirectoryName(fullReport)!;
        Directory.CreateDirectory(reportDir);
        var links = PlaceImages(images, reportDir);
        bool vectors = images.All(i => File.Exists(Charts.SvgPath(i.Path)));
        string markdown = ReportSections.Render(input, field => links[field], vectors);
        File.WriteAllText(fullReport, markdown, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        return markdown;
    }

    /// <summary>The images of the input: field name → path.</summary>
    internal static List<(string Field, string Path)> Images(ReportInput input)
    {
        var images = new List<(string, string)>
        {
            ("Dataset.DistributionImage", input.Dataset.DistributionImage),
            ("Features.ExampleImage", input.Features.ExampleImage),
        };
        if (input.Dataset.SpeakerImage is { } speakers) images.Add(("Dataset.SpeakerImage", speakers));
        if (input.Training is { } t) images.Add(("Training.LearningCurveImage", t.LearningCurveImage));
        if (input.Evaluation is { } e)
        {
            images.Add(("Evaluation.ConfusionImage", e.ConfusionImage));
            images.Add(("Evaluation.NormalizedConfusionImage", e.NormalizedConfusionImage));
        }
        if (input.CrossValidation is { } cv) images.Add(("CrossValidation.PooledConfusionImage", cv.PooledConfusionImage));
        return images;
    }

    private static Dictionary<string, string> PlaceImages(List<(string Field, string Path)> images, string reportDir)
    {
        var links = new Dictionary<string, string>();
        var copiedFrom = new Dictionary<string, string>(StringComparer.Ordinal); // file name in figures/ → source
        string figures = Path.Combine(reportDir, FiguresFolder);
        foreach (var (_, path) in images) // an input image already in figures/ keeps its name
            if (Path.GetDirectoryName(Path.GetFullPath(path)) == figures) copiedFrom[Path.GetFileName(path)] = Path.GetFullPath(path);
        foreach (var (field, path) in images)
        {
            string full = Path.GetFullPath(path);
            string relative = Path.GetRelativePath(reportDir, full);
            if (relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative))
            {
                string name = Path.GetFileName(full);
                string stem = Path.GetFileNameWithoutExtension(name), ext = Path.GetExtension(name);
                for (int n = 2; copiedFrom.TryGetValue(name, out string? other) && other != full; n++) name = $"{stem}-{n}{ext}";
                if (!copiedFrom.ContainsKey(name))
                {
                    Directory.CreateDirectory(figures);
                    File.Copy(full, Path.Combine(figures, name), overwrite: true);
                    if (File.Exists(Charts.SvgPath(full))) File.Copy(Charts.SvgPath(full), Charts.SvgPath(Path.Combine(figures, name)), overwrite: true);
                    copiedFrom[name] = full;
                }
                relative = Path.Combine(FiguresFolder, name);
            }
            links[field] = string.Join('/', relative.Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar).Select(Uri.EscapeDataString));
        }
        return links;
    }

    /// <summary>
    /// Leftover placeholders in a report: <c>{…}</c>, TODO/TBD/FIXME/XXX, NaN or infinity, an empty link, and in table
    /// rows an empty cell or one holding only N/A, NA, null, ?, - or —. Explicit "not run in this report" notes are not
    /// placeholders. Empty for a report written from a complete input.
    /// </summary>
    public static IReadOnlyList<UnfilledItem> FindUnfilled(string markdown)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        var found = new List<UnfilledItem>();
        string[] lines = markdown.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            void Add(string reason) => found.Add(new UnfilledItem(i + 1, reason, line));
            if (Braces().IsMatch(line)) Add("placeholder in braces");
            if (Marker().Match(line) is { Success: true } m) Add($"'{m.Value}' marker");
            if (NotANumber().IsMatch(line)) Add("a number is NaN or infinite");
            if (line.Contains("]()", StringComparison.Ordinal)) Add("empty link target");
            if (line.TrimStart().StartsWith('|') && !Separator().IsMatch(line))
                foreach (string cell in Cells(line))
                {
                    if (cell.Length == 0) Add("empty table cell");
                    else if (NoValue().IsMatch(cell)) Add($"table cell without a value ('{cell}')");
                }
        }
        return found;
    }

    /// <summary>The cells of a table row, trimmed; escaped pipes stay inside a cell.</summary>
    private static List<string> Cells(string row)
    {
        string body = row.Trim();
        body = body[1..];
        if (body.EndsWith('|') && !body.EndsWith("\\|", StringComparison.Ordinal)) body = body[..^1];
        var cells = new List<string>();
        var current = new StringBuilder();
        for (int i = 0; i < body.Length; i++)
        {
            if (body[i] == '\\' && i + 1 < body.Length && body[i + 1] == '|')
            {
                current.Append('|');
                i++;
            }
            else if (body[i] == '|')
            {
                cells.Add(current.ToString().Trim());
                current.Clear();
            }
            else current.Append(body[i]);
        }
        cells.Add(current.ToString().Trim());
        return cells;
    }

    [GeneratedRegex(@"\{[^{}\n]*\}")]
    private static partial Regex Braces();

    [GeneratedRegex(@"\b(TODO|TBD|FIXME|XXX)\b")]
    private static partial Regex Marker();

    [GeneratedRegex(@"\bNaN\b|\bInfinity\b|∞")]
    private static partial Regex NotANumber();

    [GeneratedRegex(@"^\|(\s*:?-{3,}:?\s*\|)+\s*$")]
    private static partial Regex Separator();

    [GeneratedRegex(@"^(N/?A|n/?a|null|\?+|-+|—|–)$")]
    private static partial Regex NoValue();
}
