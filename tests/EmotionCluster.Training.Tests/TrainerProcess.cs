using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using EmotionCluster.Testing;

namespace EmotionCluster.Training.Tests;

/// <summary>A trainer node (tests/EmotionCluster.Training.TestHost) as its own OS process on loopback, output captured.</summary>
public sealed class TrainerProcess : IDisposable
{
    private readonly Process process;
    private readonly ConcurrentQueue<string> lines = new();
    private readonly List<Action<string>> watchers = new();

    public string Name { get; }
    public int Port { get; }
    public string Address => $"akka.tcp://emotioncluster@127.0.0.1:{Port}";
    public IReadOnlyCollection<string> Lines => lines;
    public string Output => string.Join('\n', lines);

    private TrainerProcess(string name, int port, Process process)
    {
        Name = name;
        Port = port;
        this.process = process;
    }

    public static string HostDll => BuildOutput.Require(Path.Combine("tests", "EmotionCluster.Training.TestHost"), "EmotionCluster.Training.TestHost.dll");

    /// <summary>Starts a trainer; <paramref name="settings"/> are configuration keys below EmotionCluster (e.g. "Training:Epochs").</summary>
    public static TrainerProcess Start(string name, int port, string? seed, IReadOnlyDictionary<string, string> settings)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(HostDll)!,
        };
        psi.ArgumentList.Add(HostDll);
        var all = new Dictionary<string, string>
        {
            ["Node:Port"] = port.ToString(CultureInfo.InvariantCulture),
            ["Node:Roles:0"] = "trainer",
            ["Node:SplitBrainStableAfter"] = "00:00:03",
            ["Node:AcceptableHeartbeatPause"] = "00:00:02",
        };
        foreach (var (k, v) in settings) all[k] = v;
        if (seed is not null) all["Node:SeedNodes:0"] = seed;
        foreach (var (k, v) in all) psi.ArgumentList.Add($"--EmotionCluster:{k}={v}");
        psi.Environment["DOTNET_gcServer"] = "0";
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var node = new TrainerProcess(name, port, process);
        void OnLine(string? line)
        {
            if (line is null) return;
            node.lines.Enqueue(line);
            lock (node.watchers) foreach (var w in node.watchers) w(line);
        }
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        if (!process.Start()) throw new InvalidOperationException($"could not start {name}");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    /// <summary>The first output line (past or future) that satisfies <paramref name="match"/>.</summary>
    public async Task<string> WaitForLine(Func<string, bool> match, TimeSpan timeout)
    {
        var tcs = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (watchers)
        {
            string? seen = lines.FirstOrDefault(match);
            if (seen is not null) return seen;
            watchers.Add(l => { if (match(l)) tcs.TrySetResult(l); });
        }
        await Task.WhenAny(tcs.Task, Task.Delay(timeout), process.WaitForExitAsync());
        if (tcs.Task.IsCompleted) return await tcs.Task;
        throw new TimeoutException($"{Name}: no matching line within {timeout} (exited: {process.HasExited}). Output (last 60 lines):\n{string.Join('\n', lines.TakeLast(60))}");
    }

    /// <summary>SIGKILL: dies at once, without leaving the cluster.</summary>
    public void Kill()
    {
        if (process.HasExited) return;
        process.Kill(entireProcessTree: true);
        process.WaitForExit(10_000);
    }

    /// <summary>SIGSTOP / SIGCONT: the process freezes (a stalled replica) and goes on.</summary>
    public void Pause() => Signal("STOP");

    public void Resume() => Signal("CONT");

    private void Signal(string name)
    {
        if (!process.HasExited) Process.Start("kill", [$"-{name}", process.Id.ToString(CultureInfo.InvariantCulture)])?.WaitForExit();
    }

    public void Dispose()
    {
        Resume();
        Kill();
        process.Dispose();
    }

    /// <summary>The value of <c>key=</c> in a trainer output line.</summary>
    public static string Field(string line, string key)
    {
        int i = line.IndexOf(key + "=", StringComparison.Ordinal);
        if (i < 0) throw new FormatException($"no '{key}=' in: {line}");
        int start = i + key.Length + 1;
        int end = line.IndexOf(' ', start);
        return end < 0 ? line[start..] : line[start..end];
    }

    /// <summary>The step number of a "step N …" line, also of the coordinator's "step N: rank … dropped/is at step …" lines.</summary>
    public static long StepOf(string line) => long.Parse(line.Split(' ')[1].TrimEnd(':'), CultureInfo.InvariantCulture);
}
