using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace EmotionCluster.Node;

/// <summary>
/// The node's logging: every record — the node's own, the parts' (ILogger) and Akka.NET's (forwarded to ILogger by
/// ManagementHosting) — goes to the same providers, the console (<see cref="LineFormatter"/>) and the log ring that
/// <c>ctl log peek</c> reads, filtered by the <c>Logging</c> section (appsettings.json). Also the node's own records.
/// </summary>
public static partial class NodeLogging
{
    public const string Category = "EmotionCluster.Node";

    /// <summary>The console provider with <see cref="LineFormatter"/> in place of the host's defaults.</summary>
    public static void AddConsole(ILoggingBuilder logging)
    {
        logging.ClearProviders();
        logging.AddConsole(o => o.FormatterName = LineFormatter.Name);
        logging.AddConsoleFormatter<LineFormatter, ConsoleFormatterOptions>();
    }

    public static ILogger Log(IServiceProvider services) => services.GetRequiredService<ILoggerFactory>().CreateLogger(Category);

    [LoggerMessage(Level = LogLevel.Information, Message = "node started: {Address} roles={Roles} store={Store}")]
    public static partial void NodeStarted(this ILogger logger, string address, string roles, string store);

    [LoggerMessage(Level = LogLevel.Information, Message = "http listening: {Urls}")]
    public static partial void HttpListening(this ILogger logger, string urls);

    [LoggerMessage(Level = LogLevel.Information, Message = "node stopped: extracted {Extracted} clips ({Cached} from the store), {Failed} failed")]
    public static partial void NodeStopped(this ILogger logger, long extracted, long cached, long failed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "--token shows in ps to every user of this host; prefer --token-file FILE or EmotionCluster__Http__Token")]
    public static partial void TokenOnCommandLine(this ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Warning}")]
    public static partial void Exposed(this ILogger logger, string warning);

    /// <summary>
    /// One line per record: an Information record is its message alone (the lines scripts wait for, such as
    /// <c>node started:</c>, begin the line), any other level is prefixed with the level and the category
    /// (<c>warn: EmotionCluster.Streaming: …</c>); an exception follows on the next lines.
    /// </summary>
    public sealed class LineFormatter() : ConsoleFormatter(Name)
    {
        public new const string Name = "emotioncluster-line";

        public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
        {
            string message = logEntry.Formatter(logEntry.State, logEntry.Exception);
            if (logEntry.LogLevel != LogLevel.Information)
            {
                textWriter.Write(logEntry.LogLevel switch
                {
                    LogLevel.Trace => "trce: ",
                    LogLevel.Debug => "dbug: ",
                    LogLevel.Warning => "warn: ",
                    LogLevel.Error => "fail: ",
                    _ => "crit: ",
                });
                textWriter.Write(logEntry.Category);
                textWriter.Write(": ");
            }
            textWriter.WriteLine(message);
            if (logEntry.Exception is { } e) textWriter.WriteLine(e.ToString());
        }
    }
}
