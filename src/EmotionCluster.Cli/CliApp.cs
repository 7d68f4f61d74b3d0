using System.CommandLine;
using System.CommandLine.Invocation;
using System.Runtime.InteropServices;

namespace EmotionCluster.Cli;

/// <summary>
/// The <c>emotioncluster</c> command line. Each command group lives in its own <c>XxxCommands.cs</c> with a static
/// <c>Create()</c> returning the group's <see cref="Command"/>; to add a group, add its <c>Create</c> to
/// <see cref="Groups"/>. Exit codes: 0 success, 2 bad usage or bad input (one line on stderr, no stack trace).
/// </summary>
public static class CliApp
{
    private static readonly Func<Command>[] Groups =
    [
        TrainingCommands.CreateRun,
        DatasetCommands.Create,
        CtlCommands.Create,
        TrainingCommands.CreateTrain,
        TrainingCommands.CreateEvaluate,
        TrainingCommands.CreateCrossval,
        TrainingCommands.CreateRobustness,
        TrainingCommands.CreateStreamed,
        TrainingCommands.CreateManifest,
        TrainingCommands.CreatePredict,
        TrainingCommands.CreateReport,
        RunsCommands.Create,
        StreamCommands.Create,
        ExportCommands.Create,
        CompletionCommands.Create,
    ];

    public static RootCommand BuildRootCommand()
    {
        var root = new RootCommand("EmotionCluster: speech emotion recognition tools.");
        foreach (var create in Groups) root.Subcommands.Add(create());
        return root;
    }

    /// <summary>How long a command has to wind up after SIGTERM or Ctrl+C before the process exits anyway.</summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Parses and runs <paramref name="args"/>, writing to the given writers (default: the console). Run from the
    /// console (no writers given), SIGTERM and SIGINT cancel the command's token: long commands stop at the next batch,
    /// say what was kept and exit with 130; a command still running <see cref="StopGrace"/> later is ended with 130.
    /// </summary>
    public static int Run(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        bool console = output is null && error is null;
        output ??= Console.Out;
        error ??= Console.Error;
        ParseResult parsed = BuildRootCommand().Parse(args);
        if (parsed.Action is ParseErrorAction)
        {
            foreach (var e in parsed.Errors) error.WriteLine($"error: {e.Message}");
            string command = string.Join(' ', CommandPath(parsed));
            error.WriteLine($"Run 'emotioncluster {(command.Length > 0 ? command + " " : "")}--help' for usage.");
            return CliErrors.UsageOrInput;
        }
        var configuration = new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null };
        if (!console) return parsed.Invoke(configuration);
        using var stop = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true; // the command winds up; the timer below is the backstop
            if (stop.IsCancellationRequested) return;
            stop.Cancel();
            _ = Task.Delay(StopGrace).ContinueWith(_ => Environment.Exit(CliErrors.Cancelled), TaskScheduler.Default);
        }
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        return parsed.InvokeAsync(configuration, stop.Token).GetAwaiter().GetResult();
    }

    private static IEnumerable<string> CommandPath(ParseResult parsed)
    {
        var names = new Stack<string>();
        for (var r = parsed.CommandResult; r is not null && r.Command is not RootCommand; r = r.Parent as System.CommandLine.Parsing.CommandResult)
            names.Push(r.Command.Name);
        return names;
    }
}
