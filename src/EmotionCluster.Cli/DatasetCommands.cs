using System.CommandLine;
using System.Globalization;
using EmotionCluster.Audio;
using EmotionCluster.Corpora;
using EmotionCluster.Features;
using EmotionCluster.Reporting;
using Spectre.Console;

namespace EmotionCluster.Cli;

/// <summary><c>emotioncluster dataset …</c>: look at a corpus before training on it.</summary>
public static class DatasetCommands
{
    public const string StatsJson = "stats.json";
    public const string EmotionChart = "emotion_distribution.png";
    public const string SpeakerChart = "speaker_distribution.png";
    public const string SpectrogramChart = "spectrogram_example.png";
    private const int MaxIssuesShown = 20;

    public static Command Create()
    {
        var dataset = new Command("dataset", "Inspect a corpus (a folder of a known layout or a manifest file) or write its manifest.");
        dataset.Subcommands.Add(CreateStats());
        dataset.Subcommands.Add(CreateManifest());
        dataset.Subcommands.Add(CreateDownload());
        dataset.Subcommands.Add(CreateVerify());
        return dataset;
    }

    private static Argument<string> CorpusArgument() => new("corpus")
    {
        Description = $"Corpus name: {string.Join(" or ", EmotionCluster.Acquisition.AcquisitionCommands.Corpora)}.",
    };

    private static Command CreateDownload()
    {
        var corpus = CorpusArgument();
        var to = new Option<string>("--to") { Description = "Datasets folder; the corpus lands in TO/CORPUS.", DefaultValueFactory = _ => Path.Combine("..", "shared", "datasets") };
        var force = new Option<bool>("--force") { Description = "Download again even when a verified copy exists." };
        var url = new Option<string?>("--url") { Description = "Archive URL instead of the official one (also EMOTIONCLUSTER_EMODB_URL / EMOTIONCLUSTER_AESDD_URL)." };
        var command = new Command("download", "Download a corpus and verify every file against the committed SHA-256 manifest (AESDD: explains the manual steps).")
        {
            corpus, to, force, url,
        };
        command.SetAction((r, ct) => Task.FromResult(CliErrors.Run(r, output =>
            EmotionCluster.Acquisition.AcquisitionCommands.DownloadAsync(r.GetValue(corpus)!, r.GetValue(to)!, r.GetValue(force), r.GetValue(url), output, ct)
                .GetAwaiter().GetResult())));
        return command;
    }

    private static Command CreateVerify()
    {
        var corpus = CorpusArgument();
        var data = new Option<string>("--data") { Description = "Corpus folder (or the datasets folder holding it).", Required = true };
        var command = new Command("verify", "Check a corpus folder against the committed manifest: missing, extra and changed files.") { corpus, data };
        command.SetAction(r => CliErrors.Run(r, output =>
            EmotionCluster.Acquisition.AcquisitionCommands.Verify(r.GetValue(corpus)!, r.GetValue(data)!, output)));
        return command;
    }

    private static Command CreateStats()
    {
        var data = new Option<string>("--data") { Description = CorpusCommandOptions.DataDescription, Required = true };
        var outDir = new Option<string?>("--out")
        {
            Description = "Folder to write stats.json, the charts and the example spectrogram to (without it nothing is written, the tables are printed).",
        };
        var example = new Option<string?>("--example")
        {
            Description = "Clip for the example spectrogram: a clip id (e.g. 03a01Fa) or a WAV path. Default: the first clip.",
        };
        var json = new Option<bool>("--json") { Description = "Print the statistics as JSON instead of tables." };

        var stats = new Command("stats", "Counts per emotion and speaker, audio formats, durations; writes stats.json, charts and an example spectrogram.")
        {
            data, outDir, example, json,
        };
        var corpusOptions = new CorpusCommandOptions().AddTo(stats);
        stats.SetAction(parseResult => CliErrors.Run(parseResult, output => RunStats(
            output, parseResult.GetValue(data)!, parseResult.GetValue(outDir), parseResult.GetValue(example), parseResult.GetValue(json),
            corpusOptions.ToOptions(parseResult))));
        return stats;
    }

    private static Command CreateManifest()
    {
        var data = new Option<string>("--data") { Description = CorpusCommandOptions.DataDescription, Required = true };
        var outFile = new Option<string>("--out") { Description = "CSV manifest to write (file,emotion,speaker[,gender]).", Required = true };
        var force = new Option<bool>("--force") { Description = "Overwrite the CSV when it exists." };
        var command = new Command("manifest",
            "Write the CSV manifest of a corpus (file,emotion,speaker and gender when known; paths relative to the CSV) " +
            "to edit and give back with --data.")
        {
            data, outFile, force,
        };
        var corpusOptions = new CorpusCommandOptions().AddTo(command);
        command.SetAction(r => CliErrors.Run(r, output =>
            RunManifest(output, r.GetValue(data)!, r.GetValue(outFile)!, r.GetValue(force), corpusOptions.ToOptions(r))));
        return command;
    }

