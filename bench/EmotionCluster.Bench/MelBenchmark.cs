using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using EmotionCluster.Audio;
using EmotionCluster.Features;
using NWaves.FeatureExtractors;
using NWaves.FeatureExtractors.Options;
using NWaves.Filters.Fda;

namespace EmotionCluster.Bench;

/// <summary>
/// Log-mel throughput on EMO-DB: ours, torchaudio (a Python child process given the same clip list and settings)
/// and NWaves, at each thread count. Clips are decoded before timing; one clip per call everywhere; our extractor and
/// NWaves run clips in parallel with <see cref="Parallel.For(int, int, ParallelOptions, Action{int})"/>, torch uses
/// <c>torch.set_num_threads</c> (intra-op threads).
/// </summary>
public static class MelBenchmark
{
    private static readonly JsonSerializerOptions Json = new()
    {
        Converters = { new JsonStringEnumConverter() },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public sealed record Options(int[] Threads, int? Clips, int Repeat, string? SettingsFile, string Python, bool UsePython, bool UseNWaves)
    {
        public static Options Parse(string[] args)
        {
            int[] threads = [1, 2];
            int? clips = 200;
            int repeat = 5;
            string? settings = null;
            string python = "/usr/bin/python3";
            bool usePython = true, useNWaves = true;
            for (int i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new BenchUsageException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--threads":
                        threads = Value().Split(',').Select(t => PositiveInt("--threads", t)).ToArray();
                        break;
                    case "--clips":
                        string c = Value();
                        clips = c == "all" ? null : PositiveInt("--clips", c);
                        break;
                    case "--repeat": repeat = PositiveInt("--repeat", Value()); break;
                    case "--settings": settings = Value(); break;
                    case "--python": python = Value(); break;
                    case "--no-python": usePython = false; break;
                    case "--no-nwaves": useNWaves = false; break;
                    default: throw new BenchUsageException($"unknown option '{args[i]}' for mel");
                }
            }
            return new Options(threads, clips, repeat, settings, python, usePython, useNWaves);
        }

        private static int PositiveInt(string option, string text) =>
            int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v > 0
                ? v
                : throw new BenchUsageException($"{option} takes positive integers; got '{text}'");
    }

    private sealed record Row(string Implementation, int Threads, int Clips, double AudioSeconds, double PassSeconds, long Frames);

    private sealed record PythonResult(
        [property: JsonPropertyName("threads")] int Threads,
        [property: JsonPropertyName("clips")] int Clips,
        [property: JsonPropertyName("audio_seconds")] double AudioSeconds,
        [property: JsonPropertyName("pass_seconds")] double[] PassSeconds,
        [property: JsonPropertyName("frames")] long Frames);

    public static int Run(Options options, TextWriter output)
    {
        string repo = RepoRoot();
        MelSettings settings = LoadSettings(options.SettingsFile);
        var (paths, clips) = LoadClips(SelectClips(options.Clips), settings.SampleRate, output);
        double audioSeconds = clips.Sum(c => c.DurationSeconds);

        output.WriteLine($"date: {DateTime.Now:yyyy-MM-dd HH:mm zzz}");
        output.WriteLine($"machine: {CpuModel()}, {Environment.ProcessorCount} logical cores, {Environment.OSVersion}, .NET {Environment.Version}");
        output.WriteLine($"clips: {clips.Length} EMO-DB files, {audioSeconds:F1} s of audio; repeat {options.Repeat}, median pass reported");
        output.WriteLine($"settings: {JsonSerializer.Serialize(settings, Json)}");
        output.WriteLine();

        var rows = new List<Row>();
        string? listFile = null, settingsFile = null;
        try
        {
            if (options.UsePython)
            {
                listFile = Path.GetTempFileName();
                settingsFile = Path.GetTempFileName();
                File.WriteAllLines(listFile, paths);
                File.WriteAllText(settingsFile, JsonSerializer.Serialize(settings, Json));
            }
            foreach (int threads in options.Threads)
            {
                var ours = new LogMelExtractor(settings);
                rows.Add(Time("ours (LogMelExtractor)", threads, clips, options.Repeat,
                    i => ours.Compute(clips[i].Samples).Frames));
                if (options.UsePython)
                    rows.Add(RunPython(options.Python, Path.Combine(repo, "tools", "reference", "bench_torchaudio_mel.py"),
                        listFile!, settingsFile!, threads, options.Repeat));
                if (options.UseNWaves)
                {
                    using var perThread = new ThreadLocal<FilterbankExtractor>(() => NWavesExtractor(settings));
                    rows.Add(Time("NWaves FilterbankExtractor", threads, clips, options.Repeat,
                        i => perThread.Value!.ComputeFrom(clips[i].Samples).Count));
                }
            }
        }
        finally
        {
            if (listFile != null) File.Delete(listFile);
            if (settingsFile != null) File.Delete(settingsFile);
        }
        PrintTable(rows, output);
        return 0;
    }

    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(1);

