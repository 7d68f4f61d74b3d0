using System.Text.Json;
using Akka.Actor;
using Akka.Remote;
using EmotionCluster.Cli;
using Xunit;

namespace EmotionCluster.Management.Tests;

/// <summary>
/// <c>ctl remote connections</c> against node processes on loopback: a node that joined another is listed with its
/// uid and member status while associated, and as no longer associated after it was SIGKILLed.
/// </summary>
[Collection("management-cluster")]
public sealed class RemoteConnectionsNodeTests(ITestOutputHelper output) : NodeProcessTest(output, "ec-remote-")
{
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(90);
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    private RemoteConnectionsView Connections(string url)
    {
        var (code, json, error) = Ctl(url, "--json", "remote", "connections");
        Assert.True(code == 0, error);
        return JsonSerializer.Deserialize<RemoteConnectionsView>(json, Web)!;
    }

    private async Task Until(Func<bool> condition, string what)
    {
        for (DateTime until = DateTime.UtcNow + Startup; DateTime.UtcNow < until; await Task.Delay(250))
            if (condition()) return;
        // what both nodes said last, for the reader of a failure
        string Last(string url) => string.Join(" | ", Connections(url).Connections.Select(c => $"{c.Address} {c.Direction} {c.State} {c.Uid} {c.MemberStatus} {c.Detail}"));
        throw new TimeoutException($"{what}: not reached within {Startup}; node1: {Try(() => Last(_url1!))}; node2: {Try(() => Last(_url2!))}");
    }

    private static string Try(Func<string> f)
    {
        try { return f(); } catch (Exception e) { return e.Message; }
    }

    private string? _url1, _url2;

    [Fact]
    public async Task A_joined_node_is_listed_with_its_uid_while_associated_and_as_gone_after_it_was_killed()
    {
        int port1 = EmotionCluster.Testing.NodeProcess.FreePort(), port2 = EmotionCluster.Testing.NodeProcess.FreePort();
        string address1 = EmotionCluster.Testing.NodeProcess.Address(port1), address2 = EmotionCluster.Testing.NodeProcess.Address(port2);
        var (node1, url1) = StartExtractorNode("node1", address1, port1);
        var (node2, url2) = StartExtractorNode("node2", address1, port2);
        (_url1, _url2) = (url1, url2);
        await node1.WaitForLine(l => l.StartsWith("http listening:"), Startup);
        await node2.WaitForLine(l => l.StartsWith("http listening:"), Startup);
        await Until(() => Connections(url1).Connections.Any(c => c.Address == address2 && c.State == "associated" && c.MemberStatus == "Up"),
            "node2 associated with node1 and Up");
        await Until(() => Connections(url2).Connections.Any(c => c.Address == address1 && c.State == "associated" && c.MemberStatus == "Up"),
            "node2 sees node1 associated and Up (gossip reached it)");

        RemoteConnectionsView on1 = Connections(url1), on2 = Connections(url2);
        Assert.Equal(address1, on1.Self);
        Assert.NotNull(on2.SelfUid);
        var seen = on1.Connections.Where(c => c.Address == address2 && c.State == "associated").ToList();
        Assert.NotEmpty(seen);
        Assert.All(seen, c => Assert.Equal(on2.SelfUid, c.Uid)); // node2's uid, as node2 itself reports it
        Assert.Contains(on2.Connections, c => c.Address == address1 && c.State == "associated" && c.Uid == on1.SelfUid);
        Assert.DoesNotContain(on1.Connections, c => c.Address == address1); // not itself

        // piped: a header and one tab-separated line per association, the summary last
        var plain = Ctl(url1, "remote", "connections");
        Assert.Equal(0, plain.Code);
        string[] lines = plain.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Equal("Address\tDirection\tState\tSince\tUid\tMember\tDetail", lines[0]);
        Assert.Contains(lines, l => l.StartsWith($"{address2}\t") && l.Contains("\tassociated\t") && l.Contains($"\t{on2.SelfUid}\tUp"));
        Assert.Matches($@"^\d+ associated, \d+ ended or failed; this node {address1.Replace(".", @"\.")} \(uid {on1.SelfUid}\); recorded since ", lines[^1]);

        node2.Kill();
        await Until(() => Connections(url1).Connections.Where(c => c.Address == address2).All(c => c.State != "associated"),
            "node2 no longer associated with node1");
        Assert.All(Connections(url1).Connections.Where(c => c.Address == address2), c =>
        {
            Assert.Contains(c.State, new[] { "disassociated", "error", "quarantined" });
            Assert.Equal(on2.SelfUid, c.Uid); // still known after node2 left the membership
        });
    }
}
