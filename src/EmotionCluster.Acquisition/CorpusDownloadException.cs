using System.Net.Sockets;

namespace EmotionCluster.Acquisition;

/// <summary>
/// A corpus could not be downloaded or unpacked: the message names the corpus, the URL, the cause and what to do
/// instead. An <see cref="IOException"/>, so command-line error handling for file problems covers it.
/// </summary>
public sealed class CorpusDownloadException : IOException
{
    public CorpusDownloadException(CorpusSource source, Uri? url, string cause, string whatToDo,
        Exception? inner = null, VerificationReport? report = null)
        : base($"cannot get {source.Title}" + (url != null ? $" from {url}" : "") + $": {cause}. {whatToDo}", inner)
    {
        Corpus = source.Name;
        Url = url;
        Cause = cause;
        Report = report;
    }

    public string Corpus { get; }
    public Uri? Url { get; }
    public string Cause { get; }

    /// <summary>When the downloaded files did not match the manifest: the check of the unpacked (and discarded) files.</summary>
    public VerificationReport? Report { get; }

    /// <summary>What went wrong in words, for an exception thrown while connecting or reading.</summary>
    internal static string Describe(Exception e, Uri url, TimeSpan timeout)
    {
        string endpoint = $"{url.Host}:{url.Port}";
        SocketError? socket = Find<SocketException>(e)?.SocketErrorCode;
        return e switch
        {
            OperationCanceledException or TimeoutException => $"no answer from {endpoint} within {timeout.TotalSeconds:0.#} s (timed out)",
            _ when socket == SocketError.ConnectionRefused => $"connection refused by {endpoint} (nothing is listening there)",
            _ when socket is SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData ||
                   e is HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError } =>
                $"the host name {url.Host} could not be resolved (offline, or no DNS)",
            _ when socket is SocketError.NetworkUnreachable or SocketError.HostUnreachable or SocketError.NetworkDown =>
                $"{endpoint} is unreachable (offline?)",
            _ when socket == SocketError.TimedOut => $"connecting to {endpoint} timed out",
            _ when socket is SocketError.ConnectionReset or SocketError.ConnectionAborted ||
                   e is HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded } or HttpIOException =>
                $"{endpoint} closed the connection ({e.Message})",
            _ => $"{e.GetType().Name}: {e.Message}" + (e.InnerException is { } inner ? $" ({inner.Message})" : ""),
        };
    }

    private static T? Find<T>(Exception? e) where T : Exception
    {
        for (; e != null; e = e.InnerException)
            if (e is T found) return found;
        return null;
    }
}
