using System.Diagnostics;
using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using EmotionCluster.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit;

namespace EmotionCluster.Evaluator.Tests;

/// <summary><c>emotioncluster runs list|show</c> as a user runs it: the built CLI as a process, reading a SQLite journal.</summary>
public sealed class CliRunsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Writes runs through evaluator actors in an ActorSystem of its own, then stops it.</summary>
    private static async Task<PersistenceSettings> WriteJournal()
    {
        var settings = new PersistenceSettings { ConnectionString = $"Data Source={Samples.NewSqliteFile()}" };
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddAkka("cli-tests-writer", (akka, _) => akka.AddHocon("akka.loglevel = WARNING", HoconAddMode.Prepend).AddEmotionClusterPersistence(settings));
        using IHost host = builder.Build();
        await host.StartAsync(Ct);
        var system = host.Services.GetRequiredService<ActorSystem>();
        var timeout = TimeSpan.FromSeconds(20);
        var done = system.ActorOf(EvaluatorActor.PropsFor("cli-done"));
        await done.Ask<EvaluatorAck>(new StartRun("cli-done", "{\"corpus\":\"emodb\"}", Samples.Labels), timeout, Ct);
        for (int epoch = 1; epoch <= 4; epoch++)
            await done.Ask<EvaluatorAck>(new RecordEpoch("cli-done", epoch, 1.0 / epoch, 1.5 / epoch, Samples.Metrics(epoch)), timeout, Ct);
        await done.Ask<EvaluatorAck>(new CompleteRun("cli-done", 3, Samples.Metrics(9)), timeout, Ct);
        var running = system.ActorOf(EvaluatorActor.PropsFor("cli-running"));
        await running.Ask<EvaluatorAck>(new StartRun("cli-running", "{}", Samples.Labels), timeout, Ct);
        await running.Ask<EvaluatorAck>(new RecordEpoch("cli-running", 1, 0.9, null, Samples.Metrics(1)), timeout, Ct);
        await host.StopAsync(Ct);
        return settings;
    }

    private static async Task<(int Code, string Out, string Err)> Cli(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        psi.ArgumentList.Add(BuildOutput.Require(Path.Combine("src", "EmotionCluster.Cli"), "emotioncluster.dll"));
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove(PersistenceSettings.ProviderVariable);
        psi.Environment.Remove(PersistenceSettings.ConnectionStringVariable);
        using var process = Process.Start(psi)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(Ct);
        Task<string> stderr = process.StandardError.ReadToEndAsync(Ct);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task Runs_list_and_show_read_the_journal()
    {
        var settings = await WriteJournal();
        var (code, output, error) = await Cli("runs", "list", "--db", settings.ConnectionString, "--json");
        Assert.True(code == 0, error);
        using var list = JsonDocument.Parse(output);
        var runs = list.RootElement.EnumerateArray().ToDictionary(r => r.GetProperty("runId").GetString()!);
        Assert.Equal(["cli-done", "cli-running"], runs.Keys.Order());
        Assert.Equal("Completed", runs["cli-done"].GetProperty("status").GetString());
        Assert.Equal(4, runs["cli-done"].GetProperty("epochs").GetInt32());
        Assert.Equal(3, runs["cli-done"].GetProperty("bestEpoch").GetInt32());
        Assert.Equal(Samples.Metrics(3).Uar, runs["cli-done"].GetProperty("bestUar").GetDouble(), 12);
        Assert.Equal("Running", runs["cli-running"].GetProperty("status").GetString());

        string png = Path.Combine(Path.GetDirectoryName(settings.SqliteFile)!, "curve.png");
        (code, output, error) = await Cli("runs", "show", "cli-done", "--provider", "sqlite", "--db", settings.ConnectionString, "--curve", png);
        Assert.True(code == 0, error);
        Assert.Contains("completed", output);
        Assert.Contains("Best epoch │ 3", output);
        Assert.Contains("*3", output); // the best epoch is marked in the history
        Assert.Contains("Test:", output);
        Assert.Contains($"wrote {png}", output);
        Assert.True(new FileInfo(png).Length > 5_000);

        (code, output, error) = await Cli("runs", "show", "cli-done", "--db", settings.ConnectionString, "--json");
        Assert.True(code == 0, error);
        using var shown = JsonDocument.Parse(output);
        Assert.Equal("emodb", shown.RootElement.GetProperty("settings").GetProperty("corpus").GetString());
        Assert.Equal(4, shown.RootElement.GetProperty("epochs").GetArrayLength());
        var confusion = shown.RootElement.GetProperty("epochs")[0].GetProperty("metrics").GetProperty("confusion");
        Assert.Equal(Samples.Metrics(1).Confusion[0][0], confusion[0][0].GetInt32());
    }

    [Fact]
    public async Task Bad_input_is_one_line_with_exit_code_2()
    {
        var settings = await WriteJournal();
        var (code, _, error) = await Cli("runs", "show", "nope", "--db", settings.ConnectionString);
        Assert.Equal(2, code);
        Assert.Equal("error: no run 'nope' in the journal; runs: cli-done, cli-running", error.Trim());

        string missing = Samples.NewSqliteFile();
        (code, _, error) = await Cli("runs", "list", "--db", $"Data Source={missing}");
        Assert.Equal(2, code);
        Assert.StartsWith($"error: no journal at {missing}", error.Trim());
        Assert.DoesNotContain("   at ", error);
    }
}
