using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace EmotionCluster.Training;

/// <summary>CPU time (user, kernel) and minor page faults of the calling thread so far (Linux <c>getrusage(RUSAGE_THREAD)</c>; zeros elsewhere).</summary>
public readonly record struct ThreadUsage(TimeSpan User, TimeSpan Kernel, long MinorFaults)
{
    public TimeSpan Cpu => User + Kernel;

    public static ThreadUsage Now()
    {
        if (!OperatingSystem.IsLinux()) return default;
        try
        {
            if (getrusage(RusageThread, out var u) != 0) return default;
            return new ThreadUsage(ToTimeSpan(u.UserSeconds, u.UserMicroseconds), ToTimeSpan(u.SystemSeconds, u.SystemMicroseconds), u.MinorFaults);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return default;
        }
    }

    public static ThreadUsage operator -(ThreadUsage a, ThreadUsage b) => new(a.User - b.User, a.Kernel - b.Kernel, a.MinorFaults - b.MinorFaults);

    private static TimeSpan ToTimeSpan(long seconds, long microseconds) => TimeSpan.FromTicks(seconds * TimeSpan.TicksPerSecond + microseconds * 10);

    private const int RusageThread = 1;

    [StructLayout(LayoutKind.Sequential)]
    private struct Rusage
    {
        public long UserSeconds, UserMicroseconds, SystemSeconds, SystemMicroseconds;
        public long MaxRss, Ixrss, Idrss, Isrss, MinorFaults, MajorFaults, Swaps, InBlocks, OutBlocks, MsgSent, MsgReceived, Signals, VoluntarySwitches, InvoluntarySwitches;
    }

    [DllImport("libc", SetLastError = false)]
    private static extern int getrusage(int who, out Rusage usage);
}

/// <summary>
/// Per-stage totals of one thread's work (wall time, thread CPU time, minor page faults), to see where a training step's
/// time goes. Not thread-safe: one instance per thread. <see cref="Measure"/> costs one <c>getrusage</c> call and one
/// timestamp at each end.
/// </summary>
public sealed class StageTimes
{
    private readonly Dictionary<string, Totals> totals = new(StringComparer.Ordinal);
    private readonly List<string> order = [];

    private sealed class Totals
    {
        public long Count;
        public TimeSpan Wall, User, Kernel;
        public long MinorFaults;
    }

    public readonly struct Scope : IDisposable
    {
        private readonly StageTimes? owner;
        private readonly string stage;
        private readonly long started;
        private readonly ThreadUsage usage;

        internal Scope(StageTimes owner, string stage)
        {
            this.owner = owner;
            this.stage = stage;
            usage = ThreadUsage.Now();
            started = Stopwatch.GetTimestamp();
        }

        public void Dispose() => owner?.Add(stage, Stopwatch.GetElapsedTime(started), ThreadUsage.Now() - usage);
    }

    /// <summary>Times the work until the returned scope is disposed, under <paramref name="stage"/>.</summary>
    public Scope Measure(string stage) => new(this, stage);

    public void Add(string stage, TimeSpan wall, ThreadUsage usage)
    {
        if (!totals.TryGetValue(stage, out var t))
        {
            totals[stage] = t = new Totals();
            order.Add(stage);
        }
        t.Count++;
        t.Wall += wall;
        t.User += usage.User;
        t.Kernel += usage.Kernel;
        t.MinorFaults += usage.MinorFaults;
    }

    /// <summary>Thread CPU seconds of <paramref name="stage"/> so far (0 if never measured).</summary>
    public double CpuSeconds(string stage) => totals.TryGetValue(stage, out var t) ? (t.User + t.Kernel).TotalSeconds : 0;

    public IReadOnlyList<string> Stages => order;

    public void Reset()
    {
        totals.Clear();
        order.Clear();
    }

    /// <summary>One line: per stage "name n=… wall_ms=… cpu_ms=… (sys …) faults=…", totals in milliseconds.</summary>
    public string Summary()
    {
        var sb = new StringBuilder();
        foreach (string stage in order)
        {
            var t = totals[stage];
            if (sb.Length > 0) sb.Append("; ");
            sb.Append(CultureInfo.InvariantCulture,
                $"{stage} n={t.Count} wall_ms={t.Wall.TotalMilliseconds:F1} cpu_ms={(t.User + t.Kernel).TotalMilliseconds:F1} sys_ms={t.Kernel.TotalMilliseconds:F1} faults={t.MinorFaults}");
        }
        return sb.ToString();
    }
}
