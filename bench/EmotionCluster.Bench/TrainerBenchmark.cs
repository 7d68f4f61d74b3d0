using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using EmotionCluster.Extraction;
using EmotionCluster.Features;
using EmotionCluster.Hosting;
using EmotionCluster.Model;
using EmotionCluster.TrainingActors;
using Microsoft.Extensions.Hosting;

namespace EmotionCluster.Bench;

/// <summary>
/// Training throughput, all in one invocation on the same synthetic data (random 64 x 300 log-mel-sized features,
/// 7 classes) and the default CNN: (1) the plain <see cref="Trainer"/> loop (ComputeGradients + ApplyGradients), (2) the
/// <see cref="TrainerActor"/> alone on a one-node cluster, (3) two trainer replicas in two actor systems of this
/// process talking over loopback remoting (each with 1 torch thread), with the coordinator's all-reduce overhead per
/// step. Rounds alternate plain and actor runs so both see the same machine load.
/// </summary>
public static class TrainerBenchmark
{
    public sealed record Options(int Examples, int BatchSize, int Epochs, int Rounds, int Threads, bool Replicas, bool DedicatedThread, bool Stages = false)
    {
        public static Options Parse(string[] args)
        {
            int examples = 64, batch = 16, epochs = 2, rounds = 5, threads = 1;
            bool replicas = true, dedicated = true, stages = false;
            for (int i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new BenchUsageException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--examples": examples = Positive("--examples", Value()); break;
                    case "--batch": batch = Positive("--batch", Value()); break;
                    case "--epochs": epochs = Positive("--epochs", Value()); break;
                    case "--rounds": rounds = Positive("--rounds", Value()); break;
                    case "--threads": threads = Positive("--threads", Value()); break;
                    case "--no-replicas": replicas = false; break;
                    case "--plain-on-main-thread": dedicated = false; break;
                    case "--stages": stages = true; break;
                    default: throw new BenchUsageException($"unknown option '{args[i]}' for trainer");
                }
            }
            return new Options(examples, batch, epochs, rounds, threads, replicas, dedicated, stages);
        }

