namespace EmotionCluster.Corpora;

/// <summary>
/// Loads a corpus: a manifest file (<see cref="ManifestCorpus"/>: .csv, .tsv, .json, .jsonl), or a folder of any known
/// layout, tried in this order: EMO-DB, AESDD, RAVDESS, CREMA-D, TESS, SAVEE, EMOVO (each recognised by its own file
/// names), folder-per-label. <see cref="CorpusOptions"/> then applies the label mapping and the speaker pattern.
/// </summary>
public static class CorpusLoader
{
    /// <summary>The layout of the folder (or <see cref="CorpusLayout.Manifest"/> for a manifest file), or null when it is none of the known ones.</summary>
    public static CorpusLayout? Detect(string path)
    {
        if (File.Exists(path)) return ManifestCorpus.FormatOf(path) is null ? null : CorpusLayout.Manifest;
        if (!Directory.Exists(path)) return null;
        if (EmoDbCorpus.Looks(path)) return CorpusLayout.EmoDb;
        if (AesddCorpus.Looks(path)) return CorpusLayout.Aesdd;
        var wavs = NamedFiles.RelativeWavs(path);
        if (RavdessCorpus.Looks(wavs)) return CorpusLayout.Ravdess;
        if (CremaDCorpus.Looks(wavs)) return CorpusLayout.CremaD;
        if (TessCorpus.Looks(wavs)) return CorpusLayout.Tess;
        if (SaveeCorpus.Looks(wavs)) return CorpusLayout.Savee;
        if (EmovoCorpus.Looks(wavs)) return CorpusLayout.Emovo;
        if (FolderCorpus.Looks(path)) return CorpusLayout.FolderPerLabel;
        return null;
    }

    /// <exception cref="CorpusException">The folder is missing or of no known layout.</exception>
    public static Corpus Load(string dir) => Load(dir, CorpusOptions.Default);

    /// <summary>Loads a corpus folder or manifest file and applies the options.</summary>
    /// <exception cref="CorpusException">The path is missing, of no known layout, or a manifest that cannot be used at all.</exception>
    /// <exception cref="ArgumentException">
    /// An option does not fit: a bad speaker pattern, or manifest options (columns, data root) for a folder.
    /// </exception>
    public static Corpus Load(string path, CorpusOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(path)) throw new CorpusException("(no path)", "no corpus folder or manifest given");
        if (File.Exists(path))
        {
            if (ManifestCorpus.FormatOf(path) is null)
                throw new CorpusException(path, "is a file; a corpus folder or a manifest (.csv, .tsv, .json, .jsonl) is expected");
            return ManifestCorpus.Load(path, options);
        }
        CorpusFiles.RequireDirectory(path);
        string? manifestOnly = options switch
        {
            { LabelColumn: not null } => "--label-column",
            { SpeakerColumn: not null } => "--speaker-column",
            { PathColumn: not null } => "--path-column",
            { GenderColumn: not null } => "--gender-column",
            { DataRoot: not null } => "--data-root",
            _ => null,
        };
        if (manifestOnly is not null)
            throw new ArgumentException($"{manifestOnly} applies to manifest files (.csv, .json, .jsonl), but {path} is a folder");

