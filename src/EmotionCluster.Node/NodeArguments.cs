using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Globalization;

namespace EmotionCluster.Node;

/// <summary>
/// Command line of the node host (System.CommandLine, as the CLI): a verb (<c>run</c>, the default, or
/// <c>extract</c>) and flags. Node flags become configuration keys under <c>EmotionCluster:Node</c> and
/// <c>EmotionCluster:Http</c> (<see cref="Config"/>), so they override appsettings.json and environment variables;
/// the extract flags and <c>--config</c> are in <see cref="Options"/>. Bad input is refused by <see cref="Parse"/>
/// naming the flag and the fix.
/// </summary>
public sealed record NodeArguments(string Verb, IReadOnlyDictionary<string, string?> Config, IReadOnlyDictionary<string, string> Options)
{
    public const string Name = "emotioncluster-node";

    /// <summary>True when <c>--help</c> (or <c>-h</c>, <c>-?</c>) was given: print <see cref="WriteHelp"/> and exit.</summary>
    public bool Help => Options.ContainsKey("--help");

    /// <summary>The flags, their option and the configuration key each sets (<c>null</c>: kept in <see cref="Options"/>).</summary>
    private sealed class Flags
    {
        public readonly RootCommand Root = new("EmotionCluster node: a member of the cluster (run until SIGTERM/Ctrl+C), or a one-shot extraction (extract).");
        public readonly Command Run = new("run", "Run a cluster node until SIGTERM/Ctrl+C (the default verb).");
        public readonly Command Extract = new("extract", "Join the cluster as a coordinator and extract every *.wav under --data.");
        public readonly List<(Option Option, Func<object, IEnumerable<KeyValuePair<string, string?>>> Keys)> NodeFlags = [];
        public readonly List<Option> ExtractFlags = [];
        public readonly Option<string?> ConfigFile = new("--config") { Description = "Extra JSON settings file.", HelpName = "FILE", Recursive = true };

