using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace EmotionCluster.Streaming.Tests;

/// <summary>
/// Debian's headless Chromium driven over the DevTools protocol (a WebSocket; no driver, no browser download):
/// open a page, evaluate JavaScript, take a screenshot. The browser process is killed on dispose.
/// </summary>
public sealed partial class Chromium : IDisposable
{
    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _page = new();
    private int _nextId;

    public static string? Executable =>
        new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }.FirstOrDefault(File.Exists);

    private Chromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    /// <summary>Starts Chromium on <paramref name="url"/>; <paramref name="fakeAudioWav"/> becomes the microphone.</summary>
    public static async Task<Chromium> StartAsync(string url, string fakeAudioWav, CancellationToken cancel)
    {
        string exe = Executable ?? throw new InvalidOperationException("chromium is not installed; run deploy/install-deps.sh (it installs Debian's chromium)");
        string profile = Path.Combine(Path.GetTempPath(), "ec-chromium-" + Guid.NewGuid().ToString("N"));
        var psi = new ProcessStartInfo(exe) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in new[]
        {
            "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--mute-audio",
            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", $"--use-file-for-fake-audio-capture={fakeAudioWav}",
            "--autoplay-policy=no-user-gesture-required", "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
            $"--user-data-dir={profile}", "--window-size=1100,900", url,
        }) psi.ArgumentList.Add(a);
        var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {exe}");
        var browser = new Chromium(process, profile);
        try
        {
            var endpoint = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null && DevToolsLine().Match(e.Data) is { Success: true } m) endpoint.TrySetResult(m.Groups[1].Value);
            };
            process.OutputDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
            string hostPort = await endpoint.Task.WaitAsync(TimeSpan.FromSeconds(30), cancel);
            using var http = new HttpClient();
            string? pageSocket = null;
            for (int i = 0; i < 50 && pageSocket is null; i++)
            {
                using var targets = JsonDocument.Parse(await http.GetStringAsync($"http://{hostPort}/json/list", cancel));
                pageSocket = targets.RootElement.EnumerateArray()
                    .Where(t => t.GetProperty("type").GetString() == "page")
                    .Select(t => t.GetProperty("webSocketDebuggerUrl").GetString()).FirstOrDefault();
                if (pageSocket is null) await Task.Delay(100, cancel);
            }
            await browser._page.ConnectAsync(new Uri(pageSocket ?? throw new InvalidOperationException("chromium shows no page")), cancel);
            return browser;
        }
        catch
        {
            browser.Dispose();
            throw;
        }
    }

    [GeneratedRegex(@"DevTools listening on ws://([^/]+)/")]
    private static partial Regex DevToolsLine();

    /// <summary>Sends one DevTools command and returns its result.</summary>
    public async Task<JsonElement> CallAsync(string method, object parameters, CancellationToken cancel)
    {
        int id = ++_nextId;
        byte[] request = JsonSerializer.SerializeToUtf8Bytes(new { id, method, @params = parameters });
        await _page.SendAsync(request, WebSocketMessageType.Text, true, cancel);
        var buffer = new byte[1 << 16];
        while (true)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult r;
            do
            {
                r = await _page.ReceiveAsync(buffer, cancel);
                message.Write(buffer, 0, r.Count);
            } while (!r.EndOfMessage);
            using var doc = JsonDocument.Parse(message.ToArray());
            if (doc.RootElement.TryGetProperty("id", out var got) && got.GetInt32() == id)
            {
                if (doc.RootElement.TryGetProperty("error", out var error)) throw new InvalidOperationException($"{method}: {error.GetRawText()}");
                return doc.RootElement.GetProperty("result").Clone();
            }
        }
    }

    /// <summary>The value of a JavaScript expression (JSON-serializable).</summary>
    public async Task<JsonElement> EvaluateAsync(string expression, CancellationToken cancel)
    {
        var result = await CallAsync("Runtime.evaluate", new { expression, returnByValue = true }, cancel);
        return result.GetProperty("result").TryGetProperty("value", out var v) ? v.Clone() : default;
    }

    public async Task ScreenshotAsync(string path, CancellationToken cancel)
    {
        var result = await CallAsync("Page.captureScreenshot", new { format = "png" }, cancel);
        await File.WriteAllBytesAsync(path, Convert.FromBase64String(result.GetProperty("data").GetString()!), cancel);
    }

    public void Dispose()
    {
        _page.Dispose();
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _process.WaitForExit(5000);
        _process.Dispose();
        try { Directory.Delete(_profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
