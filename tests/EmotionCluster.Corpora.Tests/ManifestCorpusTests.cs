using System.Text;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Corpora.Tests;

public class ManifestCorpusTests
{
    private static string Text(TempTree tree, string relative, string content) =>
        tree.Write(relative, new UTF8Encoding(true).GetBytes(content)); // with a BOM, as Excel writes it

    [Fact]
    public void A_csv_manifest_resolves_paths_against_its_folder_and_reads_speaker_and_gender()
    {
        using var tree = new TempTree();
        tree.Wav("audio/a.wav");
        tree.Wav("audio/b, c.wav");
        string elsewhere = tree.Wav("other/x.wav");
        string csv = Text(tree, "meta/corpus.csv",
            "file,emotion,speaker,gender\n" +
            "../audio/a.wav,angry,s1,F\n" +
            "\"../audio/b, c.wav\",Sad,s2,male\n" +
            $"{elsewhere},neutral,s1,\n");

        Corpus corpus = CorpusLoader.Load(csv, CorpusOptions.Default);

        Assert.Equal(CorpusLayout.Manifest, corpus.Layout);
        Assert.Equal(CorpusLayout.Manifest, CorpusLoader.Detect(csv));
        Assert.Equal(Path.GetFullPath(csv), corpus.Root);
        Assert.Empty(corpus.Issues);
        Assert.Equal(["a", "b, c", "x"], corpus.Clips.Select(c => c.Id));
        Assert.Equal([("anger", "s1", "female"), ("sadness", "s2", "male"), ("neutral", "s1", null)],
            corpus.Clips.Select(c => (c.Emotion, c.Speaker, c.Gender)));
        Assert.Equal(Path.Combine(tree.Root, "audio", "b, c.wav"), corpus.Clips[1].Path);
        Assert.Equal(["s1", "s2"], corpus.Speakers);
        // the one-argument Load the training commands call reads manifests too
        Assert.Equal(corpus.Clips, CorpusLoader.Load(csv).Clips);
    }

    [Fact]
    public void Bad_rows_are_issues_with_row_line_and_fix_and_the_rest_loads()
    {
        using var tree = new TempTree();
        tree.Wav("a.wav");
        tree.Wav("b.wav");
        tree.Wav("c.wav");
        tree.Wav("d.wav");
        string csv = Text(tree, "corpus.csv",
            "file,emotion,speaker\n" +   // line 1
            "a.wav,happy,1\n" +          // row 1: ok
            "missing.wav,sad,1\n" +      // row 2: no such file
            "b.wav,,2\n" +               // row 3: empty label
            "\n" +                       // blank line 5
            "a.wav,sad,1\n" +            // row 4 (line 6): same file as row 1
            "c.wav,angy,2\n" +           // row 5 (line 7): unknown label
            "d\n" +                      // row 6 (line 8): too few fields
            ",sad,2\n");                 // row 7 (line 9): no path

        Corpus corpus = CorpusLoader.Load(csv, CorpusOptions.Default);

        Assert.Equal(["a"], corpus.Clips.Select(c => c.Id));
        Assert.Equal([(2, 3), (3, 4), (4, 6), (5, 7), (6, 8), (7, 9)], corpus.Issues.Select(i => (i.Row!.Value, i.Line!.Value)));
        Assert.All(corpus.Issues, i => Assert.Equal(Path.GetFullPath(csv), i.Path));
        Assert.Contains("file missing.wav not found", corpus.Issues[0].Problem);
        Assert.Contains("--data-root", corpus.Issues[0].Problem);
        Assert.Contains("empty label in 'emotion'", corpus.Issues[1].Problem);
        Assert.Contains("the same file as row 1", corpus.Issues[2].Problem);
        Assert.Contains("unknown label 'angy'", corpus.Issues[3].Problem);
        Assert.Contains("--map angy=LABEL", corpus.Issues[3].Problem);
        Assert.Contains("has 1 fields but the header has 3", corpus.Issues[4].Problem);
        Assert.Contains("no audio path in 'file'", corpus.Issues[5].Problem);
        Assert.StartsWith($"{Path.GetFullPath(csv)}: row 2 (line 3): file missing.wav", corpus.Issues[0].ToString());
        var back = DatasetStats.FromJson(DatasetStats.Compute(corpus).ToJson());
        Assert.Equal(corpus.Issues, back.Issues);
    }

