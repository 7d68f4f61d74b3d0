using System.CommandLine;
using EmotionCluster.Audio;
using EmotionCluster.Corpora;

namespace EmotionCluster.Cli;

/// <summary>A problem with what the user asked for, reported as one line (exit code 2).</summary>
public sealed class CliException(string message) : Exception(message);

/// <summary>Runs a command action, turning bad input into one line on stderr and exit code 2.</summary>
public static class CliErrors
{
    public const int Ok = 0;
    public const int UsageOrInput = 2;
    public const int Cancelled = 130;

    public static int Run(ParseResult parseResult, Func<TextWriter, int> action)
    {
        TextWriter output = parseResult.InvocationConfiguration.Output;
        TextWriter error = parseResult.InvocationConfiguration.Error;
        try
        {
            return action(output);
        }
        catch (Exception e) when (e is CliException or CorpusException or AudioFormatException or IOException or UnauthorizedAccessException
            or InvalidDataException or ArgumentException or EmotionCluster.Reporting.ReportInputException or EmotionCluster.Model.ModelArtifactException
            or TimeoutException)
        {
            error.WriteLine($"error: {e.Message}");
            return UsageOrInput;
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("cancelled: what was finished is in the output folder and the feature store");
            return Cancelled;
        }
    }
}