    /// <summary>Warm-up (≥ 1 pass and ≥ 1 s), then <paramref name="repeat"/> timed passes; the median pass counts.</summary>
    private static Row Time(string name, int threads, AudioClip[] clips, int repeat, Func<int, long> compute)
    {
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads };
        long Pass()
        {
            long total = 0;
            Parallel.For(0, clips.Length, parallel, () => 0L, (i, _, sum) => sum + compute(i), sum => Interlocked.Add(ref total, sum));
            return total;
        }
        // warm-up: at least one pass and one second, so the JIT has promoted the hot loops to optimized code
        long frames = Pass();
        for (var warm = Stopwatch.StartNew(); warm.Elapsed < WarmUp;) Pass();
        var seconds = new double[repeat];
        for (int r = 0; r < repeat; r++)
        {
            GC.Collect();
            var watch = Stopwatch.StartNew();
            Pass();
            seconds[r] = watch.Elapsed.TotalSeconds;
        }
        return new Row(name, threads, clips.Length, clips.Sum(c => c.DurationSeconds), Median(seconds), frames);
    }

    private static Row RunPython(string python, string script, string listFile, string settingsFile, int threads, int repeat)
    {
        var start = new ProcessStartInfo(python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList = { script, "--list", listFile, "--settings", settingsFile, "--threads", threads.ToString(CultureInfo.InvariantCulture), "--repeat", repeat.ToString(CultureInfo.InvariantCulture) },
        };
        using Process process = Process.Start(start) ?? throw new BenchUsageException($"could not start {python}");
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new BenchUsageException($"{python} {script} failed (exit {process.ExitCode}): {stderr.Result.Trim()}; use --python or --no-python");
        string last = stdout.Trim().Split('\n')[^1];
        PythonResult r = JsonSerializer.Deserialize<PythonResult>(last)
            ?? throw new BenchUsageException($"{script} printed no result");
        return new Row("torchaudio 0.13 (torch 1.13)", r.Threads, r.Clips, r.AudioSeconds, Median(r.PassSeconds), r.Frames);
    }

    /// <summary>
    /// NWaves' own mel path with the same FFT size, window length, hop, band count and range: Hann window, power spectrum,
    /// HTK-style triangular mel filters, 10 log10 with a 1e-10 floor. No centre padding and no top-dB floor, so it
    /// computes slightly fewer frames; it is context, not a parity reference.
    /// </summary>
    private static FilterbankExtractor NWavesExtractor(MelSettings s) => new(new FilterbankOptions
    {
        SamplingRate = s.SampleRate,
        FrameSize = s.WinLength,
        HopSize = s.HopLength,
        FftSize = s.NFft,
        FilterBank = FilterBanks.Triangular(s.NFft, s.SampleRate, FilterBanks.MelBands(s.NMels, s.SampleRate, s.FMin, s.EffectiveFMax)),
        Window = NWaves.Windows.WindowType.Hann,
        SpectrumType = SpectrumType.Power,
        NonLinearity = NonLinearityType.ToDecibel,
        LogFloor = 1e-10f,
    });

    private static void PrintTable(List<Row> rows, TextWriter output)
    {
        output.WriteLine("| implementation | threads | clips/s | × real time | vs torchaudio (same threads) | frames |");
        output.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (Row row in rows)
        {
            Row? torch = rows.FirstOrDefault(r => r.Threads == row.Threads && r.Implementation.StartsWith("torchaudio", StringComparison.Ordinal));
            double clipsPerSecond = row.Clips / row.PassSeconds;
            string ratio = torch is null ? "n/a" : $"{clipsPerSecond / (torch.Clips / torch.PassSeconds):F2}×";
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {row.Implementation} | {row.Threads} | {clipsPerSecond:F0} | {row.AudioSeconds / row.PassSeconds:F0} | {ratio} | {row.Frames} |"));
        }
    }

    private static double Median(double[] values)
    {
        double[] sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static MelSettings LoadSettings(string? file)
    {
        if (file is null) return new MelSettings();
        try
        {
            MelSettings s = JsonSerializer.Deserialize<MelSettings>(File.ReadAllText(file), Json)
                ?? throw new BenchUsageException($"{file} holds no settings");
            s.Validate();
            return s;
        }
        catch (Exception e) when (e is IOException or JsonException or ArgumentException or UnauthorizedAccessException)
        {
            throw new BenchUsageException($"--settings {file}: {e.Message}");
        }
    }

    /// <summary>Decodes the clips; unreadable files and other sample rates are reported and left out.</summary>
    private static (string[] Paths, AudioClip[] Clips) LoadClips(string[] paths, int sampleRate, TextWriter output)
    {
        var kept = new List<(string, AudioClip)>();
        foreach (string path in paths)
        {
            try
            {
                AudioClip clip = WavReader.Read(path).Clip;
                if (clip.SampleRate != sampleRate)
                    output.WriteLine($"skipped {path}: {clip.SampleRate} Hz, the settings say {sampleRate} Hz");
                else if (clip.Samples.Length == 0)
                    output.WriteLine($"skipped {path}: no samples");
                else kept.Add((path, clip));
            }
            catch (AudioFormatException e)
            {
                output.WriteLine($"skipped {e.Message}");
            }
        }
        if (kept.Count == 0) throw new BenchUsageException("no usable clips; check the EMO-DB folder");
        return (kept.Select(k => k.Item1).ToArray(), kept.Select(k => k.Item2).ToArray());
    }

    /// <summary>N files spread evenly over the sorted EMO-DB list (so several speakers and emotions), or all.</summary>
    private static string[] SelectClips(int? count)
    {
        string? configured = Environment.GetEnvironmentVariable("EMOTIONCLUSTER_DATASETS");
        string root = string.IsNullOrWhiteSpace(configured) ? Path.Combine(RepoRoot(), "..", "shared", "datasets") : configured;
        string dir = Path.GetFullPath(Path.Combine(root, "emodb", "wav"));
        if (!Directory.Exists(dir))
            throw new BenchUsageException($"EMO-DB not found at {dir}; set EMOTIONCLUSTER_DATASETS to the folder holding emodb/wav");
        string[] all = Directory.GetFiles(dir, "*.wav").Order(StringComparer.Ordinal).ToArray();
        if (all.Length == 0) throw new BenchUsageException($"{dir} holds no .wav files");
        int n = Math.Min(count ?? all.Length, all.Length);
        return Enumerable.Range(0, n).Select(i => all[(int)((long)i * all.Length / n)]).ToArray();
    }

    internal static string RepoRoot()
    {
        foreach (string start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (DirectoryInfo? d = new(start); d != null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "EmotionCluster.sln"))) return d.FullName;
        throw new BenchUsageException("run inside the repository: EmotionCluster.sln was not found above the current directory");
    }

    internal static string CpuModel()
    {
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        }
        catch (IOException) { return "unknown CPU"; }
    }
}
