using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Microsoft.Extensions.DependencyInjection;

namespace EmotionCluster.Management;

/// <summary>This node is a cluster member with status Up.</summary>
public sealed class ClusterMemberCheck(ActorSystemAccessor systems) : IReadinessCheck
{
    public string Name => "cluster-member";

    public Task<ReadinessResult> CheckAsync(CancellationToken cancellationToken)
    {
        if (systems.Running is not { } system) return Task.FromResult(ReadinessResult.Fail("no actor system"));
        var cluster = Akka.Cluster.Cluster.Get(system);
        MemberStatus status = cluster.SelfMember.Status;
        return Task.FromResult(status == MemberStatus.Up
            ? ReadinessResult.Pass($"{cluster.SelfAddress} is Up in a cluster of {cluster.State.Members.Count}")
            : ReadinessResult.Fail($"{cluster.SelfAddress} is {status}, not Up; it has not joined yet (check the seed nodes or discovery) or is leaving"));
    }
}