        public Flags()
        {
            Node(Text("--hostname", "H", "Address to bind (default 127.0.0.1)."), "Node:Hostname");
            Node(Text("--public-hostname", "H", "Address other nodes use (default: --hostname)."), "Node:PublicHostname");
            Node(Whole("--port", "N", "Remoting port (default 0 = any free port).", 0, 65535), "Node:Port");
            var seed = new Option<string[]>("--seed")
            {
                Description = "Seed node, e.g. akka.tcp://emotioncluster@127.0.0.1:4053 (repeatable).", HelpName = "ADDR",
                Recursive = true, Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false,
            };
            NodeFlags.Add((seed, v => ((string[])v).Select((s, i) => Pair($"Node:SeedNodes:{i}", s))));
            var roles = Text("--roles", "R1,R2", "extractor, trainer, evaluator, predictor, coordinator (default: all but coordinator).");
            NodeFlags.Add((roles, v => ((string)v).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select((r, i) => Pair($"Node:Roles:{i}", r))));
            Node(Text("--store", "DIR", "Feature store directory (default $XDG_CACHE_HOME/emotioncluster/features, ~/.cache/…)."), "Node:FeatureStorePath");
            Node(Whole("--shards", "N", "Shard count of the extractor region (all nodes must agree; default 60).", 1, int.MaxValue), "Node:ShardCount");
            NodeSeconds("--sbr-stable-after", "Seconds of stable membership before the split-brain resolver downs nodes.", "Node:SplitBrainStableAfter");
            NodeSeconds("--heartbeat-pause", "Seconds of missed heartbeats before a node is unreachable.", "Node:AcceptableHeartbeatPause");
            Node(Text("--tls-certificate", "F", "Cluster certificate (PKCS#12): remoting over mutual TLS, peers must present the same one."), "Node:TlsCertificate");
            Node(Text("--tls-password-file", "F", "The certificate's password (the cluster's shared secret), read from F."), "Node:TlsCertificatePasswordFile");
            Node(Text("--http-hostname", "H", "HTTP endpoint address: health, metrics, management, streaming (default 127.0.0.1)."), "Http:Hostname");
            Node(Whole("--http-port", "N", "HTTP port (default 8080; 0 = any free port; -1 = no HTTP endpoint).", -1, 65535), "Http:Port");
            Node(Text("--token-file", "FILE", "Require \"Authorization: Bearer TOKEN\" on the HTTP endpoint (health probes excepted), TOKEN read from FILE; " +
                "or set EmotionCluster__Http__Token in the environment."), "Http:TokenFile");
            Node(Text("--token", "T", "The same with the token on the command line (discouraged: ps shows it to every user)."), "Http:Token");
            Node(Switch("--insecure-public", "Allow a non-loopback --http-hostname without a token (otherwise the node refuses)."), "Http:InsecurePublic");
            Node(Text("--metrics-token", "T", "A second token, good for GET /metrics only (a scraper's credential)."), "Http:MetricsToken");
            Node(Switch("--public-metrics", "GET /metrics needs no token (the management API still does)."), "Http:PublicMetrics");
            foreach (var (option, _) in NodeFlags) Root.Options.Add(option);
            Root.Options.Add(ConfigFile);

            var data = Text("--data", "DIR", "Corpus folder (required).", recursive: false);
            Extract.Validators.Add(r =>
            {
                if (r.GetResult(data) is null) r.AddError("extract needs --data DIR: the corpus folder whose *.wav files to extract");
            });
            ExtractFlags.AddRange([
                data,
                Text("--settings", "FILE", "Feature settings JSON (default: the built-in defaults).", recursive: false),
                Switch("--return-features", "Extractors send features back to this node's store (no shared storage needed).", recursive: false),
                Switch("--serve-audio", "Extractors get audio bytes from this node (they need not have the corpus).", recursive: false),
                Whole("--min-extractors", "N", "Wait for N extractor nodes before starting (default 1).", 1, int.MaxValue, recursive: false),
                Whole("--max-in-flight", "N", "Clips sent but not answered, at most (default 32).", 1, int.MaxValue, recursive: false),
                Positive("--retry-after", "S", "Resend a clip not answered within S seconds (default 10).", recursive: false),
                Text("--summary", "FILE", "Write the summary as JSON.", recursive: false),
            ]);
            foreach (Option o in ExtractFlags) Extract.Options.Add(o);
            Root.Subcommands.Add(Run);
            Root.Subcommands.Add(Extract);
            // The node host acts on what Parse returns; an action on each command only marks it runnable (no verb = run).
            foreach (Command c in (Command[])[Root, Run, Extract]) c.SetAction(_ => 0);
        }

        private void Node(Option option, string key) =>
            NodeFlags.Add((option, v => [Pair(key, v is bool b ? (b ? "true" : null) : Convert.ToString(v, CultureInfo.InvariantCulture))]));

        private void NodeSeconds(string name, string description, string key) =>
            NodeFlags.Add((Positive(name, "S", description), v => [Pair(key, TimeSpan.FromSeconds((double)v).ToString("c"))]));

        private static KeyValuePair<string, string?> Pair(string key, string? value) => new($"EmotionCluster:{key}", value);

        private static Option<string> Text(string name, string helpName, string description, bool recursive = true) =>
            new(name) { Description = description, HelpName = helpName, Recursive = recursive };

        private static Option<bool> Switch(string name, string description, bool recursive = true) =>
            new(name) { Description = description, Recursive = recursive, Arity = ArgumentArity.Zero };