    /// <summary>The work of <c>dataset manifest</c>; returns the exit code.</summary>
    public static int RunManifest(TextWriter output, string data, string csvPath, bool force, CorpusOptions options)
    {
        if (!csvPath.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
            throw new CliException($"--out {csvPath}: the manifest is written as CSV; give a file name ending in .csv");
        if (string.Equals(Path.GetFullPath(csvPath), Path.GetFullPath(data), StringComparison.Ordinal))
            throw new CliException($"--out {csvPath} is the manifest being read; write to another file");
        if (File.Exists(csvPath) && !force)
            throw new CliException($"--out {csvPath} exists (an edited manifest?); give --force to overwrite it or choose another file");
        Corpus corpus = CorpusLoader.Load(data, options);
        ManifestWriter.WriteCsv(corpus, csvPath);
        output.WriteLine($"wrote {csvPath}: {corpus.Clips.Count} clips of {corpus.Name}, {corpus.Emotions.Count} emotions " +
                         $"({string.Join(", ", corpus.Emotions)}), " +
                         (corpus.HasSpeakers ? $"{corpus.Speakers.Count} speakers" : "speakers unknown (the speaker column is empty; fill it in for speaker splits)"));
        var custom = corpus.Emotions.Where(e => !Emotions.IsKnown(e)).ToList();
        if (custom.Count > 0)
            output.WriteLine($"labels outside the known set ({string.Join(", ", custom)}): read the manifest back with " +
                             $"--map {string.Join(",", custom.Select(e => $"{e}={e}"))}");
        foreach (var d in corpus.Dropped) output.WriteLine($"dropped by --map: {d.Count} {d.Label} clips");
        PrintIssues(output, corpus.Issues, "not in the manifest");
        return CliErrors.Ok;
    }

    private static void PrintIssues(TextWriter output, IReadOnlyList<CorpusIssue> issues, string what)
    {
        if (issues.Count == 0) return;
        output.WriteLine($"{issues.Count} problem(s), {what}{(issues.Count > MaxIssuesShown ? $"; first {MaxIssuesShown}" : "")}:");
        foreach (var issue in issues.Take(MaxIssuesShown)) output.WriteLine($"  {issue}");
    }

    /// <summary>The work of <c>dataset stats</c>; returns the exit code. Files are written only into <paramref name="outDir"/> (null: none).</summary>
    public static int RunStats(TextWriter output, string dataDir, string? outDir, string? example, bool json, CorpusOptions? options = null)
    {
        Corpus corpus = CorpusLoader.Load(dataDir, options ?? CorpusOptions.Default);
        DatasetStats stats = DatasetStats.Compute(corpus);
        ClipInfo exampleClip = ChooseExample(corpus, stats, example);

        var written = new List<string>();
        if (outDir is not null)
        {
            Directory.CreateDirectory(outDir);
            string statsPath = Path.Combine(outDir, StatsJson);
            File.WriteAllText(statsPath, stats.ToJson());
            string emotionPath = Path.Combine(outDir, EmotionChart);
            Charts.EmotionDistribution(stats, emotionPath);
            string speakerPath = Path.Combine(outDir, SpeakerChart);
            Charts.SpeakerDistribution(stats, speakerPath);
            string spectrogramPath = Path.Combine(outDir, SpectrogramChart);
            WriteSpectrogram(exampleClip, spectrogramPath);
            written.AddRange([statsPath, emotionPath, speakerPath, spectrogramPath]);
        }

        if (json)
        {
            output.WriteLine(stats.ToJson());
            return CliErrors.Ok;
        }
        IAnsiConsole console = CliConsole.For(output);
        Print(console, stats);
        foreach (var d in corpus.Dropped) console.WriteLine($"Dropped by --map: {d.Count} {d.Label} clips");
        console.WriteLine();
        console.WriteLine($"Example spectrogram: {exampleClip.Id} ({exampleClip.Emotion}, speaker {exampleClip.Speaker})");
        foreach (string path in written) console.WriteLine($"wrote {path}");
        if (outDir is null) console.WriteLine("no files written; give --out DIR for stats.json, the charts and the example spectrogram");
        return CliErrors.Ok;
    }

    private static ClipInfo ChooseExample(Corpus corpus, DatasetStats stats, string? example)
    {
        if (string.IsNullOrWhiteSpace(example))
        {
            var unreadable = stats.Issues.Select(i => i.Path).ToHashSet();
            return corpus.Clips.FirstOrDefault(c => !unreadable.Contains(c.Path))
                   ?? throw new CliException($"{corpus.Root}: no clip has readable audio, so there is no example spectrogram to draw");
        }
        string full = Path.GetFullPath(example);
        return corpus.Clips.FirstOrDefault(c => c.Path == full)
               ?? corpus.Clips.FirstOrDefault(c => string.Equals(c.Id, example, StringComparison.OrdinalIgnoreCase))
               ?? corpus.Clips.FirstOrDefault(c => string.Equals(Path.GetFileName(c.Path), example, StringComparison.OrdinalIgnoreCase))
               ?? (File.Exists(full)
                   ? new ClipInfo(Path.GetFileNameWithoutExtension(full), full, "unknown", ClipInfo.UnknownSpeaker, "file")
                   : throw new CliException($"--example {example}: no such clip id or file in {corpus.Root}; " +
                                            $"give a clip id such as {corpus.Clips[0].Id} or a WAV path"));
    }

    private static void WriteSpectrogram(ClipInfo clip, string pngPath)
    {
        var settings = new MelSettings();
        var loader = new AudioLoader(new AudioSettings { TargetSampleRate = settings.SampleRate });
        AudioClip audio = loader.Load(clip.Path).Clip;
        try
        {
            Spectrogram spec = new LogMelExtractor(settings).Compute(audio.Samples);
            Charts.Spectrogram(spec, pngPath, $"log-mel of {clip.Id} ({clip.Emotion}), preprocessed audio",
                (double)settings.HopLength / settings.SampleRate, settings.EffectiveFMax);
        }
        catch (ArgumentException e)
        {
            throw new CliException($"{clip.Path}: cannot draw its spectrogram ({e.Message}); choose another clip with --example");
        }
    }

    private static void Print(IAnsiConsole console, DatasetStats stats)
    {
        var summary = new Table().Title($"[bold]{Markup.Escape(stats.Corpus)}[/] {Markup.Escape(stats.Root)}").HideHeaders()
            .AddColumn("what").AddColumn("value");
        summary.AddRow("Samples", $"{stats.Samples}" + (stats.ReadableSamples < stats.Samples ? $" ({stats.ReadableSamples} with readable audio)" : ""));
        summary.AddRow("Emotions", $"{stats.Emotions.Count} ({string.Join(", ", stats.Emotions)})");
        summary.AddRow("Speakers", stats.Speakers.SequenceEqual([ClipInfo.UnknownSpeaker])
            ? "unknown (give --speaker-pattern, or a manifest with a speaker column, for speaker splits)"
            : $"{stats.Speakers.Count} ({string.Join(", ", stats.Speakers.Count <= 30 ? stats.Speakers : [.. stats.Speakers.Take(10), "…", stats.Speakers[^1]])})");
        summary.AddRow("Formats", string.Join("; ", stats.Formats.Select(f => $"{f.Label} x{f.Count}")));
        summary.AddRow("Sample rates", string.Join(", ", stats.SampleRates.Select(r => $"{r} Hz")));
        summary.AddRow("Channels", string.Join(", ", stats.Channels));
        if (stats.Durations is { } d)
            summary.AddRow("Duration", string.Create(CultureInfo.InvariantCulture,
                $"min {d.MinSeconds:0.00} s, median {d.MedianSeconds:0.00} s, max {d.MaxSeconds:0.00} s, total {d.TotalSeconds / 60:0.0} min"));
        if (stats.HumanRecognitionMean is { } human)
            summary.AddRow("Human recognition", $"{Percent(human)} mean over these clips" +
                (stats.HumanRecognitionUar is { } uar ? $", UAR {Percent(uar)}" : "") +
                (stats.RatedRecognitionMean is { } rated ? $"; {Percent(rated)} over all rated recordings" : ""));
        summary.AddRow("Problems", stats.Issues.Count.ToString(CultureInfo.InvariantCulture));
        console.Write(summary);

        var perEmotion = new Table().Title("Samples per emotion").AddColumn("Emotion").AddColumn(new TableColumn("Clips").RightAligned())
            .AddColumn(new TableColumn("Share").RightAligned());
        foreach (var e in stats.PerEmotion)
            perEmotion.AddRow(Markup.Escape(e.Label), e.Count.ToString(CultureInfo.InvariantCulture),
                Percent(stats.Samples > 0 ? (double)e.Count / stats.Samples : 0));
        console.Write(perEmotion);

        var bySpeaker = new Table().Title("Samples per speaker and emotion").AddColumn("Speaker");
        foreach (string e in stats.Emotions) bySpeaker.AddColumn(new TableColumn(Markup.Escape(e)).RightAligned());
        bySpeaker.AddColumn(new TableColumn("total").RightAligned());
        foreach (var s in stats.PerSpeaker)
        {
            var row = stats.EmotionBySpeaker[s.Label];
            bySpeaker.AddRow([Markup.Escape(s.Label), .. stats.Emotions.Select(e => row[e].ToString(CultureInfo.InvariantCulture)),
                s.Count.ToString(CultureInfo.InvariantCulture)]);
        }
        console.Write(bySpeaker);

        if (stats.Issues.Count > 0)
        {
            console.MarkupLine($"[yellow]{stats.Issues.Count} problem(s)[/]{(stats.Issues.Count > MaxIssuesShown ? $", first {MaxIssuesShown}" : "")}:");
            foreach (var issue in stats.Issues.Take(MaxIssuesShown)) console.WriteLine($"  {issue}");
        }
    }

    private static string Percent(double share) => (share * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";
}
