using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace EmotionCluster.TrainingActors;

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
    private readonly Dictionary<string, Totals> _totals = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    private sealed class Totals
    {
        public long Count;
        public TimeSpan Wall, User, Kernel;
        public long MinorFaults;
    }

    public readonly struct Scope : IDisposable
    {
        private readonly StageTimes? _owner;
        private readonly string _stage;
        private readonly long _started;
        private readonly ThreadUsage _usage;

        internal Scope(StageTimes owner, string stage)
        {
            _owner = owner;
            _stage = stage;
            _usage = ThreadUsage.Now();
            _started = Stopwatch.GetTimestamp();
        }

        public void Dispose() => _owner?.Add(_stage, Stopwatch.GetElapsedTime(_started), ThreadUsage.Now() - _usage);
    }

    /// <summary>Times the work until the returned scope is disposed, under <paramref name="stage"/>.</summary>
    public Scope Measure(string stage) => new(this, stage);

    public void Add(string stage, TimeSpan wall, ThreadUsage usage)
    {
        if (!_totals.TryGetValue(stage, out var t))
        {
            _totals[stage] = t = new Totals();
            _order.Add(stage);
        }
        t.Count++;
        t.Wall += wall;
        t.User += usage.User;
        t.Kernel += usage.Kernel;
        t.MinorFaults += usage.MinorFaults;
    }

    /// <summary>Thread CPU seconds of <paramref name="stage"/> so far (0 if never measured).</summary>
    public double CpuSeconds(string stage) => _totals.TryGetValue(stage, out var t) ? (t.User + t.Kernel).TotalSeconds : 0;

    public IReadOnlyList<string> Stages => _order;

    public void Reset()
    {
        _totals.Clear();
        _order.Clear();
    }

    /// <summary>One line: per stage "name n=… wall_ms=… cpu_ms=… (sys …) faults=…", totals in milliseconds.</summary>
    public string Summary()
    {
        var sb = new StringBuilder();
        foreach (string stage in _order)
        {
            var t = _totals[stage];
            if (sb.Length > 0) sb.Append("; ");
            sb.Append(CultureInfo.InvariantCulture,
                $"{stage} n={t.Count} wall_ms={t.Wall.TotalMilliseconds:F1} cpu_ms={(t.User + t.Kernel).TotalMilliseconds:F1} sys_ms={t.Kernel.TotalMilliseconds:F1} faults={t.MinorFaults}");
        }
        return sb.ToString();
    }
}
