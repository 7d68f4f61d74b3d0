namespace EmotionCluster.Acquisition;

/// <summary>Bytes of the archive received so far, and the total when the server announced it.</summary>
public sealed record DownloadProgress(long BytesReceived, long? TotalBytes);

/// <summary>
/// The corpus at <see cref="CorpusDir"/> and its check. <see cref="Downloaded"/> is false when it was already there and
/// verified, so nothing was fetched.
/// </summary>
public sealed record DownloadResult(CorpusSource Source, string CorpusDir, bool Downloaded, long ArchiveBytes, VerificationReport Report);

/// <summary>
/// Downloads a corpus archive, unpacks it and checks every file against the corpus manifest. The archive goes to a
/// hidden temporary file in the target folder and is unpacked into a hidden staging folder; only files that verified
/// are moved into <c>TARGET/NAME/</c>, so a failed download never changes a corpus already there. The temporary file
/// and staging folder are removed whatever happens.
/// </summary>
public sealed class CorpusDownloader(HttpClient http)
{
    /// <summary>A download that receives nothing for this long fails (the request's own timeout is <see cref="HttpClient.Timeout"/>).</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Makes sure <c>targetDir/source.Name</c> holds the verified corpus: when it already verifies, nothing is downloaded
    /// unless <paramref name="force"/>.
    /// </summary>
    /// <exception cref="CorpusDownloadException">
    /// The source is on request only and the corpus is not there; or the download failed (offline, DNS, refused, timeout,
    /// HTTP error, truncated), the archive is corrupt, unsafe or too big, or its files do not match the manifest.
    /// </exception>
    public async Task<DownloadResult> DownloadAsync(CorpusSource source, string targetDir, bool force = false,
        IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        string target = Path.GetFullPath(targetDir);
        string corpusDir = Path.Combine(target, source.Name);
        if (!force && AlreadyVerified(source, corpusDir) is { } existing)
            return new DownloadResult(source, corpusDir, false, 0, existing);
        Uri url = source.ArchiveUrl
                  ?? throw new CorpusDownloadException(source, null, "there is no public download", source.ManualSteps(corpusDir));

        Directory.CreateDirectory(target);
        string partial = Path.Combine(target, $".{source.Name}.download.partial");
        string staging = Path.Combine(target, $".{source.Name}.staging");
        Exception Fail(string cause, Exception? inner = null, VerificationReport? report = null) =>
            new CorpusDownloadException(source, url, cause, source.ManualSteps(corpusDir), inner, report);
        try
        {
            long bytes = await FetchAsync(url, partial, source.MaxArchiveBytes, progress, (cause, inner) => Fail(cause, inner), cancellationToken);
            if (source.ArchiveSha256 is { } expected && CorpusVerifier.Sha256Of(partial) is var actual &&
                !string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
                throw Fail($"the archive's SHA-256 is {actual}, expected {expected} (a damaged download or a different release)");

            DeleteDirectory(staging);
            ArchiveExtractor.Extract(partial, staging, source, (cause, inner) => Fail(cause, inner));
            VerificationReport staged = CorpusVerifier.Verify(staging, source.Manifest, null);
            if (!staged.Ok) throw Fail(Mismatch(staged), report: staged);

            MoveFiles(staging, corpusDir);
            return new DownloadResult(source, corpusDir, true, bytes, CorpusVerifier.Verify(corpusDir, source.Manifest, null));
        }
        finally
        {
            File.Delete(partial);
            DeleteDirectory(staging);
        }
    }

    private static VerificationReport? AlreadyVerified(CorpusSource source, string corpusDir)
    {
        try
        {
            VerificationReport report = CorpusVerifier.Verify(corpusDir, source.Manifest, null);
            return report.Ok ? report : null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }

    private async Task<long> FetchAsync(Uri url, string path, long maxBytes, IProgress<DownloadProgress>? progress,
        Func<string, Exception?, Exception> fail, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or IOException ||
                                  e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw fail(CorpusDownloadException.Describe(e, url, http.Timeout), e);
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
                throw fail($"the server answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}", null);
            long? total = response.Content.Headers.ContentLength;
            if (total > maxBytes)
                throw fail($"the server announces {total} bytes, more than the {maxBytes}-byte limit for this corpus", null);

            await using Stream body = await response.Content.ReadAsStreamAsync(cancellationToken);
            await using FileStream file = File.Create(path);
            using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var buffer = new byte[81920];
            long received = 0;
            progress?.Report(new DownloadProgress(0, total));
            while (true)
            {
                int n;
                stall.CancelAfter(StallTimeout);
                try
                {
                    n = await body.ReadAsync(buffer, stall.Token);
                }
                catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
                {
                    throw fail($"no data for {StallTimeout.TotalSeconds:0.#} s after {received} bytes (timed out)", e);
                }
                catch (Exception e) when (e is IOException or HttpRequestException)
                {
                    throw fail($"truncated download: the connection broke after {received}" + (total is { } t ? $" of {t}" : "") +
                               $" bytes ({e.Message})", e);
                }
                if (n == 0) break;
                received += n;
                if (received > maxBytes)
                    throw fail($"the download exceeds the {maxBytes}-byte limit for this corpus", null);
                await file.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
                progress?.Report(new DownloadProgress(received, total));
            }
            if (total is { } announced && received != announced)
                throw fail($"truncated download: received {received} of {announced} bytes", null);
            return received;
        }
    }

    private static string Mismatch(VerificationReport report)
    {
        var problems = report.Mismatched.Select(m => $"{m.Path} ({m.Problem})").Concat(report.Missing.Select(m => $"{m} (missing)")).ToList();
        return $"the downloaded files do not match the manifest: {string.Join(", ", problems.Take(10))}" +
               (problems.Count > 10 ? $" and {problems.Count - 10} more" : "") +
               "; nothing was installed";
    }

    /// <summary>Moves every file under <paramref name="from"/> to the same place under <paramref name="to"/>, replacing.</summary>
    private static void MoveFiles(string from, string to)
    {
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string destination = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Move(file, destination, overwrite: true);
        }
    }

    private static void DeleteDirectory(string dir)
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }
}
