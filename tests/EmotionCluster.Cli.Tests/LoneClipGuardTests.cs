using System.Text.Json;
using EmotionCluster.Corpora;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Cli.Tests;

/// <summary>
/// Issue 15's guard: a model trained by the main job without EMO-DB speaker 14 (<see cref="HeldOutModel"/>, one
/// reduced leave-one-speaker-out fold) classifies the held-out speakers' files one at a time through <c>predict FILE</c>.
/// Every emotion must be recognised and the UAR must clear a floor that models normalizing a lone file by itself alone
/// (before 2026-12-07: anger in 0 of 127 files) do not — so a lost class cannot come back unnoticed.
/// </summary>
[Collection("training")]
public sealed class LoneClipGuardTests(ITestOutputHelper output)
{
    public const double UarFloor = 0.60;
    public const double RecallFloor = 0.10;

    [EmoDbFact]
    public void A_model_that_never_heard_the_speaker_recognises_every_emotion_one_file_at_a_time()
    {
        string emoDb = Datasets.RequireEmoDb();
        var model = HeldOutModel.Get();
        var files = model.TestFiles(emoDb);
        Assert.True(files.Count > 50, $"{files.Count} files of speakers {string.Join(", ", model.TestSpeakers)}");

        var (code, stdout, stderr) = InProcessCli.Run(["predict", "--json", "--model", model.ModelPath, .. files]);
        Assert.True(code == 0, stderr);
        var predicted = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement)
            .ToDictionary(e => e.GetProperty("file").GetString()!, e => e.GetProperty("label").GetString()!);
        Assert.Equal(files.Count, predicted.Count);

        var recall = new Dictionary<string, double>();
        foreach (var group in files.GroupBy(f => EmoDbCorpus.EmotionLetters[Path.GetFileName(f)[5]]))
        {
            int right = group.Count(f => predicted[f] == group.Key);
            recall[group.Key] = (double)right / group.Count();
            output.WriteLine($"{group.Key}: {right}/{group.Count()}");
        }
        double uar = recall.Values.Average();
        output.WriteLine($"lone-clip UAR {uar:0.000} over {files.Count} files of speakers {string.Join("+", model.TestSpeakers)}");
        Assert.Equal(7, recall.Count);
        Assert.All(recall, r => Assert.True(r.Value >= RecallFloor, $"{r.Key} recognised in {r.Value:P0} of its files one at a time (floor {RecallFloor:P0})"));
        Assert.True(uar >= UarFloor, $"lone-clip UAR {uar:0.000} is below the floor {UarFloor}");
    }
}
