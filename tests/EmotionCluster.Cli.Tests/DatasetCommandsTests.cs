using System.Text.RegularExpressions;
using EmotionCluster.Audio;
using EmotionCluster.Corpora;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Cli.Tests;

public class DatasetCommandsTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => InProcessCli.Run(args);

    [EmoDbFact]
    public void Stats_on_EmoDb_prints_the_counts_and_writes_json_and_charts()
    {
        using var dir = new TempDir();
        var (code, output, error) = Run("dataset", "stats", "--data", Datasets.RequireEmoDb(), "--out", dir.Path);

        Assert.True(code == 0, error);
        Assert.Equal("", error);
        Assert.Matches(@"Samples\W+535\b", output);
        Assert.Matches(@"Emotions\W+7 \(anger, boredom, disgust, fear, happiness, sadness, neutral\)", output);
        Assert.Matches(@"Speakers\W+10 \(03, 08, 09, 10, 11, 12, 13, 14, 15, 16\)", output);
        Assert.Contains("PCM16 mono 16000 Hz x535", output);
        foreach (var (emotion, count) in new[] { ("anger", 127), ("boredom", 81), ("neutral", 79), ("happiness", 71), ("fear", 69), ("sadness", 62), ("disgust", 46) })
            Assert.Matches(new Regex($@"\b{emotion}\W+{count}\W+\d+\.\d%"), output);
        Assert.Matches(@"Human recognition\W+93\.5% mean", output);
        Assert.Contains("03a01Fa", output); // the first clip is the default example

        Png.AssertValid(Path.Combine(dir.Path, DatasetCommands.EmotionChart));
        Png.AssertValid(Path.Combine(dir.Path, DatasetCommands.SpeakerChart));
        Png.AssertValid(Path.Combine(dir.Path, DatasetCommands.SpectrogramChart));
        DatasetStats stats = DatasetStats.FromJson(File.ReadAllText(Path.Combine(dir.Path, DatasetCommands.StatsJson)));
        Assert.Equal(535, stats.Samples);
        Assert.Equal(0, stats.EmotionBySpeaker["08"]["disgust"]);
    }

    [Fact]
    public void Stats_on_a_generated_folder_corpus_with_json_output_and_a_chosen_example()
    {
        using var data = new TempDir();
        using var outDir = new TempDir();
        var tone = Enumerable.Range(0, 8000).Select(i => (float)(0.3 * Math.Sin(2 * Math.PI * 440 * i / 16000))).ToArray();
        foreach (string file in new[] { "angry/a1.wav", "angry/a2.wav", "sad/s1.wav" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(data.File(file))!);
            WavWriter.Write(data.File(file), new AudioClip(tone, 16000));
        }
        File.WriteAllText(data.File("sad", "s2.wav"), "broken");

        var (code, output, error) = Run("dataset", "stats", "--data", data.Path, "--out", outDir.Path, "--example", "sad/s1", "--json");

        Assert.True(code == 0, error);
        DatasetStats stats = DatasetStats.FromJson(output);
        Assert.Equal(4, stats.Samples);
        Assert.Equal(3, stats.ReadableSamples);
        Assert.Equal([new LabelCount("anger", 2), new LabelCount("sadness", 2)], stats.PerEmotion);
        Assert.Contains(stats.Issues, i => i.Path.EndsWith("s2.wav"));
        Png.AssertValid(outDir.File(DatasetCommands.SpectrogramChart));
        Png.AssertValid(outDir.File(DatasetCommands.EmotionChart));
    }

    [Fact]
    public void A_missing_folder_is_one_line_and_exit_code_2()
    {
        string missing = Path.Combine(Path.GetTempPath(), "no-such-corpus-" + Guid.NewGuid().ToString("N"));
        var (code, output, error) = Run("dataset", "stats", "--data", missing);

        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Equal($"error: {missing}: folder not found; check the path", error.TrimEnd());
    }

    [Fact]
    public void A_folder_of_unknown_layout_is_one_line_and_exit_code_2()
    {
        using var data = new TempDir();
        File.WriteAllText(data.File("readme.txt"), "nothing here");
        var (code, _, error) = Run("dataset", "stats", "--data", data.Path, "--out", data.File("out"));

        Assert.Equal(2, code);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.Contains("not a known corpus layout", error);
        Assert.DoesNotContain(" at ", error);
    }

    [Fact]
    public void An_unknown_example_is_exit_code_2()
    {
        using var data = new TempDir();
        Directory.CreateDirectory(data.File("happy"));
        WavWriter.Write(data.File("happy", "h.wav"), new AudioClip(new float[1600], 16000));
        var (code, _, error) = Run("dataset", "stats", "--data", data.Path, "--out", data.File("out"), "--example", "nope");

        Assert.Equal(2, code);
        Assert.Contains("--example nope: no such clip id or file", error);
    }

    [Fact]
    public void Missing_required_option_is_a_usage_error_with_exit_code_2()
    {
        var (code, _, error) = Run("dataset", "stats");
        Assert.Equal(2, code);
        Assert.Contains("--data", error);
        Assert.Contains("emotioncluster dataset stats --help", error);
    }

    [Fact]
    public void Help_lists_the_dataset_group()
    {
        var (code, output, _) = Run("--help");
        Assert.Equal(0, code);
        Assert.Contains("dataset", output);
        (code, output, _) = Run("dataset", "stats", "--help");
        Assert.Equal(0, code);
        Assert.Contains("--example", output);
    }
}