    [Fact]
    public void Columns_with_other_names_are_given_by_options_and_a_missing_column_names_the_option()
    {
        using var tree = new TempTree();
        tree.Wav("clips/1.wav");
        tree.Wav("clips/2.wav");
        string tsv = Text(tree, "list.tsv", "path\tclass\tactor\n1.wav\tps\tA\n2.wav\tboredom\tB\n");

        var e = Assert.Throws<CorpusException>(() => CorpusLoader.Load(tsv, CorpusOptions.Default));
        Assert.Contains("has none of the columns emotion, emo, label", e.Message);
        Assert.Contains("path, class, actor", e.Message);
        Assert.Contains("--label-column", e.Message);
        e = Assert.Throws<CorpusException>(() => CorpusLoader.Load(tsv, new CorpusOptions { LabelColumn = "klass" }));
        Assert.Contains("has no column 'klass' (given with --label-column)", e.Message);

        Corpus corpus = CorpusLoader.Load(tsv, new CorpusOptions
        {
            LabelColumn = "class", SpeakerColumn = "actor", DataRoot = Path.Combine(tree.Root, "clips"),
            LabelMap = LabelMap.Parse("ps=surprise"),
        });
        Assert.Empty(corpus.Issues);
        Assert.Equal([("surprise", "A"), ("boredom", "B")], corpus.Clips.Select(c => (c.Emotion, c.Speaker)));
    }

    [Fact]
    public void A_speechbrain_json_manifest_replaces_data_root_and_reads_spk_id()
    {
        using var tree = new TempTree();
        tree.Wav("data/Session1/a.wav");
        tree.Wav("data/Session1/b.wav");
        tree.Wav("data/Session2/c.wav");
        string json = Text(tree, "manifests/train.json", """
            {
              "Ses01_a": {"wav": "{data_root}/Session1/a.wav", "length": 2.1, "emo": "ang", "spk_id": 1},
              "Ses01_b": {"wav": "{data_root}/Session1/b.wav", "length": 1.5, "emo": "hap"},
              "Ses02_c": {"wav": "{data_root}/Session2/c.wav", "length": 3.0, "emo": "neu", "spk_id": "2"},
              "Ses02_d": {"wav": "{data_root}/Session2/d.wav", "length": 3.0, "emo": "sad", "spk_id": "2"},
              "Ses02_e": "not an object"
            }
            """);

        Corpus corpus = CorpusLoader.Load(json, new CorpusOptions { DataRoot = Path.Combine(tree.Root, "data") });

        Assert.Equal(["Ses01_a", "Ses01_b", "Ses02_c"], corpus.Clips.Select(c => c.Id));
        Assert.Equal([("anger", "1"), ("happiness", ClipInfo.UnknownSpeaker), ("neutral", "2")], corpus.Clips.Select(c => (c.Emotion, c.Speaker)));
        Assert.Equal([(4, "Ses02_d"), (5, "Ses02_e")], corpus.Issues.Select(i => (i.Row!.Value, i.Key!)));
        Assert.Contains("d.wav not found", corpus.Issues[0].Problem);
        Assert.Contains("row 4 (key 'Ses02_d')", corpus.Issues[0].ToString());
        Assert.False(corpus.HasSpeakers);
        var e = Assert.Throws<CorpusException>(() => corpus.RequireSpeakers("leave-one-speaker-out"));
        Assert.Contains("corpus manifest has no speaker for 1 of 3 clips (e.g. Ses01_b)", e.Message);
    }

    [Fact]
    public void An_emobox_jsonl_manifest_names_bad_lines_and_duplicate_keys()
    {
        using var tree = new TempTree();
        tree.Wav("wav/k1.wav");
        tree.Wav("wav/k2.wav");
        string jsonl = Text(tree, "emobox.jsonl",
            """{"key": "k1", "dataset": "x", "wav": "wav/k1.wav", "type": "raw", "sample_rate": 16000, "length": 1.0, "task": "category", "emo": "angry", "speaker": "m01"}""" + "\n" +
            "\n" +
            "{not json\n" +
            """{"key": "k1", "wav": "wav/k2.wav", "emo": "sad"}""" + "\n" +
            """{"key": "k2", "wav": "wav/k2.wav", "emo": "Surprised", "speaker": "f02"}""" + "\n");

        Corpus corpus = CorpusLoader.Load(jsonl, CorpusOptions.Default);

        Assert.Equal([("k1", "anger", "m01"), ("k2", "surprise", "f02")], corpus.Clips.Select(c => (c.Id, c.Emotion, c.Speaker)));
        Assert.Equal([(2, 3), (3, 4)], corpus.Issues.Select(i => (i.Row!.Value, i.Line!.Value)));
        Assert.Contains("not a JSON object", corpus.Issues[0].Problem);
        Assert.Contains("key 'k1' was already used by row 1", corpus.Issues[1].Problem);
    }

