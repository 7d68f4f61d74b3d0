using System.Text.Json;
using EmotionCluster.Cli;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Management.Tests;

/// <summary>
/// The node executable's start: its flags (System.CommandLine) parse into settings or are refused naming the flag and
/// the fix; a bad setting from any source stops the start naming the key and the fix; and its log records — its own
/// (ILogger) and Akka.NET's — reach the console and <c>ctl log peek</c> alike.
/// </summary>
public sealed class NodeStartupTests(ITestOutputHelper output) : NodeProcessTest(output, "ec-node-start-")
{
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(90);

    private NodeProcess Start(string name, string[] args, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var p = NodeProcess.Start(name, 0, args, Log, environment: environment);
        _processes.Add(p);
        return p;
    }

    private async Task<string> Refused(string name, string[] args, IReadOnlyDictionary<string, string?>? environment = null)
    {
        NodeProcess p = Start(name, args, environment);
        Assert.Equal(2, await p.WaitForExit(Startup));
        Assert.DoesNotContain(p.Lines, l => l.StartsWith("node started:"));
        return p.Output;
    }

    [Fact]
    public async Task Bad_flags_are_refused_naming_the_flag_and_the_fix()
    {
        Assert.Contains("error: --port 'abc' must be a whole number from 0 to 65535", await Refused("port", ["--port", "abc"]));
        Assert.Contains("error: --http-port '-2' must be a whole number from -1 to 65535", await Refused("http-port", ["run", "--http-port", "-2"]));
        Assert.Contains("error: --sbr-stable-after 'soon' must be a positive number of seconds, e.g. --sbr-stable-after 10",
            await Refused("sbr", ["--sbr-stable-after", "soon"]));
        Assert.Contains("error: --shards '0' must be a whole number of at least 1", await Refused("shards", ["--shards", "0"]));
        string noData = await Refused("extract", ["extract", "--min-extractors", "2"]);
        Assert.Contains("error: extract needs --data DIR: the corpus folder whose *.wav files to extract", noData);
        Assert.Contains("Run 'emotioncluster-node extract --help' for usage.", noData);
        string unknown = await Refused("unknown", ["--colour", "blue"]);
        Assert.Contains("'--colour'", unknown);
        Assert.Contains("Run 'emotioncluster-node --help' for usage.", unknown);
        Assert.Contains("'--data'", await Refused("extract-flag-on-run", ["run", "--data", "x"])); // an extract flag is not a node flag
    }

