using System.Security.Cryptography;

namespace EmotionCluster.Acquisition;

/// <summary>A listed file that is present but wrong.</summary>
public sealed record FileProblem(string Path, string Problem);

/// <summary>
/// What a corpus folder holds compared with its manifest. <see cref="Ok"/> when every listed file is present and (for a
/// hashed manifest) has the listed size and SHA-256. Files the manifest does not list are reported, but do not fail it.
/// </summary>
public sealed record VerificationReport(
    string Corpus,
    string Root,
    int Expected,
    int Verified,
    bool Hashed,
    IReadOnlyList<string> Missing,
    IReadOnlyList<FileProblem> Mismatched,
    IReadOnlyList<string> Extra,
    IReadOnlyList<string> KnownCorrupt)
{
    public bool Ok => Missing.Count == 0 && Mismatched.Count == 0;

    /// <summary>One line: the verdict and the counts.</summary>
    public string Summary =>
        (Ok ? $"{Corpus} OK: {Root}: all {Expected} files present" + (Hashed ? " with the expected size and SHA-256" : "")
            : $"{Corpus} FAILED: {Root}: {Verified} of {Expected} files verified, {Missing.Count} missing, {Mismatched.Count} wrong") +
        (Extra.Count > 0 ? $", {Extra.Count} not in the manifest" : "") +
        (KnownCorrupt.Count > 0 ? $", {KnownCorrupt.Count} known corrupt" : "");

    /// <summary>The summary, then one line per problem (at most <paramref name="maxPerKind"/> of each kind).</summary>
    public IEnumerable<string> Describe(int maxPerKind = 20)
    {
        yield return Summary;
        foreach (string line in Lines(Mismatched.Select(m => $"{m.Path}: {m.Problem}"), "wrong", maxPerKind)) yield return line;
        foreach (string line in Lines(Missing, "missing", maxPerKind)) yield return line;
        foreach (string line in Lines(Extra, "not in the manifest (ignored)", maxPerKind)) yield return line;
        foreach (string line in Lines(KnownCorrupt, "known corrupt file of the release, not used (ignored)", maxPerKind)) yield return line;
    }

    private static IEnumerable<string> Lines(IEnumerable<string> items, string what, int max)
    {
        var list = items.ToList();
        foreach (string item in list.Take(max)) yield return $"  {what}: {item}";
        if (list.Count > max) yield return $"  … and {list.Count - max} more {what}";
    }
}

/// <summary>Checks a corpus folder against its manifest: presence, size and SHA-256 of every listed file.</summary>
public static class CorpusVerifier
{
    /// <summary>EMO-DB: <paramref name="dir"/> holds <c>wav/</c> (or <c>emodb/wav/</c>); checked against the committed manifest.</summary>
    /// <exception cref="DirectoryNotFoundException">Neither layout is there.</exception>
    public static VerificationReport VerifyEmoDb(string dir) => Verify(dir, CorpusSources.EmoDb.Manifest, CorpusSources.EmoDb.Name);

    /// <summary>AESDD: <paramref name="dir"/> holds the five emotion folders (or <c>aesdd/</c> does); checked by name.</summary>
    /// <exception cref="DirectoryNotFoundException">Neither layout is there.</exception>
    public static VerificationReport VerifyAesdd(string dir) => Verify(dir, CorpusSources.Aesdd.Manifest, CorpusSources.Aesdd.Name);

