using System.Text.RegularExpressions;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Acquisition.Tests;

public sealed class CorpusVerifierTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [EmoDbFact]
    public void The_real_emodb_folder_verifies_against_the_committed_manifest()
    {
        VerificationReport report = CorpusVerifier.VerifyEmoDb(Datasets.RequireEmoDb());

        Assert.True(report.Ok, string.Join("\n", report.Describe()));
        Assert.Equal(535, report.Verified);
        Assert.True(report.Hashed);
        Assert.Empty(report.Extra);
        Assert.StartsWith("emodb OK", report.Summary);
    }

    [EmoDbFact]
    public void The_folder_above_emodb_is_accepted_too() =>
        Assert.Equal(Path.GetFullPath(Datasets.RequireEmoDb()),
            CorpusVerifier.VerifyEmoDb(Path.GetDirectoryName(Path.GetFullPath(Datasets.RequireEmoDb()))!).Root);

    [Fact]
    public void The_committed_emodb_manifest_lists_the_535_release_files_with_size_and_hash()
    {
        CorpusManifest manifest = CorpusManifest.EmoDb;

        Assert.Equal(535, manifest.Entries.Count);
        Assert.Equal(["wav"], manifest.Folders);
        Assert.All(manifest.Entries, e =>
        {
            Assert.Matches(@"^wav/(03|08|09|1[0-6])[ab]\d\d[WLEAFTN][a-z]\.wav$", e.Path);
            Assert.Matches("^[0-9a-f]{64}$", e.Sha256);
            Assert.InRange(e.Size!.Value, 1000, 1_000_000);
        });
        Assert.Equal(127, manifest.Entries.Count(e => e.Path[9] == 'W'));
    }

    [Fact]
    public void The_committed_aesdd_list_names_604_files_in_the_five_emotion_folders()
    {
        CorpusManifest manifest = CorpusManifest.Aesdd;

        Assert.Equal(604, manifest.Entries.Count);
        Assert.Equal(["anger", "disgust", "fear", "happiness", "sadness"], manifest.Folders);
        Assert.Equal([121, 122, 120, 119, 122], manifest.Folders.Select(f => manifest.Entries.Count(e => e.Path.StartsWith(f + "/"))));
        Assert.All(manifest.Entries, e => Assert.Null(e.Sha256));
        Assert.Equal(["sadness/s05 (3).wav"], manifest.KnownCorrupt);
        Assert.DoesNotContain(manifest.Entries, e => e.Path == "sadness/s05 (3).wav");
    }

    [AesddFact]
    public void The_committed_aesdd_list_is_the_ground_truth_file_list()
    {
        var folders = new Dictionary<string, string>
        {
            ["Angry"] = "anger", ["Disgust"] = "disgust", ["Fear"] = "fear", ["Happy"] = "happiness", ["Sad"] = "sadness",
        };
        var fromCsv = File.ReadLines(Datasets.RequireAesddFileList()).Skip(1).Where(l => l.Length > 0)
            .Select(l => l.Split(';')).Select(p => $"{folders[p[1].Trim()]}/{p[0]}").Order(StringComparer.Ordinal);

        Assert.Equal(fromCsv, CorpusManifest.Aesdd.Entries.Select(e => e.Path));
    }

    private void WriteAesdd(IEnumerable<string> paths)
    {
        byte[] wav = TestCorpus.Wav(0);
        foreach (string path in paths)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_dir[path])!);
            File.WriteAllBytes(_dir[path], wav);
        }
    }

    [Fact]
    public void A_complete_aesdd_tree_verifies_and_the_known_corrupt_file_is_not_extra()
    {
        WriteAesdd(CorpusManifest.Aesdd.Entries.Select(e => e.Path).Append("sadness/s05 (3).wav"));

        VerificationReport report = CorpusVerifier.VerifyAesdd(_dir.Path);

        Assert.True(report.Ok, string.Join("\n", report.Describe()));
        Assert.Equal(604, report.Verified);
        Assert.False(report.Hashed);
        Assert.Empty(report.Extra);
        Assert.Equal(["sadness/s05 (3).wav"], report.KnownCorrupt);
        Assert.Contains(report.Describe(), l => l.Contains("known corrupt file of the release") && l.Contains("s05 (3).wav"));
    }

    [Fact]
    public void A_missing_and_a_renamed_aesdd_file_are_reported()
    {
        var names = CorpusManifest.Aesdd.Entries.Select(e => e.Path).ToList();
        names.Remove("fear/f10 (01).wav");
        names.Remove("anger/a06 (5)b.wav");
        WriteAesdd(names.Append("anger/a06 (5)c.wav"));

        VerificationReport report = CorpusVerifier.VerifyAesdd(_dir.Path);

        Assert.False(report.Ok);
        Assert.Equal(["anger/a06 (5)b.wav", "fear/f10 (01).wav"], report.Missing);
        Assert.Equal(["anger/a06 (5)c.wav"], report.Extra);
        Assert.Equal(602, report.Verified);
        Assert.StartsWith("aesdd FAILED", report.Summary);
        Assert.Contains("  missing: fear/f10 (01).wav", report.Describe());
    }

    [Fact]
    public void An_aesdd_copy_under_aesdd_with_capitalised_folders_and_an_empty_file_is_checked()
    {
        var names = CorpusManifest.Aesdd.Entries.Select(e => "aesdd/" + Regex.Replace(e.Path, "^anger/", "Anger/")).ToList();
        WriteAesdd(names);
        File.WriteAllBytes(_dir["aesdd/Anger/a01 (1).wav"], []);

        VerificationReport report = CorpusVerifier.VerifyAesdd(_dir.Path);

        Assert.Equal(_dir["aesdd"], report.Root);
        Assert.Equal([new FileProblem("Anger/a01 (1).wav", "empty file")], report.Mismatched);
        Assert.Empty(report.Missing);
        Assert.Empty(report.Extra);
    }

    [Fact]
    public void Wrong_size_wrong_hash_missing_and_extra_files_are_each_reported()
    {
        TestCorpus.WriteTo(_dir.Path);
        File.WriteAllBytes(_dir["wav/01a.wav"], [1, 2, 3]);
        byte[] changed = TestCorpus.Wav(1);
        changed[100] ^= 1;
        File.WriteAllBytes(_dir["wav/02b.wav"], changed);
        File.Delete(_dir["wav/03c.wav"]);
        File.WriteAllBytes(_dir["wav/04d.wav"], [0]);

        VerificationReport report = CorpusVerifier.Verify(_dir.Path, TestCorpus.Manifest());

        Assert.False(report.Ok);
        Assert.Equal(0, report.Verified);
        Assert.Equal("wav/01a.wav", report.Mismatched[0].Path);
        Assert.StartsWith("3 bytes, expected ", report.Mismatched[0].Problem);
        Assert.Equal("wav/02b.wav", report.Mismatched[1].Path);
        Assert.Matches("^SHA-256 [0-9a-f]{64}, expected [0-9a-f]{64}$", report.Mismatched[1].Problem);
        Assert.Equal(["wav/03c.wav"], report.Missing);
        Assert.Equal(["wav/04d.wav"], report.Extra);
    }

    [Fact]
    public void A_folder_without_the_corpus_is_a_clear_error()
    {
        var absent = Assert.Throws<DirectoryNotFoundException>(() => CorpusVerifier.VerifyEmoDb(_dir["nowhere"]));
        Assert.Contains($"{_dir["nowhere"]} does not exist", absent.Message);

        var empty = Assert.Throws<DirectoryNotFoundException>(() => CorpusVerifier.VerifyEmoDb(_dir.Path));
        Assert.Contains($"{_dir.Path} holds none of wav/ (nor does {_dir["emodb"]})", empty.Message);
    }

    [Fact]
    public void Manifests_round_trip_and_bad_lines_are_refused()
    {
        CorpusManifest manifest = TestCorpus.Manifest();
        CorpusManifest again = CorpusManifest.Parse(new StringReader("# comment\n\n" + manifest.Format()), "again");
        Assert.Equal(manifest.Entries, again.Entries);

        Assert.Contains("line 2: '../escape.wav' is not a relative path",
            Assert.Throws<FormatException>(() => CorpusManifest.Parse(new StringReader("wav/a.wav\n../escape.wav\n"), "m")).Message);
        Assert.Contains("wav/a.wav is listed 2 times",
            Assert.Throws<FormatException>(() => CorpusManifest.Parse(new StringReader("wav/a.wav\nwav/a.wav\n"), "m")).Message);
        Assert.Contains("lists no files", Assert.Throws<FormatException>(() => CorpusManifest.Parse(new StringReader("# none\n"), "m")).Message);
    }
}
