using EmotionCluster.Training;
using Xunit;

namespace EmotionCluster.Training.Tests;

public class CheckpointTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "ec-ckpt-" + Guid.NewGuid().ToString("N")[..12]);

    private static TrainingCheckpoint Sample(int epoch) =>
        new("train-abc", epoch, epoch * 10L, 7, [1, 2, 3], [4, 5], [6], DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));

    [Fact]
    public void Round_trips_and_replaces_atomically_without_leftovers()
    {
        var store = new CheckpointStore(dir);
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
        Assert.Equal([CheckpointStore.FileName], Directory.GetFiles(dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Damaged_truncated_or_foreign_files_are_named_in_the_error()
    {
        var store = new CheckpointStore(dir);
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
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }
}
