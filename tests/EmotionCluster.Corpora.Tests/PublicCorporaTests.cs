using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Corpora.Tests;

/// <summary>
/// Each public corpus as a generated tree of tiny WAVs with the real naming scheme, file count and speakers
/// (<see cref="PublicCorpusNames"/>): detected by its names, loaded with the right labels, speakers and genders, and
/// split by speaker.
/// </summary>
public class PublicCorporaTests
{
    private static Corpus Generate(TempTree tree, IEnumerable<string> paths, CorpusLayout layout)
    {
        PublicCorpusNames.Write(tree.Root, paths, TempTree.TinyWav());
        Assert.Equal(layout, CorpusLoader.Detect(tree.Root));
        Corpus corpus = CorpusLoader.Load(tree.Root);
        Assert.Equal(layout, corpus.Layout);
        Assert.True(corpus.HasSpeakers);
        return corpus;
    }

    private static Dictionary<string, int> PerEmotion(Corpus corpus) =>
        corpus.Clips.GroupBy(c => c.Emotion).ToDictionary(g => g.Key, g => g.Count());

    [Fact]
    public void Ravdess_speech_has_24_actors_8_emotions_and_1440_files()
    {
        using var tree = new TempTree();
        Corpus corpus = Generate(tree, PublicCorpusNames.Ravdess(), CorpusLayout.Ravdess);

        Assert.Equal(RavdessCorpus.Name, corpus.Name);
        Assert.Equal(1440, corpus.Clips.Count);
        Assert.Empty(corpus.Issues);
        Assert.Equal(Enumerable.Range(1, 24).Select(a => a.ToString("D2")), corpus.Speakers);
        Assert.Equal(["anger", "disgust", "fear", "happiness", "sadness", "neutral", "surprise", "calm"], corpus.Emotions);
        var perEmotion = PerEmotion(corpus);
        Assert.Equal(96, perEmotion["neutral"]);
        Assert.All(perEmotion.Where(e => e.Key != "neutral"), e => Assert.Equal(192, e.Value));
        ClipInfo clip = corpus.Clips.Single(c => c.Id == "03-01-05-02-01-02-12");
        Assert.Equal(("anger", "12", "female", "01", "02-02"), (clip.Emotion, clip.Speaker, clip.Gender, clip.Text, clip.Take));
        Assert.Equal("male", corpus.Clips.Single(c => c.Id == "03-01-08-01-01-01-01").Gender);
        Assert.Equal(24, Splits.LeaveOneSpeakerOut(corpus.Clips, 0).Count);
    }

    [Fact]
    public void Ravdess_song_files_and_misplaced_actors_are_issues()
    {
        using var tree = new TempTree();
        PublicCorpusNames.Write(tree.Root, PublicCorpusNames.Ravdess().Take(120), TempTree.TinyWav());
        tree.Wav("Actor_01/03-02-03-01-01-01-01.wav"); // song
        tree.Wav("Actor_01/03-01-03-01-01-01-02.wav"); // actor 02's file in Actor_01
        tree.Wav("Actor_01/notes.wav");

        Corpus corpus = CorpusLoader.Load(tree.Root);

        Assert.Equal(120, corpus.Clips.Count);
        Assert.Equal(3, corpus.Issues.Count);
        Assert.Contains(corpus.Issues, i => i.Path.EndsWith("03-02-03-01-01-01-01.wav") && i.Problem.Contains("song"));
        Assert.Contains(corpus.Issues, i => i.Path.EndsWith("03-01-03-01-01-01-02.wav") && i.Problem.Contains("Actor_01"));
        Assert.Contains(corpus.Issues, i => i.Path.EndsWith("notes.wav") && i.Problem.Contains("RAVDESS pattern"));
    }

