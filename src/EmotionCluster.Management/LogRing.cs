using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using MelLogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace EmotionCluster.Management;

/// <summary>The last <see cref="Capacity"/> log lines of the node (Akka.NET and Microsoft.Extensions.Logging), oldest first.</summary>
public sealed class LogRing
{
    public const int DefaultCapacity = 2000;

    private readonly LogLine[] _lines;
    private readonly Lock _lock = new();
    private long _total;

    public LogRing(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _lines = new LogLine[capacity];
    }

    public int Capacity => _lines.Length;

    /// <summary>Lines added since the start (including those the ring no longer holds).</summary>
    public long Total { get { lock (_lock) return _total; } }

    public void Add(LogLine line)
    {
        lock (_lock)
        {
            _lines[_total % _lines.Length] = line;
            _total++;
        }
    }

    /// <summary>
    /// The lines added after the <paramref name="after"/>-th (those the ring still holds; a number from before a
    /// restart counts as 0), oldest first, and the total to ask with next time.
    /// </summary>
    public (long Total, IReadOnlyList<LogLine> Lines) Since(long after)
    {
        lock (_lock)
        {
            if (after > _total) after = 0;
            int n = (int)Math.Min(_total - after, _lines.Length);
            var result = new LogLine[n];
            for (int i = 0; i < n; i++) result[i] = _lines[(_total - n + i) % _lines.Length];
            return (_total, result);
        }
    }

    /// <summary>The newest <paramref name="count"/> lines (fewer when fewer were logged), oldest first.</summary>
    public IReadOnlyList<LogLine> Last(int count)
    {
        lock (_lock)
        {
            int n = (int)Math.Min(Math.Min(count, _lines.Length), _total);
            var result = new LogLine[n];
            for (int i = 0; i < n; i++) result[i] = _lines[(_total - n + i) % _lines.Length];
            return result;
        }
    }
}

/// <summary>
/// Microsoft.Extensions.Logging provider writing Information and above into the <see cref="LogRing"/>. Akka.NET's
/// records reach it through ILogger too (the node host forwards Akka's logging to its logger factory,
/// <see cref="ManagementHosting.WithEmotionClusterManagement"/>), so the ring holds what the console shows. Those
/// records are kept as Akka's: source <c>akka</c>, the actor or class that logged as the category, the message without
/// the <c>[LEVEL][time][thread][source]</c> prefix Akka's formatter gives it.
/// </summary>
public sealed partial class LogRingLoggerProvider(LogRing ring) : ILoggerProvider
{
    /// <summary>Akka's default formatting of a record: <c>[INFO][12/07/2026 12:11:24.130Z][Thread 0019][source] message</c>.</summary>
    [GeneratedRegex(@"^\[[A-Z]+\]\[[^\]]*\]\[Thread [^\]]*\]\[(?<source>[^\]]*)\] (?<message>.*)$", RegexOptions.Singleline)]
    private static partial Regex AkkaRecord();

    /// <summary>The ring's source, category and message of a record logged under <paramref name="category"/>.</summary>
    internal static (string Source, string Category, string Message) Origin(string category, string message) =>
        category.StartsWith("Akka", StringComparison.Ordinal) && AkkaRecord().Match(message) is { Success: true } m
            ? ("akka", m.Groups["source"].Value, m.Groups["message"].Value.TrimEnd())
            : ("mel", category, message);

    public ILogger CreateLogger(string categoryName) => new RingLogger(ring, categoryName);

    public void Dispose() { }

    private sealed class RingLogger(LogRing ring, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(MelLogLevel logLevel) => logLevel >= MelLogLevel.Information && logLevel != MelLogLevel.None;

        public void Log<TState>(MelLogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            string message = formatter(state, exception);
            if (exception is not null) message = $"{message}: {exception.GetType().Name}: {exception.Message}";
            var (source, origin, text) = Origin(category, message);
            ring.Add(new LogLine(DateTimeOffset.UtcNow, logLevel switch
            {
                MelLogLevel.Information => "info",
                MelLogLevel.Warning => "warning",
                _ => "error",
            }, source, origin, text));
        }
    }
}
