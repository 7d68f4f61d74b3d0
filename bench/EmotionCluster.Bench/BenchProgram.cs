namespace EmotionCluster.Bench;

/// <summary>Entry point: <c>EmotionCluster.Bench &lt;benchmark&gt; [options]</c>. Results go to docs/benchmarks.md by hand.</summary>
public static class BenchProgram
{
    public const string Usage = """
        EmotionCluster.Bench: throughput benchmarks (record results in docs/benchmarks.md).

        Usage:
          dotnet run -c Release --project bench/EmotionCluster.Bench -- <benchmark> [options]

        Benchmarks:
          mel     Log-mel spectrograms of EMO-DB clips: our LogMelExtractor vs torchaudio 0.13 (run in the same
                  invocation through /usr/bin/python3 tools/reference/bench_torchaudio_mel.py) vs NWaves'
                  FilterbankExtractor, with the same clips and settings, at each thread count.
          training Training steps of our loop (TrainingBenchmark: Trainer.ComputeGradients + ApplyGradients) vs
                  the same CNN in PyTorch 1.13 (/usr/bin/python3 tools/reference/bench_pytorch_cnn.py, a child
                  process), same batch size and intra-op threads, alternating rounds; samples/s and per CPU-second
                  (--threads LIST (1,2) --batch LIST (16,32) --steps N (30) --rounds N (3) --python PATH;
                  PyTorch gets our allocator settings and oneDNN cap, --pytorch-native-isa leaves its oneDNN
                  uncapped; docs/training-throughput.md).
          trainer Training samples/s of the plain Trainer loop vs the TrainerActor alone (alternating rounds),
                  then 2 data-parallel replicas over loopback with the all-reduce overhead per step
                  (--examples N (64) --batch N (16) --epochs N (2) --rounds N (5) --threads N (1) --no-replicas
                  --plain-on-main-thread; docs/trainer-benchmark.md).

          cluster Feature extraction of all EMO-DB clips: direct in-process loop vs a 1-node cluster in-process vs
                  2 and 3 extractor node processes on loopback (build src/EmotionCluster.Node in the same
                  configuration first); options: --rounds N --nodes 2,3 --max-in-flight N (docs/cluster-benchmark.md).

          stream  Live streaming load (docs/streaming.md): starts a node (src/EmotionCluster.Node build of the same
                  configuration) with a default-size model and runs N concurrent real-time 16 kHz streams against it
                  from this process over loopback; prints p50/p99 hop latency and the node's CPU use per level.

        Options (stream):
          --streams LIST   concurrent stream counts, comma separated (default 1,10,50,100,200)
          --seconds S      audio per stream and level (default 20)
          --warmup S       first seconds of each level left out of the latencies (default 4: all streams start within
                           half a second, so their first windows, due at 3 s with the default model, come together;
                           their latencies are reported in the first-window columns instead)
          --model FILE     model file (default: the default architecture, trained one epoch on noise)
          --node URL       use a running node instead of starting one (node CPU is then not measured)
          --profile        only time the stages of one window in this process (features; model at batch 1..64)
          --torch-threads N  torch intra-op threads of the node (EmotionCluster:Streaming:TorchThreads; default 1)
          --runtime LIST   torch, onnx or torch,onnx: each runtime's node in turn (the model's .ecm for torch, its ONNX
                           export for onnx), one table each with the node's RSS; with both, first the model time per
                           window of each runtime in this process at batch 1 and 16 (docs/onnx.md)
          --gate LIST      stream, window or stream,window: the node gates each stream once as it arrives (stream, a
                           node's default) or each window on its own (window, EmotionCluster:Streaming:GateEachWindow);
                           with both, a node of each in turn, one table each
          --no-noise-reduction  the default model's feature settings without spectral gating (a training-time choice)
          --timeline       also print each level's latency per second of the run (windows, p50, p99, max, the load
                           generator's longest wake-up delay) and the node's mean waits, on standard error

        Options (mel):
          --threads LIST   thread counts, comma separated (default 1,2)
          --clips N        clips to use, spread evenly over the sorted EMO-DB file list (default 200; 'all' = 535)
          --repeat N       timed passes over the clips per row; the median pass is reported (default 5)
          --settings FILE  MelSettings as JSON (property names, enums as strings); default: MelSettings defaults
          --python PATH    Python with torch 1.13 + torchaudio 0.13 (default /usr/bin/python3)
          --no-python      skip torchaudio
          --no-nwaves      skip NWaves
          -h, --help       this text

        EMO-DB is found at $EMOTIONCLUSTER_DATASETS/emodb/wav, else ../shared/datasets/emodb/wav beside the repository.
        """;

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            output.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        try
        {
            if (args.Skip(1).Any(a => a is "-h" or "--help"))
            {
                output.WriteLine(Usage);
                return 0;
            }
            return args[0] switch
            {
                "mel" => MelBenchmark.Run(MelBenchmark.Options.Parse(args[1..]), output),
                "stream" => StreamBenchmark.Run(StreamBenchmark.Options.Parse(args[1..]), output),
                "cluster" => ClusterBenchmark.Run(ClusterBenchmark.Options.Parse(args[1..]), output),
                "training" => TrainingThroughputBenchmark.Run(TrainingThroughputBenchmark.Options.Parse(args[1..]), output),
                "trainer" => TrainerBenchmark.Run(TrainerBenchmark.Options.Parse(args[1..]), output),
                _ => throw new BenchUsageException($"unknown benchmark '{args[0]}'"),
            };
        }
        catch (BenchUsageException e)
        {
            error.WriteLine($"error: {e.Message}");
            error.WriteLine("run with --help for usage");
            return 2;
        }
    }
}

/// <summary>Bad command line or missing data; the message says what to change.</summary>
public sealed class BenchUsageException(string message) : Exception(message);
