using System.Net;
using System.Text.Json;
using EmotionCluster.Cli;
using EmotionCluster.Testing;
using Spectre.Console;
using Xunit;

namespace EmotionCluster.Management.Tests;

/// <summary>
/// The pbm-like verbs against node processes on loopback: <c>cluster join</c> for a node whose seed is down,
/// <c>cluster tail</c> seeing it join, <c>log peek --follow</c> seeing the leader log it, <c>cluster down-unreachable</c>
/// after it was SIGKILLed.
/// </summary>
[Collection("management-cluster")]
public sealed class CtlFollowNodeTests(ITestOutputHelper output) : NodeProcessTest(output, "ec-follow-")
{
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(90);

    private static async Task Until(Func<bool> condition, string what)
    {
        for (DateTime until = DateTime.UtcNow + Startup; DateTime.UtcNow < until; await Task.Delay(250))
            if (condition()) return;
        throw new TimeoutException($"{what}: not reached within {Startup}");
    }

    private ClusterView Cluster(string url) =>
        JsonSerializer.Deserialize<ClusterView>(Ctl(url, "--json", "cluster", "show").Out, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;

    [Fact]
    public async Task Join_tail_follow_and_down_unreachable()
    {
        int port1 = NodeProcess.FreePort(), port2 = NodeProcess.FreePort(), dead = NodeProcess.FreePort();
        var (node1, url1) = StartExtractorNode("node1", NodeProcess.Address(port1), port1);
        var (node2, url2) = StartExtractorNode("node2", NodeProcess.Address(dead), port2); // its only seed is not there: it waits
        await node1.WaitForLine(l => l.StartsWith("http listening:"), Startup);
        await node2.WaitForLine(l => l.StartsWith("http listening:"), Startup);
        await Until(() => Cluster(url1).SelfStatus == "Up", "node1 Up");
        string address1 = NodeProcess.Address(port1), address2 = NodeProcess.Address(port2);
        Assert.DoesNotContain(Cluster(url1).Members, m => m.Address == address2);

        // Watch node1 while node2 joins: the membership events and the leader's log lines, as they happen.
        Task<(int Code, string Out, string Err)> tail = Task.Run(() => Ctl(url1, "cluster", "tail", "--count", "2", "--duration", "60"));
        Task<(int Code, string Out, string Err)> follow = Task.Run(() => Ctl(url1, "log", "peek", "--follow", "--lines", "1", "--duration", "20"));
        await Task.Delay(TimeSpan.FromSeconds(2)); // both are polling

        var join = Ctl(url2, "cluster", "join", address1);
        Assert.Equal(0, join.Code);
        Assert.Equal($"{address2} asked to join the cluster of {address1}; see cluster show (or cluster tail) for when it is Up", join.Out.Trim());
        await Until(() => Cluster(url1).Members.Any(m => m.Address == address2 && m.Status == "Up"), "node2 Up through cluster join");

        var tailed = await tail.WaitAsync(TimeSpan.FromSeconds(90));
        Assert.Equal(0, tailed.Code);
        string[] events = tailed.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, events.Length);
        Assert.Matches($@"^\d\d:\d\d:\d\d\.\d\d\d joined\s+{address2.Replace(".", @"\.")} \(roles extractor\)$", events[0].TrimEnd());
        Assert.Matches($@"^\d\d:\d\d:\d\d\.\d\d\d up\s+{address2.Replace(".", @"\.")} \(roles extractor\)$", events[1].TrimEnd());

        var followed = await follow.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, followed.Code);
        Assert.Contains(followed.Out.Split('\n'), l => l.Contains(address2) && l.Contains("JOINING", StringComparison.OrdinalIgnoreCase));

        // A member already: refused, one line.
        var again = Ctl(url2, "cluster", "join", address1);
        Assert.Equal(2, again.Code);
        Assert.Equal($"error: {url2}/api/cluster/join: 409 this node is already a member (Up) of a cluster that {address1} is in; " +
                     "a node joins once: restart it with --seed ADDR to move it to another cluster", again.Err.Trim());

        // Nothing unreachable yet; then node2 dies and is marked down with one command.
        Assert.Equal("no unreachable members; nothing marked down", Ctl(url1, "cluster", "down-unreachable").Out.Trim());
        node2.Kill();
        await Until(() => Cluster(url1).Unreachable.Contains(address2), "node2 unreachable");
        var downed = Ctl(url1, "--json", "cluster", "down-unreachable");
        Assert.Equal(0, downed.Code);
        Assert.Equal([address2], JsonSerializer.Deserialize<DownUnreachableResult>(downed.Out, new JsonSerializerOptions(JsonSerializerDefaults.Web))!.Downed);
        await Until(() => Cluster(url1).Members.Select(m => m.Address).SequenceEqual([address1]), "node2 removed");
    }
}
