using System.Data.Common;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text.Json;
using EmotionCluster.Audio;
using EmotionCluster.Corpora;
using EmotionCluster.Management;
using EmotionCluster.Streaming;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Deployment.Tests;

/// <summary>
/// A throwaway PostgreSQL 15 started by deploy/start-test-postgres.sh (as the journal tests' servers are), stopped and
/// removed on dispose.
/// </summary>
public sealed class TestPostgres : IDisposable
{
    public const string Script = "deploy/start-test-postgres.sh";
    public const string PgBin = "/usr/lib/postgresql/15/bin";
    public string Host { get; }
    public int Port { get; }
    private readonly string _dir;

    private TestPostgres(string host, int port, string dir) => (Host, Port, _dir) = (host, port, dir);

    public static bool Available => File.Exists(Path.Combine(Environment.GetEnvironmentVariable("PG_BIN") ?? PgBin, "initdb"));

    public static TestPostgres Start()
    {
        ShellResult r = Shell.Bash(Path.Combine(Datasets.RepoRoot, Script), [], timeout: TimeSpan.FromSeconds(90));
        if (r.ExitCode != 0) throw new InvalidOperationException($"{Script} failed: {r}");
        var exports = r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Trim().Split('=', 2)).Where(kv => kv.Length == 2)
            .ToDictionary(kv => kv[0].Replace("export ", ""), kv => kv[1].Trim('\''));
        var connection = new DbConnectionStringBuilder { ConnectionString = exports["EMOTIONCLUSTER_PG"] };
        return new TestPostgres((string)connection["Host"], int.Parse((string)connection["Port"]), exports["EMOTIONCLUSTER_PG_DIR"]);
    }

    public void Dispose() => Shell.Bash(Path.Combine(Datasets.RepoRoot, Script), ["--stop", _dir], timeout: TimeSpan.FromSeconds(60));
}
