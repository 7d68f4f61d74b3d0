using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EmotionCluster.TrainingActors;

/// <summary>
/// The trainer's log: Microsoft.Extensions.Logging <see cref="ILogger"/>s with a category per class
/// (<c>EmotionCluster.TrainingActors.TrainerActor</c>, <c>EmotionCluster.TrainingActors.TrainingRunActor</c>,
/// <c>EmotionCluster.TrainingActors.ReplicaActor</c>) from the node's <see cref="ILoggerFactory"/>, so its lines (a run's
/// start, every step, every epoch, the end) reach the same providers as the rest of the node: the console and the log
/// ring of <c>ctl log peek</c>. An Information record is one line of text, as the trainer has always printed it.
/// </summary>
public static class TrainingLog
{
    /// <summary>The categories' common prefix.</summary>
    public const string Category = "EmotionCluster.TrainingActors";

    /// <summary>One trainer line at Information.</summary>
    public static void Line(this ILogger logger, string line) => logger.LogInformation("{Line}", line);

    /// <summary>The factory of a component that was given none (e.g. an actor created directly): records go nowhere.</summary>
    public static ILoggerFactory OrNull(ILoggerFactory? loggers) => loggers ?? NullLoggerFactory.Instance;
}

/// <summary>
/// A logger provider that hands each record of the trainer's categories (<see cref="TrainingLog.Category"/>) at
/// <paramref name="minimum"/> or above to <paramref name="line"/> as its message text: how a stand-alone trainer node
/// (<see cref="TrainingNode.StartAsync"/>) prints the trainer's lines to its own output.
/// </summary>
public sealed class TrainingLineProvider(Action<string> line, LogLevel minimum = LogLevel.Information) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) =>
        categoryName.StartsWith(TrainingLog.Category, StringComparison.Ordinal) ? new LineLogger(line, minimum) : NullLogger.Instance;

    public void Dispose() { }

    private sealed class LineLogger(Action<string> line, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            line(formatter(state, exception));
        }
    }
}
