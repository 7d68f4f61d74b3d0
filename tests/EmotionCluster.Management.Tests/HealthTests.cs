using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using System.Text;
using Akka.Actor;
using Akka.Cluster.Sharding;
using EmotionCluster.Hosting;
using EmotionCluster.Management;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace EmotionCluster.Management.Tests;

public sealed class HealthTests
{
    private sealed class Check(string name, Func<CancellationToken, Task<ReadinessResult>> run) : IReadinessCheck
    {
        public string Name => name;
        public Task<ReadinessResult> CheckAsync(CancellationToken cancellationToken) => run(cancellationToken);
    }

    [Fact]
    public async Task Ready_only_when_every_check_passes_and_each_is_reported()
    {
        var pass = new Check("a", _ => Task.FromResult(ReadinessResult.Pass("fine")));
        var fail = new Check("journal", _ => Task.FromResult(ReadinessResult.Fail("cannot connect")));
        var throws = new Check("boom", _ => throw new InvalidOperationException("broken"));
        var slow = new Check("slow", async ct => { await Task.Delay(TimeSpan.FromSeconds(30), ct); return ReadinessResult.Pass("late"); });

        HealthView ok = await HealthEvaluator.RunAsync([pass], CancellationToken.None);
        Assert.Equal("ok", ok.Status);

        HealthView bad = await HealthEvaluator.RunAsync([pass, fail, throws, slow], CancellationToken.None, TimeSpan.FromMilliseconds(200));
        Assert.Equal("failing", bad.Status);
        Assert.Equal(["a", "journal", "boom", "slow"], bad.Checks.Select(c => c.Name));
        Assert.Equal([true, false, false, false], bad.Checks.Select(c => c.Ok));
        Assert.Equal("cannot connect", bad.Checks[1].Detail);
        Assert.Equal("InvalidOperationException: broken", bad.Checks[2].Detail);
        Assert.Equal("no answer within 0.2 s", bad.Checks[3].Detail);
        Assert.Equal("failing", (await HealthEvaluator.RunAsync([], CancellationToken.None)).Status);
    }

    [Fact]
    public async Task Without_an_actor_system_the_node_is_neither_live_nor_ready()
    {
        using var sp = new ServiceCollection().BuildServiceProvider();
        var systems = new ActorSystemAccessor(sp);
        Assert.Null(systems.Running);
        var live = new ActorSystemCheck(systems);
        var evaluator = new HealthEvaluator([live, new ClusterMemberCheck(systems)], live);
        Assert.Equal("failing", (await evaluator.LiveAsync(CancellationToken.None)).Status);
        HealthView ready = await evaluator.ReadyAsync(CancellationToken.None);
        Assert.Equal([false, false], ready.Checks.Select(c => c.Ok));
    }
}
