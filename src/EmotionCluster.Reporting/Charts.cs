using EmotionCluster.Corpora;
using ScottPlot;
using FeatureSpectrogram = EmotionCluster.Features.Spectrogram;

namespace EmotionCluster.Reporting;

/// <summary>One training epoch for <see cref="Charts.LearningCurve"/>; validation values may be missing.</summary>
public sealed record EpochPoint(int Epoch, double TrainLoss, double? ValidationLoss, double? ValidationUar);

/// <summary>
/// Charts drawn with ScottPlot (SkiaSharp underneath, renders headless), each written twice: the PNG at the given path
/// and an SVG next to it (same name, <c>.svg</c>: vector graphics for papers and slides, <see cref="SvgPath"/>). Each
/// method creates the output folder when needed and overwrites the files. Emotions have the colours of
/// <see cref="EmotionColors"/>, the same as on the live page.
/// </summary>
public static class Charts
{
    public const int Width = 900;
    public const int Height = 540;

    /// <summary>Bar chart of clips per emotion, each bar labelled with its count.</summary>
    public static void EmotionDistribution(DatasetStats stats, string pngPath)
    {
        ArgumentNullException.ThrowIfNull(stats);
        RequireData(stats.PerEmotion.Count > 0, "the dataset has no clips, so there is no emotion distribution to draw");
        using var plot = new Plot();
        var bars = stats.PerEmotion.Select((e, i) => new Bar
        {
            Position = i,
            Value = e.Count,
            Label = e.Count.ToString(),
            FillColor = EmotionColors.Of(e.Label),
        }).ToList();
        plot.Add.Bars(bars);
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, bars.Count).Select(i => (double)i).ToArray(),
            stats.PerEmotion.Select(e => e.Label).ToArray());
        plot.Axes.Margins(bottom: 0, top: 0.12);
        plot.Title($"{stats.Corpus}: {stats.Samples} clips per emotion");
        plot.YLabel("clips");
        plot.XLabel("emotion");
        Save(plot, pngPath);
    }

    /// <summary>Stacked bars: clips per speaker, split by emotion (shows which speaker lacks which emotion).</summary>
    public static void SpeakerDistribution(DatasetStats stats, string pngPath)
    {
        ArgumentNullException.ThrowIfNull(stats);
        RequireData(stats.Speakers.Count > 0, "the dataset has no clips, so there is no speaker distribution to draw");
        using var plot = new Plot();
        for (int e = 0; e < stats.Emotions.Count; e++)
        {
            string emotion = stats.Emotions[e];
            var bars = new List<Bar>();
            for (int s = 0; s < stats.Speakers.Count; s++)
            {
                var row = stats.EmotionBySpeaker[stats.Speakers[s]];
                double below = stats.Emotions.Take(e).Sum(x => row[x]);
                bars.Add(new Bar { Position = s, ValueBase = below, Value = below + row[emotion], FillColor = EmotionColors.Of(emotion) });
            }
            var series = plot.Add.Bars(bars);
            series.LegendText = emotion;
        }
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, stats.Speakers.Count).Select(i => (double)i).ToArray(), stats.Speakers.ToArray());
        plot.Axes.Margins(bottom: 0);
        plot.ShowLegend(Edge.Right);
        plot.Title($"{stats.Corpus}: clips per speaker and emotion");
        plot.YLabel("clips");
        plot.XLabel("speaker");
        Save(plot, pngPath);
    }

    /// <summary>
    /// Heatmap of a spectrogram (e.g. log-mel in dB; <c>Data[bin * Frames + frame]</c>) with a colour bar; x is time
    /// in seconds (frame × <paramref name="hopSeconds"/>), y the mel bin (bin 0, the lowest, at the bottom).
    /// </summary>
    public static void Spectrogram(FeatureSpectrogram spec, string pngPath, string title, double hopSeconds, double fmaxHz)
    {
        ArgumentNullException.ThrowIfNull(spec);
        RequireData(spec.Bins > 0 && spec.Frames > 0, "the spectrogram is empty (0 bins or 0 frames); the clip may be too short");
        if (!(hopSeconds > 0)) throw new ArgumentOutOfRangeException(nameof(hopSeconds), hopSeconds, "the hop must be positive (seconds)");
        if (!(fmaxHz > 0)) throw new ArgumentOutOfRangeException(nameof(fmaxHz), fmaxHz, "the top frequency must be positive (Hz)");

        var intensities = new double[spec.Bins, spec.Frames];
        for (int bin = 0; bin < spec.Bins; bin++)
            for (int frame = 0; frame < spec.Frames; frame++)
                intensities[spec.Bins - 1 - bin, frame] = spec[bin, frame]; // heatmap row 0 is drawn at the top

        using var plot = new Plot();
        var heatmap = plot.Add.Heatmap(intensities);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.Rectangle = new CoordinateRect(0, spec.Frames * hopSeconds, 0, spec.Bins);
        var colorBar = plot.Add.ColorBar(heatmap);
        colorBar.Label = "level (dB)";
        plot.Axes.Margins(0, 0);
        plot.Title(title);
        plot.XLabel("time (s)");
        plot.YLabel($"mel bin (0 to {spec.Bins - 1}, up to {fmaxHz:0} Hz)");
        Save(plot, pngPath);
    }

    /// <summary>
    /// Confusion matrix: rows are the true labels, columns the predictions, each cell annotated. Normalized shows each
    /// row as fractions of its total (a row with no samples stays 0).
    /// </summary>
    public static void ConfusionMatrix(int[,] counts, string[] labels, string pngPath, bool normalized, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(counts);
        ArgumentNullException.ThrowIfNull(labels);
        int n = labels.Length;
        if (n == 0 || counts.GetLength(0) != n || counts.GetLength(1) != n)
            throw new ArgumentException($"counts is {counts.GetLength(0)} x {counts.GetLength(1)} but there are {n} labels; a square {n} x {n} matrix is expected", nameof(counts));

        var values = new double[n, n];
        for (int t = 0; t < n; t++)
        {
            double rowSum = 0;
            for (int p = 0; p < n; p++) rowSum += counts[t, p];
            for (int p = 0; p < n; p++)
                values[t, p] = normalized ? (rowSum > 0 ? counts[t, p] / rowSum : 0) : counts[t, p];
        }

        using var plot = new Plot();
        var heatmap = plot.Add.Heatmap(values);
        heatmap.Colormap = new ScottPlot.Colormaps.Blues();
        heatmap.Rectangle = new CoordinateRect(-0.5, n - 0.5, -0.5, n - 0.5);
        if (normalized) heatmap.ManualRange = new ScottPlot.Range(0, 1);
        var colorBar = plot.Add.ColorBar(heatmap);
        colorBar.Label = normalized ? "share of the row" : "clips";
        double max = normalized ? 1 : Math.Max(1, values.Cast<double>().Max());
        for (int t = 0; t < n; t++)
            for (int p = 0; p < n; p++)
            {
                var text = plot.Add.Text(normalized ? values[t, p].ToString("0.00") : counts[t, p].ToString(), p, n - 1 - t);
                text.Alignment = Alignment.MiddleCenter;
                text.LabelFontSize = n > 10 ? 10 : 14;
                text.LabelFontColor = values[t, p] / max > 0.5 ? Colors.Black : Colors.White; // the colormap runs dark (low) to light (high)
            }
        double[] positions = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.SetTicks(positions, labels);
        plot.Axes.Left.SetTicks(positions, labels.Reverse().ToArray());
        plot.Axes.Margins(0, 0);
        plot.Title(title ?? (normalized ? "confusion matrix (row-normalized)" : "confusion matrix"));
        plot.XLabel("predicted");
        plot.YLabel("true");
        Save(plot, pngPath, Math.Max(Width, 200 + 80 * n), Math.Max(Height, 120 + 70 * n));
    }

    /// <summary>
    /// Train and validation loss (left axis) and validation UAR (right axis, 0..1, square markers) per epoch, the best
    /// epoch (<see cref="BestEpoch"/>) marked by a grey vertical line labelled with it and a dot on its UAR. No dashed
    /// lines: Skia's SVG writer cannot draw them (they come out solid).
    /// </summary>
    public static void LearningCurve(IReadOnlyList<EpochPoint> epochs, string pngPath, string? title = null)
    {
        using Plot plot = LearningCurvePlot(epochs, title);
        Save(plot, pngPath);
    }

    /// <summary>
    /// The epoch a training run keeps: the highest validation UAR (the earliest of equal ones; the trainer keeps the
    /// model of the first best epoch), else the lowest validation loss when no epoch has a UAR, else none.
    /// </summary>
    public static EpochPoint? BestEpoch(IReadOnlyList<EpochPoint> epochs)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        EpochPoint? best = null;
        foreach (EpochPoint e in epochs.Where(e => e.ValidationUar.HasValue))
            if (best is null || e.ValidationUar > best.ValidationUar) best = e;
        if (best is not null) return best;
        foreach (EpochPoint e in epochs.Where(e => e.ValidationLoss.HasValue))
            if (best is null || e.ValidationLoss < best.ValidationLoss) best = e;
        return best;
    }

    /// <summary>The text on the best epoch's line: <c>best epoch 12 (validation UAR 0.781)</c>.</summary>
    public static string BestEpochLabel(EpochPoint best) =>
        best.ValidationUar is { } uar ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"best epoch {best.Epoch} (validation UAR {uar:0.000})")
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"best epoch {best.Epoch} (validation loss {best.ValidationLoss:0.000})");

    /// <summary>The plot <see cref="LearningCurve"/> saves (the caller disposes it); its plottables can be inspected.</summary>
    public static Plot LearningCurvePlot(IReadOnlyList<EpochPoint> epochs, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        RequireData(epochs.Count > 0, "no epochs to draw");
        double[] x = epochs.Select(e => (double)e.Epoch).ToArray();
        var plot = new Plot();
        var train = plot.Add.Scatter(x, epochs.Select(e => e.TrainLoss).ToArray());
        train.LegendText = "train loss";
        var withValLoss = epochs.Where(e => e.ValidationLoss.HasValue).ToList();
        if (withValLoss.Count > 0)
        {
            var val = plot.Add.Scatter(withValLoss.Select(e => (double)e.Epoch).ToArray(), withValLoss.Select(e => e.ValidationLoss!.Value).ToArray());
            val.LegendText = "validation loss";
        }
        var withUar = epochs.Where(e => e.ValidationUar.HasValue).ToList();
        if (withUar.Count > 0)
        {
            var uar = plot.Add.Scatter(withUar.Select(e => (double)e.Epoch).ToArray(), withUar.Select(e => e.ValidationUar!.Value).ToArray());
            uar.LegendText = "validation UAR";
            uar.MarkerShape = MarkerShape.OpenSquare; // not a dashed line: Skia's SVG writer draws dashes solid (and says so on stdout)
            uar.MarkerSize = 7;
            uar.Axes.YAxis = plot.Axes.Right;
            plot.Axes.Right.Label.Text = "UAR";
            plot.Axes.SetLimitsY(0, 1, plot.Axes.Right);
        }
        if (BestEpoch(epochs) is { } best)
        {
            var line = plot.Add.VerticalLine(best.Epoch, 1.5f, Colors.Gray);
            line.LabelText = BestEpochLabel(best);
            line.LabelOppositeAxis = true; // at the top, clear of the epoch ticks ...
            plot.Axes.Top.MinimumSize = 32; // ... and below the title
            line.LegendText = "best epoch";
            if (best.ValidationUar is { } uar)
            {
                var marker = plot.Add.Marker(best.Epoch, uar, MarkerShape.FilledCircle, 9, Colors.Black);
                marker.Axes.YAxis = plot.Axes.Right;
            }
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.ShowLegend(Edge.Bottom);
        plot.Title(title ?? "learning curve");
        plot.XLabel("epoch");
        plot.YLabel("loss");
        return plot;
    }

    private static void RequireData(bool ok, string reason)
    {
        if (!ok) throw new ArgumentException(reason);
    }

    /// <summary>Where a chart's SVG goes: next to its PNG, with the extension <c>.svg</c>.</summary>
    public static string SvgPath(string pngPath) => Path.ChangeExtension(pngPath, ".svg");

    private static void Save(Plot plot, string pngPath, int width = Width, int height = Height)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pngPath);
        string? dir = Path.GetDirectoryName(Path.GetFullPath(pngPath));
        if (dir is not null) Directory.CreateDirectory(dir);
        plot.SavePng(pngPath, width, height);
        plot.SaveSvg(SvgPath(pngPath), width, height);
    }
}
