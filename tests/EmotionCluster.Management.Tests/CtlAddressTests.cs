using EmotionCluster.Cli;
using EmotionCluster.Testing;
using Spectre.Console;
using Xunit;

namespace EmotionCluster.Management.Tests;

public sealed class CtlAddressTests
{
    private static Func<string, string?> Env(string? node = null, string? token = null) =>
        name => name == CtlCommands.NodeVariable ? node : name == CtlCommands.TokenVariable ? token : null;

    [Fact]
    public void The_option_wins_over_the_environment_which_wins_over_the_default()
    {
        Assert.Equal(new Uri("http://10.0.0.1:9000/"), CtlCommands.ResolveNode("http://10.0.0.1:9000", Env("http://10.0.0.2:8080")));
        Assert.Equal(new Uri("http://10.0.0.2:8080/"), CtlCommands.ResolveNode(null, Env("http://10.0.0.2:8080")));
        Assert.Equal(new Uri(CtlCommands.DefaultNode), CtlCommands.ResolveNode(null, Env()));
        Assert.Equal("t0ken-from-env", CtlCommands.ResolveToken(null, Env(token: "t0ken-from-env")));
        Assert.Equal("opt", CtlCommands.ResolveToken("opt", Env(token: "t0ken-from-env")));
        Assert.Null(CtlCommands.ResolveToken(null, Env()));
    }

    [Theory]
    [InlineData("127.0.0.1:8080")]
    [InlineData("akka.tcp://emotioncluster@127.0.0.1:4053")]
    [InlineData("http://127.0.0.1:8080/api")]
    [InlineData("not a url")]
    public void Bad_node_addresses_are_one_line_errors(string node)
    {
        var error = new StringWriter();
        int code = CliApp.Run(["ctl", "--node", node, "cluster", "show"], new StringWriter(), error);
        Assert.Equal(2, code);
        string line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: --node '{node}'", line);
    }

    [Fact]
    public void A_node_that_is_not_listening_is_reported_as_connection_refused()
    {
        int port = NodeProcess.FreePort();
        var error = new StringWriter();
        int code = CliApp.Run(["ctl", "--node", $"http://127.0.0.1:{port}", "cluster", "show"], new StringWriter(), error);
        Assert.Equal(2, code);
        Assert.Equal($"error: cannot reach node http://127.0.0.1:{port}/: connection refused; is the node running with its HTTP endpoint on that port (--http-port)?",
            error.ToString().Trim());
    }

    [Fact]
    public void Every_verb_parses()
    {
        foreach (string[] verb in new[]
                 {
                     new[] { "cluster", "show" }, ["cluster", "leave", "akka.tcp://s@h:1"], ["cluster", "down", "akka.tcp://s@h:1"],
                     ["cluster", "sharding", "regions"], ["cluster", "sharding", "stats", "clip-extractor"], ["actor", "hierarchy", "--depth", "2"],
                     ["log", "peek", "--lines", "5"], ["train", "status"], ["runs", "list"], ["remote", "connections"],
                 })
        {
            var parsed = CliApp.BuildRootCommand().Parse(["ctl", "--node", "http://127.0.0.1:1", "--token", "x", "--json", .. verb]);
            Assert.True(parsed.Errors.Count == 0, $"{string.Join(' ', verb)}: {string.Join("; ", parsed.Errors.Select(e => e.Message))}");
        }
    }
}
