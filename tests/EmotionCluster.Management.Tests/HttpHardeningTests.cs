using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using EmotionCluster.Cli;
using EmotionCluster.Cluster;
using EmotionCluster.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace EmotionCluster.Management.Tests;

/// <summary>The HTTP settings' security rules: public bind, token file, allowed origins.</summary>
public sealed class HttpExposureSettingsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ec-http-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("*")]
    [InlineData("10.0.0.5")]
    [InlineData("node1.example.org")]
    public void A_non_loopback_bind_without_a_token_is_refused_naming_the_ways_out(string hostname)
    {
        var e = Assert.Throws<ArgumentException>(new HttpSettings { Hostname = hostname }.Validate);
        Assert.StartsWith($"EmotionCluster:Http: Hostname {hostname} is not a loopback address and no token is set", e.Message);
        foreach (string fix in new[] { "--token-file PATH", "EmotionCluster__Http__Token", "--insecure-public", "EmotionCluster:Http:InsecurePublic=true" })
            Assert.Contains(fix, e.Message);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.2")]
    [InlineData("localhost")]
    [InlineData("::1")]
    [InlineData("[::1]")]
    public void Loopback_needs_no_token(string hostname)
    {
        var http = new HttpSettings { Hostname = hostname };
        http.Validate();
        Assert.Null(http.ExposureWarning());
    }

    [Fact]
    public void A_public_bind_passes_with_a_token_or_the_explicit_flag_and_only_the_flag_warns()
    {
        var withToken = new HttpSettings { Hostname = "0.0.0.0", Token = "a-long-token-value" };
        withToken.Validate();
        Assert.Null(withToken.ExposureWarning());

        var insecure = new HttpSettings { Hostname = "0.0.0.0", InsecurePublic = true };
        insecure.Validate();
        Assert.StartsWith("warning: the HTTP endpoint on 0.0.0.0:8080 has no token (EmotionCluster:Http:InsecurePublic)", insecure.ExposureWarning());

        var off = new HttpSettings { Hostname = "0.0.0.0", Port = -1 }; // no endpoint, nothing exposed
        off.Validate();
        Assert.Null(off.ExposureWarning());
    }

    [Fact]
    public void The_token_file_is_read_trimmed_and_counts_as_the_token()
    {
        string file = Path.Combine(_dir, "token");
        File.WriteAllText(file, "  from-a-file-0123\n");
        var http = new HttpSettings { Hostname = "0.0.0.0", TokenFile = file };
        http.Validate();
        Assert.Equal("from-a-file-0123", http.Token);
        http.Validate(); // a second look does not mistake the loaded token for a second setting
        Assert.True(TokenCheck.For(http).Enabled);
    }

    [Fact]
    public void A_bad_token_file_is_refused_naming_it()
    {
        string missing = Path.Combine(_dir, "nope");
        var e = Assert.Throws<ArgumentException>(new HttpSettings { TokenFile = missing }.Validate);
        Assert.Equal($"EmotionCluster:Http: TokenFile {missing} does not exist; write the token into it (one line) or fix the path (--token-file)", e.Message);

        string empty = Path.Combine(_dir, "empty");
        File.WriteAllText(empty, "\n");
        Assert.Contains($"TokenFile {empty} is empty", Assert.Throws<ArgumentException>(new HttpSettings { TokenFile = empty }.Validate).Message);

        string shortToken = Path.Combine(_dir, "short");
        File.WriteAllText(shortToken, "abc");
        Assert.Contains($"the token in TokenFile {shortToken} is shorter than 8 characters",
            Assert.Throws<ArgumentException>(new HttpSettings { TokenFile = shortToken }.Validate).Message);

        Assert.Contains("both Token and TokenFile are set; choose one",
            Assert.Throws<ArgumentException>(new HttpSettings { Token = "a-long-token-value", TokenFile = empty }.Validate).Message);
    }

    [Theory]
    [InlineData("ops.example.org")]
    [InlineData("https://ops.example.org/console")]
    [InlineData("ftp://ops.example.org")]
    [InlineData("*")]
    public void Allowed_origins_must_be_origins(string origin)
    {
        var e = Assert.Throws<ArgumentException>(new HttpSettings { AllowedOrigins = ["https://fine.example.org", origin] }.Validate);
        Assert.StartsWith($"EmotionCluster:Http: AllowedOrigins:1 '{origin}' is not a web origin; write scheme://host[:port]", e.Message);
    }

    [Theory]
    [InlineData(null, true)]                          // the CLI, curl, a scraper
    [InlineData("", true)]
    [InlineData("http://127.0.0.1:8080", true)]       // the node's own page (/live)
    [InlineData("HTTP://127.0.0.1:8080", true)]
    [InlineData("http://127.0.0.1:8081", false)]      // another port is another origin
    [InlineData("https://127.0.0.1:8080", false)]
    [InlineData("http://evil.example", false)]
    [InlineData("null", false)]                       // sandboxed frames, file: pages
    [InlineData("https://ops.example.org", true)]     // allowed by the setting
    [InlineData("https://ops.example.org:443", true)]
    [InlineData("http://ops.example.org", false)]
    public void Origins_are_the_nodes_own_or_listed(string? origin, bool allowed) =>
        Assert.Equal(allowed, new HttpSettings { AllowedOrigins = ["https://ops.example.org"] }.OriginAllowed(origin, "http", "127.0.0.1:8080"));

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1:8080", true)]
    [InlineData("127.0.0.1", "localhost:8080", true)]
    [InlineData("127.0.0.1", "[::1]:8080", true)]
    [InlineData("127.0.0.1", "LOCALHOST", true)]
    [InlineData("127.0.0.1", null, true)]                  // HTTP/1.0 without Host: not a browser
    [InlineData("127.0.0.1", "rebound.evil.example:8080", false)] // DNS rebinding: that name now resolves to 127.0.0.1
    [InlineData("127.0.0.1", "10.0.0.5:8080", false)]
    [InlineData("127.0.0.1", "ops.example.org", true)]     // the host of an allowed origin (a proxy that forwards it)
    [InlineData("0.0.0.0", "rebound.evil.example:8080", true)] // a public bind: any name; the token guards it
    public void On_loopback_the_host_must_be_a_loopback_name(string bind, string? host, bool allowed) =>
        Assert.Equal(allowed, new HttpSettings { Hostname = bind, AllowedOrigins = ["https://ops.example.org"] }.HostAllowed(host));

    [Fact]
    public void The_default_port_is_the_same_origin_written_either_way() =>
        Assert.True(new HttpSettings().OriginAllowed("http://node.example.org", "http", "node.example.org:80"));
}

