using System.Text.Json;
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
}
