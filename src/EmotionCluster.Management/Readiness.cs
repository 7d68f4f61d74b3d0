using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Microsoft.Extensions.DependencyInjection;

namespace EmotionCluster.Management;

/// <summary>Outcome of one readiness check; <see cref="Detail"/> says what was seen (and what to do when not ok).</summary>
public sealed record ReadinessResult(bool Ok, string Detail)
{
    public static ReadinessResult Pass(string detail) => new(true, detail);
    public static ReadinessResult Fail(string detail) => new(false, detail);
}

/// <summary>
/// One condition of <c>/healthz/ready</c>. Every registered check (<c>services.AddSingleton&lt;IReadinessCheck, …&gt;</c>)
/// is evaluated on each probe; the node is ready when all pass. A check that throws or takes longer than
/// <see cref="HealthEvaluator.CheckTimeout"/> fails. The persistence part registers its journal check this way.
/// </summary>
public interface IReadinessCheck
{
    string Name { get; }
    Task<ReadinessResult> CheckAsync(CancellationToken cancellationToken);
}

/// <summary>Finds the node's actor system, which exists only once the Akka hosted service has started.</summary>
public sealed class ActorSystemAccessor(IServiceProvider services)
{
    /// <summary>The running actor system, or null (not started yet, or failed to start, or terminated).</summary>
    public ActorSystem? Running
    {
        get
        {
            ActorSystem? system;
            try { system = services.GetService<ActorSystem>(); }
            catch (Exception e) when (e is InvalidOperationException or NullReferenceException) { return null; }
            return system is null || system.WhenTerminated.IsCompleted ? null : system;
        }
    }
}

/// <summary>The actor system runs (the only condition of <c>/healthz/live</c>, and the first of readiness).</summary>
public sealed class ActorSystemCheck(ActorSystemAccessor systems) : IReadinessCheck
{
    public string Name => "actor-system";

    public Task<ReadinessResult> CheckAsync(CancellationToken cancellationToken) =>
        Task.FromResult(systems.Running is { } s
            ? ReadinessResult.Pass($"actor system '{s.Name}' running for {TimeSpan.FromSeconds(Math.Round(s.Uptime.TotalSeconds)):c}")
            : ReadinessResult.Fail("the actor system is not running (starting, failed to start or terminated); see the node's log"));
}

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

/// <summary>Runs the checks with a time limit each and builds the health body.</summary>
public sealed class HealthEvaluator(IEnumerable<IReadinessCheck> checks, ActorSystemCheck live)
{
    public static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(3);

    public Task<HealthView> LiveAsync(CancellationToken cancellationToken) => RunAsync([live], cancellationToken);

    public Task<HealthView> ReadyAsync(CancellationToken cancellationToken) => RunAsync(checks.ToList(), cancellationToken);

    public static async Task<HealthView> RunAsync(IReadOnlyList<IReadinessCheck> checks, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        var results = await Task.WhenAll(checks.Select(c => RunOne(c, timeout ?? CheckTimeout, cancellationToken)));
        bool ok = results.Length > 0 && results.All(r => r.Ok);
        return new HealthView(ok ? "ok" : "failing", results);
    }

    private static async Task<HealthCheckView> RunOne(IReadinessCheck check, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        ReadinessResult result;
        try
        {
            result = await check.CheckAsync(cts.Token).WaitAsync(cts.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            result = ReadinessResult.Fail($"no answer within {timeout.TotalSeconds:0.###} s");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            result = ReadinessResult.Fail($"{e.GetType().Name}: {e.Message}");
        }
        return new HealthCheckView(check.Name, result.Ok, result.Detail, Math.Round(watch.Elapsed.TotalMilliseconds, 1));
    }
}
