using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using EmotionCluster.Audio;
using EmotionCluster.Features;
using EmotionCluster.Model;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Cli.Tests;

/// <summary>
/// <c>predict</c> on long and short files: a 1 h recording is read, featurized and scored window by window (a timeline,
/// bounded memory, measured on the CLI as its own process), a clip shorter than the model's window gets a note.
/// A tiny CNN trained here on synthetic sounds stands in for a real model (the scoring path is what is tested).
/// </summary>
[Collection("training")]
public sealed class LongFilePredictTests : IDisposable
{
    internal const int Rate = 16000;
    private readonly TempDir _dir = new("ec-longfile-");

    public void Dispose() => _dir.Dispose();

    private string TinyModel() => TinyModel(_dir.File("tiny.ecm"));

    /// <summary>A model of the default features, 300 input frames (3 s), trained for one epoch on a few tones, saved at <paramref name="path"/>.</summary>
    internal static string TinyModel(string path)
    {
        var featurizer = new EmotionCluster.Extraction.PipelineFeaturizer(EmotionCluster.Extraction.FeaturePipelineSettings.Default);
        var examples = new List<(Spectrogram, int)>();
        for (int i = 0; i < 6; i++)
            examples.Add((FixedLength.CropOrPad(featurizer.Extract(WavWriter.ToBytes(Tone(2.0, 150 + 100 * (i % 2), i), Rate), $"t{i}"), 300), i % 2));
        var cnn = new CnnSettings { InputBins = 64, InputFrames = 300, Classes = 2, Channels = [4, 8], DenseSize = 8 };
        var training = new TrainingSettings { Epochs = 1, BatchSize = 3, Seed = 1, Threads = 0, EarlyStoppingPatience = 0, WarmupEpochs = 0 };
        using var result = SmallModels.Train(examples, [], training, cnn);
        result.Save(path, ["anger", "neutral"], new Recipe
        {
            Input = new InputSettings { Frames = 300, Standardize = true, SpeakerNorm = SpeakerNormalization.None }, Cnn = cnn, Training = training,
        });
        return path;
    }

    internal static float[] Tone(double seconds, double hz, int seed)
    {
        var random = new Random(seed);
        var x = new float[(int)(seconds * Rate)];
        for (int i = 0; i < x.Length; i++)
            x[i] = (float)(0.3 * Math.Sin(2 * Math.PI * hz * i / Rate) * (0.6 + 0.4 * Math.Sin(2 * Math.PI * 3 * i / Rate)) + 0.01 * (random.NextDouble() * 2 - 1));
        return x;
    }

    /// <summary>A 16-bit mono WAV of <paramref name="seconds"/>, written a second at a time (never whole in memory).</summary>
    internal static void WriteLongWav(string path, int seconds)
    {
        long dataBytes = (long)seconds * Rate * 2;
        using var stream = new BufferedStream(File.Create(path), 1 << 20);
        using var w = new BinaryWriter(stream);
        w.Write("RIFF"u8); w.Write((uint)(36 + dataBytes)); w.Write("WAVE"u8);
        w.Write("fmt "u8); w.Write(16u); w.Write((ushort)1); w.Write((ushort)1); w.Write((uint)Rate); w.Write((uint)(Rate * 2)); w.Write((ushort)2); w.Write((ushort)16);
        w.Write("data"u8); w.Write((uint)dataBytes);
        for (int s = 0; s < seconds; s++)
            foreach (float v in Tone(1.0, s % 20 < 10 ? 150 : 250, s)) w.Write((short)(v * 32767));
    }

