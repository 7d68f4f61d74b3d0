namespace EmotionCluster.Node;

/// <summary>
/// Command line of the node host: a verb (<c>run</c>, the default, or <c>extract</c>) and flags. Node flags become
/// configuration keys under <c>EmotionCluster:Node</c>, so they override appsettings.json and environment variables.
/// </summary>
public sealed record NodeArguments(string Verb, IReadOnlyDictionary<string, string?> Config, IReadOnlyDictionary<string, string> Options)
{
    public const string Usage = """
        emotioncluster-node [run] [node flags]            run a cluster node until SIGTERM/Ctrl+C
        emotioncluster-node extract --data DIR [flags]    join the cluster and extract every *.wav under DIR

        node flags:
          --hostname H          address to bind (default 127.0.0.1)
          --public-hostname H   address other nodes use (default: --hostname)
          --port N              remoting port (default 0 = any free port)
          --seed ADDR           seed node, e.g. akka.tcp://emotioncluster@127.0.0.1:4053 (repeatable)
          --roles R1,R2         extractor, trainer, evaluator, predictor, coordinator (default: all but coordinator)
          --store DIR           feature store directory (default $XDG_CACHE_HOME/emotioncluster/features, ~/.cache/…)
          --shards N            shard count of the extractor region (all nodes must agree; default 60)
          --sbr-stable-after S  seconds of stable membership before the split-brain resolver downs nodes
          --heartbeat-pause S   seconds of missed heartbeats before a node is unreachable
          --tls-certificate F   cluster certificate (PKCS#12): remoting over mutual TLS, peers must present the same one
          --tls-password-file F the certificate's password (the cluster's shared secret), read from F
          --http-hostname H     HTTP endpoint address: health, metrics, management, streaming (default 127.0.0.1)
          --http-port N         HTTP port (default 8080; 0 = any free port; -1 = no HTTP endpoint)
          --token-file FILE     require "Authorization: Bearer TOKEN" on the HTTP endpoint (health probes excepted),
                                TOKEN read from FILE; or set EmotionCluster__Http__Token in the environment
          --token T             the same with the token on the command line (discouraged: ps shows it to every user)
          --insecure-public     allow a non-loopback --http-hostname without a token (otherwise the node refuses)
          --metrics-token T     a second token, good for GET /metrics only (a scraper's credential)
          --public-metrics      GET /metrics needs no token (the management API still does)
          --config FILE         extra JSON settings file
        extract flags:
          --data DIR            corpus folder (required)
          --settings FILE       feature settings JSON (default: the built-in defaults)
          --return-features     extractors send features back to this node's store (no shared storage needed)
          --serve-audio         extractors get audio bytes from this node (they need not have the corpus)
          --min-extractors N    wait for N extractor nodes before starting (default 1)
          --max-in-flight N     clips sent but not answered, at most (default 32)
          --retry-after S       resend a clip not answered within S seconds (default 10)
          --summary FILE        write the summary as JSON
        """;

    private static readonly Dictionary<string, string> NodeKeys = new()
    {
        ["--hostname"] = "Hostname", ["--public-hostname"] = "PublicHostname", ["--port"] = "Port",
        ["--store"] = "FeatureStorePath", ["--shards"] = "ShardCount",
        ["--tls-certificate"] = "TlsCertificate", ["--tls-password-file"] = "TlsCertificatePasswordFile",
    };
    private static readonly HashSet<string> ExtractOptions =
        ["--data", "--settings", "--min-extractors", "--max-in-flight", "--retry-after", "--summary"];

    public static NodeArguments Parse(IReadOnlyList<string> args)
    {
        var config = new Dictionary<string, string?>();
        var options = new Dictionary<string, string>();
        string verb = "run";
        int seeds = 0, i = 0;
        if (args.Count > 0 && !args[0].StartsWith('-'))
        {
            verb = args[0];
            if (verb is not ("run" or "extract")) throw new ArgumentException($"unknown command '{verb}'.\n{Usage}");
            i = 1;
        }
        for (; i < args.Count; i++)
        {
            string flag = args[i];
            if (flag is "--help" or "-h") { options["--help"] = "true"; continue; }
            if (flag is "--return-features" or "--serve-audio") { options[flag] = "true"; continue; }
            if (flag is "--public-metrics") { config["EmotionCluster:Http:PublicMetrics"] = "true"; continue; }
            if (flag is "--insecure-public") { config["EmotionCluster:Http:InsecurePublic"] = "true"; continue; }
            if (i + 1 >= args.Count) throw new ArgumentException($"{flag} needs a value.\n{Usage}");
            string value = args[++i];
            string P(string key) => $"EmotionCluster:Node:{key}";
            if (NodeKeys.TryGetValue(flag, out string? key)) config[P(key)] = value;
            else if (flag == "--http-hostname") config["EmotionCluster:Http:Hostname"] = value;
            else if (flag == "--http-port") config["EmotionCluster:Http:Port"] = value;
            else if (flag == "--token") config["EmotionCluster:Http:Token"] = value;
            else if (flag == "--token-file") config["EmotionCluster:Http:TokenFile"] = value;
            else if (flag == "--metrics-token") config["EmotionCluster:Http:MetricsToken"] = value;
            else if (flag == "--seed") config[P($"SeedNodes:{seeds++}")] = value;
            else if (flag == "--roles")
            {
                string[] roles = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                for (int r = 0; r < roles.Length; r++) config[P($"Roles:{r}")] = roles[r];
            }
            else if (flag == "--sbr-stable-after") config[P("SplitBrainStableAfter")] = Seconds(flag, value);
            else if (flag == "--heartbeat-pause") config[P("AcceptableHeartbeatPause")] = Seconds(flag, value);
            else if (flag == "--config" || (verb == "extract" && ExtractOptions.Contains(flag))) options[flag] = value;
            else throw new ArgumentException($"unknown option '{flag}'.\n{Usage}");
        }
        if (verb == "extract" && !options.ContainsKey("--data") && !options.ContainsKey("--help"))
            throw new ArgumentException($"extract needs --data DIR.\n{Usage}");
        return new NodeArguments(verb, config, options);
    }

    public int Int(string option, int fallback) =>
        !Options.TryGetValue(option, out string? v) ? fallback
        : int.TryParse(v, out int n) && n > 0 ? n
        : throw new ArgumentException($"{option} '{v}' must be a positive whole number");

    public double Double(string option, double fallback) =>
        !Options.TryGetValue(option, out string? v) ? fallback
        : double.TryParse(v, System.Globalization.CultureInfo.InvariantCulture, out double d) && d > 0 ? d
        : throw new ArgumentException($"{option} '{v}' must be a positive number");

    private static string Seconds(string flag, string value) =>
        double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out double s) && s > 0
            ? TimeSpan.FromSeconds(s).ToString("c")
            : throw new ArgumentException($"{flag} '{value}' must be a positive number of seconds");
}
