using System.Text.Json;
using System.Text.RegularExpressions;

namespace EmotionCluster.Corpora;

/// <summary>
/// How to read a corpus beyond its layout: manifest column names, the data root of a SpeechBrain manifest, a label
/// mapping and a speaker pattern. <see cref="Default"/> reads every detected corpus as it always was.
/// </summary>
public sealed record CorpusOptions
{
    public static CorpusOptions Default { get; } = new();

    /// <summary>
    /// Manifest column (CSV) or field (JSON, JSONL) holding the label. Null: the first present of <c>emotion</c>,
    /// <c>emo</c>, <c>label</c>. A name given here must be present.
    /// </summary>
    public string? LabelColumn { get; init; }

    /// <summary>Column or field holding the speaker. Null: <c>speaker</c>, <c>spk_id</c> or <c>speaker_id</c> when present; else no speakers.</summary>
    public string? SpeakerColumn { get; init; }

    /// <summary>Column or field holding the audio path. Null: the first present of <c>file</c>, <c>wav</c>, <c>path</c>.</summary>
    public string? PathColumn { get; init; }

    /// <summary>Column or field holding the gender. Null: <c>gender</c> or <c>sex</c> when present.</summary>
    public string? GenderColumn { get; init; }

    /// <summary>
    /// Manifests: the folder relative audio paths resolve against and the value of <c>{data_root}</c> in SpeechBrain
    /// paths. Null: the manifest's own folder.
    /// </summary>
    public string? DataRoot { get; init; }

    /// <summary>Label mapping applied to every corpus after its own labels are read (see <see cref="Corpora.LabelMap"/>).</summary>
    public LabelMap LabelMap { get; init; } = LabelMap.Empty;

    /// <summary>
    /// A regex giving the speaker of clips that have none (folder-per-label corpora, manifests without a speaker column):
    /// the group named <c>speaker</c>, or else the first group, matched against the file's path relative to the corpus
    /// folder ('/'-separated, e.g. <c>angry/spk03_001.wav</c>) and, when that does not match, against the file name.
    /// </summary>
    public string? SpeakerPattern { get; init; }

    /// <summary>The compiled <see cref="SpeakerPattern"/>, or null.</summary>
    /// <exception cref="ArgumentException">The pattern is not a valid regex or has no group.</exception>
    public Regex? SpeakerRegex() => SpeakerPattern is null ? null : CompileSpeakerPattern(SpeakerPattern);

    public static Regex CompileSpeakerPattern(string pattern)
    {
        Regex regex;
        try
        {
            regex = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"--speaker-pattern '{pattern}' is not a valid regex: {e.Message}", nameof(pattern));
        }
        if (regex.GetGroupNumbers().Length < 2)
            throw new ArgumentException($"--speaker-pattern '{pattern}' has no group; capture the speaker with (?<speaker>...) " +
                                        "or parentheses, e.g. '^(?<speaker>[^_]+)_' for 'spk1_001.wav'", nameof(pattern));
        return regex;
    }

    /// <summary>
    /// The speaker that <paramref name="regex"/> gives for <paramref name="relativePath"/> (tried first) or its file name;
    /// null when neither matches or the group is empty.
    /// </summary>
    public static string? MatchSpeaker(Regex regex, string relativePath)
    {
        string path = relativePath.Replace('\\', '/');
        foreach (string subject in new[] { path, System.IO.Path.GetFileName(path) })
        {
            Match m = regex.Match(subject);
            if (!m.Success) continue;
            Group g = regex.GetGroupNames().Contains("speaker") ? m.Groups["speaker"] : m.Groups[1];
            if (g.Success && g.Value.Length > 0) return g.Value;
        }
        return null;
    }
}

