using System.IO.Compression;

namespace EmotionCluster.Acquisition;

/// <summary>
/// Unpacks the corpus part of a zip archive. The archive may keep the corpus under any folder (<c>wav/</c>,
/// <c>download/wav/</c>, …): the folder whose contents match the most manifest paths wins, and only the manifest's
/// folders and <see cref="CorpusSource.AlsoCopy"/> files beside them are unpacked. An entry that would land outside the
/// target (zip-slip), too many entries, or more bytes than <see cref="CorpusSource.MaxExtractedBytes"/> reject the archive.
/// </summary>
internal static class ArchiveExtractor
{
    /// <summary>Unpacks into <paramref name="dir"/>; <paramref name="fail"/> turns a cause into the exception to throw.</summary>
    public static void Extract(string zipPath, string dir, CorpusSource source, Func<string, Exception?, Exception> fail)
    {
        string root = Path.GetFullPath(dir);
        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(zipPath);
        }
        catch (InvalidDataException e)
        {
            throw fail($"the download is not a valid zip archive ({e.Message})", e);
        }
        using (zip)
        {
            if (zip.Entries.Count > source.MaxArchiveEntries)
                throw fail($"the archive has {zip.Entries.Count} entries, more than the limit of {source.MaxArchiveEntries}", null);
            foreach (ZipArchiveEntry entry in zip.Entries)
                if (Destination(root, Normalise(entry.FullName)) == null)
                    throw fail($"archive entry '{entry.FullName}' would be written outside {root} (zip-slip); the archive is not trustworthy", null);

            string prefix = FindPrefix(zip, source.Manifest)
                            ?? throw fail($"the archive holds none of the {source.Manifest.Entries.Count} files of the manifest " +
                                          $"({source.Manifest.Entries[0].Path}, …); is it the {source.Title} release?", null);
            var folders = source.Manifest.Folders.ToHashSet(StringComparer.OrdinalIgnoreCase);
            long written = 0;
            foreach (ZipArchiveEntry entry in zip.Entries)
            {
                string name = Normalise(entry.FullName);
                if (entry.Name.Length == 0 || !name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) continue;
                string relative = name[prefix.Length..];
                bool wanted = folders.Contains(CorpusManifest.FolderOf(relative)) ||
                              source.AlsoCopy.Contains(relative, StringComparer.OrdinalIgnoreCase);
                if (!wanted) continue;
                string target = Destination(root, relative)!;
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                try
                {
                    using Stream input = entry.Open();
                    using FileStream output = File.Create(target);
                    written += CopyLimited(input, output, source.MaxExtractedBytes - written,
                        () => fail($"the archive unpacks to more than {source.MaxExtractedBytes} bytes; refusing to unpack it further " +
                                   "(a zip bomb, or not the corpus archive)", null));
                }
                catch (InvalidDataException e)
                {
                    throw fail($"archive entry '{entry.FullName}' is corrupt ({e.Message})", e);
                }
            }
        }
    }

    private static string Normalise(string entryName) => entryName.Replace('\\', '/');

    /// <summary>The full path an entry would be written to, or null when that is outside <paramref name="root"/>.</summary>
    private static string? Destination(string root, string relative)
    {
        string full = Path.GetFullPath(Path.Combine(root, relative));
        return full == root || full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? full : null;
    }

    /// <summary>The archive folder ("" or ending in '/') under which the most manifest paths are found, or null.</summary>
    private static string? FindPrefix(ZipArchive zip, CorpusManifest manifest)
    {
        var paths = manifest.Entries.Select(e => e.Path).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var counts = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (ZipArchiveEntry entry in zip.Entries)
        {
            string name = Normalise(entry.FullName);
            for (int cut = 0; cut >= 0 && cut < name.Length; cut = name.IndexOf('/', cut) is var slash and >= 0 ? slash + 1 : -1)
                if (paths.Contains(name[cut..]))
                    counts[name[..cut]] = counts.GetValueOrDefault(name[..cut]) + 1;
        }
        return counts.Count == 0 ? null : counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key.Length).First().Key;
    }

    private static long CopyLimited(Stream input, Stream output, long limit, Func<Exception> tooBig)
    {
        var buffer = new byte[81920];
        long total = 0;
        for (int n; (n = input.Read(buffer)) > 0;)
        {
            total += n;
            if (total > limit) throw tooBig();
            output.Write(buffer, 0, n);
        }
        return total;
    }
}
