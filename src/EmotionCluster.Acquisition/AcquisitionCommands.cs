using System.Globalization;

namespace EmotionCluster.Acquisition;

/// <summary>
/// The work of <c>emotioncluster dataset download|verify</c>: one call per command, text to <c>output</c>, an exit code
/// back. Failures are exceptions the command line reports as one line: <see cref="CorpusDownloadException"/> and
/// <see cref="DirectoryNotFoundException"/> (both <see cref="IOException"/>), and <see cref="ArgumentException"/> for an
/// unknown corpus or a malformed URL.
/// </summary>
public static class AcquisitionCommands
{
    public const int Ok = 0;

    /// <summary>Exit code of <c>verify</c> when files are missing or wrong.</summary>
    public const int VerificationFailed = 1;

    /// <summary>Accepted corpus names (<c>emodb</c>, <c>aesdd</c>).</summary>
    public static IReadOnlyList<string> Corpora => CorpusSources.Names;

    /// <summary>
    /// <c>emotioncluster dataset download CORPUS --to DIR [--force] [--url URL]</c>: the corpus ends up verified in
    /// <c>DIR/CORPUS</c>. <paramref name="url"/> (else the EMOTIONCLUSTER_EMODB_URL / EMOTIONCLUSTER_AESDD_URL variable)
    /// replaces the official archive URL. <paramref name="http"/> defaults to a client with a 30 s connect and 100 s
    /// answer timeout.
    /// </summary>
    public static async Task<int> DownloadAsync(string corpus, string targetDir, bool force, string? url, TextWriter output,
        CancellationToken cancellationToken = default, HttpClient? http = null)
    {
        CorpusSource source = CorpusSources.Get(corpus, url);
        using HttpClient? owned = http == null ? CreateHttpClient() : null;
        var downloader = new CorpusDownloader(http ?? owned!);
        if (source.ArchiveUrl != null && !force)
            output.WriteLine($"{source.Title}: looking for a verified copy in {Path.Combine(Path.GetFullPath(targetDir), source.Name)}");
        DownloadResult result = await downloader.DownloadAsync(source, targetDir, force,
            source.ArchiveUrl == null ? null : new ProgressPrinter(output, source.ArchiveUrl), cancellationToken);
        output.WriteLine(result.Downloaded
            ? $"{source.Title}: downloaded {Megabytes(result.ArchiveBytes)}, unpacked into {result.CorpusDir}"
            : $"{source.Title}: already there and verified, nothing downloaded (--force downloads it again)");
        foreach (string line in result.Report.Describe()) output.WriteLine(line);
        return Ok;
    }

    /// <summary>
    /// <c>emotioncluster dataset verify CORPUS --data DIR</c>: checks DIR (or DIR/CORPUS) against the committed manifest;
    /// <see cref="Ok"/> or <see cref="VerificationFailed"/>.
    /// </summary>
    public static int Verify(string corpus, string dataDir, TextWriter output)
    {
        CorpusSource source = CorpusSources.Get(corpus);
        VerificationReport report = CorpusVerifier.Verify(dataDir, source.Manifest, source.Name);
        foreach (string line in report.Describe()) output.WriteLine(line);
        if (!report.Ok) output.WriteLine(source.ManualSteps(report.Root));
        return report.Ok ? Ok : VerificationFailed;
    }

    public static HttpClient CreateHttpClient()
    {
        var client = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(30) })
        {
            Timeout = TimeSpan.FromSeconds(100),
        };
        client.DefaultRequestHeaders.UserAgent.ParseAdd("EmotionCluster-dataset-download/1.0");
        return client;
    }

    private static string Megabytes(long bytes) => (bytes / 1e6).ToString("0.0", CultureInfo.InvariantCulture) + " MB";

    /// <summary>Prints a line when the download starts, then at every further 10 % (or 10 MB when the size is unknown).</summary>
    private sealed class ProgressPrinter(TextWriter output, Uri url) : IProgress<DownloadProgress>
    {
        private long _next;

        public void Report(DownloadProgress value)
        {
            if (value.BytesReceived == 0)
            {
                output.WriteLine($"downloading {url}" + (value.TotalBytes is { } t ? $" ({Megabytes(t)})" : ""));
                _next = Step(value.TotalBytes);
                return;
            }
            if (value.BytesReceived < _next && value.BytesReceived != value.TotalBytes) return;
            output.WriteLine(value.TotalBytes is { } total and > 0
                ? $"  {Megabytes(value.BytesReceived)} of {Megabytes(total)} ({100.0 * value.BytesReceived / total:0}%)"
                : $"  {Megabytes(value.BytesReceived)}");
            _next = value.BytesReceived + Step(value.TotalBytes);
        }

        private static long Step(long? total) => total is { } t and > 0 ? Math.Max(1, t / 10) : 10_000_000;
    }
}
