using Xunit;

namespace EmotionCluster.Corpora.Tests;

public class SpeakerGroupedFoldsTests
{
    /// <summary>CREMA-D-like metadata: 91 speakers with 78–82 clips each over six emotions.</summary>
    private static List<ClipInfo> ManySpeakers()
    {
        string[] emotions = ["anger", "disgust", "fear", "happiness", "neutral", "sadness"];
        var clips = new List<ClipInfo>();
        for (int s = 1001; s <= 1091; s++)
            for (int i = 0; i < 78 + s % 5; i++)
                clips.Add(new ClipInfo($"{s}_{i:D3}", $"/x/{s}_{i}.wav", emotions[i % 6], s.ToString(), "test"));
        return clips;
    }

    [Theory]
    [InlineData(5, LosoValidation.NextSpeaker)]
    [InlineData(10, LosoValidation.NextSpeaker)]
    [InlineData(2, LosoValidation.StratifiedSlice)]
    public void Every_speaker_is_tested_once_and_never_trained_or_validated_in_its_fold(int k, LosoValidation validation)
    {
        var clips = ManySpeakers();
        var folds = Splits.SpeakerGroupedFolds(clips, k, seed: 7, validation);

        Assert.Equal(k, folds.Count);
        Assert.Equal(Enumerable.Range(1, k).Select(i => $"group-{i}-of-{k}"), folds.Select(f => f.Name));
        Assert.Equal(91, folds.SelectMany(f => f.TestSpeakers).Count());
        Assert.Equal(91, folds.SelectMany(f => f.TestSpeakers).Distinct().Count());
        Assert.Equal(clips.Count, folds.Sum(f => f.Test.Count));
        foreach (Split f in folds)
        {
            Assert.Equal(clips.Count, f.Train.Count + f.Validation.Count + f.Test.Count);
            Assert.Empty(f.TestSpeakers.Intersect(f.TrainSpeakers.Concat(f.ValidationSpeakers)));
            if (validation == LosoValidation.NextSpeaker) Assert.Empty(f.ValidationSpeakers.Intersect(f.TrainSpeakers));
        }
        // balanced: the groups' clip counts differ by less than one speaker's clips
        int largest = folds.Max(f => f.Test.Count), smallest = folds.Min(f => f.Test.Count);
        Assert.True(largest - smallest <= 82, $"groups of {smallest}..{largest} clips");
    }

    [Fact]
    public void The_groups_depend_on_the_seed_only_not_on_the_clip_order()
    {
        var clips = ManySpeakers();
        var reversed = Enumerable.Reverse(clips).ToList();
        var a = Splits.SpeakerGroups(clips, 5, seed: 3);
        var b = Splits.SpeakerGroups(reversed, 5, seed: 3);
        var c = Splits.SpeakerGroups(clips, 5, seed: 4);

        Assert.Equal(a.Select(g => string.Join(",", g)), b.Select(g => string.Join(",", g)));
        Assert.NotEqual(a.Select(g => string.Join(",", g)), c.Select(g => string.Join(",", g)));
        Assert.Equal(Splits.SpeakerGroupedFolds(clips, 5, 3).Select(f => f.Test.Count), Splits.SpeakerGroupedFolds(reversed, 5, 3).Select(f => f.Test.Count));
    }

    [Fact]
    public void Fold_counts_outside_the_speakers_are_refused()
    {
        var clips = ManySpeakers().Where(c => int.Parse(c.Speaker) <= 1004).ToList();
        Assert.Contains("at most one per speaker", Assert.Throws<ArgumentOutOfRangeException>(() => Splits.SpeakerGroupedFolds(clips, 5, 0)).Message);
        Assert.Contains("at least 3 folds", Assert.Throws<ArgumentOutOfRangeException>(() => Splits.SpeakerGroupedFolds(clips, 2, 0)).Message);
        Assert.Equal(4, Splits.SpeakerGroupedFolds(clips, 4, 0).Count); // one speaker per group is leave-one-speaker-out
    }
}
