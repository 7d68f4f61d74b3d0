using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Corpora.Tests;

public class CorpusOptionsTests
{
    [Fact]
    public void A_label_map_matches_the_label_as_written_or_in_canonical_form()
    {
        LabelMap map = LabelMap.Parse("surprised=surprise, calm=neutral, ps=Surprise, Angry=drop");

        Assert.Equal("surprise", map.Apply("ps", out bool mapped));
        Assert.True(mapped);
        Assert.Equal("neutral", map.Apply("Calm", out _));
        Assert.Null(map.Apply("anger", out _));     // canonical form of "Angry"
        Assert.Null(map.Apply("ANGRY", out _));
        Assert.Equal("happiness", map.Apply("happy", out mapped));
        Assert.False(mapped);
        Assert.Equal("surprise", map.Apply("surprise", out _));
    }

    [Fact]
    public void A_label_map_comes_from_a_json_file_and_bad_maps_say_how_to_write_them()
    {
        using var tree = new TempTree();
        string file = tree.Write("map.json", "{\"calm\": \"neutral\", \"boredom\": \"drop\"}"u8.ToArray());
        LabelMap map = LabelMap.Parse(file);
        Assert.Equal("neutral", map.Apply("calm", out _));
        Assert.Null(map.Apply("boredom", out _));

        Assert.Contains("is not LABEL=NEW", Assert.Throws<ArgumentException>(() => LabelMap.Parse("calm")).Message);
        Assert.Contains("is not LABEL=NEW", Assert.Throws<ArgumentException>(() => LabelMap.Parse("calm=")).Message);
        Assert.Contains("file not found", Assert.Throws<ArgumentException>(() => LabelMap.Parse("nope.json")).Message);
        string bad = tree.Write("bad.json", "[\"calm\"]"u8.ToArray());
        Assert.Contains("not a JSON object", Assert.Throws<ArgumentException>(() => LabelMap.Parse(bad)).Message);
    }

    [Fact]
    public void The_speaker_pattern_reads_the_relative_path_then_the_file_name_and_its_first_group()
    {
        using var tree = new TempTree();
        tree.Wav("angry/actor03/take1.wav");
        tree.Wav("angry/spk7_002.wav");
        tree.Wav("sad/actor04/take1.wav");

        Corpus byFolder = CorpusLoader.Load(tree.Root, new CorpusOptions { SpeakerPattern = @"/actor(?<speaker>\d+)/" });
        Assert.Equal(["03", ClipInfo.UnknownSpeaker, "04"], byFolder.Clips.Select(c => c.Speaker));
        Assert.Single(byFolder.Issues);
        Assert.Contains("does not match the path or the name", byFolder.Issues[0].Problem);

        Corpus byName = CorpusLoader.Load(tree.Root, new CorpusOptions { SpeakerPattern = @"^(spk\d+)_" });
        Assert.Equal(["angry/actor03/take1", "angry/spk7_002", "sad/actor04/take1"], byName.Clips.Select(c => c.Id));
        Assert.Equal("spk7", byName.Clips[1].Speaker);

        Assert.Contains("has no group", Assert.Throws<ArgumentException>(() => CorpusLoader.Load(tree.Root, new CorpusOptions { SpeakerPattern = "spk" })).Message);
        Assert.Contains("not a valid regex", Assert.Throws<ArgumentException>(() => CorpusLoader.Load(tree.Root, new CorpusOptions { SpeakerPattern = "(" })).Message);
    }

    [Fact]
    public void A_corpus_without_speakers_says_so_for_speaker_splits()
    {
        using var tree = new TempTree();
        tree.Wav("angry/1.wav");
        tree.Wav("sad/2.wav");
        Corpus corpus = CorpusLoader.Load(tree.Root);

        Assert.False(corpus.HasSpeakers);
        var e = Assert.Throws<CorpusException>(() => corpus.RequireSpeakers("leave-one-speaker-out cross-validation"));
        Assert.Contains("corpus folder has no speakers, and leave-one-speaker-out cross-validation needs the speaker of every clip", e.Message);
        Assert.Contains("--speaker-pattern", e.Message);
        Assert.Contains("a manifest with a speaker column", e.Message);
        Assert.Contains("no known speaker", Assert.Throws<ArgumentException>(() => Splits.SpeakerGroupedFolds(corpus.Clips, 2, 0, LosoValidation.StratifiedSlice)).Message);
    }

