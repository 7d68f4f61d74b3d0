using System.Text;

namespace EmotionCluster.Corpora;

/// <summary>
/// Writes a corpus as a CSV manifest that <see cref="ManifestCorpus"/> reads back to the same clips: columns
/// <c>file,emotion,speaker</c> and <c>gender</c> when any clip's gender is known. Paths are relative to the CSV's folder
/// ('/'-separated) when the audio is below it or a few levels up, absolute otherwise. An unknown speaker is written
/// as an empty field.
/// </summary>
public static class ManifestWriter
{
    public static readonly string[] Columns = ["file", "emotion", "speaker", "gender"];

    /// <summary>The CSV text for <paramref name="corpus"/> as it would be written to <paramref name="csvPath"/>.</summary>
    public static string ToCsv(Corpus corpus, string csvPath)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        string dir = Path.GetDirectoryName(Path.GetFullPath(csvPath))!;
        bool gender = corpus.Clips.Any(c => c.Gender is not null);
        var sb = new StringBuilder();
        sb.Append(string.Join(",", gender ? Columns : Columns[..3])).Append('\n');
        foreach (ClipInfo clip in corpus.Clips)
        {
            string relative = Path.GetRelativePath(dir, clip.Path);
            bool useRelative = !Path.IsPathRooted(relative) && relative.Split(Path.DirectorySeparatorChar).TakeWhile(p => p == "..").Count() <= 3;
            string file = (useRelative ? relative : clip.Path).Replace(Path.DirectorySeparatorChar, '/');
            sb.Append(CsvReader.Escape(file)).Append(',').Append(CsvReader.Escape(clip.Emotion)).Append(',')
                .Append(CsvReader.Escape(clip.Speaker == ClipInfo.UnknownSpeaker ? "" : clip.Speaker));
            if (gender) sb.Append(',').Append(clip.Gender ?? "");
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>Writes the CSV (UTF-8 without BOM, LF line ends), creating its folder.</summary>
    public static void WriteCsv(Corpus corpus, string csvPath)
    {
        string text = ToCsv(corpus, csvPath);
        string? dir = Path.GetDirectoryName(Path.GetFullPath(csvPath));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllText(csvPath, text, new UTF8Encoding(false));
    }
}
