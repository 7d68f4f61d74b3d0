using EmotionCluster.Cli;
using EmotionCluster.Testing;
using Spectre.Console;
using Xunit;

namespace EmotionCluster.Management.Tests;

public sealed class CtlFormatterTests
{
    private static (IAnsiConsole Console, StringWriter Output) Plain()
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(output), Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 200;
        return (console, output);
    }

    private const string A = "akka.tcp://emotioncluster@127.0.0.1:4053";
    private const string B = "akka.tcp://emotioncluster@127.0.0.1:4054";

    [Fact]
    public void Cluster_show_marks_leader_self_and_unreachable_members_and_sums_up()
    {
        var (console, output) = Plain();
        CtlCommands.PrintCluster(console, new ClusterView(B, "Up", A,
        [
            new MemberView(A, ["extractor"], "Up", 1, true),
            new MemberView(B, ["extractor", "trainer"], "Leaving", null, false),
        ], [B]));
        string[] lines = output.ToString().Split('\n');
        string rowA = Assert.Single(lines, l => l.TrimStart().StartsWith(A));
        Assert.Matches(@"extractor\s+Up\s+1\s+yes\s+leader", rowA);
        string rowB = Assert.Single(lines, l => l.TrimStart().StartsWith(B));
        Assert.Matches(@"extractor,trainer\s+Leaving\s+-\s+NO\s+self", rowB);
        Assert.Contains($"2 members, 1 up, 1 unreachable; leader {A}; this node {B} (Up)", output.ToString());
    }

    [Fact]
    public void Sharding_stats_list_each_node_with_its_shard_ids_and_a_total()
    {
        var (console, output) = Plain();
        CtlCommands.PrintShardingStats(console, new ShardingStatsView("clip-extractor",
        [
            new NodeShardsView(A, 2, 5, [new ShardView("1", 2), new ShardView("7", 3)]),
            new NodeShardsView(B, 1, 0, [new ShardView("4", 0)]),
        ], ["9"]));
        string text = output.ToString();
        Assert.Matches(@$"{A.Replace(".", @"\.")}\s+2\s+5\s+1,7", text);
        Assert.Matches(@$"{B.Replace(".", @"\.")}\s+1\s+0\s+4", text);
        Assert.Contains("clip-extractor: 3 shards, 5 entities on 2 nodes; shards that did not answer: 9", text);
    }

    [Fact]
    public void Actor_hierarchy_is_drawn_as_a_tree_per_root()
    {
        var (console, output) = Plain();
        CtlCommands.PrintActorTree(console, new ActorTreeView(3, true, 3,
        [
            new ActorNode("user", "/user", [new ActorNode("extraction", "/user/extraction", [new ActorNode("$a", "/user/extraction/$a", [])])]),
            new ActorNode("system", "/system", [new ActorNode("sharding", "/system/sharding", [])]),
        ]));
        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("/user", lines[0].Trim());
        Assert.EndsWith("extraction", lines[1].TrimEnd());
        Assert.EndsWith("$a", lines[2].TrimEnd());
        Assert.True(lines[2].IndexOf('$') > lines[1].IndexOf('e'), "a grandchild is indented deeper than its parent");
        Assert.Equal("/system", lines[3].Trim());
        Assert.Contains("3 actors, depth 3 (truncated: more actors than shown)", output.ToString());
    }

    [Fact]
    public void Log_peek_prints_one_line_per_entry_with_time_level_and_category()
    {
        var (console, output) = Plain();
        CtlCommands.PrintLogs(console, new LogPeekView(2000, 17,
        [
            new LogLine(new DateTimeOffset(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero), "warning", "akka", "Cluster", "member [x] unreachable"),
        ]));
        Assert.Equal(["03:04:05.678 WARNING [Cluster] member [x] unreachable", "(1 of 17 lines logged since start; the node keeps the last 2000)"],
            output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd()));
    }

    [Fact]
    public void Training_status_and_runs_show_their_fields()
    {
        var (console, output) = Plain();
        var at = new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);
        CtlCommands.PrintTrainingStatus(console, new TrainingStatus("running", "run-7", 2, 10, 5, 40, 0.91234, null, 0.5, at, at, "fold 2"));
        string status = output.ToString();
        Assert.Matches(@"state\s+running", status);
        Assert.Matches(@"fold\s+2/10", status);
        Assert.Matches(@"epoch\s+5/40", status);
        Assert.Matches(@"train loss\s+0\.9123", status);
        Assert.Matches(@"validation loss\s+-", status);
        Assert.DoesNotContain("training runs", status); // a node that does not list the cluster's runs (an older one)

        var (consoleRuns, outputRuns) = Plain();
        CtlCommands.PrintTrainingStatus(consoleRuns, new TrainingStatus("idle", null, 1, 1, null, null, null, null, null, null, at, null,
            [new TrainingRunStatus("dp-1", "running", "akka.tcp://emotioncluster@10.0.0.1:4053", ["akka.tcp://emotioncluster@10.0.0.1:4053", "akka.tcp://emotioncluster@10.0.0.2:4053"],
                null, 3, 40, 120, 1600, at)]));
        Assert.Matches(@"dp-1\s+running\s+3/40\s+120/1600\s+akka\.tcp://emotioncluster@10\.0\.0\.1:4053 akka\.tcp://emotioncluster@10\.0\.0\.2:4053\s+akka\.tcp://emotioncluster@10\.0\.0\.1:4053\s+2026-11-25 10:00:00Z",
            outputRuns.ToString());
        var (consoleNone, outputNone) = Plain();
        CtlCommands.PrintTrainingStatus(consoleNone, new TrainingStatus("idle", null, 1, 1, null, null, null, null, null, null, at, null, []));
        Assert.EndsWith("no training runs in the cluster", outputNone.ToString().Trim());

        var (console2, output2) = Plain();
        CtlCommands.PrintRuns(console2, [new RunInfo("run-7", "finished", at, at.AddHours(1), "emodb", new Dictionary<string, double> { ["uar"] = 0.61, ["accuracy"] = 0.7 }, "out/run-7")]);
        Assert.Matches(@"run-7\s+finished\s+2026-11-25 10:00:00Z\s+2026-11-25 11:00:00Z\s+emodb\s+accuracy=0\.7 uar=0\.61\s+out/run-7", output2.ToString());
        var (console3, output3) = Plain();
        CtlCommands.PrintRuns(console3, []);
        Assert.Equal("no runs", output3.ToString().Trim());
    }
}
