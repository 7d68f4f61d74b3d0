using System.Text.Json;
using EmotionCluster.Audio;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Streaming.Tests;

/// <summary>The live page in a real browser: Chromium's fake microphone plays a WAV file, the page streams it and draws predictions.</summary>
[Collection(StreamingNodeCollection.Name)]
public sealed class BrowserTests(StreamingNode node, ITestOutputHelper output)
{
    [Fact]
    public async Task The_live_page_streams_the_microphone_and_shows_predictions()
    {
        if (Chromium.Executable is null && !Datasets.IsCi) Assert.SkipWhen(true, "chromium is not installed (deploy/install-deps.sh installs it)");
        var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(120)).Token;
        string wav = Path.Combine(node.Models.Dir, "microphone.wav");
        WavWriter.Write(wav, new AudioClip([.. TinyModel.Clip(0, 2, 1, 48000), .. TinyModel.Clip(1, 2, 2, 48000)], 48000));

        using var browser = await Chromium.StartAsync($"{node.Http}/live?autostart=1", wav, cancel);
        const string probe = """
            (() => { try { return JSON.stringify({ predictions: window.liveState.predictions, errors: window.liveState.errors,
              labels: window.liveState.labels, current: document.getElementById('emotion').textContent,
              uncertain: !!window.liveState.last && !!window.liveState.last.uncertain,
              status: document.getElementById('status').textContent, bars: document.querySelectorAll('#bars .bar').length });
            } catch (e) { return null; } })()
            """; // null until the page and its script are loaded
        string state = "";
        for (int i = 0; i < 180; i++) // up to 90 s on a loaded machine
        {
            var value = await browser.EvaluateAsync(probe, cancel);
            if (value.ValueKind == System.Text.Json.JsonValueKind.String)
            {
                state = value.GetString()!;
                if (System.Text.Json.JsonDocument.Parse(state).RootElement.GetProperty("predictions").GetInt32() >= 3) break;
            }
            await Task.Delay(500, cancel);
        }
        output.WriteLine(state);
        string shot = Path.Combine(AppContext.BaseDirectory, "live-page.png");
        await browser.ScreenshotAsync(shot, cancel);
        output.WriteLine($"screenshot: {shot}");