        var speakerPattern = options.SpeakerRegex();
        Corpus corpus = Detect(path) switch
        {
            CorpusLayout.EmoDb => EmoDbCorpus.Load(path),
            CorpusLayout.Aesdd => AesddCorpus.Load(path),
            CorpusLayout.Ravdess => RavdessCorpus.Load(path),
            CorpusLayout.CremaD => CremaDCorpus.Load(path),
            CorpusLayout.Tess => TessCorpus.Load(path),
            CorpusLayout.Savee => SaveeCorpus.Load(path),
            CorpusLayout.Emovo => EmovoCorpus.Load(path),
            CorpusLayout.FolderPerLabel => FolderCorpus.Load(path, speakerPattern),
            _ => throw new CorpusException(path,
                "not a known corpus layout. Expected EMO-DB (wav/ with files like 03a01Fa.wav), AESDD (anger/ disgust/ " +
                "fear/ happiness/ sadness/ with files like 'a01 (1).wav'), RAVDESS (Actor_01/03-01-05-01-01-01-01.wav), " +
                "CREMA-D (1001_DFA_ANG_XX.wav), TESS (OAF_angry/OAF_back_angry.wav), SAVEE (DC_a01.wav), EMOVO " +
                "(f1/dis-f1-b1.wav), one subfolder per emotion label holding .wav files, or a manifest file (.csv, .json, .jsonl)"),
        };
        return ApplyLabelMap(corpus, options.LabelMap);
    }

    /// <summary>The corpus with <paramref name="map"/> applied to its (canonical) labels; dropped clips are counted in <see cref="Corpus.Dropped"/>.</summary>
    /// <exception cref="CorpusException">The map drops every clip.</exception>
    public static Corpus ApplyLabelMap(Corpus corpus, LabelMap map)
    {
        if (map.IsEmpty) return corpus;
        var clips = new List<ClipInfo>();
        var dropped = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (ClipInfo clip in corpus.Clips)
        {
            string? emotion = map.Apply(clip.Emotion, out _);
            if (emotion is null) dropped[clip.Emotion] = dropped.GetValueOrDefault(clip.Emotion) + 1;
            else clips.Add(emotion == clip.Emotion ? clip : clip with { Emotion = emotion });
        }
        if (clips.Count == 0)
            throw new CorpusException(corpus.Root, $"--map {map} drops all {corpus.Clips.Count} clips");
        return corpus with
        {
            Clips = clips,
            Dropped = corpus.Dropped.Concat(dropped.Select(d => new LabelCount(d.Key, d.Value)))
                .GroupBy(d => d.Label).Select(g => new LabelCount(g.Key, g.Sum(d => d.Count))).OrderBy(d => d.Label, StringComparer.Ordinal).ToList(),
        };
    }

    /// <summary>
    /// Several corpora as one: each is loaded with the same options; with more than one, speakers and clip ids are
    /// namespaced by the corpus ("emodb:03", "emodb/03a01Fa") so that speakers of different corpora never merge, and
    /// the name is the parts' names joined by '+'. A manifest or folder-per-label corpus is named by its file or folder
    /// name; a name used twice gets "-2", "-3". Unknown speakers stay unknown (so speaker splits still refuse them).
    /// Manifest options (columns, data root) apply to the manifests among the paths; the folders ignore them.
    /// </summary>
    /// <exception cref="CorpusException">A path cannot be loaded, or the same corpus is given twice.</exception>
    public static Corpus LoadMany(IReadOnlyList<string> paths, CorpusOptions options)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count == 0) throw new CorpusException("(no path)", "no corpus folder or manifest given");
        if (paths.Count == 1) return Load(paths[0], options);
        var twice = paths.GroupBy(p => Path.GetFullPath(p).TrimEnd(Path.DirectorySeparatorChar)).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new CorpusException(twice.Key, "is given twice with --data; give each corpus once");

        // manifest options (columns, data root) are meant for the manifests among the paths; folders ignore them then
        bool anyManifest = paths.Any(File.Exists);
        CorpusOptions forFolders = anyManifest
            ? options with { LabelColumn = null, SpeakerColumn = null, PathColumn = null, GenderColumn = null, DataRoot = null }
            : options;
        var parts = new List<(string Prefix, Corpus Corpus)>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (string path in paths)
        {
            Corpus corpus = Load(path, File.Exists(path) ? options : forFolders);
            string name = corpus.Layout is CorpusLayout.Manifest or CorpusLayout.FolderPerLabel
                ? Sanitize(Path.GetFileNameWithoutExtension(Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar)))
                : corpus.Name;
            string prefix = name;
            for (int n = 2; !used.Add(prefix); n++) prefix = $"{name}-{n}";
            parts.Add((prefix, corpus));
        }
        var clips = parts.SelectMany(p => p.Corpus.Clips.Select(c => c with
        {
            Id = $"{p.Prefix}/{c.Id}",
            Speaker = c.Speaker == ClipInfo.UnknownSpeaker ? c.Speaker : $"{p.Prefix}:{c.Speaker}",
        }));
        return Corpus.Create(string.Join("+", parts.Select(p => p.Prefix)), CorpusLayout.Union,
                string.Join(Path.PathSeparator, parts.Select(p => p.Corpus.Root)), clips, parts.SelectMany(p => p.Corpus.Issues)) with
        {
            Parts = parts.Select(p => p.Corpus with { Name = p.Prefix }).ToList(),
            Dropped = parts.SelectMany(p => p.Corpus.Dropped).GroupBy(d => d.Label)
                .Select(g => new LabelCount(g.Key, g.Sum(d => d.Count))).OrderBy(d => d.Label, StringComparer.Ordinal).ToList(),
        };
    }

    private static string Sanitize(string name)
    {
        string s = new(name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray());
        return s.Length > 0 ? s : "corpus";
    }
}
