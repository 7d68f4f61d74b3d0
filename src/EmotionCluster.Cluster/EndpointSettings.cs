namespace EmotionCluster.Cluster;

/// <summary>
/// The node's HTTP endpoint (management API, health, metrics, streaming), section <c>EmotionCluster:Http</c>.
/// Loopback by default; when <see cref="Token"/> is set every call must carry <c>Authorization: Bearer TOKEN</c>
/// (except the health probes, and <c>/metrics</c> when <see cref="PublicMetrics"/> is set or with <see cref="MetricsToken"/>).
/// </summary>
public sealed class HttpSettings
{
    public const string Section = "EmotionCluster:Http";
    public const string LivePath = "/healthz/live";
    public const string ReadyPath = "/healthz/ready";
    public const string MetricsPath = "/metrics";

    public string Hostname { get; set; } = "127.0.0.1";
    /// <summary>HTTP port; 0 picks a free port, -1 turns the endpoint off.</summary>
    public int Port { get; set; } = 8080;
    public string? Token { get; set; }
    /// <summary>
    /// A second bearer token that is good for <c>GET /metrics</c> only (a scraper's credential that cannot call the
    /// management API); the main <see cref="Token"/> works there too. Needs <see cref="Token"/>.
    /// </summary>
    public string? MetricsToken { get; set; }
    /// <summary>
    /// <c>/metrics</c> answers without any token (for annotation-based Prometheus scraping, which sends none); the
    /// management API still needs <see cref="Token"/>.
    /// </summary>
    public bool PublicMetrics { get; set; }

    public bool Enabled => Port >= 0;

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad setting and what to do.</summary>
    public void Validate()
    {
        if (Port is < -1 or > 65535) throw new ArgumentException($"{Section}: Port {Port} is outside -1..65535 (-1 turns the endpoint off, 0 picks a free port)");
        if (Enabled && string.IsNullOrWhiteSpace(Hostname)) throw new ArgumentException($"{Section}: Hostname is empty; use 127.0.0.1 or 0.0.0.0");
        if (Token is { Length: > 0 and < 8 }) throw new ArgumentException($"{Section}: Token is shorter than 8 characters; use a long random string");
        if (string.IsNullOrEmpty(MetricsToken)) return;
        if (MetricsToken.Length < 8) throw new ArgumentException($"{Section}: MetricsToken is shorter than 8 characters; use a long random string");
        if (string.IsNullOrEmpty(Token))
            throw new ArgumentException($"{Section}: MetricsToken is set but Token is not, so nothing is protected; set Token as well, or drop MetricsToken");
        if (MetricsToken == Token) throw new ArgumentException($"{Section}: MetricsToken equals Token; give the scraper its own token (or use Token for both)");
        if (PublicMetrics) throw new ArgumentException($"{Section}: MetricsToken is set but PublicMetrics is true, which needs no token for /metrics; choose one");
    }
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
