namespace EmotionCluster.Corpora;

internal static class CorpusFiles
{
    public static void RequireDirectory(string dir)
    {
        if (string.IsNullOrWhiteSpace(dir)) throw new CorpusException("(no path)", "no corpus folder given");
        if (File.Exists(dir)) throw new CorpusException(dir, "is a file; a corpus folder is expected");
        if (!Directory.Exists(dir)) throw new CorpusException(dir, "folder not found; check the path");
    }

    /// <summary>*.wav files (any case of the extension), sorted ordinally.</summary>
    public static List<string> Wavs(string dir, SearchOption option) =>
        Directory.Exists(dir)
            ? Directory.EnumerateFiles(dir, "*", new EnumerationOptions { RecurseSubdirectories = option == SearchOption.AllDirectories, IgnoreInaccessible = true })
                .Where(IsWav).OrderBy(f => f, StringComparer.Ordinal).ToList()
            : [];

    public static bool IsWav(string path) => Path.GetExtension(path).Equals(".wav", StringComparison.OrdinalIgnoreCase);
}
