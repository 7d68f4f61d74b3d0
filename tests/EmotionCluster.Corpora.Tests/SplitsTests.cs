using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Corpora.Tests;

public class SplitsTests
{
    /// <summary>EMO-DB-sized metadata: 10 speakers; speaker 08 has no disgust and speaker 10 one.</summary>
    private static List<ClipInfo> EmoDbLike()
    {
        var counts = new Dictionary<string, int>
        {
            ["anger"] = 127, ["boredom"] = 81, ["neutral"] = 79, ["happiness"] = 71, ["fear"] = 69, ["sadness"] = 62, ["disgust"] = 46,
        };
        string[] speakers = ["03", "08", "09", "10", "11", "12", "13", "14", "15", "16"];
        var clips = new List<ClipInfo>();
        foreach (var (emotion, count) in counts)
        {
            string[] eligible = emotion == "disgust" ? speakers.Where(s => s != "08").ToArray() : speakers;
            for (int i = 0; i < count; i++)
            {
                // disgust: speaker 10 gets exactly one clip (i = 0), the rest round-robin over the others
                string speaker = emotion != "disgust" ? eligible[i % eligible.Length]
                    : i == 0 ? "10" : eligible.Where(s => s != "10").ElementAt(i % (eligible.Length - 1));
                clips.Add(new ClipInfo($"{speaker}-{emotion}-{i:D3}", $"/x/{emotion}{i}.wav", emotion, speaker, "test"));
            }
        }
        return clips;
    }

    [Fact]
    public void Stratified_split_is_70_20_10_within_one_clip_per_emotion()
    {
        var clips = EmoDbLike();
        Split split = Splits.Stratified(clips, seed: 42);

        Assert.Equal(clips.Count, split.Train.Count + split.Validation.Count + split.Test.Count);
        Assert.Equal(clips.Count, split.Train.Concat(split.Validation).Concat(split.Test).Select(c => c.Id).Distinct().Count());
        foreach (var group in clips.GroupBy(c => c.Emotion))
        {
            int n = group.Count();
            Assert.InRange(split.Train.Count(c => c.Emotion == group.Key), 0.7 * n - 1, 0.7 * n + 1);
            Assert.InRange(split.Validation.Count(c => c.Emotion == group.Key), 0.2 * n - 1, 0.2 * n + 1);
            Assert.InRange(split.Test.Count(c => c.Emotion == group.Key), 0.1 * n - 1, 0.1 * n + 1);
        }
    }

