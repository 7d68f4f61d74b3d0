using EmotionCluster.Testing;
using EmotionCluster.Corpora;
using EmotionCluster.Features;
using EmotionCluster.Reporting;
using Xunit;

namespace EmotionCluster.Reporting.Tests;

public class ChartsTests
{
    private static DatasetStats SmallStats() => new()
    {
        Corpus = "test", Root = "/x", Samples = 6, ReadableSamples = 6,
        Emotions = ["anger", "neutral"], Speakers = ["1", "2"],
        PerEmotion = [new("anger", 4), new("neutral", 2)],
        PerSpeaker = [new("1", 3), new("2", 3)],
        EmotionBySpeaker = new Dictionary<string, IReadOnlyDictionary<string, int>>
        {
            ["1"] = new Dictionary<string, int> { ["anger"] = 3, ["neutral"] = 0 },
            ["2"] = new Dictionary<string, int> { ["anger"] = 1, ["neutral"] = 2 },
        },
        Formats = [new("PCM16 mono 16000 Hz", 6)], SampleRates = [16000], Channels = [1],
        Durations = new DurationSummary(1, 2, 3, 12), HumanRecognitionMean = null, HumanRecognitionUar = null,
        RatedRecognitionMean = null, Issues = [],
    };

    [Fact]
    public void Distribution_charts_are_png_files()
    {
        using var dir = new TempDir();
        Charts.EmotionDistribution(SmallStats(), dir.File("sub", "emotions.png"));
        Charts.SpeakerDistribution(SmallStats(), dir.File("speakers.png"));
        Assert.Equal((Charts.Width, Charts.Height), Png.AssertValid(dir.File("sub", "emotions.png")));
        Assert.Equal((Charts.Width, Charts.Height), Png.AssertValid(dir.File("speakers.png")));
    }

    [Fact]
    public void Spectrogram_chart_is_a_png_file()
    {
        using var dir = new TempDir();
        int bins = 64, frames = 200;
        var data = new float[bins * frames];
        for (int i = 0; i < data.Length; i++) data[i] = -80 + 60 * (float)Math.Abs(Math.Sin(i * 0.01));
        Charts.Spectrogram(Spectrogram.Create(data, bins, frames), dir.File("spec.png"), "test", 0.01, 8000);
        Assert.Equal((Charts.Width, Charts.Height), Png.AssertValid(dir.File("spec.png")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Confusion_matrix_is_a_png_file(bool normalized)
    {
        using var dir = new TempDir();
        int[,] counts = { { 5, 1, 0 }, { 2, 7, 1 }, { 0, 0, 0 } }; // an empty row must not break normalization
        Charts.ConfusionMatrix(counts, ["a", "b", "c"], dir.File("cm.png"), normalized);
        var (w, h) = Png.AssertValid(dir.File("cm.png"));
        Assert.True(w >= Charts.Width && h >= Charts.Height);
    }

    [Fact]
    public void Learning_curve_is_a_png_file_even_without_validation_values()
    {
        using var dir = new TempDir();
        Charts.LearningCurve([new(1, 1.5, 1.6, 0.3), new(2, 1.1, null, null), new(3, 0.9, 1.2, 0.5)], dir.File("lc.png"));
        Charts.LearningCurve([new(1, 1.5, null, null)], dir.File("lc1.png"));
        Png.AssertValid(dir.File("lc.png"));
        Png.AssertValid(dir.File("lc1.png"));
    }

    [Fact]
    public void Bad_input_is_rejected_with_the_reason()
    {
        using var dir = new TempDir();
        Assert.Contains("2 x 2", Assert.Throws<ArgumentException>(() => Charts.ConfusionMatrix(new int[2, 2], ["a", "b", "c"], dir.File("x.png"), false)).Message);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => Charts.Spectrogram(Spectrogram.Create([], 64, 0), dir.File("x.png"), "t", 0.01, 8000)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Charts.Spectrogram(Spectrogram.Create(new float[4], 2, 2), dir.File("x.png"), "t", 0, 8000));
        Assert.Throws<ArgumentException>(() => Charts.LearningCurve([], dir.File("x.png")));
        Assert.False(File.Exists(dir.File("x.png")));
    }
}