        private static Option<int> Whole(string name, string helpName, string description, int min, int max, bool recursive = true) =>
            new(name)
            {
                Description = description, HelpName = helpName, Recursive = recursive,
                CustomParser = r =>
                {
                    string text = r.Tokens.Count == 1 ? r.Tokens[0].Value : "";
                    if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int n) && n >= min && n <= max) return n;
                    r.AddError(max == int.MaxValue
                        ? $"{name} '{text}' must be a whole number of at least {min}, e.g. {name} {Math.Max(min, 1)}"
                        : $"{name} '{text}' must be a whole number from {min} to {max}");
                    return 0;
                },
            };

        private static Option<double> Positive(string name, string helpName, string description, bool recursive = true) =>
            new(name)
            {
                Description = description, HelpName = helpName, Recursive = recursive,
                CustomParser = r =>
                {
                    string text = r.Tokens.Count == 1 ? r.Tokens[0].Value : "";
                    if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && d > 0 && double.IsFinite(d)) return d;
                    r.AddError($"{name} '{text}' must be a positive number of seconds, e.g. {name} 10");
                    return 0;
                },
            };
    }

    /// <summary>
    /// Parses <paramref name="args"/>. Throws <see cref="ArgumentException"/> with one line per problem (each naming the
    /// flag and the fix) and where to find the usage: an unknown verb or flag, a missing or malformed value,
    /// <c>extract</c> without <c>--data</c>.
    /// </summary>
    public static NodeArguments Parse(IReadOnlyList<string> args)
    {
        var flags = new Flags();
        ParseResult parsed = flags.Root.Parse(args.ToArray());
        bool help = parsed.Action is HelpAction;
        string verb = parsed.CommandResult.Command == flags.Extract ? "extract" : "run";
        if (!help && parsed.Errors.Count > 0)
            throw new ArgumentException(string.Join('\n', parsed.Errors.Select(e => $"error: {e.Message}")) +
                $"\nRun '{Name} {(verb == "extract" ? "extract " : "")}--help' for usage.");

        var config = new Dictionary<string, string?>();
        foreach (var (option, keys) in flags.NodeFlags)
            if (parsed.GetResult(option) is { Implicit: false } && Value(parsed, option) is { } value)
                foreach (var (key, v) in keys(value))
                    if (v is not null) config[key] = v;

        var options = new Dictionary<string, string>();
        if (help) options["--help"] = "true";
        if (parsed.GetValue(flags.ConfigFile) is { } configFile) options["--config"] = configFile;
        if (verb == "extract")
            foreach (Option option in flags.ExtractFlags)
                if (parsed.GetResult(option) is { Implicit: false } && Value(parsed, option) is { } value)
                    options[option.Name] = value switch
                    {
                        bool b => b ? "true" : "false",
                        _ => Convert.ToString(value, CultureInfo.InvariantCulture)!,
                    };
        return new NodeArguments(verb, config, options);
    }

    /// <summary>The generated help of the command <paramref name="args"/> name (the root's, or <c>run</c>'s, <c>extract</c>'s).</summary>
    public static void WriteHelp(IReadOnlyList<string> args, TextWriter output)
    {
        ParseResult parsed = new Flags().Root.Parse(args.ToArray());
        if (parsed.Action is not HelpAction) parsed = new Flags().Root.Parse(["--help"]);
        parsed.Invoke(new InvocationConfiguration { Output = output, Error = output });
    }

    private static object? Value(ParseResult parsed, Option option) => option switch
    {
        Option<string> s => parsed.GetValue(s),
        Option<string[]> a => parsed.GetValue(a),
        Option<int> i => parsed.GetValue(i),
        Option<double> d => parsed.GetValue(d),
        Option<bool> b => parsed.GetValue(b) ? true : null,
        _ => throw new InvalidOperationException($"option {option.Name} has a type the node's parser does not read"),
    };

    public int Int(string option, int fallback) =>
        !Options.TryGetValue(option, out string? v) ? fallback
        : int.TryParse(v, CultureInfo.InvariantCulture, out int n) && n > 0 ? n
        : throw new ArgumentException($"{option} '{v}' must be a positive whole number");

    public double Double(string option, double fallback) =>
        !Options.TryGetValue(option, out string? v) ? fallback
        : double.TryParse(v, CultureInfo.InvariantCulture, out double d) && d > 0 ? d
        : throw new ArgumentException($"{option} '{v}' must be a positive number");
}
