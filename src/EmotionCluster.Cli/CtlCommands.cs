using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using EmotionCluster.Management;
using Spectre.Console;

namespace EmotionCluster.Cli;

/// <summary>
/// <c>emotioncluster ctl --node URL [--token-file FILE] [--json] VERB</c>: operate a running node through its HTTP
/// management API (src/EmotionCluster.Management): cluster membership, sharding, actors, logs, training.
/// <c>--node</c> defaults to EMOTIONCLUSTER_NODE, then http://127.0.0.1:8080; the token comes from
/// <c>--token-file</c>, <c>--token</c> (discouraged: ps shows it), EMOTIONCLUSTER_TOKEN or EMOTIONCLUSTER_TOKEN_FILE.
/// Connection, authorization and address problems and answers that are not what a node sends are one line on stderr
/// with exit code 2.
/// </summary>
public static class CtlCommands
{
    public const string NodeVariable = "EMOTIONCLUSTER_NODE";
    public const string TokenVariable = "EMOTIONCLUSTER_TOKEN";
    public const string TokenFileVariable = "EMOTIONCLUSTER_TOKEN_FILE";
    public const string DefaultNode = "http://127.0.0.1:8080";
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The API's camelCase JSON, strictly: a missing field or a null where the shape has none is an error.</summary>
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    public static Command Create()
    {
        var node = new Option<string?>("--node")
        {
            Description = $"The node's HTTP endpoint, e.g. http://127.0.0.1:8080 (default: ${NodeVariable}, else {DefaultNode}).",
            Recursive = true,
        };
        var token = new Option<string?>("--token")
        {
            Description = $"Bearer token of the node (EmotionCluster:Http:Token). Discouraged: ps shows it; use --token-file or ${TokenVariable}.",
            Recursive = true,
        };
        var tokenFile = TokenFileOption();
        tokenFile.Recursive = true;
        var json = new Option<bool>("--json") { Description = "Print the API's JSON answer instead of tables.", Recursive = true };

        var ctl = new Command("ctl", "Operate a running node over its management API (cluster, remoting, sharding, actors, logs, training).")
        {
            node, token, tokenFile, json,
        };

        Command Verb(string name, string description, Func<ParseResult, CtlClient, IAnsiConsole, TextWriter, bool, int> run, params Symbol[] symbols) =>
            FollowingVerb(name, description, (p, c, con, o, j, _) => run(p, c, con, o, j), symbols);

        // A verb that may run until Ctrl+C (SIGINT/SIGTERM cancel the token it gets).
        Command FollowingVerb(string name, string description, Func<ParseResult, CtlClient, IAnsiConsole, TextWriter, bool, CancellationToken, int> run,
            params Symbol[] symbols)
        {
            var command = new Command(name, description);
            foreach (Symbol s in symbols)
            {
                if (s is Option o) command.Options.Add(o);
                else if (s is Argument a) command.Arguments.Add(a);
            }
            command.SetAction((parseResult, cancel) => Task.FromResult(CliErrors.Run(parseResult, output =>
            {
                using var client = new CtlClient(ResolveNode(parseResult.GetValue(node), Environment.GetEnvironmentVariable),
                    ResolveToken(parseResult.GetValue(token), Environment.GetEnvironmentVariable, parseResult.GetValue(tokenFile)));
                try
                {
                    return run(parseResult, client, CliConsole.For(output, plainWidth: null), output, parseResult.GetValue(json), cancel);
                }
                catch (Exception e) when (e is not (CliException or OperationCanceledException))
                {
                    // Whatever an odd answer breaks further down (a formatter, a null inside a list): one line, no stack trace.
                    throw new CliException($"{client.Node}: cannot show the answer ({e.GetType().Name}: {OneLine(e.Message)}); is it an EmotionCluster node of this version?");
                }
            })));
            return command;
        }

        var address = new Argument<string>("ADDR") { Description = "Member address, e.g. akka.tcp://emotioncluster@10.0.0.5:4053 (see 'cluster show')." };
        var downAddress = new Argument<string>("ADDR") { Description = "Member address, e.g. akka.tcp://emotioncluster@10.0.0.5:4053 (see 'cluster show')." };
        var type = new Argument<string>("TYPE") { Description = "Shard region type name (see 'cluster sharding regions'), e.g. clip-extractor." };
        var lines = new Option<int>("--lines")
        {
            Description = "How many of the newest log lines to show.",
            DefaultValueFactory = _ => 50,
        };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new log lines as the node logs them (until Ctrl+C or --duration)." };
        var duration = new Option<double>("--duration")
        {
            Description = "With --follow: stop after this many seconds (default 0: until Ctrl+C).",
            DefaultValueFactory = _ => 0,
        };
        var tailDuration = new Option<double>("--duration")
        {
            Description = "Stop after this many seconds (default 0: until Ctrl+C or --count).",
            DefaultValueFactory = _ => 0,
        };
        var count = new Option<int>("--count") { Description = "Stop after this many events (default 0: no limit).", DefaultValueFactory = _ => 0 };
        var joinAddress = new Argument<string>("ADDR") { Description = "A member of the cluster to join, e.g. akka.tcp://emotioncluster@10.0.0.5:4053." };
        var depth = new Option<int>("--depth")
        {
            Description = "How many levels below /user and /system to walk (1-12).",
            DefaultValueFactory = _ => 4,
        };

        var sharding = new Command("sharding", "Shard regions and where their shards are.")
        {
            Verb("regions", "Shard region types started on the node, with the shards and entities it hosts.",
                (_, c, con, o, j) => Show<RegionsView>(c.Get("/api/sharding/regions"), j, o, con, PrintRegions)),
            Verb("stats", "Shards and entities per node of one region type (asks every region through the coordinator).",
                (p, c, con, o, j) => Show<ShardingStatsView>(c.Get($"/api/sharding/regions/{Uri.EscapeDataString(p.GetValue(type)!)}/stats"), j, o, con, PrintShardingStats), type),
        };
        var cluster = new Command("cluster", "Cluster membership and sharding.")
        {
            Verb("show", "Members (address, roles, status, up number, reachability), the leader and this node.",
                (_, c, con, o, j) => Show<ClusterView>(c.Get("/api/cluster"), j, o, con, PrintCluster)),
            Verb("leave", "Ask a member to leave gracefully: its shards are handed over, then it shuts down.",
                (p, c, con, o, j) => Show<MembershipCommandResult>(c.Post("/api/cluster/leave", p.GetValue(address)!), j, o, con, PrintMembershipCommand), address),
            Verb("down", "Mark a member down (for a node that is gone and cannot leave): it is removed without a hand-over.",
                (p, c, con, o, j) => Show<MembershipCommandResult>(c.Post("/api/cluster/down", p.GetValue(downAddress)!), j, o, con, PrintMembershipCommand), downAddress),
            Verb("down-unreachable", "Mark every member this node sees as unreachable down.",
                (_, c, con, o, j) => Show<DownUnreachableResult>(c.Post("/api/cluster/down-unreachable", new { }), j, o, con, PrintDownUnreachable)),
            Verb("join", "Make the node join the cluster of ADDR (when its seeds were wrong or down); a member already is refused (409).",
                (p, c, con, o, j) => Show<MembershipCommandResult>(c.Post("/api/cluster/join", p.GetValue(joinAddress)!), j, o, con, PrintMembershipCommand), joinAddress),
            FollowingVerb("tail", "Membership events as the node sees them (joined, up, leaving, unreachable, downed, removed, leader), from now on.",
                (p, c, con, o, j, cancel) => Tail(c, con, o, j, p.GetValue(count), p.GetValue(tailDuration), cancel), count, tailDuration),
            sharding,
        };
        var actor = new Command("actor", "The node's actors.")
        {
            Verb("hierarchy", "The actor tree under /user and /system (bounded depth and time).",
                (p, c, con, o, j) => Show<ActorTreeView>(c.Get($"/api/actors?depth={p.GetValue(depth)}"), j, o, con, PrintActorTree), depth),
        };
        var log = new Command("log", "The node's recent log lines (Akka.NET and ASP.NET Core).")
        {
            FollowingVerb("peek", "The newest log lines, oldest first; with --follow, then the new ones as they come.",
                (p, c, con, o, j, cancel) => p.GetValue(follow)
                    ? FollowLogs(c, con, o, j, p.GetValue(lines), p.GetValue(duration), cancel)
                    : Show<LogPeekView>(c.Get($"/api/logs?lines={p.GetValue(lines)}"), j, o, con, PrintLogs), lines, follow, duration),
        };
        var train = new Command("train", "Training on a trainer node.")
        {
            Verb("status", "What the node's trainer is doing: run, fold, epoch, loss, validation UAR.",
                (_, c, con, o, j) => Show<TrainingStatus>(c.Get("/api/train/status"), j, o, con, PrintTrainingStatus)),
        };
        var runs = new Command("runs", "Training and evaluation runs the node knows.")
        {
            Verb("list", "Runs with their state, times and headline metrics.",
                (_, c, con, o, j) => Show<List<RunInfo>>(c.Get("/api/runs"), j, o, con, PrintRuns)),
        };
        var remote = new Command("remote", "The node's remoting (Akka.Remote) associations.")
        {
            Verb("connections", "This node's remoting associations: remote address, direction, state (associated, disassociated, error, quarantined) " +
                                "and since when, the remote system's uid and cluster status, what went wrong.",
                (_, c, con, o, j) => Show<RemoteConnectionsView>(c.Get("/api/remote/connections"), j, o, con, PrintRemoteConnections)),
        };
        foreach (Command group in new[] { cluster, remote, actor, log, train, runs }) ctl.Subcommands.Add(group);
        return ctl;
    }

