using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Acquisition.Tests;

public sealed class AcquisitionCommandsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>The real EMO-DB zipped the way the release does it (wav/ beside other folders), served locally.</summary>
    [EmoDbFact]
    public async Task Download_of_emodb_from_a_mirror_unpacks_verifies_and_is_a_no_op_the_second_time()
    {
        string emodb = Datasets.RequireEmoDb();
        var entries = Directory.EnumerateFiles(Path.Combine(emodb, "wav"))
            .ToDictionary(f => "wav/" + Path.GetFileName(f), File.ReadAllBytes);
        entries["erklaerung.txt"] = File.ReadAllBytes(Path.Combine(emodb, "erklaerung.txt"));
        entries["lablaut/03a01Fa.lablaut"] = "not unpacked"u8.ToArray();
        using var server = new TinyHttpServer(Reply.Ok(TestCorpus.ZipOf(entries)));
        using var http = new HttpClient();
        var output = new StringWriter();

        int code = await AcquisitionCommands.DownloadAsync("emodb", _dir.Path, force: false, server.Url().ToString(), output, http: http);

        Assert.Equal(AcquisitionCommands.Ok, code);
        string text = output.ToString();
        Assert.Contains($"downloading {server.Url()}", text);
        Assert.Contains("100%", text);
        Assert.Contains($"EMO-DB: downloaded", text);
        Assert.Contains($"emodb OK: {_dir["emodb"]}: all 535 files present with the expected size and SHA-256", text);
        Assert.True(File.Exists(_dir["emodb/erklaerung.txt"]));
        Assert.False(Directory.Exists(_dir["emodb/lablaut"]));

        var again = new StringWriter();
        Assert.Equal(AcquisitionCommands.Ok,
            await AcquisitionCommands.DownloadAsync("emodb", _dir.Path, force: false, server.Url().ToString(), again, http: http));
        Assert.Contains("already there and verified, nothing downloaded", again.ToString());
        Assert.Equal(1, server.Requests);
    }

    [EmoDbFact]
    public void Verify_of_the_real_emodb_exits_ok()
    {
        var output = new StringWriter();
        Assert.Equal(AcquisitionCommands.Ok, AcquisitionCommands.Verify("emodb", Datasets.RequireEmoDb(), output));
        Assert.Contains("emodb OK", output.ToString());
    }

    [Fact]
    public void Verify_of_an_incomplete_aesdd_exits_with_1_and_says_what_to_do()
    {
        Directory.CreateDirectory(_dir["aesdd/anger"]);
        File.WriteAllBytes(_dir["aesdd/anger/a01 (1).wav"], TestCorpus.Wav(0));
        var output = new StringWriter();

        int code = AcquisitionCommands.Verify("AESDD", _dir.Path, output);

        Assert.Equal(AcquisitionCommands.VerificationFailed, code);
        string text = output.ToString();
        Assert.Contains($"aesdd FAILED: {_dir["aesdd"]}: 1 of 604 files verified, 603 missing", text);
        Assert.Contains("… and 583 more missing", text);
        Assert.Contains("AESDD is distributed on request only: ask for it at http://m3c.web.auth.gr/", text);
        Assert.Contains($"emotioncluster dataset verify aesdd --data {_dir["aesdd"]}", text);
    }

    [Fact]
    public async Task Download_of_aesdd_explains_the_request_and_the_layout()
    {
        var e = await Assert.ThrowsAsync<CorpusDownloadException>(() =>
            AcquisitionCommands.DownloadAsync("aesdd", _dir.Path, force: false, url: null, TextWriter.Null));

        Assert.Contains("ask for it at http://m3c.web.auth.gr/research/aesdd-speech-emotion-recognition/", e.Message);
        Assert.Contains($"{_dir["aesdd"]} holds anger/ disgust/ fear/ happiness/ sadness/ with the 604 listed files", e.Message);
        Assert.Contains("sadness/s05 (3).wav of the release is known to be corrupt", e.Message);
    }

    [Fact]
    public async Task Download_of_aesdd_from_a_lab_mirror_checks_the_names_and_reports_the_known_corrupt_file()
    {
        byte[] wav = TestCorpus.Wav(0);
        var entries = CorpusManifest.Aesdd.Entries.Select(e => "AESDD/" + e.Path).Append("AESDD/sadness/s05 (3).wav")
            .ToDictionary(name => name, _ => wav);
        using var server = new TinyHttpServer(Reply.Ok(TestCorpus.ZipOf(entries)));
        using var http = new HttpClient();
        var output = new StringWriter();

        int code = await AcquisitionCommands.DownloadAsync("aesdd", _dir.Path, force: false, server.Url("/aesdd.zip").ToString(), output, http: http);

        Assert.Equal(AcquisitionCommands.Ok, code);
        Assert.Contains($"aesdd OK: {_dir["aesdd"]}: all 604 files present, 1 known corrupt", output.ToString());
        Assert.True(File.Exists(_dir["aesdd/happiness/h01 (1).wav"]));
    }

    [Fact]
    public void Sources_are_found_by_name_and_the_url_can_be_replaced()
    {
        Assert.Equal(["emodb", "aesdd"], AcquisitionCommands.Corpora);
        Assert.Equal(new Uri("http://emodb.bilderbar.info/download/download.zip"), CorpusSources.Get("EmoDb").ArchiveUrl);
        Assert.Null(CorpusSources.Get("aesdd").ArchiveUrl);
        Assert.Equal(new Uri("https://mirror.example/emodb.zip"), CorpusSources.Get("emodb", "https://mirror.example/emodb.zip").ArchiveUrl);

        Assert.Contains("unknown corpus 'ravdess'; known: emodb, aesdd",
            Assert.Throws<ArgumentException>(() => CorpusSources.Get("ravdess")).Message);
        Assert.Contains("--url: 'ftp://x/y.zip' is not an absolute http:// or https:// URL",
            Assert.Throws<ArgumentException>(() => CorpusSources.Get("emodb", "ftp://x/y.zip")).Message);
    }

    [Fact]
    public void The_aesdd_url_variable_makes_a_mirror_downloadable()
    {
        // Only this test sets the variable, and the tests of this class that read AESDD's source run one at a time with it.
        Environment.SetEnvironmentVariable("EMOTIONCLUSTER_AESDD_URL", "http://lab.example/aesdd.zip");
        try
        {
            Assert.Equal(new Uri("http://lab.example/aesdd.zip"), CorpusSources.Get("aesdd").ArchiveUrl);
            Assert.Equal(new Uri("http://other.example/a.zip"), CorpusSources.Get("aesdd", "http://other.example/a.zip").ArchiveUrl);
        }
        finally
        {
            Environment.SetEnvironmentVariable("EMOTIONCLUSTER_AESDD_URL", null);
        }
    }
}