        var root = System.Text.Json.JsonDocument.Parse(state).RootElement;
        Assert.Empty(root.GetProperty("errors").EnumerateArray());
        Assert.True(root.GetProperty("predictions").GetInt32() >= 3, state);
        Assert.Equal(TinyModel.Labels, root.GetProperty("labels").EnumerateArray().Select(e => e.GetString()));
        string current = root.GetProperty("current").GetString()!; // the smoothed emotion, shown big, or "uncertain"
        if (root.GetProperty("uncertain").GetBoolean()) Assert.Equal("uncertain", current);
        else Assert.Contains(current, TinyModel.Labels);
        Assert.Equal(3, root.GetProperty("bars").GetInt32());
    }

    /// <summary>
    /// A phone-sized, high-density screen (390 CSS px wide, 3 device pixels per CSS pixel) and a quiet microphone: the
    /// chart's canvas has a backing store at the device's density, nothing is wider than the screen, every window is
    /// flagged too quiet, the emotions have the report's colours, and an uncertain hop shows "uncertain".
    /// </summary>
    [Fact]
    public async Task On_a_narrow_dense_screen_a_quiet_microphone_is_flagged_and_an_uncertain_hop_says_so()
    {
        if (Chromium.Executable is null && !Datasets.IsCi) Assert.SkipWhen(true, "chromium is not installed (deploy/install-deps.sh installs it)");
        var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(150)).Token;
        string wav = Path.Combine(node.Models.Dir, "quiet-microphone.wav");
        float[] quiet = [.. TinyModel.Clip(0, 2, 1, 48000), .. TinyModel.Clip(1, 2, 2, 48000)];
        for (int i = 0; i < quiet.Length; i++) quiet[i] *= 0.01f; // 40 dB down: about −51 dBFS active level
        WavWriter.Write(wav, new AudioClip(quiet, 48000));

        using var browser = await Chromium.StartAsync($"{node.Http}/live", wav, cancel);
        await browser.CallAsync("Emulation.setDeviceMetricsOverride", new { width = 390, height = 1000, deviceScaleFactor = 3, mobile = true }, cancel);
        await browser.CallAsync("Page.reload", new { }, cancel);
        bool ready = false;
        for (int i = 0; i < 60 && !ready; i++) // the reloaded page and its script
        {
            var value = await browser.EvaluateAsync("typeof window.liveShow === 'function' && document.readyState === 'complete'", cancel);
            ready = value.ValueKind == JsonValueKind.True;
            if (!ready) await Task.Delay(250, cancel);
        }
        Assert.True(ready, "the page did not load");
        await browser.EvaluateAsync("document.getElementById('start').click()", cancel);

        const string read = """
            (() => JSON.stringify({ predictions: window.liveState.predictions, warned: window.liveState.warnedHops, errors: window.liveState.errors,
              dpr: window.devicePixelRatio, canvas: [document.getElementById('chart').width, document.getElementById('chart').clientWidth,
                document.getElementById('chart').height, document.getElementById('chart').clientHeight],
              overflow: document.documentElement.scrollWidth - window.innerWidth,
              level: document.getElementById('level').hidden ? null : document.getElementById('level').textContent,
              levelClass: document.getElementById('level').className,
              fills: [...document.querySelectorAll('#bars .fill')].map(f => getComputedStyle(f).backgroundColor),
              tracks: [...document.querySelectorAll('#bars .track')].map(t => t.getBoundingClientRect().right),
              colors: Object.fromEntries(['anger', 'Neutral', 'sadness', 'contempt', 'Überraschung'].map(l => [l, window.liveColorOf(l)])) }))()
            """;
        JsonElement root = default;
        for (int i = 0; i < 200; i++)
        {
            var value = await browser.EvaluateAsync(read, cancel);
            if (value.ValueKind == JsonValueKind.String)
            {
                root = JsonDocument.Parse(value.GetString()!).RootElement.Clone();
                if (root.GetProperty("predictions").GetInt32() >= 3) break;
            }
            await Task.Delay(500, cancel);
        }
        output.WriteLine(root.GetRawText());
        await browser.ScreenshotAsync(Path.Combine(AppContext.BaseDirectory, "live-page-narrow-quiet.png"), cancel);

        Assert.Empty(root.GetProperty("errors").EnumerateArray());
        Assert.True(root.GetProperty("predictions").GetInt32() >= 3, root.GetRawText());
        Assert.Equal(3, root.GetProperty("dpr").GetDouble());
        int[] c = root.GetProperty("canvas").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(c[1] * 3, c[0]); // backing store = CSS size × devicePixelRatio: crisp
        Assert.Equal(c[3] * 3, c[2]);
        Assert.InRange(c[1], 300, 390);
        Assert.True(root.GetProperty("overflow").GetInt32() <= 0, "the page is wider than the screen");
        Assert.All(root.GetProperty("tracks").EnumerateArray(), r => Assert.True(r.GetDouble() <= 390, $"a bar ends at {r.GetDouble()} px"));
        Assert.Equal(root.GetProperty("predictions").GetInt32(), root.GetProperty("warned").GetInt32()); // every window is too quiet
        Assert.StartsWith("⚠ Input too quiet: active speech level", root.GetProperty("level").GetString());
        Assert.Equal("quiet", root.GetProperty("levelClass").GetString());
        // one colour per emotion: the page's are the report's
        foreach (var colour in root.GetProperty("colors").EnumerateObject())
            Assert.Equal(EmotionCluster.Reporting.EmotionColors.Hex(colour.Name), colour.Value.GetString());
        Assert.Equal(TinyModel.Labels.Select(l => Rgb(EmotionCluster.Reporting.EmotionColors.Hex(l))),
            root.GetProperty("fills").EnumerateArray().Select(e => e.GetString()));

        // an uncertain hop (rendered as the node would send it, after the stream): "uncertain", the leaning emotion and the threshold
        await browser.EvaluateAsync("document.getElementById('stop').click()", cancel);
        await Task.Delay(1000, cancel);
        const string uncertainHop = """
            (() => { window.liveShow({ type: 'prediction', t: 99, start: 97, final: false, latencyMs: 5, label: 'anger', smoothed: 'neutral',
                probabilities: { anger: 0.4, neutral: 0.35, sadness: 0.25 }, smoothedProbabilities: { anger: 0.3, neutral: 0.36, sadness: 0.34 },
                uncertain: true, confidence: 0.36, warnings: [] });
              return JSON.stringify({ emotion: document.getElementById('emotion').textContent, detail: document.getElementById('detail').textContent,
                cls: document.getElementById('current').className, levelHidden: document.getElementById('level').hidden }); })()
            """;
        var shown = await browser.EvaluateAsync(uncertainHop, cancel);
        output.WriteLine(shown.GetString() ?? "");
        var u = JsonDocument.Parse(shown.GetString()!).RootElement;
        Assert.Equal("uncertain", u.GetProperty("emotion").GetString());
        Assert.StartsWith("leaning neutral 36 % (below 40 %)", u.GetProperty("detail").GetString());
        Assert.Equal("uncertain", u.GetProperty("cls").GetString());
        Assert.True(u.GetProperty("levelHidden").GetBoolean()); // this hop's level is fine
        await browser.ScreenshotAsync(Path.Combine(AppContext.BaseDirectory, "live-page-narrow-uncertain.png"), cancel);
    }

    private static string Rgb(string hex) =>
        $"rgb({Convert.ToInt32(hex[1..3], 16)}, {Convert.ToInt32(hex[3..5], 16)}, {Convert.ToInt32(hex[5..7], 16)})";
}
