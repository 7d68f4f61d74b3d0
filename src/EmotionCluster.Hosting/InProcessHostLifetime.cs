using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EmotionCluster.Hosting;

/// <summary>
/// The lifetime of a host that lives inside a command (the CLI's embedded node, the journal reader): started and
/// stopped by its owner only. The default console lifetime would take SIGTERM and SIGINT for itself (stop the host,
/// cancel the signal), so a <c>crossval</c> told to stop would lose its actor system and train on; with this lifetime
/// the signals reach the command, which cancels its work and then disposes the host.
/// </summary>
public sealed class InProcessHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>An empty host builder (no default configuration, no logging providers) with this lifetime.</summary>
    public static HostApplicationBuilder CreateBuilder()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], DisableDefaults = true });
        builder.Services.AddSingleton<IHostLifetime, InProcessHostLifetime>();
        builder.Logging.ClearProviders();
        return builder;
    }
}
