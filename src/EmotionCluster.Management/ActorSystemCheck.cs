using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Microsoft.Extensions.DependencyInjection;

namespace EmotionCluster.Management;

/// <summary>The actor system runs (the only condition of <c>/healthz/live</c>, and the first of readiness).</summary>
public sealed class ActorSystemCheck(ActorSystemAccessor systems) : IReadinessCheck
{
    public string Name => "actor-system";

    public Task<ReadinessResult> CheckAsync(CancellationToken cancellationToken) =>
        Task.FromResult(systems.Running is { } s
            ? ReadinessResult.Pass($"actor system '{s.Name}' running for {TimeSpan.FromSeconds(Math.Round(s.Uptime.TotalSeconds)):c}")
            : ReadinessResult.Fail("the actor system is not running (starting, failed to start or terminated); see the node's log"));
}
