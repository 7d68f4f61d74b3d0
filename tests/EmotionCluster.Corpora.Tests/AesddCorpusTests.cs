using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Corpora.Tests;

public class AesddCorpusTests
{
    private static readonly Dictionary<string, string> FolderOfCsvLabel = new()
    {
        ["Angry"] = "anger", ["Disgust"] = "disgust", ["Fear"] = "fear", ["Happy"] = "happiness", ["Sad"] = "sadness",
    };

    private static List<(string File, string Label)> ReadFileList() =>
        File.ReadLines(Datasets.RequireAesddFileList()).Skip(1).Where(l => l.Length > 0)
            .Select(l => l.Split(';')).Select(c => (c[0], c[1].Trim())).ToList();

    [AesddFact]
    public void Every_name_of_the_file_list_loads_with_the_right_emotion()
    {
        var rows = ReadFileList();
        Assert.Equal(604, rows.Count);
        using var tree = new TempTree();
        byte[] wav = TempTree.TinyWav();
        foreach (var (file, label) in rows) tree.Write(Path.Combine(FolderOfCsvLabel[label], file), wav);

        Corpus corpus = AesddCorpus.Load(tree.Root);

        Assert.Empty(corpus.Issues);
        Assert.Equal(604, corpus.Clips.Count);
        Assert.Equal(CorpusLayout.Aesdd, corpus.Layout);
        var perEmotion = corpus.Clips.GroupBy(c => c.Emotion).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(121, perEmotion["anger"]);
        Assert.Equal(122, perEmotion["disgust"]);
        Assert.Equal(120, perEmotion["fear"]);
        Assert.Equal(119, perEmotion["happiness"]);
        Assert.Equal(122, perEmotion["sadness"]);
        Assert.Equal(["1", "2", "3", "4", "5", "6"], corpus.Speakers);
        var byId = corpus.Clips.ToDictionary(c => c.Id);
        var perActor = new Dictionary<string, int>();
        foreach (var (file, label) in rows)
        {
            // the oracle: letter, two utterance digits, "(actor)" with optional leading zero, optional take letter
            var m = System.Text.RegularExpressions.Regex.Match(file, @"^([adfhs])(\d\d) \(0?([1-6])\)([ab]?)\.wav$");
            Assert.True(m.Success, file);
            ClipInfo clip = byId[Path.GetFileNameWithoutExtension(file)];
            Assert.Equal(Emotions.Canonical(label), clip.Emotion);
            Assert.Equal(m.Groups[1].Value[0], clip.Emotion[0]);
            Assert.Equal(m.Groups[2].Value, clip.Text);
            Assert.Equal(m.Groups[3].Value, clip.Speaker);
            Assert.Equal(m.Groups[4].Value, clip.Take);
            perActor[clip.Speaker] = perActor.GetValueOrDefault(clip.Speaker) + 1;
        }
        // counted from AESDD_GT.csv; actor 5 has the second takes
        Assert.Equal(new Dictionary<string, int> { ["1"] = 100, ["2"] = 100, ["3"] = 98, ["4"] = 99, ["5"] = 107, ["6"] = 100 }, perActor);
        Assert.Equal(perActor, corpus.Clips.GroupBy(c => c.Speaker).ToDictionary(g => g.Key, g => g.Count()));
        Assert.Equal(CorpusLayout.Aesdd, CorpusLoader.Detect(tree.Root));
        Assert.Equal(604, CorpusLoader.Load(tree.Root).Clips.Count);
    }

