using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using EmotionCluster.Cli;
using EmotionCluster.Hosting;
using EmotionCluster.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace EmotionCluster.Management.Tests;

/// <summary>
/// A real node process on loopback: refused on a public address without a token, the CSRF probes of issue 16 (a form
/// post from a foreign page must not make it leave), JSON errors for bad bodies, the WebSocket's Origin check, and a
/// token read from a file (node and ctl).
/// </summary>
[Collection("management-cluster")] // one node set at a time on this 2-core machine
public sealed class HttpHardeningNodeTests(ITestOutputHelper output) : NodeProcessTest(output, "ec-harden-")
{
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(90);

    private NodeProcess Start(string name, params string[] extra)
    {
        int port = NodeProcess.FreePort();
        var p = NodeProcess.Start(name, port,
            ["run", "--port", port.ToString(), "--roles", "extractor", "--store", Path.Combine(_dir, name), "--shards", "4", .. extra], Log);
        _processes.Add(p);
        return p;
    }

    private async Task<string> StartAndWaitReady(string name, params string[] extra)
    {
        int http = NodeProcess.FreePort();
        NodeProcess p = Start(name, ["--http-port", http.ToString(), .. extra]);
        await p.WaitForLine(l => l.StartsWith("http listening:"), Startup);
        string url = $"http://127.0.0.1:{http}";
        using var client = new HttpClient();
        for (DateTime until = DateTime.UtcNow + Startup; ; await Task.Delay(250))
        {
            using var r = await client.GetAsync(url + HttpSettings.ReadyPath);
            if (r.StatusCode == HttpStatusCode.OK) return url;
            if (DateTime.UtcNow > until) throw new TimeoutException($"{name} not ready");
        }
    }

