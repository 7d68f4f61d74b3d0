using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using EmotionCluster.Model;

namespace EmotionCluster.Bench;

/// <summary>
/// Training steps per second of our loop (<see cref="TrainingBenchmark"/>: <c>Trainer.ComputeGradients</c> +
/// <c>ApplyGradients</c>, the batch built from per-example arrays every step) against the same CNN in PyTorch
/// (tools/reference/bench_pytorch_cnn.py, a child process), with the same batch size and intra-op thread count, in
/// alternating rounds of one invocation so both see the same machine load. Also per CPU-second of the process that
/// trained (less sensitive to other load than wall time).
/// </summary>
public static class TrainingThroughputBenchmark
{
    public sealed record Options(int[] Threads, int[] Batches, int Steps, int Rounds, string Python, bool PyTorchNativeIsa = false)
    {
        public static Options Parse(string[] args)
        {
            int[] threads = [1, 2], batches = [16, 32];
            int steps = 30, rounds = 3;
            string python = "/usr/bin/python3";
            bool nativeIsa = false;
            for (int i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new BenchUsageException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--threads": threads = List("--threads", Value()); break;
                    case "--batch": batches = List("--batch", Value()); break;
                    case "--steps": steps = Positive("--steps", Value()); break;
                    case "--rounds": rounds = Positive("--rounds", Value()); break;
                    case "--python": python = Value(); break;
                    case "--pytorch-native-isa": nativeIsa = true; break;
                    default: throw new BenchUsageException($"unknown option '{args[i]}' for training");
                }
            }
            return new Options(threads, batches, steps, rounds, python, nativeIsa);
        }

        private static int[] List(string option, string text) => text.Split(',').Select(t => Positive(option, t)).ToArray();