    [Fact]
    public async Task Help_lists_every_flag_and_exits_0()
    {
        NodeProcess help = Start("help", ["--help"]);
        Assert.Equal(0, await help.WaitForExit(Startup));
        foreach (string flag in (string[])["--hostname", "--public-hostname", "--port", "--seed", "--roles", "--store", "--shards", "--sbr-stable-after",
                     "--heartbeat-pause", "--tls-certificate", "--tls-password-file", "--http-hostname", "--http-port", "--token-file", "--token",
                     "--insecure-public", "--metrics-token", "--public-metrics", "--config"])
            Assert.Contains(help.Lines, l => l.TrimStart().StartsWith(flag + " ", StringComparison.Ordinal));
        Assert.Contains(help.Lines, l => l.TrimStart().StartsWith("extract ", StringComparison.Ordinal));

        NodeProcess extract = Start("extract-help", ["extract", "--help"]); // no --data needed to ask for help
        Assert.Equal(0, await extract.WaitForExit(Startup));
        foreach (string flag in (string[])["--data", "--settings", "--return-features", "--serve-audio", "--min-extractors", "--max-in-flight",
                     "--retry-after", "--summary", "--seed"])
            Assert.Contains(extract.Lines, l => l.TrimStart().StartsWith(flag + " ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bad_setting_stops_the_start_naming_the_key_and_the_fix()
    {
        string[] run = ["run", "--http-port", "-1", "--store", Path.Combine(_dir, "store")];
        Dictionary<string, string?> Env(string key, string value) => new() { [key] = value };

        string provider = await Refused("provider", run, Env("EmotionCluster__Persistence__Provider", "oracle"));
        Assert.Contains("bad node configuration: EmotionCluster:Persistence:Provider 'oracle' is not supported; use 'sqlite' or 'postgresql'", provider);

        string discovery = await Refused("discovery", run, Env("EmotionCluster__Discovery__Method", "dns"));
        Assert.Contains("bad node configuration: EmotionCluster:Discovery: Method 'dns' is unknown; use seed-nodes or kubernetes", discovery);

        string streaming = await Refused("streaming", run, Env("EmotionCluster__Streaming__MaxBatch", "0"));
        Assert.Contains("bad node configuration: EmotionCluster:Streaming", streaming);
        Assert.Contains("MaxBatch", streaming);

        // A value that does not bind at all: the key and what it must be.
        string port = await Refused("unbindable", run, Env("EmotionCluster__Node__ShardCount", "many"));
        Assert.Contains("bad node configuration:", port);
        Assert.Contains("'EmotionCluster:Node:ShardCount'", port);
        Assert.Contains("Int32", port);

        // A flag's value goes through the same check as the settings file's.
        string roles = await Refused("roles", ["--roles", "extractor,cook", "--http-port", "-1"]);
        Assert.Contains("bad node configuration:", roles);
        Assert.Contains("cook", roles);
    }

    [Fact]
    public async Task Flags_become_the_node_settings()
    {
        int port = NodeProcess.FreePort(), http = NodeProcess.FreePort();
        NodeProcess node = Start("flags", ["--port", port.ToString(), "--roles", "extractor, predictor", "--store", Path.Combine(_dir, "flags-store"),
            "--shards", "6", "--http-port", http.ToString(), "--heartbeat-pause", "2.5"]);
        string started = await node.WaitForLine(l => l.StartsWith("node started:"), Startup);
        Assert.Equal($"node started: {NodeProcess.Address(port)} roles=extractor,predictor store={Path.Combine(_dir, "flags-store")}", started);
        Assert.Equal($"http listening: http://127.0.0.1:{http}", await node.WaitForLine(l => l.StartsWith("http listening:"), Startup));
    }

    /// <summary>
    /// Records logged through ILogger by the node (<c>node started:</c>) and by an actor (<c>member up:</c>, the rebalance
    /// reporter) and one logged through Akka.NET's logging (the cluster's JOINING) are on the node's console and in
    /// <c>ctl log peek</c>'s answer, each once, with its level and origin.
    /// </summary>
    [Fact]
    public async Task Ilogger_and_akka_records_reach_both_the_console_and_ctl_log_peek()
    {
        int port = NodeProcess.FreePort(), http = NodeProcess.FreePort();
        NodeProcess node = Start("logs", ["--port", port.ToString(), "--roles", "extractor", "--store", Path.Combine(_dir, "logs-store"),
            "--shards", "4", "--http-port", http.ToString()]);
        string address = NodeProcess.Address(port);
        await node.WaitForLine(l => l.StartsWith("http listening:"), Startup);
        string memberUp = await node.WaitForLine(l => l.Contains($"member up: {address}"), Startup);

        var (code, json, err) = Ctl($"http://127.0.0.1:{http}", "--json", "log", "peek", "--lines", "2000");
        Assert.True(code == 0, err);
        LogPeekView peek = JsonSerializer.Deserialize<LogPeekView>(json, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;

        LogLine started = Assert.Single(peek.Lines, l => l.Message.StartsWith("node started:"));
        Assert.Equal(("info", "mel", "EmotionCluster.Node"), (started.Level, started.Source, started.Category));
        Assert.Contains(node.Lines, l => l == started.Message); // the console has the same record, word for word

        LogLine up = Assert.Single(peek.Lines, l => l.Message.StartsWith($"member up: {address}"));
        Assert.Equal(("info", "mel", "EmotionCluster.Extraction.RebalanceReporter"), (up.Level, up.Source, up.Category)); // an actor's ILogger
        Assert.Equal(up.Message, memberUp);

        // Akka.NET's own records, through Akka's logging: the cluster's welcome of this node.
        LogLine joining = Assert.Single(peek.Lines, l => l.Message.Contains($"Node [{address}] is JOINING itself"));
        Assert.Equal(("info", "akka"), (joining.Level, joining.Source));
        Assert.Contains(node.Lines, l => l.StartsWith("[INFO]") && l.EndsWith(joining.Message)); // Akka's format on the console
    }
}
