using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace EmotionCluster.Testing;

/// <summary>
/// A cluster node (src/EmotionCluster.Node, the <c>emotioncluster-node</c> executable) running as its own OS process
/// on loopback, with its output captured line by line for assertions.
/// </summary>
public sealed class NodeProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly List<Action<string>> _watchers = new();

    public string Name { get; }
    public int Port { get; }
    public IReadOnlyCollection<string> Lines => _lines;
    public string Output => string.Join('\n', _lines);
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;
    /// <summary>The OS process id (e.g. to read <c>/proc/PID/maps</c>).</summary>
    public int Pid => _process.Id;

    private NodeProcess(string name, int port, Process process)
    {
        Name = name;
        Port = port;
        _process = process;
    }

    /// <summary>The node's build output (same configuration as the running tests).</summary>
    public static string NodeDll => BuildOutput.Require(Path.Combine("src", "EmotionCluster.Node"), "emotioncluster-node.dll");

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public static string Address(int port) => $"akka.tcp://emotioncluster@127.0.0.1:{port}";

    /// <param name="workingDirectory">The node's current folder (default: its build output folder).</param>
    /// <param name="environment">More environment variables for the node (null: removed).</param>
    public static NodeProcess Start(string name, int port, IEnumerable<string> args, Action<string>? log = null, string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetDirectoryName(NodeDll)!,
        };
        psi.ArgumentList.Add(NodeDll);
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_gcServer"] = "0";
        // Several nodes share loopback: each HTTP endpoint takes a free port unless the test passes --http-port.
        psi.Environment["EmotionCluster__Http__Port"] = "0";
        // What a node writes by default (feature cache, journal: ~/.cache and ~/.local/share) stays in the build output,
        // not in the home folder of whoever runs the tests
        string scratch = Path.Combine(Path.GetDirectoryName(NodeDll)!, "test-home");
        psi.Environment["XDG_CACHE_HOME"] = Path.Combine(scratch, "cache");
        psi.Environment["XDG_DATA_HOME"] = Path.Combine(scratch, "data");
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
            if (value is null) psi.Environment.Remove(key); else psi.Environment[key] = value;
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var node = new NodeProcess(name, port, process);
        void OnLine(string? line)
        {
            if (line is null) return;
            node._lines.Enqueue(line);
            log?.Invoke($"[{name}] {line}");
            lock (node._watchers) foreach (var w in node._watchers) w(line);
        }
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        if (!process.Start()) throw new InvalidOperationException($"could not start {name}");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
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
        Task done = await Task.WhenAny(tcs.Task, Task.Delay(timeout), _process.WaitForExitAsync());
        if (tcs.Task.IsCompleted) return await tcs.Task;
        throw new TimeoutException($"{Name}: no matching line within {timeout} (exited: {_process.HasExited}). Output:\n{Output}");
    }

    public async Task<int> WaitForExit(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { throw new TimeoutException($"{Name} did not exit within {timeout}. Output:\n{Output}"); }
        _process.WaitForExit(); // flush redirected output
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: the process dies at once, without leaving the cluster.</summary>
    public void Kill() { if (!_process.HasExited) _process.Kill(entireProcessTree: true); }

    /// <summary>SIGTERM: coordinated shutdown.</summary>
    public void Terminate()
    {
        if (!_process.HasExited) Process.Start("kill", ["-TERM", _process.Id.ToString()])?.WaitForExit();
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