/// <summary>The browser (CSRF) rules and the error answers as middleware, on a bare HttpContext.</summary>
public sealed class BrowserRulesAndErrorAnswersTests
{
    private static DefaultHttpContext Request(string method, string? contentType = null, string? origin = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Scheme = "http";
        context.Request.Host = new HostString("127.0.0.1", 8080);
        context.Request.Path = "/api/cluster/leave";
        if (contentType is not null) context.Request.ContentType = contentType;
        if (origin is not null) context.Request.Headers.Origin = origin;
        context.Response.Body = new MemoryStream();
        return context;
    }

    private static async Task<(bool Called, int Status, string? Error)> Run(DefaultHttpContext context, Func<HttpContext, Task>? endpoint = null)
    {
        var rules = new BrowserRequestRules(new HttpSettings { AllowedOrigins = ["https://ops.example.org"] });
        var errors = new ErrorAnswers(NullLogger<ErrorAnswers>.Instance);
        bool called = false;
        await errors.Invoke(context, () => rules.Invoke(context, () => { called = true; return endpoint?.Invoke(context) ?? Task.CompletedTask; }));
        string? error = null;
        if (context.Response.Body.Length > 0)
        {
            context.Response.Body.Position = 0;
            using var doc = await JsonDocument.ParseAsync(context.Response.Body);
            error = doc.RootElement.GetProperty("error").GetString();
        }
        return (called, context.Response.StatusCode, error);
    }

