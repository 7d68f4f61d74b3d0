using System.Text.Json;
using System.Text.RegularExpressions;

namespace EmotionCluster.Corpora;

/// <summary>The manifest formats <see cref="ManifestCorpus"/> reads, by file extension.</summary>
public enum ManifestFormat
{
    /// <summary>.csv/.tsv: a header row, then one row per clip (nkululeko style: file, emotion, speaker, gender).</summary>
    Csv,
    /// <summary>.json: SpeechBrain style, an object of id → {"wav": "{data_root}/…", "emo": …, "spk_id": …}.</summary>
    Json,
    /// <summary>.jsonl/.ndjson: EmoBox style, one object per line {"key": …, "wav": …, "emo": …}.</summary>
    Jsonl,
}

/// <summary>
/// A corpus described by a manifest file instead of a folder layout. Relative audio paths resolve against
/// <see cref="CorpusOptions.DataRoot"/>, or the manifest's folder; <c>{data_root}</c> in a path is replaced by the same
/// folder. A row that cannot be used (no or missing file, empty or unknown label, the same file twice, a bad line) is a
/// <see cref="CorpusIssue"/> naming its row, line or key and the fix; the other rows load. Labels go through
/// <see cref="CorpusOptions.LabelMap"/> and then <see cref="Emotions.Canonical"/>; a label that is then not one of
/// <see cref="Emotions.Known"/> is refused unless the map names it (<c>--map frustrated=frustrated</c> keeps it as a class).
/// Clip ids are the JSON keys, or for CSV the file names without extension (the relative paths when names repeat).
/// </summary>
public static class ManifestCorpus
{
    public const string Name = "manifest";

    public static readonly string[] PathColumns = ["file", "wav", "path", "filename", "audio"];
    public static readonly string[] LabelColumns = ["emotion", "emo", "label"];
    public static readonly string[] SpeakerColumns = ["speaker", "spk_id", "speaker_id", "spk"];
    public static readonly string[] GenderColumns = ["gender", "sex"];
    public const string DataRootPlaceholder = "{data_root}";

