using EmotionCluster.TrainingActors;
using Xunit;

namespace EmotionCluster.TrainingActors.Tests;

public class CheckpointTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ec-ckpt-" + Guid.NewGuid().ToString("N")[..12]);

    private static TrainingCheckpoint Sample(int epoch) =>
        new("train-abc", epoch, epoch * 10L, 7, [1, 2, 3], [4, 5], [6], DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));

    [Fact]
    public void Round_trips_and_replaces_atomically_without_leftovers()
    {
        var store = new CheckpointStore(_dir);
        Assert.Null(store.TryLoad());
        store.Save(Sample(1));
        store.Save(Sample(2));
        var loaded = store.TryLoad()!;
        Assert.Equal(2, loaded.Epoch);
        Assert.Equal(20, loaded.Step);
        Assert.Equal("train-abc", loaded.RunId);
        Assert.Equal([1, 2, 3], loaded.ModelState);
        Assert.Equal([4, 5], loaded.OptimizerState);
        Assert.Equal([6], loaded.RandomState);
        Assert.Equal(Sample(2).SavedAt, loaded.SavedAt);
        Assert.Equal([CheckpointStore.FileName], Directory.GetFiles(_dir).Select(Path.GetFileName));
        Assert.Null(loaded.Selection);
    }

    [Fact]
    public void The_model_selection_travels_with_the_checkpoint_and_version_1_files_still_load()
    {
        var store = new CheckpointStore(_dir);
        store.Save(Sample(3) with { Selection = new ModelSelectionState(2, 0.75, 0.5, 1, [9, 8, 7]) });
        var m = store.TryLoad()!.Selection!;
        Assert.Equal((2, 0.75, 0.5, 1), (m.BestEpoch, m.BestUar, m.BestLoss, m.EpochsWithoutGain));
        Assert.Equal([9, 8, 7], m.BestState);

        // a version 1 checkpoint: the same layout without the selection flag, version 1 in the header
        var v2 = Sample(3).ToBytes();
        var body = v2.AsSpan(0, v2.Length - 32 - 1).ToArray(); // drop the checksum and the "no selection" flag
        BitConverter.GetBytes(1).CopyTo(body, 4);
        File.WriteAllBytes(store.FilePath, [.. body, .. System.Security.Cryptography.SHA256.HashData(body)]);
        var old = store.TryLoad()!;
        Assert.Equal(30, old.Step);
        Assert.Null(old.Selection);
    }

    [Fact]
    public void Damaged_truncated_or_foreign_files_are_named_in_the_error()
    {
        var store = new CheckpointStore(_dir);
        store.Save(Sample(1));
        var bytes = File.ReadAllBytes(store.FilePath);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(store.FilePath, bytes);
        var e = Assert.Throws<InvalidDataException>(() => store.TryLoad());
        Assert.Contains(store.FilePath, e.Message);
        Assert.Contains("checksum", e.Message);

        File.WriteAllBytes(store.FilePath, bytes[..20]);
        Assert.Contains("not a training checkpoint", Assert.Throws<InvalidDataException>(() => store.TryLoad()).Message);
        File.WriteAllText(store.FilePath, "hello, this is not a checkpoint at all, really not");
        Assert.Contains("delete it", Assert.Throws<InvalidDataException>(() => store.TryLoad()).Message);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }
}