    [Fact]
    public void Several_corpora_load_as_one_with_speakers_namespaced_per_corpus()
    {
        using var tree = new TempTree();
        foreach (string name in new[] { "03a01Wa", "08a01Na" }) tree.Wav($"emodb/wav/{name}.wav");
        PublicCorpusNames.Write(Path.Combine(tree.Root, "ravdess"), PublicCorpusNames.Ravdess().Take(120), TempTree.TinyWav());
        tree.Wav("mine/angry/spk1_1.wav");
        tree.Wav("mine/calm/spk2_1.wav");
        string[] paths = [Path.Combine(tree.Root, "emodb"), Path.Combine(tree.Root, "ravdess"), Path.Combine(tree.Root, "mine")];

        Corpus union = CorpusLoader.LoadMany(paths, new CorpusOptions { SpeakerPattern = @"^(spk\d+)_" });

        Assert.Equal(CorpusLayout.Union, union.Layout);
        Assert.Equal("emodb+ravdess+mine", union.Name);
        Assert.Equal(2 + 120 + 2, union.Clips.Count);
        Assert.Equal(["emodb:03", "emodb:08", "mine:spk1", "mine:spk2", "ravdess:01", "ravdess:02"], union.Speakers);
        Assert.Contains(union.Clips, c => c.Id == "emodb/03a01Wa" && c.Corpus == "emodb" && c.Emotion == "anger");
        Assert.Equal(["emodb", "ravdess", "mine"], union.Parts.Select(p => p.Name));
        Assert.Equal(120, union.Parts[1].Clips.Count);
        Assert.Equal(6, Splits.LeaveOneSpeakerOut(union.Clips, 0).Count);

        Assert.Equal(CorpusLayout.EmoDb, CorpusLoader.LoadMany([paths[0]], CorpusOptions.Default).Layout);
        Assert.Equal("03", CorpusLoader.LoadMany([paths[0]], CorpusOptions.Default).Clips[0].Speaker);
        Assert.Contains("given twice", Assert.Throws<CorpusException>(() => CorpusLoader.LoadMany([paths[0], paths[0] + "/"], CorpusOptions.Default)).Message);
    }

    [Fact]
    public void Manifest_options_apply_to_the_manifests_among_several_corpora()
    {
        using var tree = new TempTree();
        tree.Wav("folder/sad/spk1_1.wav");
        tree.Wav("clips/a.wav");
        string csv = tree.Write("list.csv", "path,class,who\na.wav,happy,x\n"u8.ToArray());
        var options = new CorpusOptions { PathColumn = "path", LabelColumn = "class", SpeakerColumn = "who", DataRoot = Path.Combine(tree.Root, "clips") };

        Corpus union = CorpusLoader.LoadMany([Path.Combine(tree.Root, "folder"), csv], options);

        Assert.Equal([("folder/sad/spk1_1", "sadness", ClipInfo.UnknownSpeaker), ("list/a", "happiness", "list:x")],
            union.Clips.Select(c => (c.Id, c.Emotion, c.Speaker)));
        Assert.Throws<ArgumentException>(() => CorpusLoader.LoadMany([Path.Combine(tree.Root, "folder"), Path.Combine(tree.Root, "clips")], options));
    }

    [Fact]
    public void Two_corpora_of_the_same_kind_get_distinct_prefixes()
    {
        using var tree = new TempTree();
        tree.Wav("a/sad/1.wav");
        tree.Wav("b/a/sad/1.wav");
        Corpus union = CorpusLoader.LoadMany([Path.Combine(tree.Root, "a"), Path.Combine(tree.Root, "b", "a")], CorpusOptions.Default);
        Assert.Equal(["a-2/sad/1", "a/sad/1"], union.Clips.Select(c => c.Id)); // sorted ordinally
        Assert.Equal(["a", "a-2"], union.Parts.Select(p => p.Name));
    }
}
