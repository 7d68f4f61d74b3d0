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