    /// <summary>--node, else $EMOTIONCLUSTER_NODE, else the local default; must be an absolute http(s) URL.</summary>
    public static Uri ResolveNode(string? option, Func<string, string?> environment)
    {
        string? fromEnv = environment(NodeVariable);
        string text = !string.IsNullOrWhiteSpace(option) ? option.Trim()
            : !string.IsNullOrWhiteSpace(fromEnv) ? fromEnv.Trim()
            : DefaultNode;
        string from = !string.IsNullOrWhiteSpace(option) ? "--node" : !string.IsNullOrWhiteSpace(fromEnv) ? NodeVariable : "default node";
        if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
            throw new CliException($"{from} '{text}' is not a node address; use the node's HTTP endpoint, e.g. http://127.0.0.1:8080");
        if (uri.AbsolutePath != "/" || uri.Query.Length > 0)
            throw new CliException($"{from} '{text}' must be just scheme, host and port, e.g. http://127.0.0.1:8080");
        return uri;
    }

    /// <summary>The <c>--token-file</c> option of the commands that talk to a node (ctl, stream).</summary>
    public static Option<string?> TokenFileOption() => new("--token-file")
    {
        Description = $"File holding the node's bearer token (one line), e.g. a mounted Secret (default: ${TokenFileVariable}).",
    };

