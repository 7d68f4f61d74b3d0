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
