using EmotionCluster.Testing;
using System.Net.Sockets;
using System.Security.Cryptography;
using Xunit;

namespace EmotionCluster.Acquisition.Tests;

public sealed class CorpusDownloaderTests : IDisposable
{
    private readonly TempDir _target = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(20) };

    public void Dispose()
    {
        _http.Dispose();
        _target.Dispose();
    }

    private CorpusDownloader Downloader(TimeSpan? stall = null) => new(_http) { StallTimeout = stall ?? TimeSpan.FromSeconds(20) };

    private sealed class Recorder : IProgress<DownloadProgress>
    {
        public List<DownloadProgress> Reports { get; } = [];
        public void Report(DownloadProgress value) => Reports.Add(value);
    }

    [Fact]
    public async Task Download_unpacks_the_corpus_folder_from_anywhere_in_the_archive_and_verifies_it()
    {
        byte[] zip = TestCorpus.Zip();
        using var server = new TinyHttpServer(Reply.Ok(zip));
        var progress = new Recorder();

        DownloadResult result = await Downloader().DownloadAsync(TestCorpus.Source(server.Url()), _target.Path, progress: progress);

        Assert.True(result.Downloaded);
        Assert.True(result.Report.Ok, string.Join("\n", result.Report.Describe()));
        Assert.Equal(3, result.Report.Verified);
        Assert.Equal(zip.Length, result.ArchiveBytes);
        Assert.Equal(_target["testdb"], result.CorpusDir);
        Assert.Equal(TestCorpus.Wav(1), File.ReadAllBytes(_target["testdb/wav/02b.wav"]));
        Assert.Equal("notes", File.ReadAllText(_target["testdb/erkennung.txt"]));
        Assert.False(Directory.Exists(_target["testdb/lablaut"]));
        Assert.Equal(["testdb"], Directory.EnumerateFileSystemEntries(_target.Path).Select(Path.GetFileName)); // no temp leftovers
        Assert.Equal(new DownloadProgress(0, zip.Length), progress.Reports[0]);
        Assert.Equal(new DownloadProgress(zip.Length, zip.Length), progress.Reports[^1]);
    }

    [Fact]
    public async Task A_verified_corpus_is_not_downloaded_again_unless_forced()
    {
        using var server = new TinyHttpServer(Reply.Ok(TestCorpus.Zip()));
        CorpusSource source = TestCorpus.Source(server.Url());
        await Downloader().DownloadAsync(source, _target.Path);

        DownloadResult again = await Downloader().DownloadAsync(source, _target.Path);
        Assert.False(again.Downloaded);
        Assert.True(again.Report.Ok);
        Assert.Equal(1, server.Requests);

        DownloadResult forced = await Downloader().DownloadAsync(source, _target.Path, force: true);
        Assert.True(forced.Downloaded);
        Assert.True(forced.Report.Ok);
        Assert.Equal(2, server.Requests);
    }

    [Fact]
    public async Task A_damaged_corpus_already_there_is_repaired_and_files_of_the_user_are_kept()
    {
        TestCorpus.WriteTo(_target["testdb"]);
        File.WriteAllBytes(_target["testdb/wav/03c.wav"], [1, 2, 3]);
        File.WriteAllText(_target["testdb/wav/my-notes.txt"], "mine");
        using var server = new TinyHttpServer(Reply.Ok(TestCorpus.Zip()));

        DownloadResult result = await Downloader().DownloadAsync(TestCorpus.Source(server.Url()), _target.Path);

        Assert.True(result.Downloaded);
        Assert.True(result.Report.Ok);
        Assert.Equal(TestCorpus.Wav(2), File.ReadAllBytes(_target["testdb/wav/03c.wav"]));
        Assert.Equal(["wav/my-notes.txt"], result.Report.Extra);
    }

    [Theory]
    [InlineData(404, "HTTP 404 Not Found")]
    [InlineData(500, "HTTP 500 Internal Server Error")]
    public async Task An_http_error_names_the_url_the_status_and_the_manual_way(int status, string expected)
    {
        using var server = new TinyHttpServer(new Reply(status, "no"u8.ToArray()));

        var e = await Assert.ThrowsAsync<CorpusDownloadException>(() => Downloader().DownloadAsync(TestCorpus.Source(server.Url()), _target.Path));

        Assert.Contains(server.Url().ToString(), e.Message);
        Assert.Contains(expected, e.Message);
        Assert.Contains($"Download it by hand from {server.Url()}", e.Message);
        Assert.Contains($"emotioncluster dataset verify testdb --data {_target["testdb"]}", e.Message);
        Assert.Equal(server.Url(), e.Url);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_target.Path));
    }

    [Fact]
    public async Task A_refused_connection_says_so()
    {
        Uri url = TinyHttpServer.RefusingUrl();

        var e = await Assert.ThrowsAsync<CorpusDownloadException>(() => Downloader().DownloadAsync(TestCorpus.Source(url), _target.Path));

        Assert.Contains($"from {url}", e.Message);
        Assert.Contains("connection refused", e.Message);
        Assert.Contains("by hand", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_target.Path));
    }

    [Fact]
    public async Task A_server_that_never_answers_times_out()
    {
        using var server = new TinyHttpServer(new Reply(200, [], Hang: true));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };

        var e = await Assert.ThrowsAsync<CorpusDownloadException>(() =>
            new CorpusDownloader(http).DownloadAsync(TestCorpus.Source(server.Url()), _target.Path));

        Assert.Contains("timed out", e.Message);
        Assert.Contains(server.Url().ToString(), e.Message);
    }

    [Fact]
    public async Task A_download_that_stalls_times_out_and_leaves_no_partial_file()
    {
        byte[] zip = TestCorpus.Zip();
        using var server = new TinyHttpServer(new Reply(200, zip, Hang: true, HangAfter: zip.Length / 2));

        var e = await Assert.ThrowsAsync<CorpusDownloadException>(() =>
            Downloader(TimeSpan.FromMilliseconds(500)).DownloadAsync(TestCorpus.Source(server.Url()), _target.Path));

        Assert.Contains("timed out", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_target.Path));
    }

    [Fact]
    public async Task A_connection_closed_mid_body_is_a_truncated_download_and_the_partial_file_is_removed()
    {
        byte[] zip = TestCorpus.Zip();
        using var server = new TinyHttpServer(new Reply(200, zip, SendBytes: zip.Length / 2));

        var e = await Assert.ThrowsAsync<CorpusDownloadException>(() => Downloader().DownloadAsync(TestCorpus.Source(server.Url()), _target.Path));

        Assert.Contains("truncated download", e.Message);
        Assert.Contains($"of {zip.Length} bytes", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_target.Path));
    }

    [Fact]
    public async Task A_tampered_file_fails_the_check_naming_it_and_nothing_is_installed()
    {
        byte[] zip = TestCorpus.Zip(entries =>
        {
            byte[] tampered = TestCorpus.Wav(1);
            tampered[^1] ^= 0x55; // same size, other content
            entries["release-1.0/wav/02b.wav"] = tampered;
        });
        using var server = new TinyHttpServer(Reply.Ok(zip));

        var e = await Assert.ThrowsAsync<CorpusDownloadException>(() => Downloader().DownloadAsync(TestCorpus.Source(server.Url()), _target.Path));

        Assert.Contains("do not match the manifest", e.Message);
        Assert.Contains("wav/02b.wav (SHA-256", e.Message);
        Assert.DoesNotContain("01a.wav", e.Message);
        Assert.Equal("wav/02b.wav", Assert.Single(e.Report!.Mismatched).Path);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_target.Path));
    }

    [Fact]
    public async Task A_failed_forced_download_leaves_the_verified_corpus_alone()
    {
        TestCorpus.WriteTo(_target["testdb"]);
        byte[] zip = TestCorpus.Zip(entries => entries["release-1.0/wav/01a.wav"] = [9, 9, 9]);
        using var server = new TinyHttpServer(Reply.Ok(zip));

        var e = await Assert.ThrowsAsync<CorpusDownloadException>(() =>
            Downloader().DownloadAsync(TestCorpus.Source(server.Url()), _target.Path, force: true));

        Assert.Contains("wav/01a.wav (3 bytes, expected", e.Message);
        Assert.True(CorpusVerifier.Verify(_target["testdb"], TestCorpus.Manifest()).Ok);
        Assert.Equal(["testdb"], Directory.EnumerateFileSystemEntries(_target.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_file_missing_from_the_archive_is_named()
    {
        byte[] zip = TestCorpus.Zip(entries => entries.Remove("release-1.0/wav/03c.wav"));
        using var server = new TinyHttpServer(Reply.Ok(zip));

        var e = await Assert.ThrowsAsync<CorpusDownloadException>(() => Downloader().DownloadAsync(TestCorpus.Source(server.Url()), _target.Path));

        Assert.Contains("wav/03c.wav (missing)", e.Message);
    }

    [Theory]
    [InlineData("release-1.0/wav/../../../evil.wav")]
    [InlineData("../evil.wav")]
    [InlineData("/tmp/evil.wav")]
    [InlineData("release-1.0\\..\\..\\evil.wav")]
    public async Task A_zip_slip_entry_rejects_the_archive_before_anything_is_written(string entry)
    {
        byte[] zip = TestCorpus.Zip(entries => entries[entry] = TestCorpus.Wav(0));
        using var server = new TinyHttpServer(Reply.Ok(zip));

        var e = await Assert.ThrowsAsync<CorpusDownloadException>(() => Downloader().DownloadAsync(TestCorpus.Source(server.Url()), _target.Path));

        Assert.Contains("zip-slip", e.Message);
        Assert.Contains(entry, e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_target.Path));
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(_target.Path)!, "evil.wav")));
    }

    [Fact]
    public async Task A_corrupt_archive_is_reported_as_such()
    {
        byte[] garbage = new byte[5000];
        new Random(7).NextBytes(garbage);
        using var server = new TinyHttpServer(Reply.Ok(garbage));

        var e = await Assert.ThrowsAsync<CorpusDownloadException>(() => Downloader().DownloadAsync(TestCorpus.Source(server.Url()), _target.Path));

        Assert.Contains("not a valid zip archive", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_target.Path));
    }

    [Fact]
    public async Task An_archive_of_something_else_is_reported_as_such()
    {
        byte[] zip = TestCorpus.ZipOf(new Dictionary<string, byte[]> { ["readme.txt"] = "hello"u8.ToArray() });
        using var server = new TinyHttpServer(Reply.Ok(zip));

        var e = await Assert.ThrowsAsync<CorpusDownloadException>(() => Downloader().DownloadAsync(TestCorpus.Source(server.Url()), _target.Path));

        Assert.Contains("holds none of the 3 files of the manifest", e.Message);
    }

    [Fact]
    public async Task The_archive_checksum_is_checked_when_the_source_has_one()
    {
        byte[] zip = TestCorpus.Zip();
        using var server = new TinyHttpServer(Reply.Ok(zip));
        string right = Convert.ToHexStringLower(SHA256.HashData(zip));
        string wrong = new('0', 64);

        var e = await Assert.ThrowsAsync<CorpusDownloadException>(() =>
            Downloader().DownloadAsync(TestCorpus.Source(server.Url(), wrong), _target.Path));
        Assert.Contains($"SHA-256 is {right}, expected {wrong}", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_target.Path));

        DownloadResult result = await Downloader().DownloadAsync(TestCorpus.Source(server.Url(), right.ToUpperInvariant()), _target.Path);
        Assert.True(result.Report.Ok);
    }

    [Fact]
    public async Task Size_limits_stop_oversized_archives_and_zip_bombs()
    {
        byte[] zip = TestCorpus.Zip();
        using var server = new TinyHttpServer(Reply.Ok(zip));

        var big = await Assert.ThrowsAsync<CorpusDownloadException>(() =>
            Downloader().DownloadAsync(TestCorpus.Source(server.Url()) with { MaxArchiveBytes = zip.Length - 1 }, _target.Path));
        Assert.Contains($"announces {zip.Length} bytes", big.Message);

        var bomb = await Assert.ThrowsAsync<CorpusDownloadException>(() =>
            Downloader().DownloadAsync(TestCorpus.Source(server.Url()) with { MaxExtractedBytes = 2000 }, _target.Path));
        Assert.Contains("unpacks to more than 2000 bytes", bomb.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_target.Path));
    }

    [Fact]
    public async Task A_manual_source_explains_where_to_get_the_corpus_and_accepts_one_put_there_by_hand()
    {
        CorpusSource manual = TestCorpus.Source(null);

        var e = await Assert.ThrowsAsync<CorpusDownloadException>(() => Downloader().DownloadAsync(manual, _target.Path));
        Assert.Contains("distributed on request only: ask for it at http://example.invalid/testdb", e.Message);
        Assert.Contains($"unpack it so that {_target["testdb"]} holds wav/ with the 3 listed files", e.Message);

        TestCorpus.WriteTo(_target["testdb"]);
        DownloadResult result = await Downloader().DownloadAsync(manual, _target.Path);
        Assert.False(result.Downloaded);
        Assert.True(result.Report.Ok);
    }

    [Fact]
    public async Task Cancelling_stops_the_download_and_removes_the_partial_file()
    {
        byte[] zip = TestCorpus.Zip();
        using var server = new TinyHttpServer(new Reply(200, zip, Hang: true, HangAfter: 100));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Downloader().DownloadAsync(TestCorpus.Source(server.Url()), _target.Path, cancellationToken: cancel.Token));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_target.Path));
    }

    [Fact]
    public void Name_resolution_and_network_failures_are_described_in_words()
    {
        var url = new Uri("http://emodb.example.invalid/download/download.zip");
        var dns = new HttpRequestException(HttpRequestError.NameResolutionError, "Name or service not known",
            new SocketException((int)SocketError.HostNotFound));
        var unreachable = new HttpRequestException(HttpRequestError.ConnectionError, "Network is unreachable",
            new SocketException((int)SocketError.NetworkUnreachable));

        Assert.Equal("the host name emodb.example.invalid could not be resolved (offline, or no DNS)",
            CorpusDownloadException.Describe(dns, url, TimeSpan.FromSeconds(100)));
        Assert.Equal("emodb.example.invalid:80 is unreachable (offline?)",
            CorpusDownloadException.Describe(unreachable, url, TimeSpan.FromSeconds(100)));
        Assert.Equal("no answer from emodb.example.invalid:80 within 100 s (timed out)",
            CorpusDownloadException.Describe(new TaskCanceledException(), url, TimeSpan.FromSeconds(100)));
    }
}
