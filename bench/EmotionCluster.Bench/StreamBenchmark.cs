using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using EmotionCluster.Extraction;
using EmotionCluster.Features;
using EmotionCluster.Model;
using EmotionCluster.Streaming;
using EmotionCluster.Testing;

namespace EmotionCluster.Bench;

/// <summary>
/// Live streaming under load: one node process (src/EmotionCluster.Node, started here unless <c>--node</c> is given)
/// and this process as the load generator on loopback. For each stream count, that many clients send 16 kHz PCM16 in
/// 100 ms frames at real-time pace (start phases spread over one hop) for <c>--seconds</c>; hop latency is measured at
/// the client, from sending the frame that completes a window to receiving its prediction. Node CPU comes from
/// /proc/PID/stat over the same interval.
/// </summary>
public static class StreamBenchmark
{
    public sealed record Options(int[] Streams, double Seconds, string? Model, string? Node, double Warmup, bool Profile, int TorchThreads, bool NoNoiseReduction)
    {
        /// <summary><c>--timeline</c>: per-second latency of each level written here (standard error).</summary>
        public TextWriter? Timeline { get; init; }

        /// <summary><c>--runtime torch,onnx</c>: each runtime in turn, a node of its own, one table each (default: torch).</summary>
        public ModelRuntime[] Runtimes { get; init; } = [ModelRuntime.Torch];

        /// <summary><c>--gate stream,window</c>: the node gates each stream once (false, a node's default) or each window on its own (true, <c>GateEachWindow</c>); each in turn, a node of its own.</summary>
        public bool[] GateEachWindow { get; init; } = [false];

        public static Options Parse(string[] args)
        {
            int[] streams = [1, 10, 50, 100, 200];
            double seconds = 20, warmup = 4;
            string? model = null, node = null;
            bool profile = false;
            int torchThreads = 1;
            bool noNoiseReduction = false, timeline = false;
            ModelRuntime[] runtimes = [ModelRuntime.Torch];
            bool[] gates = [false];
            for (int i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new BenchUsageException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--streams": streams = Value().Split(',').Select(s => int.TryParse(s, out int n) && n > 0 ? n : throw new BenchUsageException($"--streams: '{s}' is not a positive count")).ToArray(); break;
                    case "--seconds": seconds = Positive("--seconds", Value()); break;
                    case "--warmup": warmup = Positive("--warmup", Value()); break;
                    case "--model": model = Value(); break;
                    case "--node": node = Value(); break;
                    case "--profile": profile = true; break;
                    case "--no-noise-reduction": noNoiseReduction = true; break;
                    case "--timeline": timeline = true; break;
                    case "--torch-threads": torchThreads = (int)Positive("--torch-threads", Value()); break;
                    case "--runtime":
                        runtimes = Value().Split(',').Select(r => r.Trim().ToLowerInvariant() switch
                        {
                            "torch" => ModelRuntime.Torch,
                            "onnx" => ModelRuntime.Onnx,
                            var other => throw new BenchUsageException($"--runtime: '{other}' is not torch or onnx"),
                        }).Distinct().ToArray();
                        break;
                    case "--gate":
                        gates = Value().Split(',').Select(g => g.Trim().ToLowerInvariant() switch
                        {
                            "stream" => false,
                            "window" => true,
                            var other => throw new BenchUsageException($"--gate: '{other}' is not stream or window"),
                        }).Distinct().ToArray();
                        break;
                    default: throw new BenchUsageException($"unknown option '{args[i]}' for stream");
                }
            }
            if (warmup >= seconds) throw new BenchUsageException($"--warmup {warmup} must be shorter than --seconds {seconds}");
            if (node is not null && runtimes.Length > 1) throw new BenchUsageException("--runtime with two runtimes starts a node per runtime; it cannot be combined with --node");
            if (node is not null && gates.Length > 1) throw new BenchUsageException("--gate with both gates starts a node per gate; it cannot be combined with --node");
            return new Options(streams, seconds, model, node, warmup, profile, torchThreads, noNoiseReduction) { Timeline = timeline ? Console.Error : null, Runtimes = runtimes, GateEachWindow = gates };
        }

