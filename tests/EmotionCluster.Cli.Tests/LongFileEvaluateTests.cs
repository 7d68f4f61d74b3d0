using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using EmotionCluster.Audio;
using EmotionCluster.Experiments;
using EmotionCluster.Testing;
using Xunit;
using static EmotionCluster.Cli.Tests.LongFilePredictTests;

namespace EmotionCluster.Cli.Tests;

/// <summary>
/// <c>evaluate</c> reads only what it scores: a long recording in the evaluated corpus is read, featurized and scored
/// window by window through <c>predict</c>'s <see cref="WindowedPrediction"/> (its prediction is the windows' mean, the
/// same numbers <c>predict</c> gives), so a 1 h file keeps the CLI process under 500 MB; clips shorter than the model's
/// window get a note. The tiny CNN of <see cref="LongFilePredictTests"/> stands in for a real model.
/// </summary>
[Collection("training")]
public sealed class LongFileEvaluateTests : IDisposable
{
    private readonly TempDir _dir = new("ec-longeval-");

    public void Dispose() => _dir.Dispose();

    /// <summary>A CSV manifest of the given files (file, emotion, speaker).</summary>
    private string Manifest(params (string File, string Emotion)[] rows)
    {
        string path = _dir.File("corpus.csv");
        File.WriteAllLines(path, ["file,emotion,speaker", .. rows.Select(r => $"{r.File},{r.Emotion},s1")]);
        return path;
    }

    private string Clip(string name, double seconds, double hz, int seed)
    {
        string path = _dir.File(name);
        File.WriteAllBytes(path, WavWriter.ToBytes(Tone(seconds, hz, seed), Rate));
        return path;
    }

    [Fact]
    public async Task A_corpus_holding_a_one_hour_file_is_evaluated_in_bounded_memory_without_writing_to_the_working_folder()
    {
        string model = TinyModel(_dir.File("tiny.ecm"));
        string hour = _dir.File("hour.wav");
        WriteLongWav(hour, 3600);
        string corpus = Manifest((hour, "anger"), (Clip("a.wav", 3.5, 150, 1), "anger"), (Clip("n.wav", 0.8, 250, 2), "neutral"),
            (Clip("n2.wav", 3.2, 250, 3), "neutral"));
        string evalDir = _dir.File("eval");
        string cwd = Directory.CreateDirectory(_dir.File("cwd")).FullName; // empty: the command must leave it so

        var (output, errors) = await LongFilePredictTests.RunCliUnder500Mb(cwd, "evaluate", "--model", model, "--data", corpus, "--out", evalDir, "--json");

        Assert.Contains($"{hour}: 3600.0 s, scored window by window (1200 windows of 3.00 s; the mean is its prediction)", errors);
        Assert.Contains($"note: 1 of 4 clips are shorter than the model's window (3.00 s), e.g. {_dir.File("n.wav")} (0.80 s)", errors);
        using (var metrics = JsonDocument.Parse(output)) // --json: stdout is the metrics alone
            Assert.Equal(4, metrics.RootElement.GetProperty("confusion").EnumerateArray().Sum(row => row.EnumerateArray().Sum(c => c.GetInt32())));
        var predictions = Predictions.Load(Path.Combine(evalDir, "predictions.json"));
        Assert.Equal([_dir.File("a.wav"), hour, _dir.File("n.wav"), _dir.File("n2.wav")], predictions.Select(p => p.Path).Order(StringComparer.Ordinal));
        Assert.Equal(1.0, predictions.Single(p => p.Path == hour).Probabilities.Values.Sum(), 4);
        Assert.Empty(Directory.EnumerateFileSystemEntries(cwd));
    }

    [Fact]
    public void A_long_file_gets_the_prediction_predict_gives_it_and_short_clips_a_note()
    {
        string model = TinyModel(_dir.File("tiny.ecm"));
        string longFile = _dir.File("long.wav");
        WriteLongWav(longFile, 90);
        string shortClip = Clip("short.wav", 0.8, 200, 1), clip = Clip("clip.wav", 3.0, 150, 2);
        string corpus = Manifest((longFile, "anger"), (shortClip, "neutral"), (clip, "anger"));
        string evalDir = _dir.File("eval");

        var (code, output, error) = InProcessCli.Run("evaluate", "--model", model, "--data", corpus, "--out", evalDir);
        Assert.True(code == 0, error + output);
        Assert.Contains($"{longFile}: 90.0 s, scored window by window (30 windows of 3.00 s; the mean is its prediction)", error);
        Assert.Contains($"note: 1 of 3 clips are shorter than the model's window (3.00 s), e.g. {shortClip} (0.80 s); they are padded", error);
        var predictions = Predictions.Load(Path.Combine(evalDir, "predictions.json")).ToDictionary(p => p.Path);
        using (var timelines = JsonDocument.Parse(File.ReadAllText(Path.Combine(evalDir, "timelines.json")))) // the long file's windows
        {
            var only = Assert.Single(timelines.RootElement.EnumerateArray().ToList());
            Assert.Equal(longFile, only.GetProperty("file").GetString());
            var windows = only.GetProperty("timeline").EnumerateArray().ToList();
            Assert.Equal(30, windows.Count);
            Assert.Equal(87.0, windows[^1].GetProperty("start").GetDouble(), 6);
        }

        // the same numbers as predict's window-by-window path (not the file featurized whole and centre-cropped)
        (code, output, error) = InProcessCli.Run("predict", longFile, clip, "--model", model, "--json");
        Assert.True(code == 0, error + output);
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var doc = JsonDocument.Parse(line);
            string file = doc.RootElement.GetProperty("file").GetString()!;
            var expected = doc.RootElement.GetProperty("probabilities").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetSingle());
            Assert.Equal(expected, predictions[file].Probabilities);
            Assert.Equal(doc.RootElement.GetProperty("label").GetString(), predictions[file].Predicted);
        }
    }
}
