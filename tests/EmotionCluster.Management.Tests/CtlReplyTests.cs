using System.Net;
using System.Net.Sockets;
using System.Text;
using EmotionCluster.Cli;
using Xunit;

namespace EmotionCluster.Management.Tests;

/// <summary>
/// <c>ctl</c> against a tiny HTTP server on loopback that answers what no node sends (HTML, JSON of another shape,
/// broken JSON, bytes that are not HTTP, a closed connection): one line on stderr, exit code 2, never a stack trace.
/// </summary>
public sealed class CtlReplyTests
{
    /// <summary>Answers every connection with the same raw bytes (after reading the request head), then closes it.</summary>
    private sealed class RawServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        public string Url { get; }

        public RawServer(string raw)
        {
            _listener.Start();
            Url = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
            byte[] answer = Encoding.UTF8.GetBytes(raw);
            _loop = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    using TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    NetworkStream stream = client.GetStream();
                    var head = new StringBuilder();
                    var buffer = new byte[4096];
                    while (!head.ToString().Contains("\r\n\r\n"))
                    {
                        int n = await stream.ReadAsync(buffer, _stop.Token);
                        if (n == 0) break;
                        head.Append(Encoding.ASCII.GetString(buffer, 0, n));
                    }
                    if (answer.Length > 0) await stream.WriteAsync(answer, _stop.Token);
                }
            });
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            try { await _loop; } catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { }
        }
    }

    private static string Http(string status, string? contentType, string body) =>
        $"HTTP/1.1 {status}\r\n{(contentType is null ? "" : $"Content-Type: {contentType}\r\n")}Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}";

    private const string NginxPage = "<html>\n<head><title>Welcome to nginx!</title></head>\n<body>\n<h1>Welcome to nginx!</h1>\n</body>\n</html>\n";

    public static TheoryData<string, string, string[], string> Replies => new()
    {
        { "html page", Http("200 OK", "text/html", NginxPage), ["cluster", "show"], "200 with text/html, not JSON; is http://127.0.0.1:PORT/ an EmotionCluster node? It answered: <html> <head><title>Welcome to nginx!" },
        { "html page, --json", Http("200 OK", "text/html", NginxPage), ["--json", "cluster", "show"], "200 with text/html, not JSON" },
        { "json array", Http("200 OK", "application/json", "[1,2,3]"), ["cluster", "show"], "/api/cluster: the answer is not what an EmotionCluster node sends (" },
        { "json of another shape", Http("200 OK", "application/json", "{\"status\":\"ok\"}"), ["cluster", "show"], "the answer is not what an EmotionCluster node sends" },
        { "a null inside", Http("200 OK", "application/json", "{\"self\":\"a\",\"selfStatus\":\"Up\",\"leader\":null,\"members\":null,\"unreachable\":[]}"), ["cluster", "show"], "the answer is not what an EmotionCluster node sends" },
        { "broken json", Http("200 OK", "application/json; charset=utf-8", "{\"lines\": [ {"), ["log", "peek"], "/api/logs?lines=50: the answer is not what an EmotionCluster node sends" },
        { "broken json, --json", Http("200 OK", "application/json", "{\"lines\": [ {"), ["--json", "runs", "list"], "/api/runs: the answer is not what an EmotionCluster node sends" },
        { "runs of another shape", Http("200 OK", "application/json", "{\"runs\":[]}"), ["runs", "list"], "the answer is not what an EmotionCluster node sends" },
        { "html error page", Http("502 Bad Gateway", "text/html", "<html>\n<body>\n<h1>502 Bad Gateway</h1>\n</body>\n</html>"), ["cluster", "show"], "/api/cluster: 502 <html> <body> <h1>502 Bad Gateway</h1> </body> </html>" },
        { "empty 500", Http("500 Internal Server Error", null, ""), ["cluster", "leave", "akka.tcp://s@h:1"], "/api/cluster/leave: 500 (empty)" },
        { "not http", "SSH-2.0-OpenSSH_9.6\r\n", ["cluster", "show"], "the answer is not HTTP from an EmotionCluster node" },
        { "closed at once", "", ["train", "status"], "http://127.0.0.1:PORT/" },
    };

    [Theory, MemberData(nameof(Replies))]
    public async Task An_unexpected_reply_is_one_line_on_stderr_with_exit_code_2(string what, string raw, string[] verb, string expected)
    {
        await using var server = new RawServer(raw);
        var output = new StringWriter();
        var error = new StringWriter();
        int code = await Task.Run(() => CliApp.Run(["ctl", "--node", server.Url, .. verb], output, error));

        Assert.True(code == 2, $"{what}: exit {code}\n{error}");
        string line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        Assert.Contains(expected.Replace("http://127.0.0.1:PORT", server.Url), line);
        Assert.DoesNotContain("   at ", error.ToString());
        Assert.Equal("", output.ToString());
    }

    [Fact]
    public void Token_flags_and_files_resolve_in_order_and_bad_ones_are_one_line_errors()
    {
        string dir = Directory.CreateTempSubdirectory("ec-ctl-token-").FullName;
        try
        {
            string file = Path.Combine(dir, "token");
            File.WriteAllText(file, "from-file-0123\n");
            Func<string, string?> env = name => name == CtlCommands.TokenVariable ? "from-env" : name == CtlCommands.TokenFileVariable ? file : null;
            Assert.Equal("from-file-0123", CtlCommands.ResolveToken(null, _ => null, file));
            Assert.Equal("from-flag", CtlCommands.ResolveToken("from-flag", env));
            Assert.Equal("from-env", CtlCommands.ResolveToken(null, env));
            Assert.Equal("from-file-0123", CtlCommands.ResolveToken(null, name => name == CtlCommands.TokenFileVariable ? file : null));
            Assert.Throws<CliException>(() => CtlCommands.ResolveToken("from-flag", env, file));

            string missing = Path.Combine(dir, "missing");
            var error = new StringWriter();
            Assert.Equal(2, CliApp.Run(["ctl", "--node", "http://127.0.0.1:1", "--token-file", missing, "cluster", "show"], new StringWriter(), error));
            Assert.Equal($"error: --token-file {missing}: file not found; write the node's token into it (one line)", error.ToString().Trim());
            error = new StringWriter();
            Assert.Equal(2, CliApp.Run(["stream", "x.wav", "--node", "http://127.0.0.1:1", "--token", "t", "--token-file", file], new StringWriter(), error));
            Assert.Equal("error: --token and --token-file are both given; choose one (--token-file keeps the token out of ps)", error.ToString().Trim());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
