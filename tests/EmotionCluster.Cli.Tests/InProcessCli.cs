namespace EmotionCluster.Cli.Tests;

/// <summary>The CLI run in this process, as a user types it: exit code, standard output and standard error.</summary>
internal static class InProcessCli
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
