using System.Net;

namespace EmotionCluster.Hosting;

/// <summary>
/// The node's HTTP endpoint (management API, health, metrics, streaming), section <c>EmotionCluster:Http</c>.
/// Loopback by default; when <see cref="Token"/> is set every call must carry <c>Authorization: Bearer TOKEN</c>
/// (except the health probes, and <c>/metrics</c> when <see cref="PublicMetrics"/> is set or with <see cref="MetricsToken"/>).
/// A non-loopback <see cref="Hostname"/> needs a token (or <see cref="InsecurePublic"/>); browsers' requests are held
/// to the node's own origin and <see cref="AllowedOrigins"/> (<see cref="OriginAllowed"/>), and on loopback to
/// loopback host names (<see cref="HostAllowed"/>).
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
    /// <summary>The bearer token. Prefer <see cref="TokenFile"/> or the environment: a command-line flag shows in <c>ps</c>.</summary>
    public string? Token { get; set; }
    /// <summary>
    /// A file holding the bearer token (surrounding blanks and the final newline are ignored), e.g. a mounted Secret;
    /// <see cref="Validate"/> reads it into <see cref="Token"/>. Excludes <see cref="Token"/>.
    /// </summary>
    public string? TokenFile { get; set; }
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
    /// <summary>
    /// Serve a non-loopback <see cref="Hostname"/> without a token (anyone who reaches the port can operate the node);
    /// without it the node refuses to start that way. Flag <c>--insecure-public</c>.
    /// </summary>
    public bool InsecurePublic { get; set; }
    /// <summary>
    /// Web origins (<c>scheme://host[:port]</c>) besides the node's own whose pages may call the node from a browser:
    /// state-changing API calls and the <c>/ws/stream</c> WebSocket. Requests without an <c>Origin</c> header (the CLI,
    /// curl, scrapers) are not affected.
    /// </summary>
    public List<string> AllowedOrigins { get; set; } = new();

    private bool _tokenFromFile;

    public bool Enabled => Port >= 0;

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad setting and what to do; reads <see cref="TokenFile"/>.</summary>
    public void Validate()
    {
        if (Port is < -1 or > 65535) throw new ArgumentException($"{Section}: Port {Port} is outside -1..65535 (-1 turns the endpoint off, 0 picks a free port)");
        if (Enabled && string.IsNullOrWhiteSpace(Hostname)) throw new ArgumentException($"{Section}: Hostname is empty; use 127.0.0.1 or 0.0.0.0");
        LoadTokenFile();
        string tokenName = _tokenFromFile ? $"the token in TokenFile {TokenFile}" : "Token";
        if (Token is { Length: > 0 and < 8 }) throw new ArgumentException($"{Section}: {tokenName} is shorter than 8 characters; use a long random string");
        for (int i = 0; i < AllowedOrigins.Count; i++)
            if (NormalizeOrigin(AllowedOrigins[i]) is null)
                throw new ArgumentException($"{Section}: AllowedOrigins:{i} '{AllowedOrigins[i]}' is not a web origin; write scheme://host[:port], e.g. https://ops.example.org, without a path");
        if (Enabled && !IsLoopback(Hostname) && string.IsNullOrEmpty(Token) && !InsecurePublic)
            throw new ArgumentException($"{Section}: Hostname {Hostname} is not a loopback address and no token is set, so anyone who reaches " +
                "the port could operate the node (leave, down, read its logs) and stream audio to it; set a token with --token-file PATH " +
                "(EmotionCluster__Http__TokenFile) or EmotionCluster__Http__Token, or bind to 127.0.0.1 (--http-hostname), " +
                $"or pass --insecure-public ({Section}:InsecurePublic=true) to serve it without a token anyway");
        if (string.IsNullOrEmpty(MetricsToken)) return;
        if (MetricsToken.Length < 8) throw new ArgumentException($"{Section}: MetricsToken is shorter than 8 characters; use a long random string");
        if (string.IsNullOrEmpty(Token))
            throw new ArgumentException($"{Section}: MetricsToken is set but Token is not, so nothing is protected; set Token as well, or drop MetricsToken");
        if (MetricsToken == Token) throw new ArgumentException($"{Section}: MetricsToken equals Token; give the scraper its own token (or use Token for both)");
        if (PublicMetrics) throw new ArgumentException($"{Section}: MetricsToken is set but PublicMetrics is true, which needs no token for /metrics; choose one");
    }

    /// <summary>Reads <see cref="TokenFile"/> into <see cref="Token"/> (once).</summary>
    private void LoadTokenFile()
    {
        if (string.IsNullOrWhiteSpace(TokenFile) || _tokenFromFile) return;
        if (!string.IsNullOrEmpty(Token))
            throw new ArgumentException($"{Section}: both Token and TokenFile are set; choose one (TokenFile keeps the token out of ps and the environment)");
        string text;
        try { text = File.ReadAllText(TokenFile); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string why = e is FileNotFoundException or DirectoryNotFoundException ? "does not exist" : $"cannot be read ({e.Message})";
            throw new ArgumentException($"{Section}: TokenFile {TokenFile} {why}; write the token into it (one line) or fix the path (--token-file)");
        }
        if (string.IsNullOrWhiteSpace(text)) throw new ArgumentException($"{Section}: TokenFile {TokenFile} is empty; write the token into it (one line)");
        Token = text.Trim();
        _tokenFromFile = true;
    }

    /// <summary>
    /// The warning to print at start when the endpoint is served on a non-loopback address without a token
    /// (<see cref="InsecurePublic"/>); null otherwise. Call after <see cref="Validate"/>.
    /// </summary>
    public string? ExposureWarning() =>
        Enabled && !IsLoopback(Hostname) && string.IsNullOrEmpty(Token)
            ? $"warning: the HTTP endpoint on {Hostname}:{Port} has no token ({Section}:InsecurePublic): anyone who reaches it can " +
              "operate the node (leave, down, read its logs) and stream audio; set a token (--token-file) unless a firewall keeps everyone else out"
            : null;

    /// <summary><c>localhost</c> or a loopback IP (127.0.0.0/8, ::1, with or without brackets).</summary>
    public static bool IsLoopback(string hostname)
    {
        string h = hostname.Trim();
        if (h.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        if (h.StartsWith('[') && h.EndsWith(']')) h = h[1..^1];
        return IPAddress.TryParse(h, out IPAddress? ip) && IPAddress.IsLoopback(ip);
    }

    /// <summary>
    /// May a request with this <c>Origin</c> header reach the node? Yes without one (not a browser, or a same-origin
    /// GET), for the node's own origin (<paramref name="scheme"/> and <paramref name="host"/>: the request's scheme and
    /// Host header) and for <see cref="AllowedOrigins"/>; no for any other origin and for the opaque origin <c>null</c>.
    /// </summary>
    public bool OriginAllowed(string? origin, string scheme, string? host)
    {
        if (string.IsNullOrEmpty(origin)) return true;
        string? presented = NormalizeOrigin(origin);
        if (presented is null) return false;
        if (!string.IsNullOrEmpty(host) && presented == NormalizeOrigin($"{scheme}://{host}")) return true;
        return AllowedOrigins.Any(a => NormalizeOrigin(a) == presented);
    }

    /// <summary>
    /// May a request with this <c>Host</c> header reach a node bound to loopback? Only loopback names
    /// (<c>localhost</c>, 127.0.0.0/8, ::1) and the hosts of <see cref="AllowedOrigins"/>: a page whose own name was
    /// made to resolve to 127.0.0.1 (DNS rebinding) is same-origin for the browser, but its requests carry that name.
    /// Any host when the node binds a non-loopback address (the token guards it there); also when there is no header.
    /// </summary>
    public bool HostAllowed(string? host)
    {
        if (string.IsNullOrEmpty(host) || !IsLoopback(Hostname)) return true;
        if (!Uri.TryCreate($"http://{host}", UriKind.Absolute, out Uri? uri)) return false;
        string name = uri.Host;
        return IsLoopback(name) || AllowedOrigins.Any(a => Uri.TryCreate(a.Trim(), UriKind.Absolute, out Uri? o) && string.Equals(o.Host, name, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary><c>scheme://host:port</c> in lower case with the port spelled out; null when it is not an http(s) origin.</summary>
    public static string? NormalizeOrigin(string origin)
    {
        if (!Uri.TryCreate(origin.Trim(), UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host)
            || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
            return null;
        return $"{uri.Scheme}://{uri.Host.ToLowerInvariant()}:{uri.Port}";
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