        private static int Positive(string option, string text) =>
            int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0
                ? n : throw new BenchUsageException($"{option} '{text}' must be a positive integer");
    }

    public static int Run(Options o, TextWriter output)
    {
        string root = Path.Combine(Path.GetTempPath(), "ec-trainer-bench-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var (manifestPath, store, data) = WriteData(o, root, o.Examples);
            var cnn = new CnnSettings();
            output.WriteLine($"trainer benchmark: {o.Examples} examples of {cnn.InputBins} x {cnn.InputFrames}, batch {o.BatchSize}, " +
                             $"{o.Epochs} epoch(s) per run, {o.Rounds} round(s), CNN {string.Join('-', cnn.Channels)} dense {cnn.DenseSize}, " +
                             $"{Environment.ProcessorCount} cores");
            PlainLoop(o with { Epochs = 1 }, data, o.DedicatedThread); // warm-up: native library loading, first allocations
            // the same for the actor side: its code paths and a node's start-up code run once and are tiered up by the JIT
            // before the rounds (without it the first rounds' actor runs pay ~0.5-1 s of background JIT each)
            var full = TrainingManifest.Load(manifestPath);
            string warmUpManifest = Path.Combine(root, "manifest-warmup.json");
            TrainingManifest.Create(full.Labels, RecipeFor(o with { Epochs = 1 }, o.Threads), full.Train, full.Validation).Save(warmUpManifest);
            ActorRun(o with { Epochs = 1 }, root, warmUpManifest, store, 0);
            var plain = new List<Throughput>();
            var actor = new List<RunResult>();
            var bare = new List<Throughput>();
            for (int round = 1; round <= o.Rounds; round++)
            {
                // alternate the order so neither side always runs first
                if (round % 2 == 1)
                {
                    plain.Add(PlainLoop(o, data, o.DedicatedThread));
                    bare.Add(ReplicaLoop(o, manifestPath, data));
                    actor.Add(ActorRun(o, root, manifestPath, store, round));
                }
                else
                {
                    actor.Add(ActorRun(o, root, manifestPath, store, round));
                    bare.Add(ReplicaLoop(o, manifestPath, data));
                    plain.Add(PlainLoop(o, data, o.DedicatedThread));
                }
                if (o.Stages)
                {
                    output.WriteLine($"  plain loop thread: {plain[^1].Stages}");
                    output.WriteLine($"  trainer actor thread: {actor[^1].Rate.Stages}");
                }
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"round {round}: plain loop {plain[^1].Wall:F1} samples/s ({plain[^1].Cpu:F1} per CPU-s), " +
                    $"trainer actor {actor[^1].Rate.Wall:F1} samples/s ({actor[^1].Rate.Cpu:F1} per CPU-s); ratio {actor[^1].Rate.Wall / plain[^1].Wall:F3} wall, {actor[^1].Rate.Cpu / plain[^1].Cpu:F3} CPU, " +
                    $"{actor[^1].Rate.ThreadCpu / plain[^1].ThreadCpu:F3} training-thread CPU"));
            }
            var plainWall = plain.Select(p => p.Wall).ToList();
            var plainCpu = plain.Select(p => p.Cpu).ToList();
            var actorWall = actor.Select(a => a.Rate.Wall).ToList();
            var actorCpu = actor.Select(a => a.Rate.Cpu).ToList();
            output.WriteLine();
            output.WriteLine("| configuration | samples/s (median of runs) | samples per CPU-second (median) | runs, samples/s | all-reduce per step (coordinator) |");
            output.WriteLine("|---|---:|---:|---|---|");
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| plain Trainer loop ({(o.DedicatedThread ? "dedicated thread" : "main thread")}), {o.Threads} torch thread(s) | {Median(plainWall):F1} | {Median(plainCpu):F1} | {Join(plainWall)} | - |"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| DataParallelReplica.TrainAlone loop, no actors (the actor's arithmetic), {o.Threads} torch thread(s) | {Median(bare.Select(b => b.Wall).ToList()):F1} | {Median(bare.Select(b => b.Cpu).ToList()):F1} | {Join(bare.Select(b => b.Wall))} | - |"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| TrainerActor alone (1-node cluster, pinned dispatcher), {o.Threads} torch thread(s) | {Median(actorWall):F1} | {Median(actorCpu):F1} | {Join(actorWall)} | none (one replica: gradients applied in place) |"));
            if (o.Replicas)
            {
                var two = ReplicaRun(o, root, manifestPath, store);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| 2 replicas, 2 actor systems over loopback, 1 torch thread each | {two.Rate.Wall:F1} | {two.Rate.Cpu:F1} | 1 run | {two.MeanBytes / 1024.0:F0} kB sent + received, {two.MeanReduceMs:F1} ms mean (median {two.MedianReduceMs:F1}) |"));
            }
            output.WriteLine();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"idle one-node trainer cluster (no training): {IdleNodeCpuPercent(o, root, store):F1}% of one core"));
            var pairedWall = plain.Zip(actor, (p, a) => a.Rate.Wall / p.Wall).ToList();
            var pairedCpu = plain.Zip(actor, (p, a) => a.Rate.Cpu / p.Cpu).ToList();
            var pairedThread = plain.Zip(actor, (p, a) => a.Rate.ThreadCpu / p.ThreadCpu).ToList();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ratio trainer actor / plain loop, wall clock: {Median(actorWall) / Median(plainWall):F3} (medians); per round {Join(pairedWall, "F3")}, median {Median(pairedWall):F3}"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ratio trainer actor / plain loop, per CPU-second: {Median(actorCpu) / Median(plainCpu):F3} (medians); per round {Join(pairedCpu, "F3")}, median {Median(pairedCpu):F3}"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ratio trainer actor / plain loop, per CPU-second of the training thread alone: {Median(actor.Select(a => a.Rate.ThreadCpu).ToList()) / Median(plain.Select(p => p.ThreadCpu).ToList()):F3} (medians); per round {Join(pairedThread, "F3")}, median {Median(pairedThread):F3}"));
            return 0;
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static (string Manifest, DirectoryFeatureStore Store, TrainingData Data) WriteData(Options o, string root, int examples)
    {
        var cnn = new CnnSettings();
        var store = new DirectoryFeatureStore(Path.Combine(root, "features"));
        var random = new Random(0);
        var list = new List<ManifestExample>();
        for (int i = 0; i < examples; i++)
        {
            var values = new float[cnn.InputBins * cnn.InputFrames];
            for (int j = 0; j < values.Length; j++) values[j] = (float)(random.NextDouble() * 2 - 1);
            var key = new FeatureKey(FeatureKey.HashContent(BitConverter.GetBytes(i)), "00000000be0c0000");
            store.Put(key, new Spectrogram(values, cnn.InputBins, cnn.InputFrames));
            list.Add(new ManifestExample($"clip{i}", key.ContentHash, key.SettingsHash, i % cnn.Classes));
        }
        var manifest = TrainingManifest.Create(Enumerable.Range(0, cnn.Classes).Select(c => $"class{c}").ToArray(), RecipeFor(o, o.Threads), list.ToArray(), []);
        string path = Path.Combine(root, "manifest.json");
        manifest.Save(path);
        return (path, store, TrainingData.Load(manifest, store));
    }

    /// <summary>
    /// The benchmark's recipe: the default CNN and optimizer on the stored features as they are (no standardization,
    /// speaker normalization or augmentation, no early stopping or BatchNorm recalibration), so both sides do the same steps.
    /// </summary>
    private static Recipe RecipeFor(Options o, int threads)
    {
        var recipe = new Recipe();
        return recipe with
        {
            Input = recipe.Input with { Frames = new CnnSettings().InputFrames, Standardize = false, SpeakerNorm = SpeakerNormalization.None },
            Augmentation = recipe.Augmentation with { Enabled = false },
            Training = recipe.Training with
            {
                Epochs = o.Epochs, BatchSize = o.BatchSize, Threads = threads, EarlyStoppingPatience = 0, PreciseBatchNorm = false,
            },
        };
    }

    private static TrainerOptions TrainerOptionsFor(Options o, string manifest, string checkpoints, int threads) => new()
    {
        Manifest = manifest, CheckpointDirectory = checkpoints, Threads = threads,
        StepTimeout = TimeSpan.FromMinutes(2), StartTimeout = TimeSpan.FromMinutes(1),
    };

    /// <summary>
    /// <see cref="PlainLoop(Options, TrainingData)"/> on a new dedicated thread (like the actor's pinned thread) or on
    /// the calling (main) thread.
    /// </summary>
    private static Throughput PlainLoop(Options o, TrainingData data, bool dedicatedThread)
    {
        if (!dedicatedThread) return PlainLoop(o, data);
        Throughput result = new(0, 0);
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try { result = PlainLoop(o, data); }
            catch (Exception e) { error = e; }
        }) { Name = "plain-trainer" };
        thread.Start();
        thread.Join();
        return error is null ? result : throw new InvalidOperationException($"plain loop failed: {error.Message}", error);
    }

    /// <summary>The same steps as the actor (same batches, class weights, schedule) with the plain Trainer API.</summary>
    private static Throughput PlainLoop(Options o, TrainingData data)
    {
        var recipe = RecipeFor(o, o.Threads);
        var settings = recipe.Training;
        var cnn = recipe.CnnFor(data.Labels.Length);
        using var trainer = new Trainer(cnn, settings);
        trainer.SetClassWeights(ClassWeights.Balanced(data.TrainY, cnn.Classes));
        var plan = new DataParallelStep(data.TrainX.Length, o.BatchSize, settings.Seed);
        var schedule = new LearningRateSchedule(settings, plan.StepsPerEpoch);
        long samples = 0;
        var stages = new StageTimes();
        var cpu = CpuTime();
        var clock = Stopwatch.StartNew();
        var usage = ThreadUsage.Now();
        for (long s = 1; s <= plan.TotalSteps(o.Epochs); s++)
        {
            int[] batch;
            Spectrogram[] xs;
            int[] ys;
            using (stages.Measure("batch"))
            {
                batch = plan.GlobalBatch(s);
                xs = batch.Select(i => data.TrainX[i]).ToArray();
                ys = batch.Select(i => data.TrainY[i]).ToArray();
            }
            trainer.LearningRate = schedule.Current;
            using (stages.Measure("gradients")) trainer.ComputeGradients(xs, ys);
            using (stages.Measure("adamw")) trainer.ApplyGradients();
            schedule.AfterStep();
            samples += batch.Length;
        }
        var used = ThreadUsage.Now() - usage;
        string detail = string.Create(CultureInfo.InvariantCulture,
            $"thread wall_ms={clock.Elapsed.TotalMilliseconds:F1} cpu_ms={used.Cpu.TotalMilliseconds:F1} sys_ms={used.Kernel.TotalMilliseconds:F1} faults={used.MinorFaults}; ") + stages.Summary();
        return new Throughput(samples / clock.Elapsed.TotalSeconds, samples / (CpuTime() - cpu).TotalSeconds, samples / used.Cpu.TotalSeconds, detail);
    }

    /// <summary>CPU used by an idle one-node trainer cluster (no manifest): Akka's scheduler, remoting, cluster gossip.</summary>
    private static double IdleNodeCpuPercent(Options o, string root, DirectoryFeatureStore store)
    {
        var node = new NodeSettings { Port = FreePort(), Roles = [ClusterRoles.Trainer], FeatureStorePath = store.Root };
        using var host = TrainingNode.StartAsync(node, TrainerOptionsFor(o, "", Path.Combine(root, "ckpt-idle"), o.Threads), _ => { })
            .GetAwaiter().GetResult();
        Thread.Sleep(2000); // joined and settled
        var cpu = CpuTime();
        var clock = Stopwatch.StartNew();
        Thread.Sleep(4000);
        double percent = 100 * (CpuTime() - cpu).TotalSeconds / clock.Elapsed.TotalSeconds;
        host.StopAsync().GetAwaiter().GetResult();
        return percent;
    }

    /// <summary>The actor's arithmetic without the actor: <see cref="DataParallelReplica.TrainAlone"/> (1 replica).</summary>
    private static Throughput ReplicaLoop(Options o, string manifest, TrainingData data)
    {
        Throughput result = new(0, 0);
        var thread = new Thread(() =>
        {
            using var replica = new DataParallelReplica("bench", data with { Recipe = RecipeFor(o, o.Threads) });
            var cpu = CpuTime();
            var clock = Stopwatch.StartNew();
            long samples = 0;
            var usage = ThreadUsage.Now();
            for (long s = 1; s <= replica.TotalSteps; s++) samples += replica.TrainAlone(s).Samples;
            var used = ThreadUsage.Now() - usage;
            result = new Throughput(samples / clock.Elapsed.TotalSeconds, samples / (CpuTime() - cpu).TotalSeconds, samples / used.Cpu.TotalSeconds);
        }) { Name = "replica-loop" };
        thread.Start();
        thread.Join();
        return result;
    }

    /// <summary>
    /// Examples per second of wall-clock time, per second of this process's CPU time (all threads) and per second of
    /// the training thread's own CPU time (the plain loop's thread, the actor's pinned thread), with that thread's stage
    /// times (<see cref="StageTimes"/>).
    /// </summary>
    private sealed record Throughput(double Wall, double Cpu, double ThreadCpu = double.NaN, string Stages = "");

    private static TimeSpan CpuTime()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    private sealed record RunResult(Throughput Rate, double MeanReduceMs, double MedianReduceMs, double MeanBytes);

    private static RunResult ActorRun(Options o, string root, string manifest, DirectoryFeatureStore store, int round)
    {
        var lines = new Lines();
        var node = new NodeSettings { Port = FreePort(), Roles = [ClusterRoles.Trainer], FeatureStorePath = store.Root };
        using var host = TrainingNode.StartAsync(node, TrainerOptionsFor(o, manifest, Path.Combine(root, $"ckpt-actor-{round}"), o.Threads), lines.Add)
            .GetAwaiter().GetResult();
        var result = lines.Measure(o.Examples * o.Epochs);
        host.StopAsync().GetAwaiter().GetResult();
        return result;
    }

    private static RunResult ReplicaRun(Options o, string root, string manifest, DirectoryFeatureStore store)
    {
        var first = new Lines();
        var second = new Lines();
        int port = FreePort();
        var a = new NodeSettings { Port = port, Roles = [ClusterRoles.Trainer], FeatureStorePath = store.Root };
        var b = new NodeSettings { Port = FreePort(), Roles = [ClusterRoles.Trainer], FeatureStorePath = store.Root, SeedNodes = [$"akka.tcp://emotioncluster@127.0.0.1:{port}"] };
        TrainerOptions Opt(string name)
        {
            var t = TrainerOptionsFor(o, manifest, Path.Combine(root, name), threads: 1);
            t.MinReplicas = 2;
            return t;
        }
        using var hostA = TrainingNode.StartAsync(a, Opt("ckpt-a"), first.Add).GetAwaiter().GetResult();
        using var hostB = TrainingNode.StartAsync(b, Opt("ckpt-b"), second.Add).GetAwaiter().GetResult();
        var result = first.Measure(o.Examples * o.Epochs);
        second.WaitFor("training finished", TimeSpan.FromMinutes(1));
        string sumA = Field(first.Find("training finished")!, "checksum"), sumB = Field(second.Find("training finished")!, "checksum");
        if (sumA != sumB) throw new InvalidOperationException($"replicas ended with different weights ({sumA} vs {sumB})");
        hostB.StopAsync().GetAwaiter().GetResult();
        hostA.StopAsync().GetAwaiter().GetResult();
        return result;
    }

    /// <summary>The trainer's output lines with their arrival times.</summary>
    private sealed class Lines
    {
        private readonly ConcurrentQueue<(TimeSpan At, TimeSpan Cpu, string Line)> _lines = new();
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        private Dictionary<string, long>? _startThreads, _endThreads;

        public void Add(string line)
        {
            if (line.StartsWith("starting at step", StringComparison.Ordinal)) _startThreads = ThreadTicks();
            if (line.StartsWith("training finished", StringComparison.Ordinal)) _endThreads = ThreadTicks();
            _lines.Enqueue((_clock.Elapsed, IsMark(line) ? CpuTime() : TimeSpan.Zero, line));
        }

        private static bool IsMark(string line) =>
            line.StartsWith("starting at step", StringComparison.Ordinal) || line.StartsWith("training finished", StringComparison.Ordinal);

        public string? Find(string prefix) => _lines.FirstOrDefault(l => l.Line.StartsWith(prefix, StringComparison.Ordinal)).Line;

        public (TimeSpan At, TimeSpan Cpu) WaitFor(string prefix, TimeSpan timeout)
        {
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < timeout)
            {
                foreach (var (at, cpu, line) in _lines)
                {
                    if (line.StartsWith(prefix, StringComparison.Ordinal)) return (at, cpu);
                    if (line.StartsWith("training failed", StringComparison.Ordinal)) throw new InvalidOperationException(line);
                }
                Thread.Sleep(20);
            }
            throw new TimeoutException($"no '{prefix}' line within {timeout}; last lines:\n{string.Join('\n', _lines.TakeLast(20).Select(l => l.Line))}");
        }

        /// <summary>Samples/s from "starting at step" to "training finished", and the coordinator's all-reduce figures.</summary>
        public RunResult Measure(long samples)
        {
            var start = WaitFor("starting at step", TimeSpan.FromMinutes(2));
            var end = WaitFor("training finished", TimeSpan.FromMinutes(10));
            var steps = _lines.Where(l => l.Line.StartsWith("step ", StringComparison.Ordinal)).Select(l => l.Line).ToList();
            var reduce = steps.Select(l => double.Parse(Field(l, "allreduce_ms"), CultureInfo.InvariantCulture)).ToList();
            var bytes = steps.Select(l => double.Parse(Field(l, "bytes"), CultureInfo.InvariantCulture)).ToList();
            // the coordinator's "stage times thread wall_ms=… cpu_ms=…" line: its pinned thread's CPU from the first step to the last
            string stages = Find("stage times ") is { } st ? st["stage times ".Length..] : "";
            double threadCpuMs = stages.Length > 0 ? double.Parse(Field(stages, "cpu_ms").TrimEnd(';'), CultureInfo.InvariantCulture) : double.NaN;
            return new RunResult(new Throughput(samples / (end.At - start.At).TotalSeconds, samples / (end.Cpu - start.Cpu).TotalSeconds,
                    samples / (threadCpuMs / 1000), stages + "\n  process threads during the actor run (CPU): " + ThreadDelta(_startThreads, _endThreads)),
                reduce.Average(), Median(reduce), bytes.Average());
        }
    }

    /// <summary>utime+stime ticks (10 ms) per thread of this process, keyed by "tid:name" (/proc/self/task/*/stat).</summary>
    internal static Dictionary<string, long> ThreadTicks()
    {
        var result = new Dictionary<string, long>();
        foreach (var dir in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                int close = stat.LastIndexOf(')');
                string name = stat[(stat.IndexOf('(') + 1)..close];
                var f = stat[(close + 2)..].Split(' ');
                result[Path.GetFileName(dir) + ":" + name] = long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture);
            }
            catch (IOException) { }
        }
        return result;
    }

    /// <summary>CPU per thread between two <see cref="ThreadTicks"/> snapshots, largest first.</summary>
    internal static string ThreadDelta(Dictionary<string, long>? a, Dictionary<string, long>? b)
    {
        if (a is null || b is null) return "";
        return string.Join(", ", b.Select(kv => (kv.Key, Ticks: kv.Value - a.GetValueOrDefault(kv.Key))).Where(t => t.Ticks > 0)
            .OrderByDescending(t => t.Ticks).Select(t => $"{t.Key}={t.Ticks * 10}ms"));
    }

    private static string Field(string line, string key)
    {
        int i = line.IndexOf(key + "=", StringComparison.Ordinal);
        if (i < 0) throw new FormatException($"no '{key}=' in: {line}");
        int start = i + key.Length + 1, end = line.IndexOf(' ', start);
        return end < 0 ? line[start..] : line[start..end];
    }

    private static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Join(IEnumerable<double> values, string format = "F1") =>
        string.Join(", ", values.Select(v => v.ToString(format, CultureInfo.InvariantCulture)));

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
