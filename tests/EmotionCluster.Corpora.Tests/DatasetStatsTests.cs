using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Corpora.Tests;

public class DatasetStatsTests
{
    [Fact]
    public void Stats_count_everything_and_report_unreadable_audio()
    {
        using var tree = new TempTree();
        tree.Wav("anger/spkA_1.wav", samples: 16000);   // 1.0 s
        tree.Wav("anger/spkB_2.wav", samples: 32000);   // 2.0 s
        tree.Wav("neutral/spkA_3.wav", samples: 8000);  // 0.5 s
        tree.Write("neutral/spkB_4.wav", "not a wav at all"u8.ToArray());
        Corpus corpus = FolderCorpus.Load(tree.Root, new System.Text.RegularExpressions.Regex("^spk(?<speaker>[AB])_"));

        DatasetStats stats = DatasetStats.Compute(corpus);

        Assert.Equal(4, stats.Samples);
        Assert.Equal(3, stats.ReadableSamples);
        Assert.Equal(["anger", "neutral"], stats.Emotions);
        Assert.Equal(["A", "B"], stats.Speakers);
        Assert.Equal([new LabelCount("anger", 2), new LabelCount("neutral", 2)], stats.PerEmotion);
        Assert.Equal([new LabelCount("A", 2), new LabelCount("B", 2)], stats.PerSpeaker);
        Assert.Equal(1, stats.EmotionBySpeaker["B"]["neutral"]);
        Assert.Equal(2, stats.EmotionBySpeaker["A"].Count);
        Assert.Equal([new LabelCount("PCM16 mono 16000 Hz", 3)], stats.Formats);
        Assert.Equal([16000], stats.SampleRates);
        Assert.Equal([1], stats.Channels);
        Assert.Equal(new DurationSummary(0.5, 1.0, 2.0, 3.5), stats.Durations);
        Assert.Null(stats.HumanRecognitionMean);
        var issue = Assert.Single(stats.Issues);
        Assert.EndsWith("spkB_4.wav", issue.Path);
        Assert.StartsWith("audio unreadable", issue.Problem);
    }

    [Fact]
    public void Median_of_an_even_count_is_the_mean_of_the_middle_two()
    {
        Assert.Equal(new DurationSummary(1, 2.5, 4, 10), DatasetStats.Summarize([4, 1, 3, 2]));
        Assert.Equal(new DurationSummary(1, 2, 3, 6), DatasetStats.Summarize([3, 1, 2]));
        Assert.Null(DatasetStats.Summarize([]));
    }

    [Fact]
    public void Stats_survive_a_json_round_trip()
    {
        using var tree = new TempTree();
        tree.Wav("sad/a.wav");
        tree.Wav("happy/b.wav");
        DatasetStats stats = DatasetStats.Compute(FolderCorpus.Load(tree.Root));

        string json = stats.ToJson();
        DatasetStats back = DatasetStats.FromJson(json);

        Assert.Contains("\"perEmotion\"", json);
        Assert.Equal(json, back.ToJson());
    }

    [EmoDbFact]
    public void EmoDb_stats_match_the_corpus_description()
    {
        DatasetStats stats = DatasetStats.Compute(CorpusLoader.Load(Datasets.RequireEmoDb()));

        Assert.Equal(535, stats.Samples);
        Assert.Equal(535, stats.ReadableSamples);
        Assert.Equal(7, stats.Emotions.Count);
        Assert.Equal(10, stats.Speakers.Count);
        Assert.Equal([new LabelCount("PCM16 mono 16000 Hz", 535)], stats.Formats);
        Assert.Equal(["anger", "boredom", "disgust", "fear", "happiness", "sadness", "neutral"], stats.PerEmotion.Select(p => p.Label));
        Assert.Equal([127, 81, 46, 69, 71, 62, 79], stats.PerEmotion.Select(p => p.Count));
        Assert.Equal(0, stats.EmotionBySpeaker["08"]["disgust"]);
        Assert.Equal(1.23, stats.Durations!.MinSeconds, 2);
        Assert.Equal(2.59, stats.Durations.MedianSeconds, 2);
        Assert.Equal(8.98, stats.Durations.MaxSeconds, 2);
        Assert.Equal(24.8, stats.Durations.TotalSeconds / 60, 1);
        Assert.Empty(stats.Issues);
        Assert.InRange(stats.HumanRecognitionMean!.Value, 0.93, 0.94);
    }
}
