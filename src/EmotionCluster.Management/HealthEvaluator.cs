using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Microsoft.Extensions.DependencyInjection;

namespace EmotionCluster.Management;

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
