using EmotionCluster.Evaluator;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Cli.Tests;

/// <summary>
/// Fold-parallel cross-validation: the CLI joins a cluster of two trainer-node processes on loopback and spreads its
/// folds over them; every fold is persisted, also when a trainer node is killed (SIGKILL) mid-fold.
/// </summary>
[Collection("training")]
public sealed class FoldParallelTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly TrainerNodes _trainers = new(output);

    public void Dispose()
    {
        _trainers.Dispose();
        _dir.Dispose();
    }

    private Task<(int Code, string Out, string Err)> Crossval(NodeProcess seed, string store) => Task.Run(() => InProcessCli.Run(
        "crossval", "--data", Datasets.RequireEmoDb(), "--out", _dir.File("run"), "--store", store, "--speakers", "03,08",
        "--limit", "10", "--epochs", "6", "--patience", "0", "--emotions", "anger,sadness,neutral", "--join", NodeProcess.Address(seed.Port)));

    /// <summary>Both folds are in the journal once each: the cross-validation's run lists them and each fold's training run completed.</summary>
    private static async Task AssertBothFoldsPersistedOnce(string sqliteFile)
    {
        var runs = await TrainerNodes.JournalAsync(sqliteFile);
        var cv = Assert.Single(runs, r => r.Folds.Count > 0);
        Assert.Equal(RunStatus.Completed, cv.Status);
        Assert.Equal(["03", "08"], cv.Folds.Select(f => f.Fold.TestSpeaker).Order());
        var trainingRuns = runs.Where(r => r.RunId != cv.RunId).ToList();
        Assert.Equal(2, trainingRuns.Count); // one run per fold, none trained twice under another id
        Assert.Equal(cv.Folds.Select(f => f.Fold.FoldRunId).Order(), trainingRuns.Select(r => r.RunId).Order());
        foreach (var run in trainingRuns)
        {
            Assert.Equal(RunStatus.Completed, run.Status);
            Assert.Equal(Enumerable.Range(1, 6), run.Epochs.Select(e => e.Epoch)); // every epoch once, none lost at the kill
            Assert.NotNull(run.Completed!.Test);
            // what the fold's run is: its split (the held-out speaker), the corpus, one replica on a cluster of several trainer nodes
            var fold = cv.Folds.Single(f => f.Fold.FoldRunId == run.RunId).Fold;
            var description = run.Started!.Description!;
            Assert.Equal(($"loso-{fold.TestSpeaker}", "emodb", 1), (description.Split, description.Corpus, description.Replicas));
            Assert.True(description.Nodes >= 2, $"{description.Nodes} trainer nodes");
        }
        Assert.Equal("leave-one-speaker-out", cv.Started!.Description!.Split);
    }

    [EmoDbFact]
    public async Task Two_trainer_nodes_each_train_a_fold_and_both_folds_are_persisted()
    {
        string store = _dir.File("features");
        var nodes = await _trainers.StartAsync(2, store);
        var (code, stdout, error) = await Crossval(nodes[0], store).WaitAsync(TimeSpan.FromMinutes(10));
        Assert.True(code == 0, error + stdout);
        foreach (var n in nodes) Assert.Contains(n.Lines, l => l.StartsWith("fold job run=", StringComparison.Ordinal)); // each node trained one
        await AssertBothFoldsPersistedOnce(_dir.File("emotioncluster.db"));
    }

    [EmoDbFact]
    public async Task A_trainer_node_killed_mid_fold_loses_no_fold_and_trains_none_twice()
    {
        string store = _dir.File("features");
        var nodes = await _trainers.StartAsync(2, store);
        var crossval = Crossval(nodes[0], store);
        var victim = nodes[1]; // not the seed: the survivor's split-brain resolver downs it within seconds
        await victim.WaitForLine(l => l.StartsWith("fold job run=", StringComparison.Ordinal), TimeSpan.FromMinutes(5));
        await victim.WaitForLine(l => l.StartsWith("epoch 2 done", StringComparison.Ordinal), TimeSpan.FromMinutes(5));
        victim.Kill(); // SIGKILL, mid-fold
        var (code, stdout, error) = await crossval.WaitAsync(TimeSpan.FromMinutes(10)); // a fold lost with its node would hang here
        Assert.True(code == 0, error + stdout);
        Assert.True(victim.HasExited);
        await AssertBothFoldsPersistedOnce(_dir.File("emotioncluster.db"));
    }
}
