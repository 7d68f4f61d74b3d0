using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Management.Tests;

/// <summary>
/// A node started with its defaults (every role but coordinator, no --store, no journal setting) writes nothing into
/// its working folder: the feature store goes under $XDG_CACHE_HOME/emotioncluster, the journal under
/// $XDG_DATA_HOME/emotioncluster (it used to make out/features and out/emotioncluster.db wherever it was started).
/// </summary>
[Collection("management-cluster")]
public sealed class NodeWorkingFolderTests(ITestOutputHelper output) : NodeProcessTest(output, "ec-node-cwd-")
{
    [Fact]
    public async Task A_node_with_default_settings_leaves_its_working_folder_empty()
    {
        string cwd = Directory.CreateDirectory(Path.Combine(_dir, "cwd")).FullName;
        string cache = Path.Combine(_dir, "cache"), data = Path.Combine(_dir, "data");
        int port = NodeProcess.FreePort();
        var node = NodeProcess.Start("node", port, ["run", "--port", port.ToString(), "--seed", NodeProcess.Address(port)], Log, cwd,
            new Dictionary<string, string?>
            {
                ["XDG_CACHE_HOME"] = cache, ["XDG_DATA_HOME"] = data,
                // the node's defaults, whatever the test runner's environment says
                ["EmotionCluster__Persistence__ConnectionString"] = null, ["EmotionCluster__Persistence__Provider"] = null,
            });
        _processes.Add(node);
        await node.WaitForLine(l => l.StartsWith("http listening:"), TimeSpan.FromSeconds(90));
        string journal = Path.Combine(data, "emotioncluster", "emotioncluster.db");
        for (DateTime until = DateTime.UtcNow.AddSeconds(60); !File.Exists(journal) && DateTime.UtcNow < until;) await Task.Delay(250);
        Assert.True(File.Exists(journal), $"no journal at {journal}:\n{node.Output}");
        Assert.True(Directory.Exists(Path.Combine(cache, "emotioncluster", "features")), node.Output);
        node.Terminate();
        await node.WaitForExit(TimeSpan.FromSeconds(60));
        Assert.Empty(Directory.EnumerateFileSystemEntries(cwd, "*", SearchOption.AllDirectories));
    }
}
