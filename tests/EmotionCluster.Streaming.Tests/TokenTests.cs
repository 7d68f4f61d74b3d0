using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using EmotionCluster.Audio;
using Xunit;

namespace EmotionCluster.Streaming.Tests;

/// <summary>A node with a token: streams and the page need it, as a bearer header or <c>?token=</c>.</summary>
public sealed class TokenTests
{
    [Fact]
    public async Task Streams_and_the_page_need_the_token()
    {
        const string token = "streaming-secret-123";
        using var node = StreamingNode.WithToken(token);
        var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(90)).Token;

        async Task<(int? Refused, string? FirstType)> Try(Uri uri, string? bearer)
        {
            using var c = new StreamClient();
            try { await c.ConnectAsync(uri, bearer, cancel); }
            catch (WebSocketException) { return (c.RefusedStatus, null); }
            await c.StartAsync(16000, 1, "pcm16", null, cancel);
            return (null, (await c.ReceiveAsync(cancel))?.GetProperty("type").GetString());
        }

        Assert.Equal((401, null), await Try(StreamClient.StreamUri(node.Http), null));
        Assert.Equal((401, null), await Try(StreamClient.StreamUri(node.Http, "wrong-token-456"), null));
        Assert.Equal((401, null), await Try(StreamClient.StreamUri(node.Http), "wrong-token-456"));
        Assert.Equal((null, "started"), await Try(StreamClient.StreamUri(node.Http), token));
        Assert.Equal((null, "started"), await Try(StreamClient.StreamUri(node.Http, token), null));

        using var http = new HttpClient { BaseAddress = new Uri(node.Http) };
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/live", cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/live?token={token}", cancel)).StatusCode);

        string wav = Path.Combine(node.Models.Dir, "token.wav");
        WavWriter.Write(wav, new AudioClip(TinyModel.Clip(0, 1, 1), 16000));
        var error = new StringWriter();
        Assert.Equal(2, EmotionCluster.Cli.CliApp.Run(["stream", wav, "--node", node.Http, "--token", "wrong-token-456"], new StringWriter(), error));
        Assert.Contains("refused the token", error.ToString());
        Assert.Equal(0, EmotionCluster.Cli.CliApp.Run(["stream", wav, "--node", node.Http, "--token", token], new StringWriter(), error));
    }
}