    /// <summary>
    /// The bearer token: <c>--token-file</c>, else <c>--token</c>, else $EMOTIONCLUSTER_TOKEN, else the file named by
    /// $EMOTIONCLUSTER_TOKEN_FILE, else none. Both flags at once, a missing or empty file: a <see cref="CliException"/>.
    /// </summary>
    public static string? ResolveToken(string? option, Func<string, string?> environment, string? file = null)
    {
        if (!string.IsNullOrEmpty(option) && !string.IsNullOrEmpty(file))
            throw new CliException("--token and --token-file are both given; choose one (--token-file keeps the token out of ps)");
        if (!string.IsNullOrEmpty(file)) return ReadTokenFile(file, "--token-file");
        if (!string.IsNullOrEmpty(option)) return option;
        if (environment(TokenVariable) is { Length: > 0 } fromEnv) return fromEnv;
        if (environment(TokenFileVariable) is { Length: > 0 } envFile) return ReadTokenFile(envFile, TokenFileVariable);
        return null;
    }

    private static string ReadTokenFile(string path, string from)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException(e is FileNotFoundException or DirectoryNotFoundException
                ? $"{from} {path}: file not found; write the node's token into it (one line)"
                : $"{from} {path}: cannot read it ({e.Message})");
        }
        return string.IsNullOrWhiteSpace(text) ? throw new CliException($"{from} {path}: the file is empty; write the node's token into it (one line)") : text.Trim();
    }

    private static int Show<T>(ApiAnswer answer, bool json, TextWriter output, IAnsiConsole console, Action<IAnsiConsole, T> print)
    {
        T value = Parse<T>(answer); // also with --json: it passes the answer through, but only one of the right shape
        if (json) output.WriteLine(answer.Body);
        else print(console, value);
        return CliErrors.Ok;
    }

    /// <summary>The answer as <typeparamref name="T"/>, strictly; anything else is a one-line <see cref="CliException"/>.</summary>
    private static T Parse<T>(ApiAnswer answer)
    {
        T? value;
        try
        {
            value = JsonSerializer.Deserialize<T>(answer.Body, Json);
        }
        catch (JsonException e)
        {
            throw new CliException($"{answer.Url}: the answer is not what an EmotionCluster node sends ({OneLine(e.Message)}); " +
                                   $"is --node an EmotionCluster node of this version? It starts: {CtlClient.Snippet(answer.Body)}");
        }
        return value ?? throw new CliException($"{answer.Url}: empty answer (null); is --node an EmotionCluster node?");
    }

    /// <summary>When a following verb stops: after <paramref name="seconds"/> (0: never).</summary>
    private static DateTime Deadline(double seconds) =>
        seconds > 0 ? DateTime.UtcNow.AddSeconds(seconds) : DateTime.MaxValue;

    /// <summary>
    /// <c>log peek --follow</c>: the newest lines, then every second the lines logged since (<c>/api/logs?after=N</c>),
    /// until Ctrl+C or <paramref name="seconds"/>. With --json one JSON object per line.
    /// </summary>
    public static int FollowLogs(CtlClient client, IAnsiConsole console, TextWriter output, bool json, int lines, double seconds, CancellationToken cancel)
    {
        DateTime until = Deadline(seconds);
        void Emit(IEnumerable<LogLine> batch)
        {
            if (!json) PrintLogLines(console, batch);
            else foreach (LogLine line in batch) output.WriteLine(JsonSerializer.Serialize(line, Json));
            output.Flush();
        }
        try
        {
            LogPeekView first = Parse<LogPeekView>(client.Get($"/api/logs?lines={lines}", cancel));
            Emit(first.Lines);
            long total = first.Total;
            while (DateTime.UtcNow < until)
            {
                TimeSpan pause = TimeSpan.FromSeconds(1);
                if (until - DateTime.UtcNow < pause) pause = until - DateTime.UtcNow;
                if (pause > TimeSpan.Zero) cancel.WaitHandle.WaitOne(pause);
                cancel.ThrowIfCancellationRequested();
                LogPeekView next = Parse<LogPeekView>(client.Get($"/api/logs?after={total}", cancel));
                if (next.Total < total && !json) Line(console, "(the node restarted; its log starts again)");
                Emit(next.Lines);
                total = next.Total;
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested) { }
        return CliErrors.Ok;
    }

    /// <summary>
    /// <c>cluster tail</c>: membership events from now on, one line each (long polls of <c>/api/cluster/events</c>),
    /// until Ctrl+C, <paramref name="seconds"/> or <paramref name="count"/> events. With --json one JSON object per line.
    /// </summary>
    public static int Tail(CtlClient client, IAnsiConsole console, TextWriter output, bool json, int count, double seconds, CancellationToken cancel)
    {
        DateTime until = Deadline(seconds);
        int seen = 0;
        try
        {
            long last = Parse<MembershipEventsView>(client.Get("/api/cluster/events", cancel)).Last;
            while (DateTime.UtcNow < until && (count <= 0 || seen < count))
            {
                int wait = (int)Math.Clamp(Math.Ceiling((until - DateTime.UtcNow).TotalSeconds), 0, 10);
                MembershipEventsView next = Parse<MembershipEventsView>(client.Get($"/api/cluster/events?after={last}&wait={wait}", cancel));
                foreach (MembershipEventView e in next.Events)
                {
                    if (count > 0 && seen >= count) break;
                    if (json) output.WriteLine(JsonSerializer.Serialize(e, Json));
                    else PrintMembershipEvent(console, e);
                    seen++;
                }
                output.Flush();
                last = next.Last;
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested) { }
        return CliErrors.Ok;
    }

    /// <summary>Line breaks and runs of blanks as one space.</summary>
    public static string OneLine(string text) => System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ").Trim();

    // ---- formatters (public for tests) --------------------------------------------------------------------------

    /// <summary>
    /// A table: on a terminal drawn by Spectre.Console (aligned, wrapped to the width); otherwise (stdout redirected,
    /// piped) one line per row with the cells separated by a tab, no padding and no wrapping, for grep, cut and awk.
    /// </summary>
    private sealed class Rows(params string[] header)
    {
        private readonly List<string[]> _rows = new();
        private readonly HashSet<int> _right = new();

        public Rows RightAligned(params int[] columns) { _right.UnionWith(columns); return this; }

        public void Add(params string[] cells) => _rows.Add(cells);

        public void WriteTo(IAnsiConsole console)
        {
            if (!IsTerminal(console))
            {
                TextWriter w = console.Profile.Out.Writer;
                w.WriteLine(string.Join('\t', header).TrimEnd('\t'));
                foreach (string[] row in _rows) w.WriteLine(string.Join('\t', row).TrimEnd('\t'));
                return;
            }
            var table = new Table().Border(TableBorder.Simple);
            for (int i = 0; i < header.Length; i++)
            {
                var column = new TableColumn(Esc(header[i]));
                table.AddColumn(_right.Contains(i) ? column.RightAligned() : column);
            }
            foreach (string[] row in _rows) table.AddRow(row.Select(Esc).ToArray());
            console.Write(table);
        }
    }

    /// <summary>A console on a terminal; otherwise output is plain (<see cref="Rows"/>, <see cref="Line"/>).</summary>
    private static bool IsTerminal(IAnsiConsole console) => console.Profile.Out.IsTerminal;

    /// <summary>One line of text: wrapped by Spectre.Console on a terminal, written as is otherwise.</summary>
    private static void Line(IAnsiConsole console, string text)
    {
        if (IsTerminal(console)) console.WriteLine(text);
        else console.Profile.Out.Writer.WriteLine(text);
    }

    public static void PrintCluster(IAnsiConsole console, ClusterView c)
    {
        var table = new Rows("Address", "Roles", "Status", "Up #", "Reachable", "").RightAligned(3);
        foreach (MemberView m in c.Members)
        {
            var notes = new List<string>();
            if (m.Address == c.Leader) notes.Add("leader");
            if (m.Address == c.Self) notes.Add("self");
            table.Add(m.Address, string.Join(',', m.Roles), m.Status,
                m.UpNumber?.ToString(CultureInfo.InvariantCulture) ?? "-", m.Reachable ? "yes" : "NO", string.Join(", ", notes));
        }
        table.WriteTo(console);
        Line(console, $"{c.Members.Count} members, {c.Members.Count(m => m.Status == "Up")} up, {c.Unreachable.Count} unreachable; " +
                          $"leader {c.Leader ?? "none"}; this node {c.Self} ({c.SelfStatus})");
    }

    public static void PrintMembershipCommand(IAnsiConsole console, MembershipCommandResult r) => Line(console, r.Message);

    public static void PrintDownUnreachable(IAnsiConsole console, DownUnreachableResult r) => Line(console, r.Message);

    /// <summary>One membership event per line: time, kind, address, detail.</summary>
    public static void PrintMembershipEvent(IAnsiConsole console, MembershipEventView e) =>
        Line(console, $"{e.Timestamp.UtcDateTime:HH:mm:ss.fff} {e.Kind,-11} {e.Address} ({e.Detail})");

    public static void PrintRemoteConnections(IAnsiConsole console, RemoteConnectionsView r)
    {
        string Uid(long? uid) => uid?.ToString(CultureInfo.InvariantCulture) ?? "-";
        if (r.Connections.Count > 0)
        {
            var table = new Rows("Address", "Direction", "State", "Since", "Uid", "Member", "Detail").RightAligned(4);
            foreach (RemoteConnectionView c in r.Connections)
                table.Add(c.Address, c.Direction, c.State, c.Since.UtcDateTime.ToString("u", CultureInfo.InvariantCulture), Uid(c.Uid),
                    c.MemberStatus ?? "-", c.Detail ?? "");
            table.WriteTo(console);
        }
        int associated = r.Connections.Count(c => c.State == "associated");
        Line(console, $"{associated} associated, {r.Connections.Count - associated} ended or failed; this node {r.Self} (uid {Uid(r.SelfUid)}); " +
                      $"recorded since {r.TrackingSince?.UtcDateTime.ToString("u", CultureInfo.InvariantCulture) ?? "-"}");
    }

    public static void PrintRegions(IAnsiConsole console, RegionsView r)
    {
        if (r.Regions.Count == 0)
        {
            Line(console, $"no shard regions on {r.Node}");
            return;
        }
        var table = new Rows("Region type", "Shards here", "Entities here", "Note").RightAligned(1, 2);
        foreach (RegionView region in r.Regions)
            table.Add(region.TypeName, region.LocalShards.ToString(CultureInfo.InvariantCulture),
                region.LocalEntities.ToString(CultureInfo.InvariantCulture), region.Problem ?? "");
        table.WriteTo(console);
        Line(console, $"node {r.Node}");
    }

    public static void PrintShardingStats(IAnsiConsole console, ShardingStatsView s)
    {
        var table = new Rows("Node", "Shards", "Entities", "Shard ids").RightAligned(1, 2);
        foreach (NodeShardsView n in s.Nodes)
            table.Add(n.Address, n.ShardCount.ToString(CultureInfo.InvariantCulture), n.EntityCount.ToString(CultureInfo.InvariantCulture),
                string.Join(',', n.Shards.Select(x => x.ShardId)));
        table.WriteTo(console);
        Line(console, $"{s.TypeName}: {s.Nodes.Sum(n => n.ShardCount)} shards, {s.Nodes.Sum(n => n.EntityCount)} entities on {s.Nodes.Count} nodes" +
                          (s.FailedShards.Count > 0 ? $"; shards that did not answer: {string.Join(',', s.FailedShards)}" : ""));
    }

    public static void PrintActorTree(IAnsiConsole console, ActorTreeView t)
    {
        foreach (ActorNode root in t.Roots)
        {
            if (!IsTerminal(console)) // plain: two spaces per level, no guides
            {
                TextWriter w = console.Profile.Out.Writer;
                w.WriteLine(root.Path);
                void Plain(ActorNode node, int level)
                {
                    w.WriteLine(new string(' ', 2 * level) + node.Name);
                    foreach (ActorNode c in node.Children) Plain(c, level + 1);
                }
                foreach (ActorNode c in root.Children) Plain(c, 1);
                continue;
            }
            var tree = new Tree(Esc(root.Path));
            void Add(IHasTreeNodes parent, ActorNode node)
            {
                TreeNode child = parent.AddNode(Esc(node.Name));
                foreach (ActorNode c in node.Children) Add(child, c);
            }
            foreach (ActorNode c in root.Children) Add(tree, c);
            console.Write(tree);
        }
        Line(console, $"{t.Count} actors, depth {t.Depth}{(t.Truncated ? " (truncated: more actors than shown)" : "")}");
    }

    public static void PrintLogs(IAnsiConsole console, LogPeekView l)
    {
        PrintLogLines(console, l.Lines);
        Line(console, $"({l.Lines.Count} of {l.Total} lines logged since start; the node keeps the last {l.Capacity})");
    }

    public static void PrintLogLines(IAnsiConsole console, IEnumerable<LogLine> lines)
    {
        foreach (LogLine line in lines)
            Line(console, $"{line.Timestamp.UtcDateTime:HH:mm:ss.fff} {line.Level.ToUpperInvariant(),-7} [{line.Category}] {line.Message}");
    }

    public static void PrintTrainingStatus(IAnsiConsole console, TrainingStatus s)
    {
        static string N(double? v) => v?.ToString("0.####", CultureInfo.InvariantCulture) ?? "-";
        var rows = new List<(string Key, string Value)>();
        void Row(string k, string v) => rows.Add((k, v));
        Row("state", s.State);
        Row("run", s.RunId ?? "-");
        if (s.Folds is > 1) Row("fold", $"{s.Fold}/{s.Folds}");
        Row("epoch", s.Epoch is null ? "-" : s.MaxEpochs is null ? $"{s.Epoch}" : $"{s.Epoch}/{s.MaxEpochs}");
        Row("train loss", N(s.TrainLoss));
        Row("validation loss", N(s.ValidationLoss));
        Row("validation UAR", N(s.ValidationUar));
        Row("started", s.StartedAt?.UtcDateTime.ToString("u", CultureInfo.InvariantCulture) ?? "-");
        Row("updated", s.UpdatedAt.UtcDateTime.ToString("u", CultureInfo.InvariantCulture));
        if (!string.IsNullOrEmpty(s.Message)) Row("message", s.Message);
        if (!IsTerminal(console))
        {
            foreach (var (k, v) in rows) console.Profile.Out.Writer.WriteLine($"{k}\t{v}");
        }
        else
        {
            var grid = new Grid().AddColumn().AddColumn();
            foreach (var (k, v) in rows) grid.AddRow(Esc(k), Esc(v));
            console.Write(grid);
        }
        PrintTrainingRuns(console, s.Runs);
    }

    /// <summary>The cluster's training runs of <c>ctl train status</c> (none from a node that does not list them).</summary>
    private static void PrintTrainingRuns(IAnsiConsole console, IReadOnlyList<TrainingRunStatus>? runs)
    {
        if (runs is null) return;
        Line(console, "");
        if (runs.Count == 0)
        {
            Line(console, "no training runs in the cluster");
            return;
        }
        var table = new Rows("Run", "State", "Epoch", "Step", "Participants", "Coordinator", "Updated").RightAligned(2, 3);
        foreach (TrainingRunStatus r in runs)
            table.Add(r.RunId, r.State,
                r.Epoch is null ? "-" : r.MaxEpochs is null ? $"{r.Epoch}" : $"{r.Epoch}/{r.MaxEpochs}",
                r.Step is null ? "-" : r.TotalSteps is null ? $"{r.Step}" : $"{r.Step}/{r.TotalSteps}",
                r.Participants.Count == 0 ? "-" : string.Join(' ', r.Participants),
                r.Coordinator ?? "-", r.UpdatedAt.UtcDateTime.ToString("u", CultureInfo.InvariantCulture));
        table.WriteTo(console);
    }

    public static void PrintRuns(IAnsiConsole console, List<RunInfo> runs)
    {
        if (runs.Count == 0)
        {
            Line(console, "no runs");
            return;
        }
        var table = new Rows("Run", "State", "Started", "Finished", "Corpus", "Metrics", "Artifacts");
        foreach (RunInfo r in runs.OrderByDescending(r => r.StartedAt))
            table.Add(r.RunId, r.State, r.StartedAt.UtcDateTime.ToString("u", CultureInfo.InvariantCulture),
                r.FinishedAt?.UtcDateTime.ToString("u", CultureInfo.InvariantCulture) ?? "-", r.Corpus ?? "-",
                string.Join(' ', r.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal)
                    .Select(m => $"{m.Key}={m.Value.ToString("0.####", CultureInfo.InvariantCulture)}")),
                r.ArtifactPath ?? "-");
        table.WriteTo(console);
    }

    private static string Esc(string s) => Markup.Escape(s);

}

/// <summary>An answer of the management API: the request URL and the JSON body.</summary>
public sealed record ApiAnswer(string Url, string Body);

/// <summary>HTTP client of one node's management API; every failure becomes a one-line <see cref="CliException"/>.</summary>
public sealed class CtlClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _node;

    /// <summary>The node's HTTP endpoint.</summary>
    public Uri Node => _node;

    public CtlClient(Uri node, string? token, HttpMessageHandler? handler = null)
    {
        _node = node;
        _http = handler is null ? new HttpClient() : new HttpClient(handler);
        _http.BaseAddress = node;
        _http.Timeout = CtlCommands.RequestTimeout;
        if (token is not null) _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public ApiAnswer Get(string path, CancellationToken cancel = default) => Send(() => new HttpRequestMessage(HttpMethod.Get, path), cancel);

    /// <summary>POST <c>{"address": …}</c> as JSON (the node takes state changes only as JSON bodies).</summary>
    public ApiAnswer Post(string path, string address) => Post(path, (object)new { address });

    /// <summary>POST <paramref name="body"/> as JSON.</summary>
    public ApiAnswer Post(string path, object body) => Send(() => new HttpRequestMessage(HttpMethod.Post, path)
    {
        Content = JsonContent.Create(body),
    }, default);

    /// <summary>Sends; a cancelled <paramref name="cancel"/> ends it with <see cref="OperationCanceledException"/>.</summary>
    private ApiAnswer Send(Func<HttpRequestMessage> request, CancellationToken cancel)
    {
        using HttpRequestMessage message = request();
        string url = new Uri(_node, message.RequestUri!).ToString();
        HttpResponseMessage response;
        try
        {
            response = _http.Send(message, cancel);
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
        {
            throw new CliException($"cannot reach node {_node}: connection refused; is the node running with its HTTP endpoint on that port (--http-port)?");
        }
        catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.NameResolutionError)
        {
            throw new CliException($"cannot reach node {_node}: host '{_node.Host}' not found; check --node");
        }
        catch (HttpRequestException e) when (e.HttpRequestError is HttpRequestError.InvalidResponse or HttpRequestError.ResponseEnded)
        {
            throw new CliException($"{url}: the answer is not HTTP from an EmotionCluster node ({CtlCommands.OneLine(e.Message)}); is --node the node's HTTP port (--http-port)?");
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"cannot reach node {_node}: {CtlCommands.OneLine(e.Message)}");
        }
        catch (TaskCanceledException) when (!cancel.IsCancellationRequested)
        {
            throw new CliException($"node {_node} did not answer {url} within {CtlCommands.RequestTimeout.TotalSeconds:0} s");
        }
        using (response)
        {
            string body;
            using (var reader = new StreamReader(response.Content.ReadAsStream(), Encoding.UTF8)) body = reader.ReadToEnd();
            string? type = response.Content.Headers.ContentType?.MediaType;
            bool isJson = type is not null && (type.Equals("application/json", StringComparison.OrdinalIgnoreCase) || type.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
            if (response.IsSuccessStatusCode && isJson) return new ApiAnswer(url, body);
            if (response.IsSuccessStatusCode)
                throw new CliException($"{url}: {(int)response.StatusCode} with {(type is null ? "no content type" : type)}, not JSON; " +
                                       $"is {_node} an EmotionCluster node? It answered: {Snippet(body)}");
            string detail = ErrorText(body);
            throw response.StatusCode switch
            {
                HttpStatusCode.Unauthorized => new CliException(
                    $"node {_node} refused the request (401 unauthorized: {detail}); pass --token-file FILE or set {CtlCommands.TokenVariable}"),
                HttpStatusCode.NotFound when string.IsNullOrWhiteSpace(body) => new CliException($"{url}: not found (404); is {_node} an EmotionCluster node?"),
                _ => new CliException($"{url}: {(int)response.StatusCode} {detail}"),
            };
        }
    }

    /// <summary>The "error" of a JSON error body, else the start of the body itself, on one line.</summary>
    public static string ErrorText(string body)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out JsonElement e) && e.ValueKind == JsonValueKind.String)
                return CtlCommands.OneLine(e.GetString()!);
        }
        catch (JsonException) { }
        return Snippet(body);
    }

    /// <summary>The start of an answer on one line (at most 200 characters), for error messages; "(empty)" for none.</summary>
    public static string Snippet(string body)
    {
        string line = CtlCommands.OneLine(body);
        line = new string(line.Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return line.Length == 0 ? "(empty)" : line.Length > 200 ? line[..200] + "…" : line;
    }

    public void Dispose() => _http.Dispose();
}

