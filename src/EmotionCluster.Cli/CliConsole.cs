using Spectre.Console;

namespace EmotionCluster.Cli;

/// <summary>The Spectre console every command writes its tables through.</summary>
public static class CliConsole
{
    /// <summary>
    /// A console over <paramref name="output"/>: colours and ANSI only on a real terminal; otherwise plain text, no
    /// prompts, and lines <paramref name="plainWidth"/> wide (null: the width Spectre detects — for printers that write
    /// plain lines and never wrap or pad).
    /// </summary>
    public static IAnsiConsole For(TextWriter output, int? plainWidth = 120)
    {
        bool terminal = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(output),
            Interactive = InteractionSupport.No,
        });
        if (!terminal && plainWidth is { } width) console.Profile.Width = width;
        return console;
    }
}
