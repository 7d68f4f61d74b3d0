using System.Diagnostics;
using System.Text.RegularExpressions;
using EmotionCluster.Testing;
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
        using (var first = StartHost("first", settings, run, epochs: 1000, delayMs: 20))
        {
            await first.WaitForLine(l => PersistedLine().Match(l) is { Success: true } m && int.Parse(m.Groups[1].Value) >= 8, TimeSpan.FromSeconds(60));
            first.Signal("KILL"); // through kill(1), as an operator would: no shutdown hooks run
            Assert.Equal(137, await first.WaitForExit(TimeSpan.FromSeconds(10))); // 128 + SIGKILL
            lastReported = LastReported(first);
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
        using (var second = StartHost("second", settings, run, epochs: total, delayMs: 0))
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
    private ChildProcess StartHost(string name, PersistenceSettings settings, string run, int epochs, int delayMs)
    {
        string host = BuildOutput.Require(Path.Combine("tests", "EmotionCluster.Evaluator.TestHost"), "EmotionCluster.Evaluator.TestHost.dll");
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetTempPath() };
        foreach (string a in new[] { host, "--provider", settings.Provider, "--db", settings.ConnectionString, "--run", run,
                     "--epochs", epochs.ToString(), "--delay-ms", delayMs.ToString() })
            psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_gcServer"] = "0";
        return ChildProcess.Start(name, psi, output.WriteLine);
    }

    /// <summary>The last epoch the host reported as persisted (0: none).</summary>
    private static int LastReported(ChildProcess host) =>
        host.Lines.Select(l => PersistedLine().Match(l)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value)).DefaultIfEmpty(0).Max();
}