    /// <summary>The format of a manifest by its extension, or null when it is not a manifest.</summary>
    public static ManifestFormat? FormatOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".csv" or ".tsv" => ManifestFormat.Csv,
        ".json" => ManifestFormat.Json,
        ".jsonl" or ".ndjson" => ManifestFormat.Jsonl,
        _ => null,
    };

    /// <exception cref="CorpusException">The manifest is missing, malformed as a whole, lacks a needed column, or no row loads.</exception>
    public static Corpus Load(string manifest, CorpusOptions? options = null)
    {
        options ??= CorpusOptions.Default;
        if (!File.Exists(manifest)) throw new CorpusException(manifest, "manifest file not found; check the path");
        ManifestFormat format = FormatOf(manifest)
            ?? throw new CorpusException(manifest, "not a manifest: expected a .csv, .tsv, .json or .jsonl file");
        string full = Path.GetFullPath(manifest);
        string baseDir = Path.GetFullPath(options.DataRoot ?? Path.GetDirectoryName(full)!);
        if (options.DataRoot is not null && !Directory.Exists(baseDir))
            throw new CorpusException(options.DataRoot, "--data-root folder not found; check the path");
        var issues = new List<CorpusIssue>();
        string text;
        try
        {
            text = File.ReadAllText(full);
        }
        catch (IOException e)
        {
            throw new CorpusException(full, $"cannot be read ({e.Message})");
        }
        List<Row> rows = format switch
        {
            ManifestFormat.Csv => CsvRows(full, text, options, issues),
            ManifestFormat.Json => JsonRows(full, text, options, issues),
            _ => JsonlRows(full, text, options, issues),
        };
        return Build(full, format, rows, baseDir, options, issues);
    }

    private sealed record Row(int Number, int? Line, string? Key, string? File, string? Label, string? Speaker, string? Gender)
    {
        public CorpusIssue Issue(string manifest, string problem) => new(manifest, problem) { Row = Number, Line = Line, Key = Key };
    }

    private static List<Row> CsvRows(string manifest, string text, CorpusOptions options, List<CorpusIssue> issues)
    {
        List<CsvReader.Record> records;
        try
        {
            records = CsvReader.Read(text, Path.GetExtension(manifest).Equals(".tsv", StringComparison.OrdinalIgnoreCase) ? '\t' : null);
        }
        catch (InvalidDataException e)
        {
            throw new CorpusException(manifest, $"not valid CSV: {e.Message}");
        }
        if (records.Count == 0) throw new CorpusException(manifest, "is empty; a CSV manifest needs a header row (file,emotion,speaker) and one row per clip");
        string[] header = records[0].Fields.Select(h => h.Trim()).ToArray();
        int Column(string? given, string[] candidates, string option, bool required)
        {
            if (given is not null)
            {
                int i = Array.FindIndex(header, h => h.Equals(given, StringComparison.OrdinalIgnoreCase));
                if (i < 0) throw new CorpusException(manifest, $"has no column '{given}' (given with {option}); its columns are {string.Join(", ", header)}");
                return i;
            }
            foreach (string c in candidates)
            {
                int i = Array.FindIndex(header, h => h.Equals(c, StringComparison.OrdinalIgnoreCase));
                if (i >= 0) return i;
            }
            if (required)
                throw new CorpusException(manifest, $"has none of the columns {string.Join(", ", candidates)}; its columns are " +
                                                    $"{string.Join(", ", header)}: name the right one with {option}");
            return -1;
        }
        int path = Column(options.PathColumn, PathColumns, "--path-column", true);
        int label = Column(options.LabelColumn, LabelColumns, "--label-column", true);
        int speaker = Column(options.SpeakerColumn, SpeakerColumns, "--speaker-column", false);
        int gender = Column(options.GenderColumn, GenderColumns, "--gender-column", false);

        var rows = new List<Row>();
        for (int r = 1; r < records.Count; r++)
        {
            var rec = records[r];
            string? Field(int i) => i >= 0 && i < rec.Fields.Length ? rec.Fields[i].Trim() : null;
            if (rec.Fields.Length < header.Length && Field(Math.Max(path, label)) is null)
            {
                issues.Add(new CorpusIssue(manifest, $"has {rec.Fields.Length} fields but the header has {header.Length}; " +
                                                     "complete the row or remove it; row skipped") { Row = r, Line = rec.Line });
                continue;
            }
            rows.Add(new Row(r, rec.Line, null, Field(path), Field(label), Field(speaker), Field(gender)));
        }
        return rows;
    }

    private static List<Row> JsonRows(string manifest, string text, CorpusOptions options, List<CorpusIssue> issues)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new CorpusException(manifest, $"not valid JSON (line {e.LineNumber + 1}): {e.Message}");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new CorpusException(manifest, "a JSON manifest must be an object of id → {\"wav\": …, \"emo\": …} (SpeechBrain style); " +
                                                    "for one object per line use a .jsonl file");
            var rows = new List<Row>();
            var keys = new HashSet<string>(StringComparer.Ordinal);
            int n = 0;
            foreach (JsonProperty entry in doc.RootElement.EnumerateObject())
            {
                n++;
                if (!keys.Add(entry.Name))
                {
                    issues.Add(new CorpusIssue(manifest, "the key occurs twice; rename or remove one entry; entry skipped") { Row = n, Key = entry.Name });
                    continue;
                }
                if (ObjectRow(manifest, entry.Value, n, null, entry.Name, options, issues) is { } row) rows.Add(row);
            }
            return rows;
        }
    }

    private static List<Row> JsonlRows(string manifest, string text, CorpusOptions options, List<CorpusIssue> issues)
    {
        var rows = new List<Row>();
        var keys = new Dictionary<string, int>(StringComparer.Ordinal);
        string[] lines = text.Split('\n');
        int n = 0;
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim().TrimStart('\uFEFF');
            if (line.Length == 0) continue;
            n++;
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(line);
            }
            catch (JsonException e)
            {
                issues.Add(new CorpusIssue(manifest, $"not a JSON object ({e.Message}); fix or remove the line; row skipped") { Row = n, Line = i + 1 });
                continue;
            }
            using (doc)
            {
                string? key = Text(doc.RootElement, "key") ?? Text(doc.RootElement, "id");
                if (key is not null && keys.TryGetValue(key, out int firstRow))
                {
                    issues.Add(new CorpusIssue(manifest, $"key '{key}' was already used by row {firstRow}; rename or remove one; row skipped")
                        { Row = n, Line = i + 1, Key = key });
                    continue;
                }
                if (key is not null) keys[key] = n;
                if (ObjectRow(manifest, doc.RootElement, n, i + 1, key, options, issues) is { } row) rows.Add(row);
            }
        }
        if (n == 0) throw new CorpusException(manifest, "is empty; a JSONL manifest has one object per line: {\"key\": …, \"wav\": …, \"emo\": …}");
        return rows;
    }

    private static Row? ObjectRow(string manifest, JsonElement e, int number, int? line, string? key, CorpusOptions options, List<CorpusIssue> issues)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            issues.Add(new CorpusIssue(manifest, "is not an object with wav and emo fields; row skipped") { Row = number, Line = line, Key = key });
            return null;
        }
        string? Field(string? given, string[] candidates)
        {
            foreach (string name in given is null ? candidates : [given])
                if (Text(e, name) is { } value) return value.Trim();
            return null;
        }
        return new Row(number, line, key, Field(options.PathColumn, PathColumns), Field(options.LabelColumn, LabelColumns),
            Field(options.SpeakerColumn, SpeakerColumns), Field(options.GenderColumn, GenderColumns));
    }

    /// <summary>A string, number or boolean field as text (speaker ids are often numbers); null when absent or null.</summary>
    private static string? Text(JsonElement e, string name)
    {
        foreach (JsonProperty p in e.EnumerateObject())
            if (p.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
                return p.Value.ValueKind switch
                {
                    JsonValueKind.String => p.Value.GetString(),
                    JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => p.Value.GetRawText(),
                    _ => null,
                };
        return null;
    }

    private static Corpus Build(string manifest, ManifestFormat format, List<Row> rows, string baseDir, CorpusOptions options, List<CorpusIssue> issues)
    {
        string pathField = options.PathColumn ?? (format == ManifestFormat.Csv ? "file" : "wav");
        string labelField = options.LabelColumn ?? (format == ManifestFormat.Csv ? "emotion" : "emo");
        Regex? speakerPattern = options.SpeakerRegex();
        var byPath = new Dictionary<string, Row>(StringComparer.Ordinal);
        var kept = new List<(Row Row, string Path, string Emotion, string Speaker, string? Gender)>();
        var dropped = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (Row row in rows)
        {
            if (string.IsNullOrEmpty(row.File))
            {
                issues.Add(row.Issue(manifest, $"no audio path in '{pathField}'; fill it in or remove the row; row skipped"));
                continue;
            }
            string given = row.File.Replace(DataRootPlaceholder, baseDir, StringComparison.Ordinal).Replace('\\', '/');
            string full = Path.GetFullPath(Path.IsPathRooted(given) ? given : Path.Combine(baseDir, given));
            if (!File.Exists(full))
            {
                issues.Add(row.Issue(manifest, $"file {row.File} not found (looked at {full}); fix the path" +
                                               (Path.IsPathRooted(given) ? "" : options.DataRoot is null ? " or give --data-root DIR" : " or --data-root") +
                                               ", or remove the row; row skipped"));
                continue;
            }
            if (byPath.TryGetValue(full, out Row? first))
            {
                issues.Add(row.Issue(manifest, $"the same file as row {first.Number} ({row.File}); remove one of the rows; row skipped"));
                continue;
            }
            byPath[full] = row;
            if (string.IsNullOrWhiteSpace(row.Label))
            {
                issues.Add(row.Issue(manifest, $"empty label in '{labelField}'; fill it in or remove the row; row skipped"));
                continue;
            }
            string? emotion = options.LabelMap.Apply(row.Label, out bool mapped);
            if (emotion is null)
            {
                dropped[row.Label] = dropped.GetValueOrDefault(row.Label) + 1;
                continue;
            }
            if (!mapped && !Emotions.IsKnown(emotion))
            {
                issues.Add(row.Issue(manifest, $"unknown label '{row.Label}' (known: {string.Join(", ", Emotions.Known)}); map it with " +
                                               $"--map {row.Label}=LABEL, keep it as its own class with --map {row.Label}={row.Label}, " +
                                               $"or drop such rows with --map {row.Label}=drop; row skipped"));
                continue;
            }
            string speaker = string.IsNullOrWhiteSpace(row.Speaker) ? ClipInfo.UnknownSpeaker : row.Speaker;
            if (speaker == ClipInfo.UnknownSpeaker && speakerPattern is not null)
            {
                string relative = Path.GetRelativePath(baseDir, full).Replace(Path.DirectorySeparatorChar, '/');
                string? matched = CorpusOptions.MatchSpeaker(speakerPattern, relative);
                if (matched is null)
                    issues.Add(row.Issue(manifest, $"the speaker pattern '{speakerPattern}' does not match {relative}; speaker unknown"));
                else speaker = matched;
            }
            kept.Add((row, full, emotion, speaker, Genders.Normalize(row.Gender)));
        }

        if (kept.Count == 0)
        {
            string why = issues.Count > 0 ? $"; first problem: {issues[0]}" : dropped.Count > 0 ? "; every row was dropped by --map" : "";
            throw new CorpusException(manifest, $"no row of the manifest could be used ({rows.Count} rows){why}");
        }
        bool stemsUnique = kept.Select(k => Path.GetFileNameWithoutExtension(k.Path)).Distinct(StringComparer.Ordinal).Count() == kept.Count;
        var clips = kept.Select(k => new ClipInfo(
                k.Row.Key ?? (stemsUnique ? Path.GetFileNameWithoutExtension(k.Path)
                    : Path.ChangeExtension(Path.GetRelativePath(baseDir, k.Path), null).Replace(Path.DirectorySeparatorChar, '/')),
                k.Path, k.Emotion, k.Speaker, Name) { Gender = k.Gender })
            .ToList();
        var duplicateId = clips.GroupBy(c => c.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicateId is not null)
            throw new CorpusException(manifest, $"clip id '{duplicateId.Key}' occurs {duplicateId.Count()} times; make the keys unique");
        return Corpus.Create(Name, CorpusLayout.Manifest, manifest, clips, issues) with
        {
            Dropped = dropped.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => new LabelCount(d.Key, d.Value)).ToList(),
        };
    }
}