    [Theory]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData("text/plain")]
    [InlineData(null)]
    public async Task A_state_change_without_a_json_body_is_415(string? contentType)
    {
        var (called, status, error) = await Run(Request("POST", contentType));
        Assert.False(called);
        Assert.Equal(415, status);
        Assert.StartsWith("POST /api/cluster/leave takes a JSON body (Content-Type: application/json)", error);
    }

    [Theory]
    [InlineData("GET", null)]
    [InlineData("POST", "application/json")]
    [InlineData("POST", "application/json; charset=utf-8")]
    public async Task Reads_and_json_posts_without_a_foreign_origin_pass(string method, string? contentType)
    {
        Assert.True((await Run(Request(method, contentType))).Called);
        Assert.True((await Run(Request(method, contentType, origin: "http://127.0.0.1:8080"))).Called);
        Assert.True((await Run(Request(method, contentType, origin: "https://ops.example.org"))).Called);
    }

    [Fact]
    public async Task A_rebound_host_name_is_403_even_from_its_own_origin()
    {
        DefaultHttpContext context = Request("POST", "application/json", origin: "http://rebound.evil.example:8080");
        context.Request.Host = new HostString("rebound.evil.example", 8080);
        var (called, status, error) = await Run(context);
        Assert.False(called);
        Assert.Equal(403, status);
        Assert.StartsWith("Host rebound.evil.example:8080 is not a name of this node: it listens on loopback (127.0.0.1)", error);

        // The same name on a listener of a non-loopback address (e.g. the Kubernetes management port on the pod's IP): not rebinding.
        DefaultHttpContext other = Request("GET");
        other.Request.Host = new HostString("10.1.2.3", 8558);
        other.Connection.LocalIpAddress = System.Net.IPAddress.Parse("10.1.2.3");
        Assert.True((await Run(other)).Called);
    }

    [Theory]
    [InlineData("GET", null)]
    [InlineData("POST", "application/json")]
    [InlineData("POST", "application/x-www-form-urlencoded")]
    public async Task A_foreign_origin_is_403_whatever_the_method(string method, string? contentType)
    {
        var (called, status, error) = await Run(Request(method, contentType, origin: "http://evil.example"));
        Assert.False(called);
        Assert.Equal(403, status);
        Assert.StartsWith("requests from pages of http://evil.example are refused: that is not this node's origin (http://127.0.0.1:8080)", error);
        Assert.Contains("EmotionCluster:Http:AllowedOrigins", error);
    }

    [Fact]
    public async Task Failures_of_an_endpoint_are_json_errors_with_their_status()
    {
        Assert.Equal((true, 404, "not a member"),
            await Run(Request("GET"), _ => throw new ManagementException(404, "not a member")));
        var bad = await Run(Request("POST", "application/json"), _ => throw new JsonException("'<' is an invalid start of a value."));
        Assert.Equal(400, bad.Status);
        Assert.StartsWith("the body of POST /api/cluster/leave is not the JSON it takes", bad.Error);
        var timeout = await Run(Request("GET"), _ => throw new Akka.Actor.AskTimeoutException("5 s"));
        Assert.Equal((503, "no answer in time: 5 s"), (timeout.Status, timeout.Error));
        var bug = await Run(Request("GET"), _ => throw new InvalidOperationException("boom"));
        Assert.Equal(500, bug.Status);
        Assert.StartsWith("internal error (InvalidOperationException: boom)", bug.Error);
    }

    [Fact]
    public async Task An_error_status_without_a_body_gets_one()
    {
        var (_, status, error) = await Run(Request("GET"), c => { c.Response.StatusCode = 405; return Task.CompletedTask; });
        Assert.Equal(405, status);
        Assert.StartsWith("405 method not allowed: GET /api/cluster/leave", error);
        var ok = await Run(Request("GET"), c => { c.Response.StatusCode = 204; return Task.CompletedTask; });
        Assert.Equal((204, null), (ok.Status, ok.Error));
    }
}

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