    [Fact]
    public void Unknown_labels_are_kept_when_mapped_to_themselves_and_drop_removes_rows()
    {
        using var tree = new TempTree();
        string csv = Text(tree, "c.csv", "file,emotion,speaker\n" + string.Join("\n",
            new[] { ("1", "frustrated"), ("2", "excited"), ("3", "calm"), ("4", "happy") }.Select(r => $"{tree.Wav(r.Item1 + ".wav")},{r.Item2},s")) + "\n");

        Corpus corpus = CorpusLoader.Load(csv, new CorpusOptions { LabelMap = LabelMap.Parse("frustrated=frustrated, excited=happy; calm=drop") });

        Assert.Empty(corpus.Issues);
        Assert.Equal(["frustrated", "happiness", "happiness"], corpus.Clips.Select(c => c.Emotion));
        Assert.Equal([new LabelCount("calm", 1)], corpus.Dropped);
        var all = Assert.Throws<CorpusException>(() => CorpusLoader.Load(csv, new CorpusOptions { LabelMap = LabelMap.Parse("frustrated=drop,excited=drop,calm=drop,happy=drop") }));
        Assert.Contains("every row was dropped by --map", all.Message);
    }

    [Fact]
    public void A_speaker_pattern_gives_speakers_to_a_manifest_without_a_speaker_column()
    {
        using var tree = new TempTree();
        tree.Wav("spk07/x_1.wav");
        tree.Wav("spk09/x_2.wav");
        string csv = Text(tree, "c.csv", "file,emotion\nspk07/x_1.wav,sad\nspk09/x_2.wav,happy\n");

        Assert.False(CorpusLoader.Load(csv, CorpusOptions.Default).HasSpeakers);
        Corpus corpus = CorpusLoader.Load(csv, new CorpusOptions { SpeakerPattern = @"^spk(\d+)/" });
        Assert.Equal(["07", "09"], corpus.Clips.Select(c => c.Speaker));
    }

    [Fact]
    public void A_manifest_that_cannot_be_used_at_all_is_one_error()
    {
        using var tree = new TempTree();
        string bad = Text(tree, "bad.csv", "file,emotion\n\"open quote,sad\n");
        Assert.Contains("a quoted field is not closed", Assert.Throws<CorpusException>(() => CorpusLoader.Load(bad, CorpusOptions.Default)).Message);
        string none = Text(tree, "none.csv", "file,emotion\nnope.wav,sad\n");
        var e = Assert.Throws<CorpusException>(() => CorpusLoader.Load(none, CorpusOptions.Default));
        Assert.Contains("no row of the manifest could be used (1 rows); first problem:", e.Message);
        string array = Text(tree, "a.json", "[1, 2]");
        Assert.Contains(".jsonl", Assert.Throws<CorpusException>(() => CorpusLoader.Load(array, CorpusOptions.Default)).Message);
        string txt = Text(tree, "list.txt", "x");
        Assert.Contains("is a file", Assert.Throws<CorpusException>(() => CorpusLoader.Load(txt, CorpusOptions.Default)).Message);
    }

    [Fact]
    public void Manifest_options_on_a_folder_are_refused()
    {
        using var tree = new TempTree();
        tree.Wav("sad/1.wav");
        Assert.Contains("--label-column applies to manifest files",
            Assert.Throws<ArgumentException>(() => CorpusLoader.Load(tree.Root, new CorpusOptions { LabelColumn = "x" })).Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_written_csv_loads_back_to_the_same_clips(bool ravdess)
    {
        using var tree = new TempTree();
        if (ravdess) PublicCorpusNames.Write(Path.Combine(tree.Root, "corpus"), PublicCorpusNames.Ravdess(), TempTree.TinyWav());
        else
            foreach (string name in new[] { "03a01Wa", "03a02Wb", "08b01Ta", "10a05Fc", "16b10Lb" })
                tree.Wav($"corpus/wav/{name}.wav");
        Corpus original = CorpusLoader.Load(Path.Combine(tree.Root, "corpus"));
        string csv = Path.Combine(tree.Root, "out", "corpus.csv");

        ManifestWriter.WriteCsv(original, csv);
        Corpus loaded = CorpusLoader.Load(csv, CorpusOptions.Default);

        Assert.Empty(loaded.Issues);
        Assert.Equal(original.Clips.Select(c => (c.Id, c.Path, c.Emotion, c.Speaker, c.Gender)),
            loaded.Clips.Select(c => (c.Id, c.Path, c.Emotion, c.Speaker, c.Gender)));
        Assert.StartsWith(ravdess ? "file,emotion,speaker,gender\n../corpus/Actor_01/" : "file,emotion,speaker\n../corpus/wav/03a01Wa.wav,anger,03\n",
            File.ReadAllText(csv));
    }

    [Fact]
    public void Csv_reader_handles_quotes_crlf_and_line_numbers()
    {
        var records = CsvReader.Read("a,b\r\n\"x\"\"y\",\"two\nlines\"\r\n\r\nlast,1");
        Assert.Equal([1, 2, 5], records.Select(r => r.Line));
        Assert.Equal(["x\"y", "two\nlines"], records[1].Fields);
        Assert.Equal(';', CsvReader.SniffDelimiter("file;emotion;speaker\n"));
        Assert.Equal("\"a,b\"", CsvReader.Escape("a,b"));
    }
}
