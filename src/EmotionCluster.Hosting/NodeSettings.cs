namespace EmotionCluster.Hosting;

/// <summary>Cluster roles. A node with no roles configured runs all of them (the embedded default).</summary>
public static class ClusterRoles
{
    public const string Extractor = "extractor";
    public const string Trainer = "trainer";
    public const string Evaluator = "evaluator";
    public const string Predictor = "predictor";
    /// <summary>A member that only drives work (e.g. an extraction run) and hosts no shards.</summary>
    public const string Coordinator = "coordinator";
    /// <summary>The roles a node takes when none are configured.</summary>
    public static readonly string[] All = [Extractor, Trainer, Evaluator, Predictor];
    public static readonly string[] Known = [Extractor, Trainer, Evaluator, Predictor, Coordinator];
}

/// <summary>
/// Node settings, bound from the configuration section <c>EmotionCluster:Node</c> (appsettings.json, environment
/// variables such as <c>EmotionCluster__Node__Port=4053</c>, command-line flags).
/// </summary>
public sealed class NodeSettings
{
    public const string Section = "EmotionCluster:Node";

    public string ActorSystemName { get; set; } = "emotioncluster";
    /// <summary>Address to bind. Loopback by default.</summary>
    public string Hostname { get; set; } = "127.0.0.1";
    /// <summary>Address other nodes use to reach this one (pod IP in Kubernetes); defaults to <see cref="Hostname"/>.</summary>
    public string? PublicHostname { get; set; }
    /// <summary>Remoting port; 0 picks a free port (fine for a single embedded node).</summary>
    public int Port { get; set; }
    public List<string> Roles { get; set; } = [];
    /// <summary>
    /// Seed node addresses, e.g. <c>akka.tcp://emotioncluster@10.0.0.5:4053</c>. Empty: the node forms a cluster by itself.
    /// With TLS (<see cref="TlsCertificate"/>) the nodes' addresses are <c>akka.ssl.tcp://…</c>; a seed given as
    /// <c>akka.tcp://</c> is taken to mean the same node (<see cref="EffectiveSeedNodes"/>).
    /// </summary>
    public List<string> SeedNodes { get; set; } = [];
    /// <summary>
    /// The cluster certificate (PKCS#12 file: <c>.pfx</c>/<c>.p12</c> with its private key). Set: remoting runs over mutual
    /// TLS and a peer is accepted only when it presents this same certificate (pinned by thumbprint), so only holders of
    /// the certificate and its password can join or send to the cluster. Empty: plain TCP (fine on loopback only).
    /// </summary>
    public string TlsCertificate { get; set; } = "";
    /// <summary>The certificate's password (the cluster's shared secret); prefer <see cref="TlsCertificatePasswordFile"/>.</summary>
    public string TlsCertificatePassword { get; set; } = "";
    /// <summary>A file holding the certificate's password (a mounted Secret); a trailing newline is ignored.</summary>
    public string TlsCertificatePasswordFile { get; set; } = "";
    /// <summary>Fixed shard count of the clip extractor region (all nodes must agree).</summary>
    public int ShardCount { get; set; } = 60;
    /// <summary>The feature store (a cache: features are re-extracted when missing); default <c>~/.cache/emotioncluster/features</c> (<see cref="UserPaths"/>).</summary>
    public string FeatureStorePath { get; set; } = UserPaths.Cache("features");
    /// <summary>
    /// Clips this node extracts at the same time (0: one per processor). Extraction is CPU-bound: on the default
    /// dispatcher (the .NET thread pool) a node with 2 cores ran about 4 at once, which only adds cache contention.
    /// The extractor entities run on their own dispatcher with this many threads; the rest of the actor system keeps
    /// the thread pool.
    /// </summary>
    public int ExtractionThreads { get; set; }

    /// <summary><see cref="ExtractionThreads"/> with 0 resolved to the processor count.</summary>
    public int EffectiveExtractionThreads => ExtractionThreads > 0 ? ExtractionThreads : Environment.ProcessorCount;
    /// <summary>Split-brain resolver (keep-majority) waits this long for a stable membership before downing.</summary>
    public TimeSpan SplitBrainStableAfter { get; set; } = TimeSpan.FromSeconds(20);
    /// <summary>Heartbeat pause tolerated before a node is marked unreachable.</summary>
    public TimeSpan AcceptableHeartbeatPause { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Remoting over TLS (<see cref="TlsCertificate"/> set).</summary>
    public bool TlsEnabled => !string.IsNullOrWhiteSpace(TlsCertificate);
    /// <summary>The scheme of this cluster's addresses: <c>akka.ssl.tcp</c> with TLS, else <c>akka.tcp</c>.</summary>
    public string AddressScheme => TlsEnabled ? "akka.ssl.tcp" : "akka.tcp";
    /// <summary><see cref="SeedNodes"/> with the scheme of this node's transport (<see cref="AddressScheme"/>).</summary>
    public IReadOnlyList<string> EffectiveSeedNodes => SeedNodes
        .Select(s => s.StartsWith("akka.tcp://", StringComparison.Ordinal) || s.StartsWith("akka.ssl.tcp://", StringComparison.Ordinal)
            ? AddressScheme + s[s.IndexOf("://", StringComparison.Ordinal)..] : s)
        .ToList();

    public IReadOnlyList<string> EffectiveRoles => Roles.Count == 0 ? ClusterRoles.All : Roles;
    public bool Has(string role) => EffectiveRoles.Contains(role);

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad setting and what to do.</summary>
    public void Validate()
    {
        static ArgumentException Bad(string what) => new($"{Section}: {what}");
        if (string.IsNullOrWhiteSpace(ActorSystemName) || !ActorSystemName.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            throw Bad($"ActorSystemName '{ActorSystemName}' must be letters, digits, '-' or '_'");
        if (string.IsNullOrWhiteSpace(Hostname)) throw Bad("Hostname is empty; use 127.0.0.1 or the pod IP");
        if (Port is < 0 or > 65535) throw Bad($"Port {Port} is outside 0..65535");
        foreach (string r in Roles)
            if (!ClusterRoles.Known.Contains(r)) throw Bad($"unknown role '{r}'; use {string.Join(", ", ClusterRoles.Known)}");
        foreach (string s in SeedNodes)
            if (!Uri.TryCreate(s, UriKind.Absolute, out Uri? u) || u.Scheme is not ("akka.tcp" or "akka.ssl.tcp") || u.Port <= 0)
                throw Bad($"seed node '{s}' is not an address like akka.tcp://{ActorSystemName}@host:4053");
        if (ShardCount is < 1 or > 10_000) throw Bad($"ShardCount {ShardCount} is outside 1..10000");
        if (string.IsNullOrWhiteSpace(FeatureStorePath)) throw Bad("FeatureStorePath is empty");
        if (ExtractionThreads is < 0 or > 1024) throw Bad($"ExtractionThreads {ExtractionThreads} is outside 0..1024 (0: one per processor)");
        if (SplitBrainStableAfter <= TimeSpan.Zero) throw Bad("SplitBrainStableAfter must be positive");
        if (!TlsEnabled && (TlsCertificatePassword.Length > 0 || TlsCertificatePasswordFile.Length > 0))
            throw Bad("TlsCertificatePassword(File) is set but TlsCertificate is not; give the cluster certificate (a .pfx file) too");

    }
}
