using System.Text.RegularExpressions;
using Xunit;

namespace EmotionCluster.Corpora.Tests;

public class FolderCorpusTests
{
    [Fact]
    public void Each_subfolder_is_a_label_in_canonical_form()
    {
        using var tree = new TempTree();
        tree.Wav("Angry/spk1_001.wav");
        tree.Wav("Angry/deeper/spk2_002.wav");
        tree.Wav("happy/spk1_003.wav");
        tree.Wav("calm/spk3_004.wav");
        tree.Wav("loose.wav");

        Corpus corpus = FolderCorpus.Load(tree.Root);

        Assert.Equal(CorpusLayout.FolderPerLabel, corpus.Layout);
        Assert.Equal(["Angry/deeper/spk2_002", "Angry/spk1_001", "calm/spk3_004", "happy/spk1_003"], corpus.Clips.Select(c => c.Id));
        Assert.Equal(["anger", "happiness", "calm"], corpus.Emotions);
        Assert.All(corpus.Clips, c => Assert.Equal(ClipInfo.UnknownSpeaker, c.Speaker));
        Assert.Single(corpus.Issues);
        Assert.EndsWith("loose.wav", corpus.Issues[0].Path);
        Assert.Equal(CorpusLayout.FolderPerLabel, CorpusLoader.Detect(tree.Root));
    }

    [Fact]
    public void A_speaker_pattern_names_speakers_and_reports_misses()
    {
        using var tree = new TempTree();
        tree.Wav("sad/spk1_001.wav");
        tree.Wav("sad/spk2_001.wav");
        tree.Wav("sad/other.wav");

        Corpus corpus = FolderCorpus.Load(tree.Root, new Regex(@"^spk(?<speaker>\d+)_"));

        Assert.Equal([ClipInfo.UnknownSpeaker, "1", "2"], corpus.Clips.Select(c => c.Speaker)); // ids sad/other, sad/spk1_001, sad/spk2_001
        Assert.Single(corpus.Issues);
        Assert.EndsWith("other.wav", corpus.Issues[0].Path);
        Assert.Throws<ArgumentException>(() => FolderCorpus.Load(tree.Root, new Regex("spk")));
    }
}
