using EmotionCluster.Extraction;
using EmotionCluster.Features;
using Xunit;

namespace EmotionCluster.Extraction.Tests;

public class FeatureStoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ec-store-" + Guid.NewGuid().ToString("N"));

    private static FeatureKey Key(string content = "abc") => new(FeatureKey.HashContent(System.Text.Encoding.UTF8.GetBytes(content)), FeatureKey.HashSettings("{}"));

    [Fact]
    public void Put_then_get_returns_the_same_features_and_leaves_no_temporary_files()
    {
        var store = new DirectoryFeatureStore(_dir);
        var s = new Spectrogram(Enumerable.Range(0, 64 * 10).Select(i => i * 0.5f - 3).ToArray(), 64, 10);
        Assert.False(store.Contains(Key()));
        Assert.Null(store.TryGet(Key()));
        store.Put(Key(), s);
        store.Put(Key(), s); // idempotent
        var back = store.TryGet(Key())!;
        Assert.Equal((64, 10), (back.Bins, back.Frames));
        Assert.Equal(s.Data, back.Data);
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void A_corrupt_entry_is_a_clear_error_and_the_service_recomputes_it()
    {
        var store = new DirectoryFeatureStore(_dir);
        var key = Key();
        store.Put(key, new Spectrogram([1, 2, 3, 4], 2, 2));
        File.WriteAllBytes(store.PathOf(key), [1, 2, 3]);
        Assert.Contains("delete it", Assert.Throws<InvalidDataException>(() => store.TryGet(key)).Message);
    }

    [Fact]
    public void Content_hash_depends_on_bytes_and_settings_hash_on_settings()
    {
        Assert.NotEqual(Key("a").ContentHash, Key("b").ContentHash);
        Assert.Equal(64, Key().ContentHash.Length);
        Assert.NotEqual(FeatureKey.HashSettings("{\"n\":64}"), FeatureKey.HashSettings("{\"n\":40}"));
        Assert.Throws<ArgumentException>(() => new DirectoryFeatureStore(_dir).PathOf(new FeatureKey("../../etc", "x")));
    }

    public void Dispose() { if (Directory.Exists(_dir)) Directory.Delete(_dir, true); }
}
