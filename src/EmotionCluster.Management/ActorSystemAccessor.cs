using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Microsoft.Extensions.DependencyInjection;

namespace EmotionCluster.Management;

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
