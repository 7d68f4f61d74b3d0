using System.Text.Json;
using System.Text.RegularExpressions;
using EmotionCluster.Reporting;

namespace EmotionCluster.Streaming.Tests;

/// <summary>One colour per emotion everywhere: the live page's palette (the served live.js) is the report's.</summary>
public sealed class PaletteTests
{
    private static string ServedScript()
    {
        using var stream = typeof(StreamingHosting).Assembly.GetManifestResourceStream("live/live.js")
            ?? throw new InvalidOperationException("live/live.js is not embedded in the streaming assembly");
        return new StreamReader(stream).ReadToEnd();
    }

    [Fact]
    public void The_pages_palette_equals_the_reports()
    {
        string script = ServedScript();
        Match block = Regex.Match(script, @"// palette:begin.*?\n(.*?)// palette:end", RegexOptions.Singleline);
        Assert.True(block.Success, "live.js has no palette:begin/palette:end block");
        var known = JsonSerializer.Deserialize<Dictionary<string, string>>(Regex.Match(block.Groups[1].Value, @"const PALETTE = (\{.*?\});").Groups[1].Value)!;
        var fallback = JsonSerializer.Deserialize<string[]>(Regex.Match(block.Groups[1].Value, @"const FALLBACK = (\[.*?\]);").Groups[1].Value)!;

        Assert.Equal(EmotionColors.Known.OrderBy(p => p.Key), known.OrderBy(p => p.Key));
        Assert.Equal(EmotionColors.Fallback, fallback);
    }
}
