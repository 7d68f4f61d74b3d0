using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit;

namespace EmotionCluster.Evaluator.Tests;

/// <summary>
/// A real process (tests/EmotionCluster.Evaluator.TestHost) records epochs into a SQLite journal and is killed with
/// SIGKILL mid-run; every epoch it reported as persisted is in the journal, and a restarted process recovers them
/// and finishes the run.
/// </summary>
public sealed partial class ProcessKillTests(ITestOutputHelper output)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [GeneratedRegex(@"^persisted epoch (\d+)$")]
    private static partial Regex PersistedLine();

    [Fact]
    public async Task Epochs_persisted_before_a_kill_9_are_all_in_the_journal_and_the_run_resumes()
    {
        string file = Samples.NewSqliteFile();
        var settings = new PersistenceSettings { ConnectionString = $"Data Source={file}" };
        const string run = "killed-run";

        int lastReported;
        using (var first = HostProcess.Start(output, "first", settings, run, epochs: 1000, delayMs: 20))
        {
            await first.WaitForLine(l => PersistedLine().Match(l) is { Success: true } m && int.Parse(m.Groups[1].Value) >= 8, TimeSpan.FromSeconds(60));
            first.Kill9();
            Assert.Equal(137, await first.WaitForExit(TimeSpan.FromSeconds(10))); // 128 + SIGKILL
            lastReported = first.LastReported();
        }
        Assert.InRange(lastReported, 8, 999);

        await using (var reader = await JournalReader.OpenAsync(settings, cancellationToken: Ct))
        {
            RunView afterKill = await reader.Catalog.GetAsync(run, Ct);
            Assert.Equal(RunStatus.Running, afterKill.Status);
            int stored = afterKill.Epochs.Count;
            Assert.True(stored >= lastReported, $"{stored} epochs in the journal, {lastReported} reported persisted");
            Assert.Equal(Enumerable.Range(1, stored), afterKill.Epochs.Select(e => e.Epoch));
        }

        int total = lastReported + 5;
        using (var second = HostProcess.Start(output, "second", settings, run, epochs: total, delayMs: 0))
        {
            Assert.Equal(0, await second.WaitForExit(TimeSpan.FromSeconds(60)));
            string recovered = second.Lines.First(l => l.StartsWith("recovered ", StringComparison.Ordinal));
            int recoveredCount = int.Parse(recovered.Split(' ')[1]);
            Assert.True(recoveredCount >= lastReported, recovered);
            Assert.Contains("completed", second.Lines);
        }

        await using (var reader = await JournalReader.OpenAsync(settings, cancellationToken: Ct))
        {
            RunView done = await reader.Catalog.GetAsync(run, Ct);
            Assert.Equal(RunStatus.Completed, done.Status);
            Assert.Equal(Enumerable.Range(1, total), done.Epochs.Select(e => e.Epoch));
            Assert.Equal(RunHistory.BestByUar(done.Epochs)!.Epoch, done.BestEpoch);
            var summary = Assert.Single(await reader.Catalog.ListAsync(Ct));
            Assert.Equal((run, total, RunStatus.Completed), (summary.RunId, summary.Epochs, summary.Status));
        }
    }

    /// <summary>The test host as a child process, its output kept line by line.</summary>
    private sealed class HostProcess : IDisposable
    {
        private readonly Process _process;
        private readonly ConcurrentQueue<string> _lines;
        private readonly string _name;

        private HostProcess(string name, Process process, ConcurrentQueue<string> lines)
        {
            _name = name;
            _process = process;
            _lines = lines;
        }

        public IReadOnlyCollection<string> Lines => _lines;

        public int LastReported() =>
            _lines.Select(l => PersistedLine().Match(l)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value)).DefaultIfEmpty(0).Max();

        public static HostProcess Start(ITestOutputHelper log, string name, PersistenceSettings settings, string run, int epochs, int delayMs)
        {
            var psi = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = Path.GetTempPath(),
            };
            psi.ArgumentList.Add(Samples.BuiltDll(Path.Combine("tests", "EmotionCluster.Evaluator.TestHost"), "EmotionCluster.Evaluator.TestHost.dll"));
            foreach (string a in new[] { "--provider", settings.Provider, "--db", settings.ConnectionString, "--run", run,
                         "--epochs", epochs.ToString(), "--delay-ms", delayMs.ToString() })
                psi.ArgumentList.Add(a);
            psi.Environment["DOTNET_gcServer"] = "0";
            var lines = new ConcurrentQueue<string>();
            var process = new Process { StartInfo = psi };
            void OnLine(string? line)
            {
                if (line is null) return;
                lines.Enqueue(line);
                try { log.WriteLine($"[{name}] {line}"); } catch (InvalidOperationException) { } // after the test ended
            }
            process.OutputDataReceived += (_, e) => OnLine(e.Data);
            process.ErrorDataReceived += (_, e) => OnLine(e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return new HostProcess(name, process, lines);
        }

        public async Task WaitForLine(Func<string, bool> match, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < deadline)
            {
                if (_lines.Any(match)) return;
                if (_process.HasExited) break;
                await Task.Delay(20, Ct);
            }
            throw new TimeoutException($"{_name}: no matching line within {timeout} (exited: {_process.HasExited}). Output:\n{string.Join('\n', _lines)}");
        }

        /// <summary>SIGKILL, through kill(1) as an operator would: no shutdown hooks run.</summary>
        public void Kill9() => Process.Start("kill", ["-9", _process.Id.ToString()])!.WaitForExit();

        public async Task<int> WaitForExit(TimeSpan timeout)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            cts.CancelAfter(timeout);
            try { await _process.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException) { throw new TimeoutException($"{_name} did not exit within {timeout}. Output:\n{string.Join('\n', _lines)}"); }
            _process.WaitForExit();
            return _process.ExitCode;
        }

        public void Dispose()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.Dispose();
        }
    }
}
