using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace EmotionCluster.Testing;

/// <summary>One node started by deploy/start-local-cluster.sh: its pid, ports and log file.</summary>
public sealed record LocalNode(string Name, int Pid, int RemotingPort, int HttpPort, int ManagementPort, string LogPath)
{
    public string Address => NodeProcess.Address(RemotingPort);
    public string Url => $"http://127.0.0.1:{HttpPort}";
    public string Log => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "";

    /// <summary>Still running: the process exists and is not a zombie.</summary>
    public bool Running => LocalCluster.IsRunning(Pid);

    /// <summary>SIGKILL: the node dies at once, without leaving the cluster.</summary>
    public void Kill()
    {
        if (Running) Process.Start("kill", ["-KILL", Pid.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
    }

    /// <summary>Completes when the node's log contains <paramref name="text"/>; fails when the node exits first or time runs out.</summary>
    public async Task WaitForLog(string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!Log.Contains(text, StringComparison.Ordinal))
        {
            if (clock.Elapsed > timeout) throw new TimeoutException($"{Name} did not log '{text}' within {timeout}:\n{Log}");
            if (!Running && !Log.Contains(text, StringComparison.Ordinal)) throw new InvalidOperationException($"{Name} exited before logging '{text}':\n{Log}");
            await Task.Delay(200);
        }
    }
}

/// <summary>
/// A cluster on loopback started with deploy/start-local-cluster.sh, as an operator starts one (the node built with
/// the running tests, in the same configuration), and stopped with deploy/stop-local-cluster.sh. Dispose kills what
/// is left and removes the folder.
/// </summary>
public sealed partial class LocalCluster : IDisposable
{
    public static readonly string StartScript = Path.Combine(Datasets.RepoRoot, "deploy", "start-local-cluster.sh");
    public static readonly string StopScript = Path.Combine(Datasets.RepoRoot, "deploy", "stop-local-cluster.sh");

    /// <summary>The environment the scripts get: the node of this build.</summary>
    public static IReadOnlyDictionary<string, string?> ScriptEnvironment => new Dictionary<string, string?> { ["EMOTIONCLUSTER_NODE_DLL"] = NodeProcess.NodeDll };

    [GeneratedRegex(@"^(node\d+) pid=(\d+) remoting=127\.0\.0\.1:(\d+) http=127\.0\.0\.1:(\d+) management=127\.0\.0\.1:(\d+) log=(\S+)$", RegexOptions.Multiline)]
    private static partial Regex NodeLine();

    [GeneratedRegex(@"^seed: (\S+)$", RegexOptions.Multiline)]
    private static partial Regex SeedLine();

    public string Directory { get; }
    public ShellResult Started { get; }
    public string Seed { get; }
    public IReadOnlyList<LocalNode> Nodes { get; }

    private LocalCluster(string directory, ShellResult started, string seed, IReadOnlyList<LocalNode> nodes)
    {
        Directory = directory;
        Started = started;
        Seed = seed;
        Nodes = nodes;
    }

    /// <summary>
    /// Runs <c>start-local-cluster.sh --nodes N --dir DIR --wait S [--roles R] -- FLAGS</c>; throws with the script's
    /// output when it fails. The nodes are started (they printed <c>node started:</c>), not necessarily Up yet.
    /// </summary>
    public static LocalCluster Start(int nodes, IEnumerable<string>? nodeFlags = null, string? roles = null, int waitSeconds = 90, string? directory = null)
    {
        string dir = directory ?? Path.Combine(Path.GetTempPath(), "ec-local-cluster-" + Guid.NewGuid().ToString("N"));
        var args = new List<string> { "--nodes", nodes.ToString(CultureInfo.InvariantCulture), "--dir", dir, "--wait", waitSeconds.ToString(CultureInfo.InvariantCulture) };
        if (roles is not null) args.AddRange(["--roles", roles]);
        args.Add("--");
        args.AddRange(nodeFlags ?? []);
        ShellResult result = Shell.Bash(StartScript, args, ScriptEnvironment, TimeSpan.FromSeconds(waitSeconds + 30));
        var found = NodeLine().Matches(result.StdOut).Select(m => new LocalNode(m.Groups[1].Value, int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture),
            int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture),
            int.Parse(m.Groups[5].Value, CultureInfo.InvariantCulture), m.Groups[6].Value)).ToList();
        var cluster = new LocalCluster(dir, result, SeedLine().Match(result.StdOut).Groups[1].Value, found);
        if (result.ExitCode != 0 || found.Count != nodes)
        {
            string logs = string.Join('\n', found.Select(n => $"--- {n.Name}\n{n.Log}"));
            cluster.Dispose();
            throw new InvalidOperationException($"start-local-cluster.sh failed or listed {found.Count} of {nodes} nodes:\n{result}\n{logs}");
        }
        return cluster;
    }

    /// <summary>Runs <c>stop-local-cluster.sh DIR --grace S</c>.</summary>
    public ShellResult Stop(int graceSeconds) =>
        Shell.Bash(StopScript, [Directory, "--grace", graceSeconds.ToString(CultureInfo.InvariantCulture)], timeout: TimeSpan.FromSeconds(graceSeconds + 30));

    /// <summary>Still running: the process exists and is not a zombie.</summary>
    public static bool IsRunning(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException) { return false; }
    }

    public void Dispose()
    {
        foreach (LocalNode n in Nodes.Where(n => n.Running))
        {
            try
            {
                // Only our node: a pid may have been reused.
                if (File.ReadAllText($"/proc/{n.Pid}/cmdline").Contains("emotioncluster-node", StringComparison.Ordinal)) n.Kill();
            }
            catch (IOException) { /* already gone */ }
        }
        try { if (System.IO.Directory.Exists(Directory)) System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
