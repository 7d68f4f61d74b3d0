using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Deployment.Tests;

/// <summary>
/// deploy/start-local-cluster.sh and stop-local-cluster.sh for real: two node processes on loopback form a cluster,
/// then leave it gracefully on SIGTERM. (tests/EmotionCluster.Management.Tests also starts its down/leave cluster with
/// the script.)
/// </summary>
public sealed class LocalClusterScriptTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ec-local-cluster-" + Guid.NewGuid().ToString("N"));
    private LocalCluster? _cluster;

    [Fact]
    public async Task Two_nodes_form_a_cluster_and_leave_it_gracefully_on_sigterm()
    {
        _cluster = LocalCluster.Start(2, ["--sbr-stable-after", "3"], directory: _dir, waitSeconds: 60);
        output.WriteLine(_cluster.Started.ToString());
        var (node1, node2) = (_cluster.Nodes[0], _cluster.Nodes[1]);
        Assert.All(_cluster.Nodes, n => Assert.True(n.Running, $"{n.Name} (pid {n.Pid}) is not running"));
        Assert.Equal(2, Directory.GetFiles(_dir, "*.pid").Length);
        Assert.Equal(node1.Address, _cluster.Seed);
        Assert.Contains($"export EMOTIONCLUSTER_NODE={node1.Url}\n", _cluster.Started.StdOut); // what ctl needs, ready to paste
        Assert.Contains($"node started: {node1.Address} ", node1.Log);
        Assert.Contains($"node started: {node2.Address} ", node2.Log);
        foreach (LocalNode n in _cluster.Nodes) await node2.WaitForLog($"member up: {n.Address} ", TimeSpan.FromSeconds(30));
        foreach (LocalNode n in _cluster.Nodes) await node1.WaitForLog($"member up: {n.Address} ", TimeSpan.FromSeconds(30));

        var stop = _cluster.Stop(graceSeconds: 40);
        output.WriteLine(stop.ToString());
        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Matches(@"SIGTERM sent to node2\s+SIGTERM sent to node1", stop.StdOut); // the seed last
        Assert.DoesNotContain("SIGKILL", stop.StdOut); // both left within the grace period
        Assert.All(_cluster.Nodes, n => Assert.False(n.Running, $"{n.Name} (pid {n.Pid}) still runs after stop-local-cluster.sh"));
        Assert.Contains("node stopped:", node1.Log); // the host ran its shutdown: coordinated shutdown, not a kill
        Assert.Contains("node stopped:", node2.Log);
        Assert.Empty(Directory.GetFiles(_dir, "*.pid"));
        // A graceful leave as node 1 saw it: node 2 was removed from the membership (Leaving, Exiting, Removed)
        // while node 1 still ran, and was never unreachable, which a crash or a kill would have made it first.
        output.WriteLine($"--- node1.log\n{node1.Log}");
        Assert.Contains($"member removed: {node2.Address}", node1.Log);
        Assert.DoesNotContain($"member unreachable: {node2.Address}", node1.Log);
        Assert.True(node1.Log.IndexOf($"member removed: {node2.Address}", StringComparison.Ordinal) < node1.Log.IndexOf("node stopped:", StringComparison.Ordinal),
            "node 2 was removed before node 1 stopped");
    }

    [Fact]
    public void Stop_kills_a_node_that_outlives_the_grace_period()
    {
        _cluster = LocalCluster.Start(1, directory: _dir, waitSeconds: 60);

        // No grace at all: the node is still in its coordinated shutdown when the script checks.
        var stop = _cluster.Stop(graceSeconds: 0);
        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Contains("node1 (pid", stop.StdOut);
        Assert.Contains("SIGKILL", stop.StdOut);
        LocalNode node = Assert.Single(_cluster.Nodes);
        Assert.False(node.Running);
        Assert.DoesNotContain("node stopped:", node.Log);
    }

    [Fact]
    public void Start_refuses_bad_options_and_an_unbuilt_node_without_starting_anything()
    {
        var zero = Shell.Bash(LocalCluster.StartScript, ["--nodes", "0", "--dir", _dir], LocalCluster.ScriptEnvironment);
        Assert.Equal(2, zero.ExitCode);
        Assert.Contains("--nodes '0' must be a whole number >= 1", zero.StdErr);

        var unbuilt = Shell.Bash(LocalCluster.StartScript, ["--nodes", "1", "--dir", _dir],
            new Dictionary<string, string?> { ["EMOTIONCLUSTER_NODE_DLL"] = Path.Combine(_dir, "missing.dll") });
        Assert.Equal(2, unbuilt.ExitCode);
        Assert.Contains("node not built", unbuilt.StdErr);
        Assert.False(Directory.Exists(_dir) && Directory.GetFiles(_dir, "*.pid").Length > 0);

        var noCluster = Shell.Bash(LocalCluster.StopScript, [Path.Combine(_dir, "nowhere")]);
        Assert.Equal(2, noCluster.ExitCode);
        Assert.Contains("no cluster folder", noCluster.StdErr);
    }

    public void Dispose()
    {
        _cluster?.Dispose();
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }
}
