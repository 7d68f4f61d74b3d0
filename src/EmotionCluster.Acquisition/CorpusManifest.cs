using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;

namespace EmotionCluster.Acquisition;

/// <summary>
/// One file a corpus must hold: its path relative to the corpus folder ('/'-separated), and, when the manifest carries
/// them, its size and SHA-256 (lower-case hex). A names-only manifest (AESDD) has neither.
/// </summary>
public sealed record ManifestEntry(string Path, long? Size = null, string? Sha256 = null);

/// <summary>
/// The files of a corpus. Text format, one file a line: <c>SHA256  SIZE  PATH</c> (what
/// <c>tools/make-emodb-manifest.sh</c> writes) or just <c>PATH</c> (a names-only list); <c>#</c> starts a comment.
/// The folders the entries live in are the <see cref="Folders"/> a verifier scans for files the manifest does not list.
/// </summary>
public sealed partial class CorpusManifest
{
    private const string EmoDbResource = "EmotionCluster.Acquisition.emodb.sha256";
    private const string AesddResource = "EmotionCluster.Acquisition.aesdd.names";

    public CorpusManifest(string name, IEnumerable<ManifestEntry> entries, IEnumerable<string>? knownCorrupt = null)
    {
        Name = name;
        Entries = entries.OrderBy(e => e.Path, StringComparer.Ordinal).ToList();
        var duplicate = Entries.GroupBy(e => e.Path, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate != null) throw new FormatException($"manifest {name}: {duplicate.Key} is listed {duplicate.Count()} times");
        if (Entries.Count == 0) throw new FormatException($"manifest {name}: lists no files");
        KnownCorrupt = (knownCorrupt ?? []).ToList();
        Folders = Entries.Select(e => FolderOf(e.Path)).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The corpus it describes (<c>emodb</c>, <c>aesdd</c>), for messages and reports.</summary>
    public string Name { get; }

    public IReadOnlyList<ManifestEntry> Entries { get; }

    /// <summary>Files of the release known to be broken and left out of <see cref="Entries"/>: reported, never "extra".</summary>
    public IReadOnlyList<string> KnownCorrupt { get; }

    /// <summary>The folders (relative, '/'-separated; "" for the corpus folder itself) that hold the entries.</summary>
    public IReadOnlyList<string> Folders { get; }

    /// <summary>The committed EMO-DB manifest: 535 files under <c>wav/</c> with size and SHA-256.</summary>
    public static CorpusManifest EmoDb => FromResource(EmoDbResource, "emodb");

    /// <summary>
    /// The committed AESDD name list: 604 files in <c>anger/ disgust/ fear/ happiness/ sadness/</c>, names only;
    /// <c>sadness/s05 (3).wav</c> is a known corrupt file of the release.
    /// </summary>
    public static CorpusManifest Aesdd => FromResource(AesddResource, "aesdd", ["sadness/s05 (3).wav"]);

    /// <exception cref="FormatException">A line is neither <c>SHA256 SIZE PATH</c> nor a plain path, or a path repeats.</exception>
    public static CorpusManifest Parse(TextReader reader, string name, IEnumerable<string>? knownCorrupt = null)
    {
        var entries = new List<ManifestEntry>();
        int number = 0;
        for (string? line = reader.ReadLine(); line != null; line = reader.ReadLine())
        {
            number++;
            if (string.IsNullOrWhiteSpace(line) || line.TrimStart().StartsWith('#')) continue;
            Match m = HashedLine().Match(line);
            string path = m.Success ? m.Groups["path"].Value : line.Trim();
            if (!IsSafeRelative(path))
                throw new FormatException($"manifest {name} line {number}: '{path}' is not a relative path inside the corpus");
            entries.Add(m.Success
                ? new ManifestEntry(path, long.Parse(m.Groups["size"].Value, CultureInfo.InvariantCulture),
                    m.Groups["hash"].Value.ToLowerInvariant())
                : new ManifestEntry(path));
        }
        return new CorpusManifest(name, entries, knownCorrupt);
    }

    /// <summary>The text <see cref="Parse"/> reads, for writing a manifest of a mirror or a test corpus.</summary>
    public string Format() => string.Concat(Entries.Select(e => e.Sha256 == null
        ? $"{e.Path}\n"
        : $"{e.Sha256}  {e.Size?.ToString(CultureInfo.InvariantCulture)}  {e.Path}\n"));

    internal static string FolderOf(string path) => path.LastIndexOf('/') is var slash and >= 0 ? path[..slash] : "";

    /// <summary>True for a '/'-separated relative path with no empty, '.' or '..' segment.</summary>
    internal static bool IsSafeRelative(string path) =>
        path.Length > 0 && !path.Contains('\\') && !path.Contains(':') &&
        path.Split('/').All(s => s.Length > 0 && s != "." && s != "..");

    private static CorpusManifest FromResource(string resource, string name, IEnumerable<string>? knownCorrupt = null)
    {
        using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)
                              ?? throw new InvalidOperationException($"resource {resource} is missing from {Assembly.GetExecutingAssembly().GetName().Name}");
        using var reader = new StreamReader(stream);
        return Parse(reader, name, knownCorrupt);
    }

    [GeneratedRegex(@"^(?<hash>[0-9a-fA-F]{64})\s+(?<size>\d+)\s+(?<path>\S.*?)\s*$")]
    private static partial Regex HashedLine();
}
