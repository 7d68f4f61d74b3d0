using Akka.Actor;
using Akka.Event;
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
/// Copies Akka.NET log events into the <see cref="LogRing"/>: subscribed to the event stream, so it sees what the
/// configured loggers see (at <c>akka.loglevel</c>) without replacing them.
/// </summary>
public sealed class AkkaLogRingActor : ReceiveActor
{
    public AkkaLogRingActor(LogRing ring)
    {
        Receive<LogEvent>(e => ring.Add(new LogLine(
            new DateTimeOffset(DateTime.SpecifyKind(e.Timestamp, DateTimeKind.Utc)),
            e.LogLevel() switch
            {
                Akka.Event.LogLevel.DebugLevel => "debug",
                Akka.Event.LogLevel.InfoLevel => "info",
                Akka.Event.LogLevel.WarningLevel => "warning",
                _ => "error",
            },
            "akka",
            e.LogSource,
            e.Cause is null ? Text(e.Message) : $"{Text(e.Message)}: {e.Cause.GetType().Name}: {e.Cause.Message}")));
    }

    /// <summary>The formatted message (a <see cref="LogMessage"/> fills its template in ToString).</summary>
    private static string Text(object? message) => message?.ToString() ?? "";

    public static Props PropsFor(LogRing ring) => Props.Create(() => new AkkaLogRingActor(ring));

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(LogEvent));

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);
}

/// <summary>Microsoft.Extensions.Logging provider writing Information and above into the <see cref="LogRing"/>.</summary>
public sealed class LogRingLoggerProvider(LogRing ring) : ILoggerProvider
{
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
            ring.Add(new LogLine(DateTimeOffset.UtcNow, logLevel switch
            {
                MelLogLevel.Information => "info",
                MelLogLevel.Warning => "warning",
                _ => "error",
            }, "mel", category, message));
        }
    }
}
