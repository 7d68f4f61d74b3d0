using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace EmotionCluster.Testing;

/// <summary>
/// A cluster node (src/EmotionCluster.Node, the <c>emotioncluster-node</c> executable, or a test host of the
/// repository built on it) running as its own OS process on loopback, with its output captured line by line for
/// assertions.
/// </summary>
public sealed class NodeProcess : ChildProcess
{
    public int Port { get; }

    private NodeProcess(string name, int port, ProcessStartInfo startInfo, Action<string>? log)
        : base(name, startInfo, log) => Port = port;

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
    /// <param name="dll">Another node program than <see cref="NodeDll"/> (e.g. a test host).</param>
    public static NodeProcess Start(string name, int port, IEnumerable<string> args, Action<string>? log = null, string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null, string? dll = null)
    {
        dll ??= NodeDll;
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory ?? Path.GetDirectoryName(dll)! };
        psi.ArgumentList.Add(dll);
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_gcServer"] = "0";
        // Several nodes share loopback: each HTTP endpoint takes a free port unless the test passes --http-port.
        psi.Environment["EmotionCluster__Http__Port"] = "0";
        // What a node writes by default (feature cache, journal: ~/.cache and ~/.local/share) stays in the build output,
        // not in the home folder of whoever runs the tests
        string scratch = Path.Combine(Path.GetDirectoryName(dll)!, "test-home");
        psi.Environment["XDG_CACHE_HOME"] = Path.Combine(scratch, "cache");
        psi.Environment["XDG_DATA_HOME"] = Path.Combine(scratch, "data");
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
            if (value is null) psi.Environment.Remove(key); else psi.Environment[key] = value;
        return new NodeProcess(name, port, psi, log);
    }
}