/// <summary>
/// Maps labels to other labels or drops them: <c>surprised=surprise,calm=neutral,ps=surprise,boredom=drop</c>. A clip's
/// label is looked up as written (ignoring case), then in its canonical form (<see cref="Emotions.Canonical"/>), so
/// <c>calm=neutral</c> also maps RAVDESS' calm clips and <c>angry=…</c> every spelling of anger. Targets are canonicalized;
/// the target <c>drop</c> removes the clips. Labels not in the map stay as they are.
/// </summary>
public sealed class LabelMap
{
    public const string Drop = "drop";

    public static LabelMap Empty { get; } = new(new Dictionary<string, string>());

    private readonly Dictionary<string, string> _raw;
    private readonly Dictionary<string, string> _canonical;

    public LabelMap(IReadOnlyDictionary<string, string> entries)
    {
        _raw = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        _canonical = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (from, to) in entries)
        {
            if (string.IsNullOrWhiteSpace(from) || string.IsNullOrWhiteSpace(to))
                throw new ArgumentException($"label mapping '{from}={to}' needs a label on both sides (LABEL=NEW or LABEL=drop)", nameof(entries));
            string target = to.Trim().Equals(Drop, StringComparison.OrdinalIgnoreCase) ? Drop : Emotions.Canonical(to);
            _raw[from.Trim()] = target;
            _canonical.TryAdd(Emotions.Canonical(from), target);
        }
        Entries = _raw;
    }

    /// <summary>The mapping as given (source label → canonical target or <see cref="Drop"/>).</summary>
    public IReadOnlyDictionary<string, string> Entries { get; }

    public bool IsEmpty => _raw.Count == 0;

    /// <summary>
    /// The label after mapping (canonical), or null when the clip is to be dropped. <paramref name="explicitly"/> tells
    /// whether the map named this label (a manifest accepts a label outside <see cref="Emotions.Known"/> only then).
    /// </summary>
    public string? Apply(string label, out bool explicitly)
    {
        string trimmed = label.Trim();
        if (!_raw.TryGetValue(trimmed, out string? target) && !_canonical.TryGetValue(Emotions.Canonical(trimmed), out target))
        {
            explicitly = false;
            return Emotions.Canonical(trimmed);
        }
        explicitly = true;
        return target == Drop ? null : target;
    }

    /// <summary>
    /// Parses <c>a=b,c=d</c> (also <c>;</c> or newlines between pairs), or, when <paramref name="text"/> names an existing
    /// file (or ends in .json), reads that JSON object <c>{"surprised": "surprise", "calm": "drop"}</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A pair without '=', an empty side, a bad or missing JSON file.</exception>
    public static LabelMap Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string trimmed = text.Trim();
        if (File.Exists(trimmed) || trimmed.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            return FromJsonFile(trimmed);
        var entries = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string pair in trimmed.Split([',', ';', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = pair.IndexOf('=');
            if (eq <= 0 || eq == pair.Length - 1)
                throw new ArgumentException($"--map '{pair}' is not LABEL=NEW (e.g. surprised=surprise, calm=neutral, boredom=drop)", nameof(text));
            entries[pair[..eq].Trim()] = pair[(eq + 1)..].Trim();
        }
        return new LabelMap(entries);
    }

    /// <summary>Reads a JSON object of label → new label (or "drop").</summary>
    public static LabelMap FromJsonFile(string path)
    {
        if (!File.Exists(path))
            throw new ArgumentException($"--map {path}: file not found; give LABEL=NEW pairs or an existing JSON file", nameof(path));
        try
        {
            var entries = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path))
                          ?? throw new JsonException("null");
            return new LabelMap(entries);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"--map {path}: not a JSON object of label to new label such as " +
                                        $"{{\"surprised\": \"surprise\", \"calm\": \"drop\"}} ({e.Message})", nameof(path));
        }
    }

    /// <summary>The union of several maps; a later map wins for the same source label.</summary>
    public static LabelMap Combine(IEnumerable<LabelMap> maps)
    {
        var entries = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (LabelMap map in maps)
            foreach (var (from, to) in map.Entries) entries[from] = to;
        return new LabelMap(entries);
    }

    public override string ToString() => string.Join(",", _raw.Select(e => $"{e.Key}={e.Value}"));
}
