using EmotionCluster.Audio;
using EmotionCluster.Testing;
using Xunit.Abstractions;

namespace EmotionCluster.Streaming.Tests;

/// <summary>The live page in a real browser: Chromium's fake microphone plays a WAV file, the page streams it and draws predictions.</summary>
[Collection(StreamingNodeCollection.Name)]
public sealed class BrowserTests(StreamingNode node, ITestOutputHelper output)
{
    [SkippableFact]
    public async Task The_live_page_streams_the_microphone_and_shows_predictions()
    {
        if (Chromium.Executable is null && !Datasets.IsCi) Skip.If(true, "chromium is not installed (deploy/install-deps.sh installs it)");
        var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(120)).Token;
        string wav = Path.Combine(node.Models.Dir, "microphone.wav");
        WavWriter.Write(wav, new AudioClip([.. TinyModel.Clip(0, 2, 1, 48000), .. TinyModel.Clip(1, 2, 2, 48000)], 48000));

        using var browser = await Chromium.StartAsync($"{node.Http}/live?autostart=1", wav, cancel);
        const string probe = """
            (() => { try { return JSON.stringify({ predictions: window.liveState.predictions, errors: window.liveState.errors,
              labels: window.liveState.labels, current: document.getElementById('current').textContent,
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
        Assert.Contains(root.GetProperty("current").GetString()!.Split("this hop")[0], TinyModel.Labels); // the smoothed emotion, shown big
        Assert.Equal(3, root.GetProperty("bars").GetInt32());
    }
}