    [Fact]
    public void CremaD_has_91_speakers_6_emotions_and_7442_files_and_reads_the_actors_sex()
    {
        using var tree = new TempTree();
        tree.Write(CremaDCorpus.DemographicsFile, System.Text.Encoding.UTF8.GetBytes(
            "ActorID,Age,Sex,Race,Ethnicity\n" + string.Join("\n", Enumerable.Range(1001, 91).Select(a => $"{a},30,{(a % 2 == 0 ? "Female" : "Male")},Caucasian,Not Hispanic"))));
        Corpus corpus = Generate(tree, PublicCorpusNames.CremaD(), CorpusLayout.CremaD);

        Assert.Equal(7442, corpus.Clips.Count);
        Assert.Empty(corpus.Issues);
        Assert.Equal(91, corpus.Speakers.Count);
        Assert.Equal(("1001", "1091"), (corpus.Speakers[0], corpus.Speakers[^1]));
        Assert.Equal(["anger", "disgust", "fear", "happiness", "sadness", "neutral"], corpus.Emotions);
        Assert.Equal(1274, PerEmotion(corpus)["anger"]); // 91 × (11 + 3 levels of IEO)
        ClipInfo clip = corpus.Clips.Single(c => c.Id == "1002_IEO_HAP_HI");
        Assert.Equal(("happiness", "1002", "female", "IEO", "HI"), (clip.Emotion, clip.Speaker, clip.Gender, clip.Text, clip.Take));

        var folds = Splits.SpeakerGroupedFolds(corpus.Clips, 5, seed: 1);
        Assert.Equal(5, folds.Count);
        Assert.Equal(91, folds.SelectMany(f => f.TestSpeakers).Distinct().Count());
        Assert.Equal(7442, folds.Sum(f => f.Test.Count));
    }

