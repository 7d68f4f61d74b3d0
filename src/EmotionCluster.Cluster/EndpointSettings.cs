namespace EmotionCluster.Cluster;

/// <summary>
/// The node's HTTP endpoint (management API, health, metrics, streaming), section <c>EmotionCluster:Http</c>.
/// Loopback by default; when <see cref="Token"/> is set every call must carry <c>Authorization: Bearer TOKEN</c>.
/// </summary>
public sealed class HttpSettings
{
    public const string Section = "EmotionCluster:Http";
    public const string LivePath = "/healthz/live";
    public const string ReadyPath = "/healthz/ready";
    public const string MetricsPath = "/metrics";

    public string Hostname { get; set; } = "127.0.0.1";
    public int Port { get; set; } = 8080;
    public string? Token { get; set; }
}

/// <summary>
/// How a node finds the cluster, section <c>EmotionCluster:Discovery</c>: <c>seed-nodes</c> (the
/// <see cref="NodeSettings.SeedNodes"/> list, or none for a cluster of one) or <c>kubernetes</c> (Akka.Management
/// cluster bootstrap with Akka.Discovery.KubernetesApi: pods selected by label, contacted on the management port).
/// </summary>
public sealed class DiscoverySettings
{
    public const string Section = "EmotionCluster:Discovery";
    public const string SeedNodesMethod = "seed-nodes";
    public const string KubernetesMethod = "kubernetes";

    public string Method { get; set; } = SeedNodesMethod;
    /// <summary>Akka.Management HTTP port used by cluster bootstrap.</summary>
    public int ManagementPort { get; set; } = 8558;
    /// <summary>Name of the management port in the pod spec.</summary>
    public string PortName { get; set; } = "management";
    /// <summary>Label selector of the pods that form one cluster, e.g. <c>app.kubernetes.io/part-of=emotioncluster</c>.</summary>
    public string PodLabelSelector { get; set; } = "app.kubernetes.io/part-of=emotioncluster";
    /// <summary>Namespace to look for pods in; empty: the pod's own namespace.</summary>
    public string? PodNamespace { get; set; }
    /// <summary>Contact points that must be found before the first node forms a new cluster.</summary>
    public int RequiredContactPoints { get; set; } = 2;
}
