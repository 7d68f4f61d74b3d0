using Xunit;

namespace EmotionCluster.Management.Tests;

/// <summary>
/// Node processes a test starts: a scratch folder, the processes (killed and disposed at the end) and the test's
/// output for their lines.
/// </summary>
public abstract class NodeProcessTest(ITestOutputHelper output, string prefix) : IDisposable
{
    protected readonly string _dir = Directory.CreateTempSubdirectory(prefix).FullName;
    protected readonly List<EmotionCluster.Testing.NodeProcess> _processes = new();

    protected void Log(string line)
    {
        try { output.WriteLine(line); } catch (InvalidOperationException) { }
    }

    /// <summary>
    /// An extractor node process with the management API on a free port, joining <paramref name="seed"/>; the
    /// split-brain resolver stays out of the test (stable-after 120 s), an unreachable node shows within 2 s.
    /// </summary>
    protected (EmotionCluster.Testing.NodeProcess Process, string Url) StartExtractorNode(string name, string seed, int port)
    {
        int http = EmotionCluster.Testing.NodeProcess.FreePort();
        var p = EmotionCluster.Testing.NodeProcess.Start(name, port,
        [
            "run", "--port", port.ToString(), "--seed", seed, "--roles", "extractor", "--store", Path.Combine(_dir, name), "--shards", "4",
            "--http-port", http.ToString(), "--heartbeat-pause", "2", "--sbr-stable-after", "120",
        ], Log);
        _processes.Add(p);
        return (p, $"http://127.0.0.1:{http}");
    }

    /// <summary><c>emotioncluster ctl --node URL ARGS…</c> in this process, logged: exit code, stdout, stderr.</summary>
    protected (int Code, string Out, string Err) Ctl(string url, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = EmotionCluster.Cli.CliApp.Run(["ctl", "--node", url, .. args], o, e);
        Log($"$ emotioncluster ctl --node {url} {string.Join(' ', args)}  (exit {code})\n{o}{e}");
        return (code, o.ToString(), e.ToString());
    }

    public void Dispose()
    {
        foreach (var p in _processes)
        {
            p.Kill();
            p.Dispose();
        }
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
        GC.SuppressFinalize(this);
    }
}
