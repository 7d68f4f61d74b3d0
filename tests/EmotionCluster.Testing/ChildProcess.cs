using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace EmotionCluster.Testing;

/// <summary>
/// A program of the repository (a node, a test host, a container's entry point) running as its own OS process, its
/// standard output and error captured line by line for assertions and echoed to <c>log</c>.
/// </summary>
public class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly List<Action<string>> _watchers = new();
    private readonly Action<string>? _log;
    private bool _paused;

    public string Name { get; }
    public IReadOnlyCollection<string> Lines => _lines;
    public string Output => string.Join('\n', _lines);
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;
    /// <summary>The OS process id (e.g. to read <c>/proc/PID/maps</c>).</summary>
    public int Pid => _process.Id;

    /// <summary>Starts <paramref name="startInfo"/> (its file, arguments, folder and environment) with output redirected.</summary>
    protected ChildProcess(string name, ProcessStartInfo startInfo, Action<string>? log)
    {
        Name = name;
        _log = log;
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        startInfo.UseShellExecute = false;
        _process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        if (!_process.Start()) throw new InvalidOperationException($"could not start {name}");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static ChildProcess Start(string name, ProcessStartInfo startInfo, Action<string>? log = null) => new(name, startInfo, log);

    private void OnLine(string? line)
    {
        if (line is null) return;
        _lines.Enqueue(line);
        try { _log?.Invoke($"[{Name}] {line}"); }
        catch (InvalidOperationException) { } // a test's output helper after the test ended
        lock (_watchers) foreach (var w in _watchers) w(line);
    }

    /// <summary>Completes with the first output line (past or future) that satisfies <paramref name="match"/>.</summary>
    public async Task<string> WaitForLine(Func<string, bool> match, TimeSpan timeout)
    {
        var tcs = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_watchers)
        {
            string? seen = _lines.FirstOrDefault(match);
            if (seen is not null) return seen;
            _watchers.Add(l => { if (match(l)) tcs.TrySetResult(l); });
        }
        await Task.WhenAny(tcs.Task, Task.Delay(timeout), _process.WaitForExitAsync());
        if (tcs.Task.IsCompleted) return await tcs.Task;
        throw new TimeoutException($"{Name}: no matching line within {timeout} (exited: {_process.HasExited}). Output:\n{Output}");
    }

    /// <summary>Waits for the process to end; its exit code.</summary>
    public async Task<int> WaitForExit(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { throw new TimeoutException($"{Name} did not exit within {timeout}. Output:\n{Output}"); }
        _process.WaitForExit(); // flush redirected output
        return _process.ExitCode;
    }

    /// <summary>SIGKILL to the process tree: it dies at once (a crash, an OOM kill), without leaving the cluster.</summary>
    public void Kill()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    /// <summary>SIGTERM: coordinated shutdown.</summary>
    public void Terminate() => Signal("TERM");

    /// <summary>SIGSTOP: the process freezes (a stalled node) until <see cref="Resume"/>.</summary>
    public void Pause()
    {
        _paused = true;
        Signal("STOP");
    }

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume()
    {
        _paused = false;
        Signal("CONT");
    }

    /// <summary>Sends signal <paramref name="name"/> (KILL, TERM, STOP, ...) through kill(1), as an operator would.</summary>
    public void Signal(string name)
    {
        if (!_process.HasExited) Process.Start("kill", [$"-{name}", _process.Id.ToString(CultureInfo.InvariantCulture)])?.WaitForExit();
    }

    public void Dispose()
    {
        try
        {
            if (_paused) Resume();
            Kill();
        }
        catch (InvalidOperationException) { } // never started or already gone
        _process.Dispose();
        GC.SuppressFinalize(this);
    }
}
