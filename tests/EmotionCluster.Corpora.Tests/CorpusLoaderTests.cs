using Xunit;

namespace EmotionCluster.Corpora.Tests;

public class CorpusLoaderTests
{
    [Fact]
    public void A_missing_folder_is_a_clear_error()
    {
        string missing = Path.Combine(Path.GetTempPath(), "no-such-corpus-" + Guid.NewGuid().ToString("N"));
        var e = Assert.Throws<CorpusException>(() => CorpusLoader.Load(missing));
        Assert.Equal($"{missing}: folder not found; check the path", e.Message);
        Assert.Null(CorpusLoader.Detect(missing));
    }

    [Fact]
    public void A_folder_of_no_known_layout_is_a_clear_error()
    {
        using var tree = new TempTree();
        tree.Write("notes.txt", [65]);
        var e = Assert.Throws<CorpusException>(() => CorpusLoader.Load(tree.Root));
        Assert.Contains("not a known corpus layout", e.Message);
        Assert.Contains("EMO-DB", e.Message);
        Assert.Contains("AESDD", e.Message);
    }

    [Fact]
    public void A_file_instead_of_a_folder_is_a_clear_error()
    {
        using var tree = new TempTree();
        string file = tree.Wav("03a01Fa.wav");
        var e = Assert.Throws<CorpusException>(() => CorpusLoader.Load(file));
        Assert.Contains("is a file", e.Message);
    }

    [Theory]
    [InlineData("Angry", "anger")]
    [InlineData("happy", "happiness")]
    [InlineData("Sad", "sadness")]
    [InlineData("Disgust", "disgust")]
    [InlineData("Fear", "fear")]
    [InlineData(" Neutral ", "neutral")]
    [InlineData("Calm", "calm")]
    public void Labels_have_one_canonical_spelling(string label, string canonical) =>
        Assert.Equal(canonical, Emotions.Canonical(label));
}
