using System.Diagnostics;
using System.Text.RegularExpressions;
using EmotionCluster.Testing;
using Xunit;
using Xunit.Abstractions;

namespace EmotionCluster.Deployment.Tests;

/// <summary>
/// deploy/start-local-cluster.sh and stop-local-cluster.sh for real: two node processes on loopback form a cluster,
/// then leave it on SIGTERM.
/// </summary>
public sealed class LocalClusterScriptTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string StartScript = Path.Combine(Datasets.RepoRoot, "deploy", "start-local-cluster.sh");
    private static readonly string StopScript = Path.Combine(Datasets.RepoRoot, "deploy", "stop-local-cluster.sh");
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ec-local-cluster-" + Guid.NewGuid().ToString("N"));
    private readonly List<int> _pids = new();

    /// <summary>The node built with this test project (ProjectReference), in the same configuration.</summary>
    private static string NodeDll
    {
        get
        {
            string config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
            string dll = Path.Combine(Datasets.RepoRoot, "src", "EmotionCluster.Node", "bin", config, "net10.0", "emotioncluster-node.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException($"node not built: {dll}; run dotnet build first");
        }
    }

    private static Dictionary<string, string?> NodeEnv => new() { ["EMOTIONCLUSTER_NODE_DLL"] = NodeDll };

    /// <summary>Still running: the process exists and is not a zombie.</summary>
    private static bool Running(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException) { return false; }
    }

    private string Log(string node) => File.Exists(Path.Combine(_dir, node + ".log")) ? File.ReadAllText(Path.Combine(_dir, node + ".log")) : "";

    private async Task WaitFor(string node, string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!Log(node).Contains(text, StringComparison.Ordinal))
        {
            if (clock.Elapsed > timeout) throw new TimeoutException($"{node} did not print '{text}' within {timeout}:\n{Log(node)}");
            await Task.Delay(250);
        }
    }

    [Fact]
    public async Task Two_nodes_form_a_cluster_and_leave_it_on_sigterm()
    {
        var start = Shell.Bash(StartScript, ["--nodes", "2", "--dir", _dir, "--wait", "60", "--", "--sbr-stable-after", "3"],
            NodeEnv, TimeSpan.FromSeconds(90));
        output.WriteLine(start.ToString());
        foreach (string f in Directory.GetFiles(_dir, "*.pid")) _pids.Add(int.Parse(File.ReadAllText(f).Trim()));
        Assert.True(start.ExitCode == 0, start.ToString());
        Assert.Equal(2, _pids.Count);
        Assert.All(_pids, pid => Assert.True(Running(pid), $"pid {pid} is not running"));

        string seed = Regex.Match(start.StdOut, @"^seed: (\S+)$", RegexOptions.Multiline).Groups[1].Value;
        var addresses = Regex.Matches(start.StdOut, @"^node\d+ pid=\d+ remoting=(\S+) ", RegexOptions.Multiline)
            .Select(m => $"akka.tcp://emotioncluster@{m.Groups[1].Value}").ToList();
        Assert.Equal(2, addresses.Count);
        Assert.Equal(addresses[0], seed);
        Assert.Contains($"node started: {addresses[0]} ", Log("node1"));
        Assert.Contains($"node started: {addresses[1]} ", Log("node2"));
        foreach (string address in addresses) await WaitFor("node2", $"member up: {address} ", TimeSpan.FromSeconds(30));

        var stop = Shell.Bash(StopScript, [_dir, "--grace", "40"], timeout: TimeSpan.FromSeconds(60));
        output.WriteLine(stop.ToString());
        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Matches(@"SIGTERM sent to node2\s+SIGTERM sent to node1", stop.StdOut); // the seed last
        Assert.DoesNotContain("SIGKILL", stop.StdOut); // both left within the grace period
        Assert.All(_pids, pid => Assert.False(Running(pid), $"pid {pid} still runs after stop-local-cluster.sh"));
        Assert.Contains("node stopped:", Log("node1")); // the host ran its shutdown: coordinated shutdown, not a kill
        Assert.Contains("node stopped:", Log("node2"));
        Assert.Empty(Directory.GetFiles(_dir, "*.pid"));
    }

    [Fact]
    public void Stop_kills_a_node_that_outlives_the_grace_period()
    {
        var start = Shell.Bash(StartScript, ["--nodes", "1", "--dir", _dir, "--wait", "60"], NodeEnv, TimeSpan.FromSeconds(90));
        foreach (string f in Directory.GetFiles(_dir, "*.pid")) _pids.Add(int.Parse(File.ReadAllText(f).Trim()));
        Assert.True(start.ExitCode == 0, start.ToString());

        // No grace at all: the node is still in its coordinated shutdown when the script checks.
        var stop = Shell.Bash(StopScript, [_dir, "--grace", "0"], timeout: TimeSpan.FromSeconds(30));
        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Contains("node1 (pid", stop.StdOut);
        Assert.Contains("SIGKILL", stop.StdOut);
        Assert.False(Running(Assert.Single(_pids)));
        Assert.DoesNotContain("node stopped:", Log("node1"));
    }

    [Fact]
    public void Start_refuses_bad_options_and_an_unbuilt_node_without_starting_anything()
    {
        var zero = Shell.Bash(StartScript, ["--nodes", "0", "--dir", _dir], NodeEnv);
        Assert.Equal(2, zero.ExitCode);
        Assert.Contains("--nodes '0' must be a whole number >= 1", zero.StdErr);

        var unbuilt = Shell.Bash(StartScript, ["--nodes", "1", "--dir", _dir],
            new Dictionary<string, string?> { ["EMOTIONCLUSTER_NODE_DLL"] = Path.Combine(_dir, "missing.dll") });
        Assert.Equal(2, unbuilt.ExitCode);
        Assert.Contains("node not built", unbuilt.StdErr);
        Assert.False(Directory.Exists(_dir) && Directory.GetFiles(_dir, "*.pid").Length > 0);

        var noCluster = Shell.Bash(StopScript, [Path.Combine(_dir, "nowhere")]);
        Assert.Equal(2, noCluster.ExitCode);
        Assert.Contains("no cluster folder", noCluster.StdErr);
    }

    public void Dispose()
    {
        foreach (int pid in _pids.Where(Running))
        {
            try
            {
                using var p = Process.GetProcessById(pid);
                if (File.ReadAllText($"/proc/{pid}/cmdline").Contains("emotioncluster-node")) p.Kill();
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException) { /* already gone */ }
        }
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }
}
