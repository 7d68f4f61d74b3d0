using System.CommandLine;
using System.CommandLine.Invocation;

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
        TrainingCommands.CreateManifest,
        TrainingCommands.CreatePredict,
        TrainingCommands.CreateReport,
        RunsCommands.Create,
        StreamCommands.Create,
    ];

    public static RootCommand BuildRootCommand()
    {
        var root = new RootCommand("EmotionCluster: speech emotion recognition tools.");
        foreach (var create in Groups) root.Subcommands.Add(create());
        return root;
    }

    /// <summary>Parses and runs <paramref name="args"/>, writing to the given writers (default: the console).</summary>
    public static int Run(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
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
        return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error });
    }

    private static IEnumerable<string> CommandPath(ParseResult parsed)
    {
        var names = new Stack<string>();
        for (var r = parsed.CommandResult; r is not null && r.Command is not RootCommand; r = r.Parent as System.CommandLine.Parsing.CommandResult)
            names.Push(r.Command.Name);
        return names;
    }
}
