using EmotionCluster.Evaluator;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Cli.Tests;

/// <summary>
/// <c>--trainers N</c>: the CLI joins a cluster of two trainer-node processes on loopback and trains its split
/// data-parallel across both; the run is persisted as a run of two replicas and scored by the command.
/// </summary>
[Collection("training")]
public sealed class DataParallelCliTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly TrainerNodes _trainers = new(output);

    public void Dispose()
    {
        _trainers.Dispose();
        _dir.Dispose();
    }

    [EmoDbFact]
    public async Task Train_with_two_trainers_trains_one_run_on_two_replicas_and_persists_it()
    {
        string store = _dir.File("features");
        await _trainers.StartAsync(2, store);

        string run = _dir.File("run");
        var (code, stdout, error) = await Task.Run(() => InProcessCli.Run("train", "--data", Datasets.RequireEmoDb(), "--out", run, "--store", store,
            "--limit", "10", "--epochs", "3", "--patience", "0", "--emotions", "anger,sadness,neutral", "--trainers", "2",
            "--join", _trainers.Seed)).WaitAsync(TimeSpan.FromMinutes(10));
        Assert.True(code == 0, error + stdout);
        Assert.Contains("each run trained data-parallel on 2 trainer nodes", stdout);
        Assert.True(File.Exists(Path.Combine(run, "model.ecm")));

        var runs = await TrainerNodes.JournalAsync(_dir.File("emotioncluster.db"));
        var trained = Assert.Single(runs);
        Assert.Equal(RunStatus.Completed, trained.Status);
        Assert.Equal([1, 2, 3], trained.Epochs.Select(e => e.Epoch));
        var description = trained.Started!.Description!;
        Assert.Equal(2, description.Replicas); // both trainer nodes took every step from the first
        Assert.True(description.Nodes >= 2, $"{description.Nodes} trainer nodes");
        Assert.Equal("stratified-42", description.Split);
        var saved = EmotionCluster.Metrics.ClassificationReport.FromJson(File.ReadAllText(Path.Combine(run, "metrics_test.json")));
        Assert.Equal(saved.Uar, trained.Completed!.Test!.Uar, 12); // the coordinator's test score is the command's
        // the coordinator wrote the model into the command's run directory; the job's manifest and checkpoints are gone
        Assert.False(Directory.Exists(Path.Combine(run, "checkpoints", "folds", trained.RunId)));
    }

    [EmoDbFact]
    public async Task A_trainer_node_killed_mid_run_leaves_the_run_to_the_survivor_which_finishes_it_once_with_every_epoch_persisted()
    {
        string store = _dir.File("features");
        var nodes = await _trainers.StartAsync(2, store);
        string run = _dir.File("run");
        var train = Task.Run(() => InProcessCli.Run("train", "--data", Datasets.RequireEmoDb(), "--out", run, "--store", store,
            "--limit", "10", "--epochs", "8", "--patience", "0", "--emotions", "anger,sadness,neutral", "--trainers", "2", "--join", _trainers.Seed));
        var victim = nodes[1]; // a participant that neither hosts the training coordinator nor reduces the gradients (the oldest does both)
        await victim.WaitForLine(l => l.StartsWith("epoch 2 done", StringComparison.Ordinal), TimeSpan.FromMinutes(5));
        victim.Kill(); // SIGKILL, mid-run
        var (code, stdout, error) = await train.WaitAsync(TimeSpan.FromMinutes(10)); // a run waiting for its lost replica would hang here
        Assert.True(code == 0, error + stdout);
        Assert.True(victim.HasExited);
        Assert.True(File.Exists(Path.Combine(run, "model.ecm")));

        var trained = Assert.Single(await TrainerNodes.JournalAsync(_dir.File("emotioncluster.db"))); // trained once, under one run id
        Assert.Equal(RunStatus.Completed, trained.Status);
        Assert.Equal(Enumerable.Range(1, 8), trained.Epochs.Select(e => e.Epoch)); // every epoch once, none lost at the kill
        Assert.Equal(2, trained.Started!.Description!.Replicas);
        Assert.NotNull(trained.Completed!.Test);
    }

    [Fact]
    public void Trainers_without_a_cluster_to_join_is_refused_with_the_fix()
    {
        var (code, _, error) = InProcessCli.Run("train", "--data", _dir.Path, "--out", _dir.File("run"), "--trainers", "2");
        Assert.Equal(2, code);
        Assert.Contains("--trainers 2 trains across the trainer nodes of a cluster: join it with --join SEED", error);
    }
}
