using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using EmotionCluster.Hosting;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Deployment.Tests;

/// <summary>docker/healthcheck.sh against a real HTTP listener on loopback; docker/entrypoint.sh with a stand-in dotnet.</summary>
public sealed class ContainerScriptTests
{
    private static readonly string HealthCheck = Path.Combine(Datasets.RepoRoot, "docker", "healthcheck.sh");
    private static readonly string EntryPoint = Path.Combine(Datasets.RepoRoot, "docker", "entrypoint.sh");

    /// <summary>Answers each request with the status given for its path (404 otherwise) and keeps the request heads.</summary>
    private sealed class HttpStub : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        public ConcurrentQueue<string> Requests { get; } = new();
        public int Port { get; }

        public HttpStub(IReadOnlyDictionary<string, int> statusByPath)
        {
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _ = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    using TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    try
                    {
                        using NetworkStream stream = client.GetStream();
                        var reader = new StreamReader(stream, Encoding.ASCII);
                        var head = new StringBuilder();
                        for (string? line = await reader.ReadLineAsync(); !string.IsNullOrEmpty(line); line = await reader.ReadLineAsync())
                            head.AppendLine(line);
                        Requests.Enqueue(head.ToString());
                        string path = head.ToString().Split(' ').ElementAtOrDefault(1) ?? "";
                        int status = statusByPath.GetValueOrDefault(path, 404);
                        byte[] answer = Encoding.ASCII.GetBytes($"HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                        await stream.WriteAsync(answer, _stop.Token);
                    }
                    catch (IOException) { /* the client hung up early: serve the next one */ }
                }
            });
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
        }
    }

    private static ShellResult Check(int port, string? arg = null, string? token = null) =>
        Shell.Bash(HealthCheck, arg is null ? [] : [arg], new Dictionary<string, string?>
        {
            ["EmotionCluster__Http__Hostname"] = "0.0.0.0", ["EmotionCluster__Http__Port"] = port.ToString(),
            ["EmotionCluster__Http__Token"] = token, ["HEALTHCHECK_TIMEOUT_SECONDS"] = "3",
        }, TimeSpan.FromSeconds(20));

    [Fact]
    public void Healthcheck_passes_on_2xx_from_the_live_path_and_fails_otherwise()
    {
        using var live = new HttpStub(new Dictionary<string, int> { [HttpSettings.LivePath] = 200, [HttpSettings.ReadyPath] = 503 });
        var ok = Check(live.Port);
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.StartsWith($"GET {HttpSettings.LivePath} HTTP/1.0", live.Requests.Single());
        Assert.DoesNotContain("Authorization", live.Requests.Single());

        var notReady = Check(live.Port, "ready");
        Assert.Equal(1, notReady.ExitCode);
        Assert.Contains("503", notReady.StdErr);
        Assert.StartsWith($"GET {HttpSettings.ReadyPath} ", live.Requests.Last());
    }

    [Fact]
    public void Healthcheck_sends_the_bearer_token_when_one_is_configured()
    {
        using var stub = new HttpStub(new Dictionary<string, int> { [HttpSettings.LivePath] = 204 });
        var result = Check(stub.Port, "live", token: "s3cret");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Authorization: Bearer s3cret", stub.Requests.Single());
    }

    [Fact]
    public void Healthcheck_fails_when_nothing_listens_and_on_a_bad_argument()
    {
        int port;
        using (var probe = new HttpStub(new Dictionary<string, int>())) port = probe.Port; // a port nobody listens on now
        var refused = Check(port);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("unhealthy", refused.StdErr);
        Assert.Equal(2, Check(port, "sideways").ExitCode);
    }

    /// <summary>Runs entrypoint.sh with a stand-in <c>dotnet</c> that prints its arguments and the public hostname.</summary>
    private static ShellResult Enter(Dictionary<string, string?> env, params string[] args)
    {
        string bin = Path.Combine(Path.GetTempPath(), "ec-entry-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(bin);
        try
        {
            string fake = Path.Combine(bin, "dotnet");
            File.WriteAllText(fake, "#!/usr/bin/env bash\necho \"args=$*\"\necho \"public=${EmotionCluster__Node__PublicHostname-<unset>}\"\n");
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            env["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH");
            return Shell.Bash(EntryPoint, args, env);
        }
        finally
        {
            Directory.Delete(bin, recursive: true);
        }
    }

    [Fact]
    public void Entrypoint_runs_the_node_dll_with_the_given_arguments()
    {
        var r = Enter(new() { ["EmotionCluster__Node__Hostname"] = "127.0.0.1" }, "run", "--roles", "extractor");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("args=/app/emotioncluster-node.dll run --roles extractor", r.StdOut);
        Assert.Contains("public=<unset>", r.StdOut); // loopback binding: the node's own default applies
    }

    [Fact]
    public void Entrypoint_keeps_a_given_public_hostname()
    {
        var r = Enter(new() { ["EmotionCluster__Node__Hostname"] = "0.0.0.0", ["EmotionCluster__Node__PublicHostname"] = "node7" });
        Assert.Contains("public=node7", r.StdOut);
    }

    [Fact]
    public void Entrypoint_gives_a_node_bound_to_every_interface_a_reachable_public_hostname()
    {
        // A host name that resolves nowhere: the name itself is the best address there is.
        var unresolved = Enter(new() { ["EmotionCluster__Node__Hostname"] = "0.0.0.0", ["HOSTNAME"] = "ec-no-such-host.invalid" });
        Assert.Contains("public=ec-no-such-host.invalid", unresolved.StdOut);
        // A name that resolves to loopback is useless to other nodes: the name is kept rather than 127.x.
        var loopback = Enter(new() { ["EmotionCluster__Node__Hostname"] = "0.0.0.0", ["HOSTNAME"] = "localhost" });
        Assert.Contains("public=localhost", loopback.StdOut);
    }
}
