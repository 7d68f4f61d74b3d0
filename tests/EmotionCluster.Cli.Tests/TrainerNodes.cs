using EmotionCluster.Evaluator;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Cli.Tests;

/// <summary>
/// Trainer-node processes on loopback (role trainer, no HTTP, one feature store) for a CLI command to join with
/// <c>--join</c>; killed and disposed with the test. They keep the split-brain resolver's defaults, the settings of
/// the CLI that joins them: a node with a shorter stable-after than the leader's downs every node as "unstable"
/// before the leader decides (docs/operations.md), and which node leads depends on the ports.
/// </summary>
internal sealed class TrainerNodes(ITestOutputHelper output) : IDisposable
{
    private void Log(string line)
    {
        try { output.WriteLine(line); } catch (InvalidOperationException) { } // a line after the test ended
    }

    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(120);
    private readonly List<NodeProcess> _nodes = [];

    public IReadOnlyList<NodeProcess> Nodes => _nodes;

    /// <summary>The first node's address, the seed the others and the CLI join.</summary>
    public string Seed => NodeProcess.Address(_nodes[0].Port);

    /// <summary>Starts <paramref name="count"/> trainer nodes reading features from <paramref name="store"/> and waits until each is up.</summary>
    public async Task<IReadOnlyList<NodeProcess>> StartAsync(int count, string store)
    {
        int[] ports = Enumerable.Range(0, count).Select(_ => NodeProcess.FreePort()).ToArray();
        for (int i = 0; i < ports.Length; i++)
            _nodes.Add(NodeProcess.Start($"trainer{i + 1}", ports[i],
                ["run", "--port", ports[i].ToString(), "--seed", NodeProcess.Address(ports[0]), "--roles", "trainer", "--store", store, "--http-port", "-1"], Log));
        foreach (var n in _nodes) await n.WaitForLine(l => l.StartsWith("node started:"), Startup);
        // "node started" is the process; a node is up once the cluster's leader has moved it to Up. One started before
        // the seed listened joins seconds later, and a command joining meanwhile saw one trainer fewer (seen in CI: both
        // folds of a two-trainer cross-validation went to the seed)
        foreach (int port in ports) await UpAsync(NodeProcess.Address(port));
        return _nodes;
    }

    /// <summary>Waits until a node (the leader of the moment) logs that it moved <paramref name="address"/> to Up.</summary>
    private async Task UpAsync(string address)
    {
        string line = $"moving node [{address}] to [Up]";
        var deadline = DateTime.UtcNow + Startup;
        while (!_nodes.Any(n => n.Lines.Any(l => l.Contains(line, StringComparison.Ordinal))))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{address} was not Up within {Startup}:\n" + string.Join("\n", _nodes.Select(n => n.Output)));
            await Task.Delay(100);
        }
    }

    /// <summary>The runs in the SQLite journal a training command wrote.</summary>
    public static async Task<IReadOnlyList<RunView>> JournalAsync(string sqliteFile)
    {
        var reader = await JournalReader.OpenAsync(new PersistenceSettings { ConnectionString = $"Data Source={sqliteFile}" });
        try { return await reader.Catalog.ListRunsAsync(); }
        finally { await reader.DisposeAsync(); }
    }

    public void Dispose()
    {
        foreach (var n in _nodes)
        {
            n.Kill();
            n.Dispose();
        }
    }
}
