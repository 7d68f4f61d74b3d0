using System.Xml.Linq;
using EmotionCluster.Corpora;
using EmotionCluster.Features;
using EmotionCluster.Testing;
using ScottPlot;
using ScottPlot.Plottables;
using Xunit;

namespace EmotionCluster.Reporting.Tests;

/// <summary>Issue 15, "pictures people keep": SVG next to every PNG, one colour per emotion, the best epoch marked.</summary>
public class ChartStyleTests
{
    private static DatasetStats Stats() => new()
    {
        Corpus = "test", Root = "/x", Samples = 9, ReadableSamples = 9,
        Emotions = ["anger", "sadness", "surprise-ish"], Speakers = ["1", "2"],
        PerEmotion = [new("anger", 4), new("sadness", 3), new("surprise-ish", 2)],
        PerSpeaker = [new("1", 5), new("2", 4)],
        EmotionBySpeaker = new Dictionary<string, IReadOnlyDictionary<string, int>>
        {
            ["1"] = new Dictionary<string, int> { ["anger"] = 3, ["sadness"] = 1, ["surprise-ish"] = 1 },
            ["2"] = new Dictionary<string, int> { ["anger"] = 1, ["sadness"] = 2, ["surprise-ish"] = 1 },
        },
        Formats = [new("PCM16 mono 16000 Hz", 9)], SampleRates = [16000], Channels = [1],
        Durations = new DurationSummary(1, 2, 3, 18), HumanRecognitionMean = null, HumanRecognitionUar = null,
        RatedRecognitionMean = null, Issues = [],
    };

    private static readonly EpochPoint[] Epochs =
    [
        new(1, 1.9, 1.8, 0.30), new(2, 1.5, 1.5, 0.52), new(3, 1.2, 1.3, 0.61), new(4, 1.0, 1.35, 0.61), new(5, 0.8, 1.4, 0.58),
    ];

    private static XElement AssertSvg(string pngPath)
    {
        string svg = Charts.SvgPath(pngPath);
        Assert.True(File.Exists(svg), $"{svg} was not written next to {pngPath}");
        Png.AssertValid(pngPath);
        XElement root = XDocument.Load(svg).Root!; // parses as XML
        Assert.Equal("svg", root.Name.LocalName);
        return root;
    }

    [Fact]
    public void Every_chart_is_also_written_as_svg_next_to_its_png()
    {
        using var dir = new TempDir();
        Charts.EmotionDistribution(Stats(), dir.File("emotions.png"));
        Charts.SpeakerDistribution(Stats(), dir.File("speakers.png"));
        Charts.Spectrogram(Spectrogram.Create(Enumerable.Range(0, 8 * 20).Select(i => (float)(i % 13)).ToArray(), 8, 20), dir.File("spec.png"), "t", 0.01, 8000);
        Charts.ConfusionMatrix(new[,] { { 3, 1 }, { 0, 4 } }, ["anger", "sadness"], dir.File("cm.png"), normalized: true);
        Charts.LearningCurve(Epochs, dir.File("sub", "learning.png"));

        foreach (string png in new[] { "emotions.png", "speakers.png", "spec.png", "cm.png", Path.Combine("sub", "learning.png") })
        {
            XElement svg = AssertSvg(dir.File(png));
            Assert.Equal($"{Charts.Width}", svg.Attribute("width")?.Value);
        }
        Assert.Equal(Path.Combine("a", "b.svg"), Charts.SvgPath(Path.Combine("a", "b.png")));
    }

    [Fact]
    public void Emotion_bars_have_the_emotions_colours_in_both_distribution_charts()
    {
        using var dir = new TempDir();
        Charts.EmotionDistribution(Stats(), dir.File("emotions.png"));
        Charts.SpeakerDistribution(Stats(), dir.File("speakers.png"));

        foreach (string chart in new[] { "emotions.svg", "speakers.svg" })
        {
            string svg = File.ReadAllText(dir.File(chart)).ToLowerInvariant();
            foreach (string emotion in Stats().Emotions)
                Assert.Contains(EmotionColors.Hex(emotion), svg);
        }
    }

    [Fact]
    public void The_palette_gives_each_emotion_one_distinct_colour_and_other_labels_a_stable_one()
    {
        Assert.Equal(Emotions.All.Count, Emotions.All.Select(EmotionColors.Hex).Distinct().Count());
        Assert.All(Emotions.All, e => Assert.True(EmotionColors.Known.ContainsKey(e), e));
        Assert.Equal(EmotionColors.Known.Count, EmotionColors.Known.Values.Distinct().Count());
        Assert.Empty(EmotionColors.Fallback.Intersect(EmotionColors.Known.Values));
        Assert.All(EmotionColors.Known.Values.Concat(EmotionColors.Fallback), hex => Assert.Matches("^#[0-9a-f]{6}$", hex));
        Assert.Equal("#d62728", EmotionColors.Hex(" Anger "));
        Assert.Equal(new Color(0xd6, 0x27, 0x28), EmotionColors.Of("anger"));
        Assert.Equal(EmotionColors.Hex("contempt"), EmotionColors.Hex("Contempt"));
        Assert.Contains(EmotionColors.Hex("contempt"), EmotionColors.Fallback);
        Assert.Equal(0x811c9dc5u, EmotionColors.Fnv1a("")); // FNV-1a's offset basis; live.js implements the same
        Assert.Equal(0xe40c292cu, EmotionColors.Fnv1a("a"));
    }

    [Fact]
    public void The_best_epoch_is_the_first_with_the_highest_validation_uar_else_the_lowest_validation_loss()
    {
        Assert.Equal(3, Charts.BestEpoch(Epochs)!.Epoch); // 0.61 at epochs 3 and 4: the first
        Assert.Equal(2, Charts.BestEpoch([new(1, 2, 1.5, null), new(2, 1.5, 1.1, null), new(3, 1, 1.2, null)])!.Epoch);
        Assert.Null(Charts.BestEpoch([new(1, 2, null, null)]));
        Assert.Equal("best epoch 3 (validation UAR 0.610)", Charts.BestEpochLabel(Charts.BestEpoch(Epochs)!));
        Assert.Equal("best epoch 2 (validation loss 1.100)", Charts.BestEpochLabel(new EpochPoint(2, 1.5, 1.1, null)));
    }

    [Fact]
    public void The_learning_curve_marks_the_best_epoch_with_a_labelled_line_and_a_marker_on_its_uar()
    {
        using Plot plot = Charts.LearningCurvePlot(Epochs);

        VerticalLine line = Assert.Single(plot.GetPlottables<VerticalLine>());
        Assert.Equal(3, line.X);
        Assert.Equal("best epoch 3 (validation UAR 0.610)", line.LabelText);
        Marker marker = Assert.Single(plot.GetPlottables<Marker>());
        Assert.Equal(new Coordinates(3, 0.61), marker.Location);
        Assert.Same(plot.Axes.Right, marker.Axes.YAxis); // on the UAR axis

        using var dir = new TempDir();
        Charts.LearningCurve(Epochs, dir.File("lc.png"));
        Assert.Contains("best epoch 3 (validation UAR 0.610)", AssertSvg(dir.File("lc.png")).ToString());
    }

    [Fact]
    public void Without_validation_values_there_is_no_best_epoch_to_mark()
    {
        using Plot plot = Charts.LearningCurvePlot([new(1, 1.5, null, null), new(2, 1.2, null, null)]);
        Assert.Empty(plot.GetPlottables<VerticalLine>());
        Assert.Empty(plot.GetPlottables<Marker>());
    }
}