    [Fact]
    public void Fractions_are_configurable()
    {
        var clips = EmoDbLike();
        Split split = Splits.Stratified(clips, seed: 1, trainFraction: 0.5, validationFraction: 0.25);
        foreach (var group in clips.GroupBy(c => c.Emotion))
        {
            int n = group.Count();
            Assert.InRange(split.Train.Count(c => c.Emotion == group.Key), 0.5 * n - 1, 0.5 * n + 1);
            Assert.InRange(split.Test.Count(c => c.Emotion == group.Key), 0.25 * n - 1, 0.25 * n + 1);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => Splits.Stratified(clips, 1, 0.9, 0.2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Splits.Stratified(clips, 1, 0, 0.2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Splits.Stratified(clips, 1, 0.7, -0.1));
    }

    [Fact]
    public void Same_seed_gives_the_same_split_whatever_the_input_order()
    {
        var clips = EmoDbLike();
        var reversed = Enumerable.Reverse(clips).ToList();
        Split a = Splits.Stratified(clips, seed: 7), b = Splits.Stratified(reversed, seed: 7), c = Splits.Stratified(clips, seed: 8);

        Assert.Equal(Ids(a.Train), Ids(b.Train));
        Assert.Equal(Ids(a.Validation), Ids(b.Validation));
        Assert.Equal(Ids(a.Test), Ids(b.Test));
        Assert.NotEqual(Ids(a.Test), Ids(c.Test));

        var f1 = Splits.LeaveOneSpeakerOut(clips, 3, LosoValidation.StratifiedSlice);
        var f2 = Splits.LeaveOneSpeakerOut(reversed, 3, LosoValidation.StratifiedSlice);
        Assert.Equal(f1.Select(f => Ids(f.Validation)), f2.Select(f => Ids(f.Validation)));
        Assert.Equal(Ids(Splits.HeldOutSpeakers(clips, 2, 1, 5).Test), Ids(Splits.HeldOutSpeakers(reversed, 2, 1, 5).Test));
    }

    [Theory]
    [InlineData(LosoValidation.NextSpeaker)]
    [InlineData(LosoValidation.StratifiedSlice)]
    public void Leave_one_speaker_out_never_puts_a_speaker_on_both_sides(LosoValidation validation)
    {
        var clips = EmoDbLike();
        var folds = Splits.LeaveOneSpeakerOut(clips, seed: 0, validation);

        Assert.Equal(10, folds.Count);
        foreach (Split fold in folds)
        {
            Assert.Single(fold.TestSpeakers);
            Assert.DoesNotContain(fold.TestSpeakers[0], fold.TrainSpeakers);
            Assert.DoesNotContain(fold.TestSpeakers[0], fold.ValidationSpeakers);
            Assert.Equal(clips.Count, fold.Train.Count + fold.Validation.Count + fold.Test.Count);
            if (validation == LosoValidation.NextSpeaker)
            {
                Assert.Single(fold.ValidationSpeakers);
                Assert.DoesNotContain(fold.ValidationSpeakers[0], fold.TrainSpeakers);
                Assert.Equal(8, fold.TrainSpeakers.Count);
            }
        }
        // every clip is tested exactly once
        Assert.Equal(clips.Select(c => c.Id).Order(), folds.SelectMany(f => f.Test).Select(c => c.Id).Order());
        // a speaker without disgust still gets a fold, whose test set simply lacks that class
        Split fold08 = folds.Single(f => f.Name == "loso-08");
        Assert.DoesNotContain(fold08.Test, c => c.Emotion == "disgust");
        Assert.Equal(6, fold08.Test.Select(c => c.Emotion).Distinct().Count());
        Assert.Single(folds.Single(f => f.Name == "loso-10").Test, c => c.Emotion == "disgust");
    }

    [Fact]
    public void Held_out_speakers_are_only_in_test_or_validation()
    {
        var clips = EmoDbLike();
        Split byId = Splits.HeldOutSpeakers(clips, ["03", "16"], ["09"], seed: 0);
        Assert.Equal(["03", "16"], byId.TestSpeakers);
        Assert.Equal(["09"], byId.ValidationSpeakers);
        Assert.Empty(byId.TrainSpeakers.Intersect(["03", "16", "09"]));

        Split sliced = Splits.HeldOutSpeakers(clips, ["08"], null, seed: 0);
        Assert.Equal(["08"], sliced.TestSpeakers);
        Assert.DoesNotContain("08", sliced.TrainSpeakers.Concat(sliced.ValidationSpeakers));
        Assert.Equal(clips.Count, sliced.Train.Count + sliced.Validation.Count + sliced.Test.Count);

        for (int seed = 0; seed < 5; seed++)
        {
            Split random = Splits.HeldOutSpeakers(clips, testSpeakerCount: 2, validationSpeakerCount: 1, seed);
            Assert.Equal(2, random.TestSpeakers.Count);
            Assert.Single(random.ValidationSpeakers);
            Assert.Empty(random.TestSpeakers.Intersect(random.TrainSpeakers.Concat(random.ValidationSpeakers)));
            Assert.Empty(random.ValidationSpeakers.Intersect(random.TrainSpeakers));
        }
    }

    [Fact]
    public void Impossible_speaker_splits_are_rejected_with_the_reason()
    {
        var clips = EmoDbLike();
        Assert.Contains("'99'", Assert.Throws<ArgumentException>(() => Splits.HeldOutSpeakers(clips, ["99"], null, 0)).Message);
        Assert.Contains("both", Assert.Throws<ArgumentException>(() => Splits.HeldOutSpeakers(clips, ["03"], ["03"], 0)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Splits.HeldOutSpeakers(clips, 9, 1, 0));
        var twoSpeakers = clips.Where(c => c.Speaker is "03" or "08").ToList();
        Assert.Contains("at least 3 speakers", Assert.Throws<ArgumentException>(() => Splits.LeaveOneSpeakerOut(twoSpeakers, 0)).Message);
        Assert.Equal(2, Splits.LeaveOneSpeakerOut(twoSpeakers, 0, LosoValidation.StratifiedSlice).Count);
        Assert.Throws<ArgumentException>(() => Splits.Stratified([], 0));
    }

    [Fact]
    public void Speaker_splits_refuse_clips_without_a_known_speaker_and_the_stratified_split_takes_them()
    {
        var clips = EmoDbLike();
        for (int i = 0; i < 5; i++) clips[i] = clips[i] with { Speaker = ClipInfo.UnknownSpeaker };
        foreach (var split in new Func<object>[]
                 {
                     () => Splits.LeaveOneSpeakerOut(clips, 0),
                     () => Splits.LeaveOneSpeakerOut(clips, 0, LosoValidation.StratifiedSlice),
                     () => Splits.HeldOutSpeakers(clips, ["03"], null, 0),
                     () => Splits.HeldOutSpeakers(clips, 2, 1, 0),
                 })
        {
            var e = Assert.Throws<ArgumentException>(split);
            Assert.Contains("5 of 535 clips have no known speaker", e.Message);
            Assert.Contains(clips[0].Id, e.Message);
            Assert.Contains("speaker pattern", e.Message);
        }
        Assert.Equal(535, Splits.Stratified(clips, 0) is var s ? s.Train.Count + s.Validation.Count + s.Test.Count : 0);
    }

    [EmoDbFact]
    public void Leave_one_speaker_out_on_EmoDb()
    {
        Corpus corpus = EmoDbCorpus.Load(Datasets.RequireEmoDb());
        var folds = Splits.LeaveOneSpeakerOut(corpus.Clips, seed: 0);
        Assert.Equal(10, folds.Count);
        Assert.All(folds, f => Assert.Empty(f.TestSpeakers.Intersect(f.TrainSpeakers.Concat(f.ValidationSpeakers))));
        Assert.DoesNotContain(folds.Single(f => f.Name == "loso-08").Test, c => c.Emotion == "disgust");
        Assert.Equal(535, folds.Sum(f => f.Test.Count));
    }

    private static List<string> Ids(IEnumerable<ClipInfo> clips) => clips.Select(c => c.Id).ToList();
}