    /// <summary>
    /// Checks <paramref name="dir"/> against <paramref name="manifest"/>. When none of the manifest's folders is in
    /// <paramref name="dir"/> but they are in <c>dir/corpusFolder</c>, that folder is checked instead.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">None of the manifest's folders is there.</exception>
    public static VerificationReport Verify(string dir, CorpusManifest manifest, string? corpusFolder = null)
    {
        string root = ResolveRoot(dir, manifest, corpusFolder);
        var found = Scan(root, manifest.Folders);
        var byUpper = found.Keys.GroupBy(k => k.ToUpperInvariant()).ToDictionary(g => g.Key, g => g.First());
        var used = new HashSet<string>(StringComparer.Ordinal);
        var missing = new List<string>();
        var wrong = new List<FileProblem>();
        foreach (ManifestEntry entry in manifest.Entries)
        {
            string? actual = found.ContainsKey(entry.Path) ? entry.Path
                : byUpper.TryGetValue(entry.Path.ToUpperInvariant(), out string? other) && !used.Contains(other) ? other : null;
            if (actual == null)
            {
                missing.Add(entry.Path);
                continue;
            }
            used.Add(actual);
            string? problem = Check(found[actual], entry);
            if (problem != null) wrong.Add(new FileProblem(actual, problem));
        }
        var unlisted = found.Keys.Where(k => !used.Contains(k)).Order(StringComparer.Ordinal).ToList();
        var corrupt = unlisted.Where(k => manifest.KnownCorrupt.Contains(k, StringComparer.OrdinalIgnoreCase)).ToList();
        return new VerificationReport(
            Corpus: manifest.Name,
            Root: root,
            Expected: manifest.Entries.Count,
            Verified: manifest.Entries.Count - missing.Count - wrong.Count,
            Hashed: manifest.Entries.Any(e => e.Sha256 != null),
            Missing: missing,
            Mismatched: wrong,
            Extra: unlisted.Except(corrupt).ToList(),
            KnownCorrupt: corrupt);
    }

    /// <summary>SHA-256 of a file, lower-case hex.</summary>
    public static string Sha256Of(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static string? Check(string path, ManifestEntry entry)
    {
        long size = new FileInfo(path).Length;
        if (entry.Size is { } expected && size != expected) return $"{size} bytes, expected {expected}";
        if (entry.Sha256 is { } hash && Sha256Of(path) is var actual && actual != hash) return $"SHA-256 {actual}, expected {hash}";
        return size == 0 ? "empty file" : null;
    }

    private static string ResolveRoot(string dir, CorpusManifest manifest, string? corpusFolder)
    {
        string full = Path.GetFullPath(dir);
        if (HoldsAnyFolder(full, manifest)) return full;
        if (corpusFolder != null && HoldsAnyFolder(Path.Combine(full, corpusFolder), manifest)) return Path.Combine(full, corpusFolder);
        string folders = string.Join(", ", manifest.Folders.Select(f => f + "/"));
        throw new DirectoryNotFoundException(!Directory.Exists(full)
            ? $"{full} does not exist"
            : $"{full} holds none of {folders}" + (corpusFolder != null ? $" (nor does {Path.Combine(full, corpusFolder)})" : "") +
              "; point --data at the folder that holds them");
    }

    private static bool HoldsAnyFolder(string root, CorpusManifest manifest) =>
        manifest.Folders.Any(f => FindFolder(root, f) != null);

    /// <summary>
    /// Files directly inside the manifest's folders, by '/'-separated path relative to <paramref name="root"/> as spelled
    /// on disk (folders are matched ignoring case: a copy may have <c>Anger/</c> for <c>anger/</c>).
    /// </summary>
    private static Dictionary<string, string> Scan(string root, IReadOnlyList<string> folders)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string folder in folders)
            if (FindFolder(root, folder) is { } dir)
                foreach (string file in Directory.EnumerateFiles(dir))
                    files[Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/')] = file;
        return files;
    }

    private static string? FindFolder(string root, string folder)
    {
        string? dir = Directory.Exists(root) ? root : null;
        foreach (string segment in folder.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (dir == null) return null;
            string exact = Path.Combine(dir, segment);
            dir = Directory.Exists(exact) ? exact
                : Directory.EnumerateDirectories(dir).FirstOrDefault(d => string.Equals(Path.GetFileName(d), segment, StringComparison.OrdinalIgnoreCase));
        }
        return dir;
    }
}
