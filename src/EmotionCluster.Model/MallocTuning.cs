using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EmotionCluster.Model;

/// <summary>
/// Keeps glibc's allocator from handing libtorch's large activation buffers back to the kernel after every operation.
/// <para>
/// Why: a training step allocates and frees tens of megabytes of activations per layer. With glibc's defaults the
/// freed memory at the top of the heap is trimmed (and big blocks are mmapped and unmapped), so every step faults
/// fresh zeroed pages in again: on the build machine a third of a training run's CPU time was kernel time. Measured
/// with <c>bench training</c> (batch 16, 1 thread, 20 steps, under load): 27.6 samples per CPU-second with the
/// defaults, 62 with these settings (kernel time 9.7 s → 2.2 s); PyTorch 1.13 gains the same way with the same
/// settings through the environment (docs/training-throughput.md).
/// </para>
/// <para>
/// What: <c>mallopt</c> at assembly load: <c>M_MMAP_THRESHOLD</c> 32 MiB (glibc's largest; blocks below it come from
/// the heap), <c>M_TRIM_THRESHOLD</c> 2 GiB and <c>M_TOP_PAD</c> 256 MiB (the heap keeps freed memory for the next
/// step; resident memory stays at the run's peak, flat from step to step, instead of rising and falling), and
/// <c>M_ARENA_MAX</c> 1: no new heap (arena) for a new thread, so a thread that starts training (the trainer actor's
/// pinned thread, a new node's) reuses memory earlier work already faulted in instead of faulting in a fresh arena of
/// its own (~190 MB per run; trainer actor / plain loop 0.963–0.966 with it, 0.905–0.930 without,
/// docs/trainer-benchmark.md). It cannot make all threads share one heap: the .NET runtime's threads have made
/// several arenas before this runs (nine in a small program here, <c>malloc_stats</c>), and new threads take those
/// in turn, so a thread's first big pass can still fault in memory (streaming warms its inference threads up for that:
/// StreamingModel.WarmUpThread). The <c>MALLOC_ARENA_MAX</c> environment variable, read before the runtime starts, does
/// make it one. Not applied
/// when any <c>MALLOC_*_</c> tunable is in the environment (the user chose) or <c>EMOTIONCLUSTER_MALLOC_TUNING=off</c>;
/// a C library without <c>mallopt</c> (not glibc) is left alone.
/// </para>
/// </summary>
public static class MallocTuning
{
    public const string SwitchVariable = "EMOTIONCLUSTER_MALLOC_TUNING";
    public const int MmapThreshold = 32 << 20;
    public const int TrimThreshold = int.MaxValue;
    public const int TopPad = 256 << 20;
    public const int ArenaMax = 1;

    // glibc's own names (malloc.h)
#pragma warning disable IDE1006
    private const int M_TRIM_THRESHOLD = -1, M_TOP_PAD = -2, M_MMAP_THRESHOLD = -3, M_ARENA_MAX = -8;
#pragma warning restore IDE1006

    /// <summary>glibc's environment tunables for the same settings: any of them set means the user chose.</summary>
    public static readonly string[] EnvironmentVariables = ["MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_", "MALLOC_ARENA_MAX"];

    /// <summary>These settings as glibc environment tunables, for a child process (e.g. a reference benchmark).</summary>
    public static IReadOnlyDictionary<string, string> AsEnvironment() => new Dictionary<string, string>
    {
        ["MALLOC_MMAP_THRESHOLD_"] = MmapThreshold.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["MALLOC_TRIM_THRESHOLD_"] = TrimThreshold.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["MALLOC_TOP_PAD_"] = TopPad.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["MALLOC_ARENA_MAX"] = ArenaMax.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>Whether the settings above are in effect in this process.</summary>
    public static bool Applied { get; private set; }

    /// <summary>Why they are not (null when applied).</summary>
    public static string? NotAppliedReason { get; private set; }

#pragma warning disable CA2255 // runs before the first tensor is allocated through this library
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Apply()
    {
        if (!OperatingSystem.IsLinux()) { NotAppliedReason = "not Linux"; return; }
        if (string.Equals(Environment.GetEnvironmentVariable(SwitchVariable), "off", StringComparison.OrdinalIgnoreCase))
        {
            NotAppliedReason = $"{SwitchVariable}=off";
            return;
        }
        foreach (string name in EnvironmentVariables)
            if (Environment.GetEnvironmentVariable(name) is not null)
            {
                NotAppliedReason = $"{name} is set in the environment";
                return;
            }
        try
        {
            bool ok = mallopt(M_MMAP_THRESHOLD, MmapThreshold) == 1 & mallopt(M_TRIM_THRESHOLD, TrimThreshold) == 1 & mallopt(M_TOP_PAD, TopPad) == 1
                      & mallopt(M_ARENA_MAX, ArenaMax) == 1;
            Applied = ok;
            NotAppliedReason = ok ? null : "mallopt refused a setting";
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            NotAppliedReason = "the C library has no mallopt";
        }
    }

    [DllImport("libc")]
    private static extern int mallopt(int param, int value);
}