    private static async Task<(HttpStatusCode Status, string? MediaType, string Body)> Send(string method, string url, string? body = null,
        string? contentType = null, string? origin = null, string? token = null, string? host = null)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (host is not null) request.Headers.Host = host;
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, contentType ?? "application/json");
        if (origin is not null) request.Headers.Add("Origin", origin);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using HttpResponseMessage response = await client.SendAsync(request);
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());
    }

    private static string Error(string body) => JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()!;

    [Fact]
    public async Task A_public_http_bind_without_a_token_does_not_start()
    {
        NodeProcess flag = Start("public-flag", "--http-hostname", "0.0.0.0", "--http-port", NodeProcess.FreePort().ToString());
        Assert.Equal(2, await flag.WaitForExit(Startup));
        string line = Assert.Single(flag.Lines, l => l.StartsWith("bad node configuration:"));
        Assert.Contains("Hostname 0.0.0.0 is not a loopback address and no token is set", line);
        Assert.Contains("--token-file PATH", line);
        Assert.Contains("--insecure-public", line);
        Assert.DoesNotContain(flag.Lines, l => l.StartsWith("http listening:"));

        // A token file that is not there is no token: refused too, naming the file.
        NodeProcess env = Start("public-env", "--http-port", NodeProcess.FreePort().ToString(), "--token-file", Path.Combine(_dir, "missing-token"),
            "--http-hostname", "::");
        Assert.Equal(2, await env.WaitForExit(Startup));
        Assert.Contains(env.Lines, l => l.StartsWith("bad node configuration: EmotionCluster:Http: TokenFile") && l.Contains("does not exist"));
    }

    [Fact]
    public async Task Without_a_token_a_foreign_page_cannot_make_the_node_leave_and_bad_bodies_are_json_errors()
    {
        string url = await StartAndWaitReady("csrf", "--config", WriteConfig(new { EmotionCluster = new { Http = new { AllowedOrigins = new[] { "https://ops.example.org" } } } }));
        JsonElement cluster = JsonDocument.Parse((await Send("GET", url + "/api/cluster")).Body).RootElement;
        string self = cluster.GetProperty("self").GetString()!;

        // The probes of issue 16: a form post from another site, with and without the address in the query.
        string form = "address=" + Uri.EscapeDataString(self);
        var foreignForm = await Send("POST", $"{url}/api/cluster/leave?{form}", form, "application/x-www-form-urlencoded", origin: "http://evil.example");
        Assert.Equal((HttpStatusCode.Forbidden, "application/json"), (foreignForm.Status, foreignForm.MediaType));
        Assert.StartsWith("requests from pages of http://evil.example are refused", Error(foreignForm.Body));
        var plainForm = await Send("POST", $"{url}/api/cluster/leave?{form}", form, "application/x-www-form-urlencoded");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, plainForm.Status);
        Assert.StartsWith("POST /api/cluster/leave takes a JSON body", Error(plainForm.Body));
        var textJson = await Send("POST", url + "/api/cluster/leave", JsonSerializer.Serialize(new { address = self }), "text/plain", origin: "http://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, textJson.Status);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await Send("POST", url + "/api/cluster/down", JsonSerializer.Serialize(new { address = self }), "text/plain")).Status);
        var foreignJson = await Send("POST", url + "/api/cluster/down", JsonSerializer.Serialize(new { address = self }), origin: "http://127.0.0.1:1");
        Assert.Equal(HttpStatusCode.Forbidden, foreignJson.Status);

        // Bad JSON bodies: 400 with the reason, not a 500 with nothing.
        var malformed = await Send("POST", url + "/api/cluster/down", "{not json");
        Assert.Equal((HttpStatusCode.BadRequest, "application/json"), (malformed.Status, malformed.MediaType));
        Assert.StartsWith("the body of POST /api/cluster/down is not the JSON it takes", Error(malformed.Body));
        Assert.Equal(HttpStatusCode.BadRequest, (await Send("POST", url + "/api/cluster/down", "[1,2]")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await Send("POST", url + "/api/cluster/down", "")).Status);
        var noAddress = await Send("POST", url + "/api/cluster/down", "{}");
        Assert.Equal(HttpStatusCode.BadRequest, noAddress.Status);
        Assert.StartsWith("no address given", Error(noAddress.Body));
        var wrongMethod = await Send("GET", url + "/api/cluster/down");
        Assert.True(wrongMethod.Status is HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotFound, wrongMethod.Status.ToString());
        Assert.Equal("application/json", wrongMethod.MediaType);
        Assert.NotEmpty(Error(wrongMethod.Body));

        // A JSON post from the node's own page or an allowed origin reaches the endpoint (here: not a member, 404).
        string stranger = JsonSerializer.Serialize(new { address = "akka.tcp://emotioncluster@127.0.0.1:1" });
        foreach (string? origin in new[] { url, "https://ops.example.org", null })
        {
            var reached = await Send("POST", url + "/api/cluster/down", stranger, origin: origin);
            Assert.Equal(HttpStatusCode.NotFound, reached.Status);
            Assert.Contains("is not a member of this cluster", Error(reached.Body));
        }

        // DNS rebinding: a page whose name resolves to 127.0.0.1 is same-origin for the browser, but not one of the node's names.
        var rebound = await Send("POST", url + "/api/cluster/leave", JsonSerializer.Serialize(new { address = self }), origin: "http://rebound.evil.example",
            host: "rebound.evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, rebound.Status);
        Assert.StartsWith("Host rebound.evil.example is not a name of this node", Error(rebound.Body));

        // Still a member, still Up.
        cluster = JsonDocument.Parse((await Send("GET", url + "/api/cluster")).Body).RootElement;
        Assert.Equal("Up", cluster.GetProperty("selfStatus").GetString());

        // The WebSocket: same-origin (the /live page), allowed and no Origin (the CLI) connect; another origin is 403.
        var ws = new Uri(url.Replace("http://", "ws://") + "/ws/stream");
        Assert.Equal(HttpStatusCode.Forbidden, await WebSocketStatus(ws, "http://evil.example"));
        Assert.Equal(HttpStatusCode.Forbidden, await WebSocketStatus(ws, "null"));
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await WebSocketStatus(ws, url));
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await WebSocketStatus(ws, "https://ops.example.org"));
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await WebSocketStatus(ws, null));
    }

    private static async Task<HttpStatusCode> WebSocketStatus(Uri uri, string? origin)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (origin is not null) socket.Options.SetRequestHeader("Origin", origin);
        try
        {
            await socket.ConnectAsync(uri, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(15));
            socket.Abort();
        }
        catch (WebSocketException) { }
        return socket.HttpStatusCode;
    }

    private string WriteConfig(object settings)
    {
        string file = Path.Combine(_dir, $"config-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, JsonSerializer.Serialize(settings));
        return file;
    }

    [Fact]
    public async Task A_token_from_a_file_guards_the_node_and_ctl_reads_it_from_a_file_too()
    {
        string tokenFile = Path.Combine(_dir, "http-token");
        File.WriteAllText(tokenFile, "token-from-a-file-0123\n");
        string url = await StartAndWaitReady("token-file", "--token-file", tokenFile);

        Assert.Equal(HttpStatusCode.Unauthorized, (await Send("GET", url + "/api/cluster")).Status);
        Assert.Equal(HttpStatusCode.OK, (await Send("GET", url + "/api/cluster", token: "token-from-a-file-0123")).Status);

        var o = new StringWriter();
        var e = new StringWriter();
        Assert.Equal(0, CliApp.Run(["ctl", "--node", url, "--token-file", tokenFile, "--json", "cluster", "show"], o, e));
        Assert.Equal("Up", JsonDocument.Parse(o.ToString()).RootElement.GetProperty("selfStatus").GetString());

        var refused = new StringWriter();
        Assert.Equal(2, CliApp.Run(["ctl", "--node", url, "cluster", "show"], new StringWriter(), refused));
        Assert.StartsWith($"error: node {url}/ refused the request (401 unauthorized: missing Authorization header", refused.ToString());
    }
}