        private static double Positive(string option, string text) =>
            double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v > 0 ? v
            : throw new BenchUsageException($"{option}: '{text}' is not a positive number");
    }

    public sealed record Row(int Streams, long Predictions, long Expected, long Dropped, long Errors, double P50, double P99, double Max,
        double ServerP50, double ServerP99, double NodeCores, double MeanBatch, double ModelMsPerWindow, double FeatureMs, double BenchCores,
        double FirstP99 = double.NaN, double FirstMax = double.NaN);

    public static int Run(Options options, TextWriter output)
    {
        string dir = Path.Combine(Path.GetTempPath(), "ec-stream-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        Process? nodeProcess = null;
        try
        {
            if (options.Profile)
            {
                if (options.TorchThreads > 0) TorchRuntime.SetThreads(options.TorchThreads);
                return Profile(options.Model ?? DefaultSizeModel(dir, output, options.NoNoiseReduction), output);
            }
            if (options.Node is not null)
            {
                output.WriteLine($"node {options.Node}; {options.Seconds:0} s per level, first {options.Warmup:0} s not counted; {Environment.ProcessorCount} cores");
                Table(options.Node.TrimEnd('/'), options, null, output);
                return 0;
            }
            string model = options.Model ?? DefaultSizeModel(dir, output, options.NoNoiseReduction);
            var files = options.Runtimes.ToDictionary(r => r, r => ModelFor(r, model, dir));
            if (options.Runtimes.Length > 1) ModelTimes(files, options.TorchThreads, output);
            foreach (var runtime in options.Runtimes)
                foreach (bool eachWindow in options.GateEachWindow)
                {
                    (nodeProcess, string nodeUrl) = StartNode(dir, files[runtime], runtime, options.Streams.Max(), options.TorchThreads, eachWindow, output);
                    string gate = eachWindow ? "each window gated on its own" : "each stream gated once";
                    output.WriteLine();
                    output.WriteLine($"runtime {Name(runtime)}, {gate}: node {nodeUrl} (pid {nodeProcess.Id}, role predictor, {Path.GetFileName(files[runtime])}); {options.Seconds:0} s per level, first {options.Warmup:0} s not counted; {Environment.ProcessorCount} cores; intra-op threads {(options.TorchThreads > 0 ? options.TorchThreads.ToString(CultureInfo.InvariantCulture) : "default")}");
                    Table(nodeUrl, options, nodeProcess, output);
                    var (rss, peak, torchMapped) = Memory(nodeProcess);
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"node memory after the levels ({Name(runtime)}, {gate}): RSS {rss / 1024.0:0} MB, peak RSS {peak / 1024.0:0} MB; libtorch mapped: {(torchMapped ? "yes" : "no")}"));
                    output.Flush();
                    StopNode(nodeProcess);
                    nodeProcess = null;
                }
            return 0;
        }
        finally
        {
            if (nodeProcess is not null) StopNode(nodeProcess);
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static string Name(ModelRuntime runtime) => runtime == ModelRuntime.Onnx ? "onnx" : "torch";

    private static void StopNode(Process process)
    {
        try { if (!process.HasExited) process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        process.WaitForExit(10_000);
        process.Dispose();
    }

    /// <summary>The model file a runtime's node loads: the .ecm for torch, its ONNX export for onnx.</summary>
    private static string ModelFor(ModelRuntime runtime, string model, string dir)
    {
        if (runtime != ModelRuntime.Onnx || EmotionCluster.Model.Onnx.OnnxModelFile.IsOnnx(model)) return model;
        string onnx = Path.Combine(dir, Path.GetFileNameWithoutExtension(model) + ".onnx");
        EmotionCluster.Model.Onnx.OnnxExport.Export(model, onnx);
        return onnx;
    }

    /// <summary>One table of stream levels against a node.</summary>
    private static void Table(string nodeUrl, Options options, Process? nodeProcess, TextWriter output)
    {
        output.WriteLine();
        output.WriteLine("| streams | predictions | expected | dropped | errors | p50 ms | p99 ms | max ms | node p50 ms | node p99 ms | node CPU (cores) | mean batch | model ms/window | features ms/window | load generator CPU (cores) | first window p99 ms | first window max ms |");
        output.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (int n in options.Streams)
        {
            Row r = RunLevel(nodeUrl, n, options, nodeProcess);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Streams} | {r.Predictions} | {r.Expected} | {r.Dropped} | {r.Errors} | {r.P50:0.0} | {r.P99:0.0} | {r.Max:0.0} | {r.ServerP50:0.0} | {r.ServerP99:0.0} | {(double.IsNaN(r.NodeCores) ? "-" : r.NodeCores.ToString("0.00", CultureInfo.InvariantCulture))} | {r.MeanBatch:0.0} | {r.ModelMsPerWindow:0.00} | {r.FeatureMs:0.00} | {r.BenchCores:0.00} | {r.FirstP99:0.0} | {r.FirstMax:0.0} |"));
            output.Flush();
        }
    }

    /// <summary>Resident and peak resident memory (kB) of a process, and whether it maps libtorch (Linux /proc).</summary>
    private static (long Rss, long Peak, bool Torch) Memory(Process process)
    {
        long Field(string name) => File.ReadLines($"/proc/{process.Id}/status").Where(l => l.StartsWith(name + ":", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture)).FirstOrDefault();
        bool torch = File.ReadLines($"/proc/{process.Id}/maps").Any(l => l.Contains("libtorch", StringComparison.Ordinal));
        return (Field("VmRSS"), Field("VmHWM"), torch);
    }

    /// <summary>
    /// Per-window model time in this process, each runtime on the same shaped window, one batched pass of 1 and of 16
    /// windows (what a predictor node runs), intra-op threads as the nodes'.
    /// </summary>
    private static void ModelTimes(Dictionary<ModelRuntime, string> files, int threads, TextWriter output)
    {
        output.WriteLine();
        output.WriteLine($"model time per window in this process (one batched pass; intra-op threads {(threads > 0 ? threads.ToString(CultureInfo.InvariantCulture) : "default")}; median of 5 rounds):");
        output.WriteLine();
        output.WriteLine("| runtime | batch | ms/window wall | ms/window CPU |");
        output.WriteLine("|---|---:|---:|---:|");
        float[] window = Audio(16000, 2);
        foreach (var (runtime, file) in files)
        {
            using var model = Predictors.Load(file, runtime, threads: threads);
            var featurizer = new PipelineFeaturizer(model.Input.Features);
            var features = model.Input.Shape(featurizer.Extract(EmotionCluster.Audio.WavWriter.ToBytes(window, 16000), "window"));
            foreach (int batch in new[] { 1, 16 })
            {
                var list = Enumerable.Repeat(features, batch).ToList();
                for (int i = 0; i < 10; i++) model.PredictBatched(list, batch);
                int repeat = Math.Max(4, 64 / batch);
                var rounds = new List<(double Wall, double Cpu)>();
                for (int round = 0; round < 5; round++)
                {
                    var process = Process.GetCurrentProcess();
                    TimeSpan cpu0 = process.TotalProcessorTime;
                    var clock = Stopwatch.StartNew();
                    for (int i = 0; i < repeat; i++) model.PredictBatched(list, batch);
                    double wall = clock.Elapsed.TotalMilliseconds / repeat / batch;
                    process.Refresh();
                    rounds.Add((wall, (process.TotalProcessorTime - cpu0).TotalMilliseconds / repeat / batch));
                }
                var median = rounds.OrderBy(r => r.Wall).ElementAt(2);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {Name(runtime)} | {batch} | {median.Wall:0.00} | {median.Cpu:0.00} |"));
                output.Flush();
            }
        }
    }

    /// <summary>A model of the default architecture (16-32-64-128 channels, 64 x 300 input, 7 classes), one epoch on noise: trained or not, inference costs the same.</summary>
    private static string DefaultSizeModel(string dir, TextWriter output, bool noNoiseReduction)
    {
        var cnn = new CnnSettings();
        var random = new Random(1);
        var examples = Enumerable.Range(0, 14).Select(i =>
        {
            var data = new float[cnn.InputBins * cnn.InputFrames];
            for (int k = 0; k < data.Length; k++) data[k] = (float)(random.NextDouble() * 80 - 80);
            return (new Spectrogram(data, cnn.InputBins, cnn.InputFrames), i % cnn.Classes);
        }).ToList();
        using var result = SmallModels.Train(examples, [], new TrainingSettings { Epochs = 1, Threads = 0 }, cnn);
        string path = Path.Combine(dir, "bench.model");
        var features = noNoiseReduction
            ? FeaturePipelineSettings.Default with { Audio = FeaturePipelineSettings.Default.Audio with { Preprocess = FeaturePipelineSettings.Default.Audio.Preprocess with { ReduceNoise = false } } }
            : FeaturePipelineSettings.Default;
        var recipe = new Recipe();
        result.Save(path, ["anger", "boredom", "disgust", "fear", "happiness", "neutral", "sadness"],
            recipe with { Features = features, Input = recipe.Input with { Frames = cnn.InputFrames, Standardize = false, SpeakerNorm = SpeakerNormalization.None } });
        output.WriteLine($"model: default architecture ({result.Model.ParameterCount:N0} parameters), features {(noNoiseReduction ? "without" : "with")} noise reduction, {path}");
        return path;
    }

    /// <summary>Cost of each stage of one window in this process: features (resampling, preprocessing, log-mel, shaping) and the model at several batch sizes.</summary>
    private static int Profile(string modelPath, TextWriter output)
    {
        var model = StreamingModel.Load(modelPath, threads: 0);
        float[] window = Audio(16000, 2);
        float[] window44 = Audio(44100, 2);
        // wall and process CPU milliseconds per call, after warm-up calls and a pause (JIT tiering: methods are
        // recompiled optimized in the background after 30 calls)
        (double Wall, double Cpu, double Kb) Time(int repeat, Action action)
        {
            for (int i = 0; i < 30; i++) action();
            Thread.Sleep(300);
            for (int i = 0; i < 10; i++) action();
            var process = Process.GetCurrentProcess();
            TimeSpan cpu0 = process.TotalProcessorTime;
            long bytes0 = GC.GetAllocatedBytesForCurrentThread();
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < repeat; i++) action();
            double wall = clock.Elapsed.TotalMilliseconds / repeat;
            double kb = (GC.GetAllocatedBytesForCurrentThread() - bytes0) / 1024.0 / repeat;
            process.Refresh();
            return (wall, (process.TotalProcessorTime - cpu0).TotalMilliseconds / repeat, kb);
        }
        string Show((double Wall, double Cpu, double Kb) t) => string.Create(CultureInfo.InvariantCulture, $"{t.Wall,7:0.00} ms wall, {t.Cpu,7:0.00} ms CPU, {t.Kb,6:0} kB allocated");
        output.WriteLine($"{(model.Runtime == ModelRuntime.Onnx ? "ONNX Runtime" : $"torch threads {TorchSharp.torch.get_num_threads()}")}, {Environment.ProcessorCount} cores; per call:");
        output.WriteLine($"features, 2 s window at 16 kHz:               {Show(Time(100, () => model.Features(window, 16000)))}");
        output.WriteLine($"features, 2 s window at 44.1 kHz (resampled): {Show(Time(50, () => model.Features(window44, 44100)))}");
        // the model's window along a stream, hop 0.5 s: each window gated on its own, then the stream gated once (a new
        // stream every 120 s of audio, so a stream's first window, gated whole, is counted as often as it occurs)
        int modelWindow = (int)Math.Round(model.InputSeconds * 16000), hop = 8000;
        float[] stream = Audio(16000, 120 + model.InputSeconds);
        int windows = (stream.Length - modelWindow) / hop + 1, next = 0;
        var buffer = new float[modelWindow];
        var gate = new EmotionCluster.Audio.StreamGate();
        float[] NextWindow(out long position)
        {
            if (next == windows) (next, gate) = (0, new EmotionCluster.Audio.StreamGate());
            position = (long)next++ * hop;
            stream.AsSpan((int)position, modelWindow).CopyTo(buffer);
            return buffer;
        }
        string seconds = model.InputSeconds.ToString("0.#", CultureInfo.InvariantCulture);
        output.WriteLine($"features, {seconds} s windows of a stream, each gated on its own: {Show(Time(100, () => model.Features(NextWindow(out _), 16000)))}");
        output.WriteLine($"features, {seconds} s windows of a stream, the stream gated once: {Show(Time(100, () => { var w = NextWindow(out long at); model.Features(w, 16000, null, gate, at); }))}");
        var preprocess = model.Settings.Audio.Preprocess;
        var gated = new float[modelWindow];
        output.WriteLine($"  the spectral gate alone, each window on its own:  {Show(Time(100, () => EmotionCluster.Audio.SpectralGate.Reduce(NextWindow(out _), 16000, preprocess, gated)))}");
        output.WriteLine($"  the stream gate alone:                            {Show(Time(100, () => { var w = NextWindow(out long at); gate.Reduce(preprocess, 16000, at, w, gated); }))}");
        var plain = new EmotionCluster.Audio.Preprocessor(preprocess with { ReduceNoise = false });
        output.WriteLine($"  DC, trim, normalize of a window:                  {Show(Time(100, () => System.Buffers.ArrayPool<float>.Shared.Return(plain.ApplyRented(NextWindow(out _), 16000, out _))))}");
        var mel3 = new LogMelExtractor(model.Settings.Mel);
        output.WriteLine($"  log-mel of a window:                              {Show(Time(100, () => mel3.Compute(NextWindow(out _))))}");
        var loader = new EmotionCluster.Audio.AudioLoader(model.Settings.Audio);
        var mel = new LogMelExtractor(model.Settings.Mel);
        var prepared = loader.Prepare(new EmotionCluster.Audio.AudioClip(window, 16000));
        output.WriteLine($"  preprocessing (DC, spectral gate, trim, normalize): {Show(Time(100, () => loader.Prepare(new EmotionCluster.Audio.AudioClip(window, 16000))))}");
        output.WriteLine($"  log-mel:                                           {Show(Time(100, () => mel.Compute(prepared.Samples)))}");
        var features = model.Features(window, 16000);
        using var predictor = Predictors.Load(modelPath);
        foreach (int batch in new[] { 1, 4, 16, 32, 64 })
        {
            var list = Enumerable.Repeat(features, batch).ToList();
            var t = Time(Math.Max(4, 128 / batch), () => model.Predict(list));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"model, batch {batch,2}, one batched pass (streaming):  {Show(t)}; per window {t.Wall / batch,6:0.00} ms wall, {t.Cpu / batch,6:0.00} ms CPU"));
        }
        foreach (int batch in new[] { 1, 16 })
        {
            var list = Enumerable.Repeat(features, batch).ToList();
            var t = Time(Math.Max(4, 64 / batch), () => predictor.PredictBatch(list));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"model, batch {batch,2}, one pass per window (predict): {Show(t)}; per window {t.Wall / batch,6:0.00} ms wall, {t.Cpu / batch,6:0.00} ms CPU"));
        }
        return 0;
    }

    private static (Process, string) StartNode(string dir, string model, ModelRuntime runtime, int maxStreams, int torchThreads, bool gateEachWindow, TextWriter output)
    {
        string config = BenchProgramPaths.NodeDll();
        string settings = Path.Combine(dir, "node.json");
        File.WriteAllText(settings, JsonSerializer.Serialize(new
        {
            EmotionCluster = new { Streaming = new { ModelPath = model, Runtime = Name(runtime), MaxStreams = Math.Max(256, maxStreams * 2), TorchThreads = torchThreads, GateEachWindow = gateEachWindow } },
            // quiet, but the node's own start lines ("http listening: …", what the bench waits for) are Information
            Logging = new { LogLevel = new Dictionary<string, string> { ["Default"] = "Warning", ["EmotionCluster.Node"] = "Information" } },
        }));
        int port = FreePort(), http = FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Path.GetDirectoryName(config)! };
        foreach (string a in new[] { config, "run", "--roles", "predictor", "--port", port.ToString(CultureInfo.InvariantCulture), "--http-port", http.ToString(CultureInfo.InvariantCulture), "--config", settings, "--store", Path.Combine(dir, "store") })
            psi.ArgumentList.Add(a);
        // the node's collector as deployed (server, from its runtimeconfig) unless NODE_GC_SERVER=0/1 says otherwise
        if (Environment.GetEnvironmentVariable("NODE_GC_SERVER") is { Length: > 0 } gc) psi.Environment["DOTNET_gcServer"] = gc;
        else psi.Environment.Remove("DOTNET_gcServer");
        psi.Environment["EmotionCluster__Persistence__ConnectionString"] = $"Data Source={Path.Combine(dir, "journal.db")}";
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start the node");
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        void OnLine(string? line)
        {
            if (line is null || ready.Task.IsCompleted) return; // after the start the node's output is not kept
            lines.Enqueue(line);
            if (line.StartsWith("http listening", StringComparison.Ordinal)) ready.TrySetResult();
        }
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!ready.Task.Wait(TimeSpan.FromSeconds(90)))
            throw new InvalidOperationException("the node did not start:\n" + string.Join('\n', lines));
        Thread.Sleep(2000); // cluster up, shard coordinator ready
        return (process, $"http://127.0.0.1:{http}");
    }

    private static int FreePort()
    {
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        int port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private sealed class StreamStats
    {
        public readonly List<double> Latencies = new();
        public readonly List<double> ServerLatencies = new();
        public readonly List<(double SentSeconds, double Ms)> Timeline = new();
        public long Predictions, Dropped, Errors;
        /// <summary>The node's window (its <c>started</c> message), 0 before it came.</summary>
        public double WindowSeconds;
        /// <summary>Latency of the stream's first prediction (warm-up or not): the window a stream gate computes whole.</summary>
        public double? First;
    }

    private static Row RunLevel(string node, int streams, Options options, Process? nodeProcess)
    {
        const int rate = 16000, frame = 1600; // 100 ms
        var stats = Enumerable.Range(0, streams).Select(_ => new StreamStats()).ToArray();
        float[] audio = Audio(rate, options.Seconds + 1);
        byte[] pcm = StreamClient.Pcm16(audio);
        var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(options.Seconds + 60)).Token;
        var phases = new Random(streams);
        long levelStart = Stopwatch.GetTimestamp();
        DateTime levelStartUtc = DateTime.UtcNow;
        // with --timeline: how late a 10 ms sleep of this process wakes up, per second (a stall of the whole machine
        // shows here as well as in the node's latencies)
        var lateness = new System.Collections.Concurrent.ConcurrentDictionary<int, double>();
        using var tickerStop = new CancellationTokenSource();
        var ticker = options.Timeline is null ? null : new Thread(() =>
        {
            while (!tickerStop.IsCancellationRequested)
            {
                long t0 = Stopwatch.GetTimestamp();
                Thread.Sleep(10);
                double late = Stopwatch.GetElapsedTime(t0).TotalMilliseconds - 10;
                lateness.AddOrUpdate((int)Stopwatch.GetElapsedTime(levelStart).TotalSeconds, late, (_, v) => Math.Max(v, late));
            }
        }) { IsBackground = true, Priority = ThreadPriority.AboveNormal };
        ticker?.Start();
        var before = Scrape(node);
        double cpuStart = double.NaN, benchCpuStart = double.NaN;
        long cpuStartAt = 0;
        var cpuTimer = Task.Run(async () =>
        {
            await Task.Delay(TimeSpan.FromSeconds(options.Warmup + 0.5), cancel);
            cpuStart = CpuSeconds(nodeProcess);
            benchCpuStart = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
            cpuStartAt = Stopwatch.GetTimestamp();
        }, cancel);

        async Task One(int index)
        {
            var s = stats[index];
            using var client = new StreamClient();
            await Task.Delay(TimeSpan.FromSeconds(phases.NextDouble() * 0.5 + index * 0.002), cancel);
            await client.ConnectAsync(StreamClient.StreamUri(node), null, cancel);
            await client.StartAsync(rate, 1, "pcm16", null, cancel);
            int frames = (int)(options.Seconds * 10);
            var sentAt = new long[frames];
            long streamStart = 0;
            var reader = Task.Run(async () =>
            {
                while (await client.ReceiveAsync(cancel) is { } m)
                {
                    switch (m.GetProperty("type").GetString())
                    {
                        case "started": s.WindowSeconds = m.GetProperty("windowSeconds").GetDouble(); break;
                        case "prediction":
                            long now = Stopwatch.GetTimestamp();
                            double t = m.GetProperty("t").GetDouble();
                            int completing = (int)Math.Ceiling(t * rate / frame - 1e-9) - 1;
                            s.Predictions++;
                            if (s.First is null && completing >= 0 && completing < frames && sentAt[completing] != 0)
                                s.First = Stopwatch.GetElapsedTime(sentAt[completing], now).TotalMilliseconds;
                            if (t > options.Warmup && completing >= 0 && completing < frames && sentAt[completing] != 0)
                            {
                                s.Latencies.Add(Stopwatch.GetElapsedTime(sentAt[completing], now).TotalMilliseconds);
                                s.ServerLatencies.Add(m.GetProperty("latencyMs").GetDouble());
                                s.Timeline.Add((Stopwatch.GetElapsedTime(levelStart, sentAt[completing]).TotalSeconds, s.Latencies[^1]));
                            }
                            break;
                        case "overload": s.Dropped = Math.Max(s.Dropped, m.GetProperty("droppedHops").GetInt64()); break;
                        case "error": s.Errors++; break;
                        case "end": s.Dropped = Math.Max(s.Dropped, m.GetProperty("droppedHops").GetInt64()); break;
                    }
                }
            }, cancel);
            streamStart = Stopwatch.GetTimestamp();
            for (int f = 0; f < frames && client.Socket.State == System.Net.WebSockets.WebSocketState.Open; f++)
            {
                var due = TimeSpan.FromSeconds(f * 0.1) - Stopwatch.GetElapsedTime(streamStart);
                if (due > TimeSpan.Zero) await Task.Delay(due, cancel);
                sentAt[f] = Stopwatch.GetTimestamp();
                await client.SendAudioAsync(pcm.AsMemory(f * frame * 2, frame * 2), cancel);
            }
            if (client.Socket.State == System.Net.WebSockets.WebSocketState.Open) await client.EndAsync(cancel);
            await reader;
        }

        var tasks = Enumerable.Range(0, streams).Select(i => Task.Run(async () =>
        {
            try { await One(i); }
            catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or OperationCanceledException or IOException)
            {
                stats[i].Errors++;
            }
        })).ToArray();
        // CPU over the measured part: from the end of the warm-up until the first stream stops sending
        Task.Delay(TimeSpan.FromSeconds(options.Seconds - 0.5)).Wait();
        double cpuEnd = CpuSeconds(nodeProcess);
        double elapsed = Stopwatch.GetElapsedTime(cpuStartAt).TotalSeconds;
        double cores = (cpuEnd - cpuStart) / elapsed;
        double benchCores = (Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - benchCpuStart) / elapsed;
        Task.WaitAll(tasks);
        if (options.Timeline is { } timeline)
        {
            // per second of the level (by when the window's last frame was sent): how latency develops
            tickerStop.Cancel();
            timeline.WriteLine($"{streams} streams (from {levelStartUtc:HH:mm:ss.fff} UTC), per second of the run: windows, p50, p99, max ms; the load generator's longest wake-up delay (ms)");
            foreach (var second in stats.SelectMany(s => s.Timeline).GroupBy(e => (int)e.SentSeconds).OrderBy(g => g.Key))
            {
                var sorted = second.Select(e => e.Ms).Order().ToArray();
                timeline.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {second.Key,3} s {sorted.Length,5} {Percentile(sorted, 0.5),8:0.0} {Percentile(sorted, 0.99),8:0.0} {sorted[^1],8:0.0} {lateness.GetValueOrDefault(second.Key),8:0.0}"));
            }
        }
        var all = stats.SelectMany(s => s.Latencies).Order().ToArray();
        var server = stats.SelectMany(s => s.ServerLatencies).Order().ToArray();
        // the node's window (the model's input length unless the node sets one) and the default hop, 0.5 s
        double window = stats.Select(s => s.WindowSeconds).FirstOrDefault(w => w > 0, 3.0);
        long fullWindows = (long)Math.Floor((options.Seconds - window) / 0.5 + 1e-9) + 1;
        bool tail = Math.Abs((options.Seconds - window) / 0.5 - Math.Round((options.Seconds - window) / 0.5)) > 1e-9;
        var first = stats.Where(s => s.First is not null).Select(s => s.First!.Value).Order().ToArray();
        long expected = streams * (fullWindows + (tail ? 1 : 0)); // hops of a full window, plus a final window over the tail
        var after = Scrape(node);
        double Delta(string name) => after.GetValueOrDefault(name) - before.GetValueOrDefault(name);
        if (options.Timeline is { } waits)
            waits.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  mean waits: {Delta("feature_wait_sum") / Delta("feature_wait_count"):0.0} ms for a feature thread, {Delta("inference_wait_sum") / Delta("inference_wait_count"):0.0} ms for a forward pass; mean node hop latency {Delta("hop_latency_sum") / Delta("hop_latency_count"):0.0} ms"));
        double batches = Delta("batch_size_count"), windows = Delta("batch_size_sum");
        return new Row(streams, stats.Sum(s => s.Predictions), expected, stats.Sum(s => s.Dropped), stats.Sum(s => s.Errors),
            Percentile(all, 0.5), Percentile(all, 0.99), all.Length > 0 ? all[^1] : double.NaN, Percentile(server, 0.5), Percentile(server, 0.99), cores,
            windows / batches, Delta("batch_duration_sum") / windows, Delta("feature_duration_sum") / Delta("feature_duration_count"), benchCores,
            Percentile(first, 0.99), first.Length > 0 ? first[^1] : double.NaN);
    }

    /// <summary>The node's streaming histograms' _sum and _count (unlabelled series) from /metrics.</summary>
    private static Dictionary<string, double> Scrape(string node)
    {
        const string prefix = "emotioncluster_streaming_";
        var values = new Dictionary<string, double>();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            foreach (string line in http.GetStringAsync($"{node}/metrics").GetAwaiter().GetResult().Split('\n'))
            {
                if (!line.StartsWith(prefix, StringComparison.Ordinal)) continue;
                string[] parts = line.Split(' ');
                if (parts.Length == 2 && !parts[0].Contains('{') && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
                    values[parts[0][prefix.Length..]] = v;
            }
        }
        catch (HttpRequestException) { }
        return values;
    }

    private static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];

    /// <summary>User + system CPU seconds of the node process (Linux /proc), NaN when unknown.</summary>
    private static double CpuSeconds(Process? process)
    {
        if (process is null) return double.NaN;
        try
        {
            string stat = File.ReadAllText($"/proc/{process.Id}/stat");
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture); // utime, stime
            return ticks / 100.0; // USER_HZ
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            return double.NaN;
        }
    }

    /// <summary>Speech-like test audio: a buzzy tone with a syllable rhythm and some noise.</summary>
    private static float[] Audio(int rate, double seconds)
    {
        var random = new Random(7);
        var x = new float[(int)(rate * seconds)];
        for (int i = 0; i < x.Length; i++)
        {
            double t = (double)i / rate;
            double envelope = Math.Max(0, Math.Sin(2 * Math.PI * 3 * t));
            x[i] = (float)(0.4 * envelope * (Math.Sin(2 * Math.PI * 180 * t) + 0.5 * Math.Sin(2 * Math.PI * 360 * t)) + 0.01 * (random.NextDouble() * 2 - 1));
        }
        return x;
    }
}

/// <summary>Where the node's build output is (same configuration as this benchmark's build).</summary>
internal static class BenchProgramPaths
{
    public static string NodeDll()
    {
        string config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "EmotionCluster.sln")))
            {
                string dll = Path.Combine(d.FullName, "src", "EmotionCluster.Node", "bin", config, "net10.0", "emotioncluster-node.dll");
                return File.Exists(dll) ? dll : throw new BenchUsageException($"node not built: {dll}; run dotnet build -c {config} src/EmotionCluster.Node first");
            }
        throw new BenchUsageException("EmotionCluster.sln not found above the benchmark");
    }
}
