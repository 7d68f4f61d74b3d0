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
