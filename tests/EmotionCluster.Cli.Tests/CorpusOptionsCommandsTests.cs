using System.Text.RegularExpressions;
using EmotionCluster.Audio;
using EmotionCluster.Corpora;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Cli.Tests;

/// <summary><c>dataset stats</c> and <c>dataset manifest</c> on the public corpora's names, manifests and the corpus options.</summary>
public class CorpusOptionsCommandsTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => InProcessCli.Run(args);

    /// <summary>A quarter second of a 440 Hz tone: enough for the example spectrogram.</summary>
    private static byte[] Tone() =>
        WavWriter.ToBytes(Enumerable.Range(0, 4000).Select(i => (float)(0.3 * Math.Sin(2 * Math.PI * 440 * i / 16000))).ToArray(), 16000);

    [Fact]
    public void Stats_on_a_Ravdess_named_tree_counts_its_24_speakers_and_8_emotions()
    {
        using var data = new TempDir();
        using var outDir = new TempDir();
        PublicCorpusNames.Write(data.Path, PublicCorpusNames.Ravdess(), Tone());

        var (code, output, error) = Run("dataset", "stats", "--data", data.Path, "--out", outDir.Path);

        Assert.True(code == 0, error);
        Assert.Matches(@"ravdess\b", output);
        Assert.Matches(@"Samples\W+1440\b", output);
        Assert.Matches(@"Emotions\W+8 \(anger, disgust, fear, happiness, sadness, neutral, surprise, calm\)", output);
        Assert.Matches(@"Speakers\W+24 \(01, 02, 03, 04, 05", output); // the table may wrap the rest
        Assert.Matches(@"Problems\W+0\b", output);
        DatasetStats stats = DatasetStats.FromJson(File.ReadAllText(outDir.File(DatasetCommands.StatsJson)));
        Assert.Equal(96, stats.PerEmotion.Single(e => e.Label == "neutral").Count);
        Assert.Equal(192, stats.PerEmotion.Single(e => e.Label == "calm").Count);
        Assert.Equal(Enumerable.Range(1, 24).Select(a => a.ToString("D2")), stats.Speakers);
        Assert.All(stats.PerSpeaker, s => Assert.Equal(60, s.Count));
    }

    [EmoDbFact]
    public void Stats_on_a_csv_manifest_made_from_EmoDb_audio_counts_speakers_and_emotions_and_names_bad_rows()
    {
        using var dir = new TempDir();
        string wavDir = Path.Combine(Datasets.RequireEmoDb(), "wav");
        var clips = EmoDbCorpus.Load(Datasets.RequireEmoDb()).Clips;
        var spoken = new Dictionary<string, string>
        {
            ["anger"] = "angry", ["boredom"] = "bored", ["disgust"] = "disgust", ["fear"] = "fearful",
            ["happiness"] = "happy", ["sadness"] = "sad", ["neutral"] = "neutral",
        };
        string csv = dir.File("emodb.csv");
        File.WriteAllLines(csv, [
            "path;label;actor",
            .. clips.Select(c => $"{Path.GetFileName(c.Path)};{spoken[c.Emotion]};spk{c.Speaker}"),
            "99a01Fa.wav;happy;spk99",
        ]);

        var (code, output, error) = Run("dataset", "stats", "--data", csv, "--out", dir.File("out"),
            "--path-column", "path", "--label-column", "label", "--speaker-column", "actor", "--data-root", wavDir, "--map", "bored=drop");

        Assert.True(code == 0, error);
        Assert.Matches(@"manifest\b", output);
        Assert.Matches($@"Samples\W+{535 - 81}\b", output);
        Assert.Matches(@"Emotions\W+6 \(anger, disgust, fear, happiness, sadness, neutral\)", output);
        Assert.Matches(@"Speakers\W+10 \(spk03, spk08, spk09, spk10, spk11, spk12, spk13, spk14, spk15, spk16\)", output);
        Assert.Matches(new Regex(@"\banger\W+127\W"), output);
        Assert.Contains("Dropped by --map: 81 bored clips", output);
        Assert.Contains($"{csv}: row 536 (line 537): file 99a01Fa.wav not found", output);
    }

    [Fact]
    public void Manifest_writes_the_csv_of_a_detected_corpus_that_stats_reads_back()
    {
        using var data = new TempDir();
        using var outDir = new TempDir();
        PublicCorpusNames.Write(data.Path, PublicCorpusNames.Emovo(), Tone());
        string csv = outDir.File("emovo.csv");

        var (code, output, error) = Run("dataset", "manifest", "--data", data.Path, "--out", csv);

        Assert.True(code == 0, error);
        Assert.Contains($"wrote {csv}: 588 clips of emovo, 7 emotions (anger, disgust, fear, happiness, sadness, neutral, surprise), 6 speakers", output);
        Assert.Equal("file,emotion,speaker,gender", File.ReadLines(csv).First());
        Assert.Equal(589, File.ReadLines(csv).Count());

        (code, output, error) = Run("dataset", "stats", "--data", csv, "--out", outDir.File("stats"), "--json");
        Assert.True(code == 0, error);
        DatasetStats stats = DatasetStats.FromJson(output);
        Assert.Equal(588, stats.Samples);
        Assert.Equal(["f1", "f2", "f3", "m1", "m2", "m3"], stats.Speakers);
        Assert.All(stats.PerEmotion, e => Assert.Equal(84, e.Count));
        Assert.Empty(stats.Issues);

        (code, _, error) = Run("dataset", "manifest", "--data", data.Path, "--out", csv);
        Assert.Equal(2, code);
        Assert.Contains("exists (an edited manifest?); give --force", error);
        Assert.Equal(0, Run("dataset", "manifest", "--data", data.Path, "--out", csv, "--force").Code);
        (code, _, error) = Run("dataset", "manifest", "--data", data.Path, "--out", outDir.File("x.txt"));
        Assert.Equal(2, code);
        Assert.Contains("ending in .csv", error);
    }

    [Fact]
    public void A_folder_corpus_gets_speakers_from_the_speaker_pattern_and_says_when_it_has_none()
    {
        using var data = new TempDir();
        foreach (string file in new[] { "angry/spk1_001.wav", "angry/spk2_001.wav", "sad/spk1_002.wav" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(data.File(file))!);
            File.WriteAllBytes(data.File(file), Tone());
        }

        var (code, output, error) = Run("dataset", "stats", "--data", data.Path, "--out", data.File("out"));
        Assert.True(code == 0, error);
        Assert.Contains("unknown (give --speaker-pattern", output);

        (code, output, error) = Run("dataset", "stats", "--data", data.Path, "--out", data.File("out"), "--speaker-pattern", "^(?<speaker>spk\\d+)_");
        Assert.True(code == 0, error);
        Assert.Matches(@"Speakers\W+2 \(spk1, spk2\)", output);
    }

    [Theory]
    [InlineData("--map", "calm", "--map 'calm' is not LABEL=NEW")]
    [InlineData("--speaker-pattern", "(", "--speaker-pattern '(' is not a valid regex")]
    [InlineData("--speaker-pattern", "spk", "--speaker-pattern 'spk' has no group")]
    [InlineData("--label-column", "x", "--label-column applies to manifest files")]
    public void Bad_corpus_options_are_one_line_and_exit_code_2(string option, string value, string message)
    {
        using var data = new TempDir();
        Directory.CreateDirectory(data.File("sad"));
        File.WriteAllBytes(data.File("sad", "1.wav"), Tone());

        var (code, output, error) = Run("dataset", "stats", "--data", data.Path, "--out", data.File("out"), option, value);

        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.Contains(message, error);
    }

    [Fact]
    public void Help_lists_the_corpus_options_and_the_manifest_command()
    {
        var (code, output, _) = Run("dataset", "stats", "--help");
        Assert.Equal(0, code);
        foreach (string option in new[] { "--label-column", "--speaker-column", "--path-column", "--data-root", "--map", "--speaker-pattern" })
            Assert.Contains(option, output);
        (code, output, _) = Run("dataset", "--help");
        Assert.Equal(0, code);
        Assert.Contains("manifest", output);
    }
}
