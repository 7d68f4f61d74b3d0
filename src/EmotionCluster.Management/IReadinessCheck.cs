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
