namespace EmotionCluster.Acquisition;

/// <summary>
/// Where a corpus comes from and what it must hold. A source without <see cref="ArchiveUrl"/> cannot be downloaded:
/// <see cref="ManualSteps"/> tells the user how to get it.
/// </summary>
public sealed record CorpusSource
{
    /// <summary>Short name: the command-line argument and the folder created under the download target.</summary>
    public required string Name { get; init; }

    public required string Title { get; init; }

    /// <summary>The corpus's official page.</summary>
    public required Uri HomePage { get; init; }

    /// <summary>The zip archive to download, or null when the corpus is distributed on request only.</summary>
    public Uri? ArchiveUrl { get; init; }

    /// <summary>SHA-256 of the archive (lower-case hex), checked before unpacking when known.</summary>
    public string? ArchiveSha256 { get; init; }

    /// <summary>The files the unpacked corpus must hold; the archive may keep them under any folder.</summary>
    public required CorpusManifest Manifest { get; init; }

    /// <summary>Files beside the manifest's folders in the archive that are copied too but not checked.</summary>
    public IReadOnlyList<string> AlsoCopy { get; init; } = [];

    /// <summary>Environment variable that replaces <see cref="ArchiveUrl"/> (a mirror).</summary>
    public string? UrlVariable { get; init; }

    public long MaxArchiveBytes { get; init; } = 2L << 30;
    public long MaxExtractedBytes { get; init; } = 4L << 30;
    public int MaxArchiveEntries { get; init; } = 100_000;

    /// <summary>How to get the corpus by hand into <paramref name="corpusDir"/> and check it.</summary>
    public string ManualSteps(string corpusDir)
    {
        string dir = Path.GetFullPath(corpusDir);
        string get = ArchiveUrl != null
            ? $"Download it by hand from {ArchiveUrl}"
            : $"{Title} is distributed on request only: ask for it at {HomePage}";
        string corrupt = Manifest.KnownCorrupt.Count > 0
            ? $" ({string.Join(", ", Manifest.KnownCorrupt)} of the release is known to be corrupt and is not used)"
            : "";
        return $"{get} and unpack it so that {dir} holds {string.Join(" ", Manifest.Folders.Select(f => f + "/"))} " +
               $"with the {Manifest.Entries.Count} listed files{corrupt}, then run `emotioncluster dataset verify {Name} --data {dir}`.";
    }
}

/// <summary>The corpora the project knows how to get.</summary>
public static class CorpusSources
{
    /// <summary>
    /// Berlin Database of Emotional Speech, the official release zip. Its archive checksum is not published, so
    /// <see cref="CorpusSource.ArchiveSha256"/> is null and every unpacked wav file is checked against the manifest.
    /// </summary>
    public static CorpusSource EmoDb { get; } = new()
    {
        Name = "emodb",
        Title = "EMO-DB",
        HomePage = new Uri("http://emodb.bilderbar.info/"),
        ArchiveUrl = new Uri("http://emodb.bilderbar.info/download/download.zip"),
        Manifest = CorpusManifest.EmoDb,
        AlsoCopy = ["erkennung.txt", "erklaerung.txt"],
        UrlVariable = "EMOTIONCLUSTER_EMODB_URL",
        MaxArchiveBytes = 1L << 30,
        MaxExtractedBytes = 1L << 30,
    };

    /// <summary>Acted Emotional Speech Dynamic Database: on request only, unless a mirror URL is configured.</summary>
    public static CorpusSource Aesdd { get; } = new()
    {
        Name = "aesdd",
        Title = "AESDD",
        HomePage = new Uri("http://m3c.web.auth.gr/research/aesdd-speech-emotion-recognition/"),
        Manifest = CorpusManifest.Aesdd,
        UrlVariable = "EMOTIONCLUSTER_AESDD_URL",
        MaxArchiveBytes = 2L << 30,
        MaxExtractedBytes = 2L << 30,
    };

    public static IReadOnlyList<CorpusSource> All { get; } = [EmoDb, Aesdd];

    public static IReadOnlyList<string> Names { get; } = All.Select(s => s.Name).ToList();

    /// <summary>
    /// The source called <paramref name="name"/>, its archive taken from <paramref name="url"/>, else from its
    /// environment variable, else the official one. A replaced URL drops the official archive checksum (a mirror may
    /// repack the files); the per-file manifest is still checked.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown corpus, or a URL that is not absolute http(s).</exception>
    public static CorpusSource Get(string name, string? url = null)
    {
        CorpusSource source = All.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))
                              ?? throw new ArgumentException($"unknown corpus '{name}'; known: {string.Join(", ", Names)}", nameof(name));
        string? from = !string.IsNullOrWhiteSpace(url) ? "--url"
            : source.UrlVariable != null && !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(source.UrlVariable)) ? source.UrlVariable
            : null;
        if (from == null) return source;
        string value = from == "--url" ? url! : Environment.GetEnvironmentVariable(source.UrlVariable!)!;
        if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"{from}: '{value}' is not an absolute http:// or https:// URL of a zip archive", nameof(url));
        return source with { ArchiveUrl = uri, ArchiveSha256 = null };
    }
}
