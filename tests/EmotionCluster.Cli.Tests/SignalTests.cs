using System.Diagnostics;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Cli.Tests;

/// <summary>The CLI as a process: SIGTERM (what a terminal's kill, systemd or Kubernetes send) stops a long command.</summary>
[Collection("training")]
public class SignalTests
{
    [EmoDbFact]
    public async Task Sigterm_stops_a_training_run_within_seconds_with_the_cancelled_exit_code()
    {
        using var dir = new TempDir();
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dir.Path,
        };
        foreach (string a in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "emotioncluster.dll"), "train", "--data", Datasets.RequireEmoDb(),
                     "--out", dir.File("run"), "--store", dir.File("features"), "--limit", "12", "--epochs", "500", "--patience", "0",
                 })
            psi.ArgumentList.Add(a);
        using var process = new Process { StartInfo = psi };
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var training = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            output.Enqueue(e.Data);
        };
        var error = new System.Collections.Concurrent.ConcurrentQueue<string>(); // progress and epoch lines go to stderr
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            error.Enqueue(e.Data);
            if (e.Data.Contains("epoch 2/500", StringComparison.Ordinal)) training.TrySetResult();
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            if (await Task.WhenAny(training.Task, Task.Delay(TimeSpan.FromMinutes(4))) != training.Task)
                Assert.Fail("training did not reach epoch 2 within 4 minutes:\n" + string.Join('\n', output) + string.Join('\n', error));

            var clock = Stopwatch.StartNew();
            Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try { await process.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException) { Assert.Fail("the CLI was still training 60 s after SIGTERM:\n" + string.Join('\n', error.TakeLast(5))); }
            process.WaitForExit();
            Assert.Equal(130, process.ExitCode);
            Assert.Contains(error, l => l.StartsWith("cancelled:", StringComparison.Ordinal));
            Assert.DoesNotContain(error, l => l.Contains("epoch 499/500", StringComparison.Ordinal));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60));
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }
}