        private static int Positive(string option, string text) =>
            int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v > 0
                ? v
                : throw new BenchUsageException($"{option} takes positive integers; got '{text}'");
    }

    private sealed record Measure(double SamplesPerSecond, double SamplesPerCpuSecond);

    private sealed record PythonResult(
        [property: JsonPropertyName("framework")] string Framework,
        [property: JsonPropertyName("threads")] int Threads,
        [property: JsonPropertyName("parameters")] long Parameters,
        [property: JsonPropertyName("samples_per_second")] double SamplesPerSecond,
        [property: JsonPropertyName("samples_per_cpu_second")] double SamplesPerCpuSecond);

    public static int Run(Options options, TextWriter output)
    {
        string script = Path.Combine(MelBenchmark.RepoRoot(), "tools", "reference", "bench_pytorch_cnn.py");
        var cnn = new CnnSettings();
        long parameters;
        using (var model = new SerCnn(cnn)) parameters = model.ParameterCount;
        output.WriteLine($"machine: {MelBenchmark.CpuModel()}, {Environment.ProcessorCount} logical cores, {Environment.OSVersion}, .NET {Environment.Version}");
        output.WriteLine($"model: default SerCnn, {cnn.InputBins} x {cnn.InputFrames} input, {cnn.Classes} classes, {parameters:N0} parameters; " +
                         $"{options.Steps} timed steps after 3 warm-up steps; oneDNN cap {OneDnnIsaCap.Current ?? "none"}; " +
                         $"allocator tuning {(MallocTuning.Applied ? "on" : "off (" + MallocTuning.NotAppliedReason + ")")}; load average {LoadAverage()}");
        output.WriteLine("PyTorch environment: " + string.Join(' ', PyTorchEnvironment(options.PyTorchNativeIsa).Select(p => $"{p.Key}={p.Value}")) +
                         (options.PyTorchNativeIsa ? " (oneDNN at its native ISA)" : ""));

        var results = new Dictionary<(string Who, int Batch, int Threads), List<Measure>>();
        string framework = "PyTorch";
        for (int round = 1; round <= options.Rounds; round++)
            foreach (int batch in options.Batches)
                foreach (int threads in options.Threads)
                {
                    bool oursFirst = (round + batch + threads) % 2 == 0; // alternate who goes first
                    for (int k = 0; k < 2; k++)
                    {
                        bool ours = (k == 0) == oursFirst;
                        Measure m;
                        if (ours) m = RunOurs(cnn, batch, threads, options.Steps);
                        else (m, framework) = RunPyTorch(options, script, batch, threads, parameters);
                        string who = ours ? "ours" : "pytorch";
                        if (!results.TryGetValue((who, batch, threads), out var list)) results[(who, batch, threads)] = list = [];
                        list.Add(m);
                        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"round {round} batch {batch} threads {threads} {who}: {m.SamplesPerSecond:F1} samples/s, {m.SamplesPerCpuSecond:F1} per CPU-s"));
                    }
                }

        output.WriteLine();
        output.WriteLine($"| batch | threads | {framework} samples/s | ours (TorchSharp 0.107) samples/s | ours / PyTorch | {framework} per CPU-s | ours per CPU-s | ours / PyTorch per CPU-s |");
        output.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (int batch in options.Batches)
            foreach (int threads in options.Threads)
            {
                var p = results[("pytorch", batch, threads)];
                var o = results[("ours", batch, threads)];
                double pw = Median(p.Select(m => m.SamplesPerSecond)), ow = Median(o.Select(m => m.SamplesPerSecond));
                double pc = Median(p.Select(m => m.SamplesPerCpuSecond)), oc = Median(o.Select(m => m.SamplesPerCpuSecond));
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {batch} | {threads} | {pw:F1} | {ow:F1} | {ow / pw:F2} | {pc:F1} | {oc:F1} | {oc / pc:F2} |"));
            }
        output.WriteLine($"medians over {options.Rounds} rounds; load average at the end {LoadAverage()}");
        return 0;
    }

    private static Measure RunOurs(CnnSettings cnn, int batch, int threads, int steps)
    {
        var r = TrainingBenchmark.Run(cnn, batch, steps, threads);
        return new Measure(r.SamplesPerSecond, r.SamplesPerCpuSecond);
    }

    /// <summary>
    /// The environment PyTorch runs in: the same allocator settings as ours (<see cref="MallocTuning"/>), and the same
    /// oneDNN cap unless <see cref="Options.PyTorchNativeIsa"/>, so both sides run the same kind of kernels.
    /// </summary>
    public static IReadOnlyDictionary<string, string> PyTorchEnvironment(bool nativeIsa)
    {
        var env = MallocTuning.Applied ? new Dictionary<string, string>(MallocTuning.AsEnvironment()) : [];
        if (!nativeIsa && OneDnnIsaCap.Current is { } cap) env[OneDnnIsaCap.Variable] = cap;
        return env;
    }

    private static (Measure, string) RunPyTorch(Options options, string script, int batch, int threads, long parameters)
    {
        string python = options.Python;
        int steps = options.Steps;
        var start = new ProcessStartInfo(python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList = { script, "--threads", Invariant(threads), "--batch-size", Invariant(batch), "--steps", Invariant(steps) },
        };
        foreach (var (k, v) in PyTorchEnvironment(options.PyTorchNativeIsa)) start.Environment[k] = v;
        using Process process = Process.Start(start) ?? throw new BenchUsageException($"could not start {python}");
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new BenchUsageException($"{python} {script} failed (exit {process.ExitCode}): {stderr.Result.Trim()}; use --python");
        PythonResult r = JsonSerializer.Deserialize<PythonResult>(stdout.Trim().Split('\n')[^1])
            ?? throw new BenchUsageException($"{script} printed no result");
        if (r.Parameters != parameters)
            throw new BenchUsageException($"{script} built a network of {r.Parameters} parameters, ours has {parameters}: the two definitions differ");
        return (new Measure(r.SamplesPerSecond, r.SamplesPerCpuSecond), r.Framework);
    }

    private static string Invariant(int v) => v.ToString(CultureInfo.InvariantCulture);

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    internal static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (IOException) { return "unknown"; }
    }
}