    /// <summary>
    /// The CLI as its own process under <c>/usr/bin/time -v</c> in <paramref name="workingDirectory"/>: it must succeed
    /// with a peak resident memory under 500 MB (its own, whatever this test process holds). Its stdout and stderr.
    /// </summary>
    internal static async Task<(string Output, string Errors)> RunCliUnder500Mb(string workingDirectory, params string[] args)
    {
        string cli = BuildOutput.Require(Path.Combine("src", "EmotionCluster.Cli"), "emotioncluster.dll");
        var psi = new ProcessStartInfo("/usr/bin/time")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory,
        };
        foreach (string a in new[] { "-v", "dotnet", cli }.Concat(args)) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_gcServer"] = "0";
        psi.Environment["OMP_WAIT_POLICY"] = "PASSIVE";
        using var process = Process.Start(psi)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(15)))
            await process.WaitForExitAsync(timeout.Token); // a hang fails the test by its exception
        string output = await stdout, errors = await stderr;
        Assert.True(process.ExitCode == 0, errors + output);
        long peakKb = long.Parse(Regex.Match(errors, @"Maximum resident set size \(kbytes\): (\d+)").Groups[1].Value);
        Assert.True(peakKb < 500 * 1024, $"peak RSS {peakKb / 1024} MB, over 500 MB");
        return (output, errors);
    }

    [Fact]
    public async Task A_one_hour_file_is_scored_window_by_window_with_a_timeline_in_bounded_memory()
    {
        string model = TinyModel();
        string wav = _dir.File("hour.wav");
        WriteLongWav(wav, 3600);

        var (output, errors) = await RunCliUnder500Mb(_dir.Path, "predict", wav, "--model", model, "--json");

        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal(wav, root.GetProperty("file").GetString());
        Assert.Equal(3.0, root.GetProperty("windowSeconds").GetDouble(), 6);
        var timeline = root.GetProperty("timeline").EnumerateArray().ToList();
        Assert.Equal(1200, timeline.Count); // 3600 s in windows of 3 s, one after another
        for (int i = 0; i < timeline.Count; i++)
        {
            Assert.Equal(3.0 * i, timeline[i].GetProperty("start").GetDouble(), 6);
            Assert.Equal(3.0 * (i + 1), timeline[i].GetProperty("end").GetDouble(), 6);
            Assert.Equal(1.0, timeline[i].GetProperty("probabilities").EnumerateObject().Sum(p => p.Value.GetDouble()), 4);
        }
        Assert.Equal(1.0, root.GetProperty("probabilities").EnumerateObject().Sum(p => p.Value.GetDouble()), 4);
        Assert.False(File.Exists(Path.Combine(_dir.Path, "out")), "predict wrote out/ in the current folder");
    }

    [Fact]
    public void A_window_of_a_long_file_scores_like_that_window_as_a_clip_and_a_short_clip_gets_a_note()
    {
        string model = TinyModel();
        string wav = _dir.File("long.wav");
        WriteLongWav(wav, 90);
        var (code, output, error) = InProcessCli.Run("predict", wav, "--model", model);
        Assert.True(code == 0, error + output);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"\(mean of 30 windows of 3\.00 s; the file is longer than 60 s\)$", lines[0].TrimEnd());
        Assert.Equal(31, lines.Length);
        Assert.StartsWith("  0.00-3.00 s  ", lines[1]);
        Assert.StartsWith("  87.00-90.00 s  ", lines[30]);

        // window 12 (36-39 s) cut out as its own 3 s file gives the same label and probability in predict's whole-file path
        string piece = _dir.File("piece.wav");
        File.WriteAllBytes(piece, WavWriter.ToBytes(WavReader.ReadFrames(wav, 36 * Rate, 3 * Rate).Samples, Rate));
        (code, output, error) = InProcessCli.Run("predict", piece, "--model", model);
        Assert.True(code == 0, error + output);
        string whole = Regex.Match(output, @": (\w+ \(\d\.\d{3}\))").Groups[1].Value;
        Assert.Equal($"  36.00-39.00 s  {whole}", lines[13].TrimEnd());

        string shortClip = _dir.File("short.wav");
        File.WriteAllBytes(shortClip, WavWriter.ToBytes(Tone(0.8, 200, 1), Rate));
        (code, output, error) = InProcessCli.Run("predict", shortClip, "--model", model);
        Assert.True(code == 0, error + output);
        Assert.Contains($"note: {shortClip}: 0.80 s is shorter than the model's window (3.00 s)", error);
        Assert.DoesNotContain("note:", InProcessCli.Run("predict", piece, "--model", model).Err);
    }
}
