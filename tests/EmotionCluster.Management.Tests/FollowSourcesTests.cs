using System.Net;
using System.Text.Json;
using EmotionCluster.Cli;
using EmotionCluster.Testing;
using Spectre.Console;
using Xunit;

namespace EmotionCluster.Management.Tests;

public sealed class FollowSourcesTests
{
    private static LogLine Line(int i) => new(DateTimeOffset.UnixEpoch.AddSeconds(i), "info", "akka", "test", $"line {i}");

    [Fact]
    public void The_log_ring_gives_the_lines_after_a_count_and_the_count_to_ask_with_next()
    {
        var ring = new LogRing(5);
        for (int i = 0; i < 3; i++) ring.Add(Line(i));
        Assert.Equal("3: line 1, line 2", Texts(ring.Since(1)));
        Assert.Equal("3: ", Texts(ring.Since(3)));
        for (int i = 3; i < 12; i++) ring.Add(Line(i));
        Assert.Equal("12: line 7, line 8, line 9, line 10, line 11", Texts(ring.Since(2))); // only what the ring holds
        Assert.Equal("12: line 7, line 8, line 9, line 10, line 11", Texts(ring.Since(40))); // a count from before a restart
    }

    private static string Texts((long Total, IReadOnlyList<LogLine> Lines) r) => $"{r.Total}: {string.Join(", ", r.Lines.Select(l => l.Message))}";

    [Fact]
    public async Task Membership_events_are_numbered_waited_for_and_bounded()
    {
        var events = new MembershipEvents(capacity: 3);
        var start = await events.WaitAsync(null, TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.Equal((0L, 0), (start.Last, start.Events.Count)); // from now on: nothing yet, no waiting

        var empty = await events.WaitAsync(0, TimeSpan.FromMilliseconds(50), CancellationToken.None);
        Assert.Empty(empty.Events); // nothing within the wait

        Task<MembershipEventsView> waiting = events.WaitAsync(0, TimeSpan.FromSeconds(20), CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        events.Add(DateTimeOffset.UtcNow, "up", "akka.tcp://s@h:1", "roles extractor");
        MembershipEventsView woke = await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(1, Assert.Single(woke.Events).Seq);
        Assert.Equal(1, woke.Last);

        for (int i = 2; i <= 5; i++) events.Add(DateTimeOffset.UtcNow, "joined", $"akka.tcp://s@h:{i}", "");
        MembershipEventsView after1 = await events.WaitAsync(1, TimeSpan.Zero, CancellationToken.None);
        Assert.Equal([3L, 4L, 5L], after1.Events.Select(e => e.Seq)); // the ring keeps the last 3
        Assert.Equal(5, after1.Last);
    }

    [Fact]
    public void Redirected_output_is_plain_tab_separated_lines_without_padding_or_wrapping()
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(output), Interactive = InteractionSupport.No,
        });
        string longRoles = string.Join(',', Enumerable.Repeat("extractor", 30)); // far wider than any terminal
        CtlCommands.PrintCluster(console, new ClusterView("akka.tcp://emotioncluster@127.0.0.1:4053", "Up", "akka.tcp://emotioncluster@127.0.0.1:4053",
            [new MemberView("akka.tcp://emotioncluster@127.0.0.1:4053", [longRoles], "Up", 1, true)], []));
        Assert.Equal(
        [
            "Address\tRoles\tStatus\tUp #\tReachable",
            $"akka.tcp://emotioncluster@127.0.0.1:4053\t{longRoles}\tUp\t1\tyes\tleader, self",
            "1 members, 1 up, 0 unreachable; leader akka.tcp://emotioncluster@127.0.0.1:4053; this node akka.tcp://emotioncluster@127.0.0.1:4053 (Up)",
        ], output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')));
    }
}