    [Theory]
    [InlineData("disgust/d03 (01).wav", "disgust", "03", "1", "")]
    [InlineData("fear/f10 (01).wav", "fear", "10", "1", "")]
    [InlineData("fear/f13 (01).wav", "fear", "13", "1", "")]
    [InlineData("anger/a06 (5)b.wav", "anger", "06", "5", "b")]
    [InlineData("sadness/s01 (5)a.wav", "sadness", "01", "5", "a")]
    [InlineData("sadness/s01 (5)b.wav", "sadness", "01", "5", "b")]
    [InlineData("happiness/h19 (6).wav", "happiness", "19", "6", "")]
    [InlineData("anger/a01 (1).wav", "anger", "01", "1", "")]
    [InlineData("disgust/d01 (5)b.wav", "disgust", "01", "5", "b")]
    [InlineData("disgust/d03 (5)b.wav", "disgust", "03", "5", "b")]
    [InlineData("disgust/d04 (5)b.wav", "disgust", "04", "5", "b")]
    [InlineData("fear/f11 (01).wav", "fear", "11", "1", "")]
    [InlineData("fear/f12 (01).wav", "fear", "12", "1", "")]
    [InlineData("fear/f18 (5)b.wav", "fear", "18", "5", "b")]
    [InlineData("sadness/s02 (5)b.wav", "sadness", "02", "5", "b")]
    [InlineData("sadness/s04 (5)b.wav", "sadness", "04", "5", "b")]
    public void Irregular_names_parse(string path, string emotion, string utterance, string actor, string take)
    {
        ClipInfo? clip = AesddCorpus.Parse(path, out string? problem);
        Assert.Null(problem);
        Assert.NotNull(clip);
        Assert.Equal(emotion, clip.Emotion);
        Assert.Equal(utterance, clip.Text);
        Assert.Equal(actor, clip.Speaker);
        Assert.Equal(take, clip.Take);
        Assert.Equal(Path.GetFileNameWithoutExtension(path), clip.Id);
        Assert.Equal("aesdd", clip.Corpus);
    }

    [Theory]
    [InlineData("x01 (1).wav")]
    [InlineData("a01 (7).wav")]
    [InlineData("a01 (0).wav")]
    [InlineData("a01.wav")]
    [InlineData("a01 (1)bb.wav")]
    public void Bad_names_are_rejected_with_a_reason(string name)
    {
        Assert.Null(AesddCorpus.Parse(name, out string? problem));
        Assert.False(string.IsNullOrEmpty(problem));
    }

    [Fact]
    public void Problems_are_reported_per_file_and_the_rest_loads()
    {
        using var tree = new TempTree();
        tree.Wav("anger/a01 (1).wav");
        tree.Wav("anger/s02 (1).wav");      // sadness letter in the anger folder
        tree.Wav("fear/f01 (9).wav");       // no actor 9
        tree.Wav("fear/notes.wav");         // not an AESDD name
        tree.Wav("fear/f01 (2).wav");
        tree.Wav("neutral/n01 (1).wav");    // no such AESDD folder
        tree.Wav("stray.wav");              // outside the folders
        tree.Write("fear/readme.txt", [1, 2, 3]); // not a wav: ignored

        Corpus corpus = AesddCorpus.Load(tree.Root);

        Assert.Equal(["a01 (1)", "f01 (2)"], corpus.Clips.Select(c => c.Id));
        Assert.Equal(5, corpus.Issues.Count);
        Assert.Contains(corpus.Issues, i => i.Path.EndsWith("s02 (1).wav") && i.Problem.Contains("sadness") && i.Problem.Contains("anger folder"));
        Assert.Contains(corpus.Issues, i => i.Path.EndsWith("f01 (9).wav") && i.Problem.Contains("actor 9"));
        Assert.Contains(corpus.Issues, i => i.Path.EndsWith("notes.wav"));
        Assert.Contains(corpus.Issues, i => i.Path.EndsWith("neutral"));
        Assert.Contains(corpus.Issues, i => i.Path.EndsWith("stray.wav"));
    }

    [Fact]
    public void The_same_recording_under_two_spellings_is_kept_once()
    {
        using var tree = new TempTree();
        tree.Wav("disgust/d03 (01).wav");
        tree.Wav("disgust/d03 (1).wav");

        Corpus corpus = AesddCorpus.Load(tree.Root);

        Assert.Single(corpus.Clips);
        Assert.Single(corpus.Issues);
        Assert.Contains("same emotion, utterance, actor and take", corpus.Issues[0].Problem);
    }

    [Fact]
    public void A_folder_without_emotion_folders_is_an_error()
    {
        using var tree = new TempTree();
        tree.Wav("misc/a01 (1).wav");
        var e = Assert.Throws<CorpusException>(() => AesddCorpus.Load(tree.Root));
        Assert.Contains("anger/", e.Message);
    }
}