    [Fact]
    public void Tess_has_2_speakers_7_emotions_and_2800_files_with_pleasant_surprise_as_surprise()
    {
        using var tree = new TempTree();
        Corpus corpus = Generate(tree, PublicCorpusNames.Tess(), CorpusLayout.Tess);

        Assert.Equal(2800, corpus.Clips.Count);
        Assert.Empty(corpus.Issues);
        Assert.Equal(["OAF", "YAF"], corpus.Speakers);
        Assert.Equal(["anger", "disgust", "fear", "happiness", "sadness", "neutral", "surprise"], corpus.Emotions);
        Assert.All(PerEmotion(corpus).Values, n => Assert.Equal(400, n));
        ClipInfo clip = corpus.Clips.Single(c => c.Id == "OAF_back_ps");
        Assert.Equal(("surprise", "OAF", "female", "back"), (clip.Emotion, clip.Speaker, clip.Gender, clip.Text));
        Assert.Equal(2, Splits.LeaveOneSpeakerOut(corpus.Clips, 0, LosoValidation.StratifiedSlice).Count);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Savee_has_4_speakers_7_emotions_and_480_files_flat_or_as_released(bool flat)
    {
        using var tree = new TempTree();
        Corpus corpus = Generate(tree, PublicCorpusNames.Savee(flat), CorpusLayout.Savee);

        Assert.Equal(480, corpus.Clips.Count);
        Assert.Empty(corpus.Issues);
        Assert.Equal(["DC", "JE", "JK", "KL"], corpus.Speakers);
        Assert.Equal(["anger", "disgust", "fear", "happiness", "sadness", "neutral", "surprise"], corpus.Emotions);
        Assert.Equal(120, PerEmotion(corpus)["neutral"]);
        Assert.Equal(60, PerEmotion(corpus)["surprise"]);
        ClipInfo clip = corpus.Clips.Single(c => c.Id == "JK_sa03");
        Assert.Equal(("sadness", "JK", "male"), (clip.Emotion, clip.Speaker, clip.Gender));
        Assert.Equal(4, Splits.LeaveOneSpeakerOut(corpus.Clips, 0).Count);
    }

    [Fact]
    public void Emovo_has_6_speakers_7_emotions_and_588_files()
    {
        using var tree = new TempTree();
        Corpus corpus = Generate(tree, PublicCorpusNames.Emovo(), CorpusLayout.Emovo);

        Assert.Equal(588, corpus.Clips.Count);
        Assert.Empty(corpus.Issues);
        Assert.Equal(["f1", "f2", "f3", "m1", "m2", "m3"], corpus.Speakers);
        Assert.Equal(["anger", "disgust", "fear", "happiness", "sadness", "neutral", "surprise"], corpus.Emotions);
        Assert.All(PerEmotion(corpus).Values, n => Assert.Equal(84, n));
        ClipInfo clip = corpus.Clips.Single(c => c.Id == "sor-m2-l3");
        Assert.Equal(("surprise", "m2", "male", "l3"), (clip.Emotion, clip.Speaker, clip.Gender, clip.Text));
        Assert.Equal("happiness", corpus.Clips.Single(c => c.Id == "gio-f1-b1").Emotion);
        Assert.Equal("fear", corpus.Clips.Single(c => c.Id == "pau-f1-b1").Emotion);
        Assert.Equal(6, Splits.LeaveOneSpeakerOut(corpus.Clips, 0).Count);
    }

    [Fact]
    public void A_label_map_merges_and_drops_labels_of_a_detected_corpus()
    {
        using var tree = new TempTree();
        PublicCorpusNames.Write(tree.Root, PublicCorpusNames.Ravdess(), TempTree.TinyWav());

        Corpus corpus = CorpusLoader.Load(tree.Root, new CorpusOptions { LabelMap = LabelMap.Parse("calm=neutral,surprised=drop") });

        Assert.Equal(["anger", "disgust", "fear", "happiness", "sadness", "neutral"], corpus.Emotions);
        Assert.Equal(96 + 192, corpus.Clips.Count(c => c.Emotion == "neutral"));
        Assert.Equal(1440 - 192, corpus.Clips.Count);
        Assert.Equal([new LabelCount("surprise", 192)], corpus.Dropped);
    }

    [Fact]
    public void Emodb_names_still_win_and_its_labels_keep_their_order()
    {
        using var tree = new TempTree();
        foreach (string name in new[] { "03a01Wa", "03a01La", "03a01Ea", "03a01Aa", "03a01Fa", "03a01Ta", "03a01Na" })
            tree.Wav($"wav/{name}.wav");
        Corpus corpus = CorpusLoader.Load(tree.Root, CorpusOptions.Default);
        Assert.Equal(CorpusLayout.EmoDb, corpus.Layout);
        Assert.Equal(Emotions.All, corpus.Emotions);
        Assert.Equal(["anger", "boredom", "disgust", "fear", "happiness", "sadness", "neutral"], Emotions.All);
        Assert.Equal([.. Emotions.All, "surprise", "calm"], Emotions.Known);
    }

    [Theory]
    [InlineData("ravdess", "Actor_25/03-01-05-01-01-01-25.wav", "actor 25 is outside 01..24")]
    [InlineData("ravdess", "Actor_01/03-01-09-01-01-01-01.wav", "RAVDESS pattern")]
    [InlineData("cremad", "AudioWAV/1092_DFA_ANG_XX.wav", "actor 1092 is outside 1001..1091")]
    [InlineData("cremad", "AudioWAV/1001_XYZ_ANG_XX.wav", "sentence XYZ is not one of")]
    [InlineData("cremad", "AudioWAV/1001_DFA_BOR_XX.wav", "CREMA-D pattern")]
    [InlineData("tess", "OAF_angry/YAF_back_angry.wav", "speaker YAF in the name but the file is in OAF_angry")]
    [InlineData("tess", "OAF_angry/OAF_back_furious.wav", "TESS pattern")]
    [InlineData("savee", "DC_n31.wav", "sentence number 31 is outside 01..30")]
    [InlineData("savee", "DC_a16.wav", "sentence number 16 is outside 01..15")]
    [InlineData("savee", "XX/a01.wav", "SAVEE pattern")]
    [InlineData("emovo", "f1/dis-f4-b1.wav", "EMOVO pattern")]
    [InlineData("emovo", "f1/dis-f1-n6.wav", "EMOVO pattern")]
    public void Names_outside_a_corpus_scheme_are_refused_with_the_reason(string corpus, string relativePath, string problem)
    {
        ClipInfo? clip = corpus switch
        {
            "ravdess" => RavdessCorpus.Parse(relativePath, "/x", out string? p1) is var c1 ? Check(c1, p1) : null,
            "cremad" => CremaDCorpus.Parse(relativePath, "/x", out string? p2) is var c2 ? Check(c2, p2) : null,
            "tess" => TessCorpus.Parse(relativePath, "/x", out string? p3) is var c3 ? Check(c3, p3) : null,
            "savee" => SaveeCorpus.Parse(relativePath, "/x", out string? p4) is var c4 ? Check(c4, p4) : null,
            _ => EmovoCorpus.Parse(relativePath, "/x", out string? p5) is var c5 ? Check(c5, p5) : null,
        };
        Assert.Null(clip);

        ClipInfo? Check(ClipInfo? c, string? p)
        {
            Assert.NotNull(p);
            Assert.Contains(problem, p);
            Assert.EndsWith("file skipped", p);
            return c;
        }
    }
}
