using System.Text.Json;
using EmotionCluster.Hosting;
using EmotionCluster.Management;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace EmotionCluster.Management.Tests;

public sealed class TokenCheckTests
{
    private const string Token = "s3cret-token-value";

    [Theory]
    [InlineData("/api/cluster")]
    [InlineData("/metrics")]
    [InlineData("/healthz/ready")]
    public void Without_a_configured_token_everything_passes(string path)
    {
        var check = new TokenCheck(null);
        Assert.False(check.Enabled);
        Assert.Null(check.Refusal(path, null));
        Assert.False(new TokenCheck("").Enabled);
    }

    [Theory]
    [InlineData("/healthz/live")]
    [InlineData("/healthz/ready")]
    [InlineData("/HEALTHZ/Ready")]
    public void The_probes_need_no_token(string path) => Assert.Null(new TokenCheck(Token).Refusal(path, null));

    [Theory]
    [InlineData("/metrics")]
    [InlineData("/api/cluster")]
    [InlineData("/healthz/ready/more")]
    [InlineData("/healthz")]
    [InlineData("/")]
    [InlineData("/stream/anything")]
    public void Every_other_path_needs_the_token(string path)
    {
        var check = new TokenCheck(Token);
        Assert.Contains("missing Authorization header", check.Refusal(path, null));
        Assert.Contains("missing Authorization header", check.Refusal(path, ""));
        Assert.Null(check.Refusal(path, $"Bearer {Token}"));
    }

    [Theory]
    [InlineData("Basic czNjcmV0")]
    [InlineData(Token)]
    public void Other_schemes_are_refused(string header) =>
        Assert.Contains("not a bearer token", new TokenCheck(Token).Refusal("/api/cluster", header));

    [Theory]
    [InlineData("Bearer wrong")]
    [InlineData("Bearer s3cret-token-valu")]
    [InlineData("Bearer s3cret-token-value2")]
    [InlineData("Bearer S3CRET-TOKEN-VALUE")]
    [InlineData("Bearer ")]
    public void Wrong_tokens_are_refused(string header) =>
        Assert.Equal("wrong bearer token", new TokenCheck(Token).Refusal("/api/cluster", header));

    [Fact]
    public void The_scheme_is_case_insensitive_and_surrounding_blanks_are_ignored()
    {
        var check = new TokenCheck(Token);
        Assert.Null(check.Refusal("/metrics", $"bearer {Token}"));
        Assert.Null(check.Refusal("/metrics", $"Bearer  {Token} "));
    }

    [Fact]
    public async Task The_middleware_answers_401_with_a_json_error_and_does_not_call_the_endpoint()
    {
        var context = new DefaultHttpContext();
        context.Request.Path = "/api/cluster";
        context.Request.Headers.Authorization = "Bearer nope";
        context.Response.Body = new MemoryStream();
        bool called = false;
        await new TokenCheck(Token).Invoke(context, () => { called = true; return Task.CompletedTask; });

        Assert.False(called);
        Assert.Equal(401, context.Response.StatusCode);
        Assert.Equal("Bearer", context.Response.Headers.WWWAuthenticate.ToString());
        context.Response.Body.Position = 0;
        using var doc = await JsonDocument.ParseAsync(context.Response.Body);
        Assert.Equal("wrong bearer token", doc.RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task The_middleware_passes_a_request_with_the_token()
    {
        var context = new DefaultHttpContext();
        context.Request.Path = "/metrics";
        context.Request.Headers.Authorization = $"Bearer {Token}";
        bool called = false;
        await new TokenCheck(Token).Invoke(context, () => { called = true; return Task.CompletedTask; });
        Assert.True(called);
        Assert.Equal(200, context.Response.StatusCode);
    }

    private const string MetricsToken = "scraper-only-token";

    [Fact]
    public void Public_metrics_need_no_token_but_the_api_still_does()
    {
        var check = TokenCheck.For(new HttpSettings { Token = Token, PublicMetrics = true });
        Assert.Null(check.Refusal("/metrics", null));
        Assert.Null(check.Refusal("/METRICS", "Bearer anything"));
        Assert.Contains("missing Authorization header", check.Refusal("/api/cluster", null));
        Assert.Contains("missing Authorization header", check.Refusal("/metrics/more", null));
        Assert.Null(check.Refusal("/api/cluster", $"Bearer {Token}"));
    }

    [Fact]
    public void The_metrics_token_opens_the_metrics_only()
    {
        var check = TokenCheck.For(new HttpSettings { Token = Token, MetricsToken = MetricsToken });
        Assert.Null(check.Refusal("/metrics", $"Bearer {MetricsToken}"));
        Assert.Null(check.Refusal("/metrics", $"Bearer {Token}")); // the main token is good everywhere
        Assert.Contains("missing Authorization header", check.Refusal("/metrics", null));
        Assert.Equal("wrong bearer token", check.Refusal("/metrics", "Bearer nope"));
        Assert.Equal("the metrics token is good for /metrics only; use the node's EmotionCluster:Http:Token for /api/cluster",
            check.Refusal("/api/cluster", $"Bearer {MetricsToken}"));
        Assert.Contains("missing Authorization header", TokenCheck.For(new HttpSettings { Token = Token }).Refusal("/metrics", null));
    }

    [Theory]
    [InlineData(null, "scraper-only-token", false, "MetricsToken is set but Token is not")]
    [InlineData(Token, "short", false, "MetricsToken is shorter than 8 characters")]
    [InlineData(Token, Token, false, "MetricsToken equals Token")]
    [InlineData(Token, "scraper-only-token", true, "choose one")]
    public void Contradicting_metrics_settings_are_refused(string? token, string metricsToken, bool publicMetrics, string why)
    {
        var e = Assert.Throws<ArgumentException>(new HttpSettings { Token = token, MetricsToken = metricsToken, PublicMetrics = publicMetrics }.Validate);
        Assert.StartsWith("EmotionCluster:Http: ", e.Message);
        Assert.Contains(why, e.Message);
        new HttpSettings { Token = Token, MetricsToken = MetricsToken }.Validate();
        new HttpSettings { Token = Token, PublicMetrics = true }.Validate();
    }
}
