using System.Reflection;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;

namespace EmotionCluster.Management;

/// <summary>A request the API answers with an error status (400 bad input, 404 unknown thing, 503 not available).</summary>
public sealed class ManagementException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}
