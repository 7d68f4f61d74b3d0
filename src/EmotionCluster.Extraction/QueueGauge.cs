using System.Collections.Concurrent;

namespace EmotionCluster.Extraction;

/// <summary>
/// The live queues behind one observable gauge (a backlog metric): every owner of a queue registers a function that
/// reads its current length and disposes the registration when the queue goes away; the gauge reports the sum over
/// the registered queues on each scrape (0 when there are none). The functions are called on the scraping thread,
/// so they must be safe to call from any thread (e.g. <c>Channel.Reader.Count</c>, or a field the owner writes with
/// <see cref="Volatile"/>).
/// </summary>
public sealed class QueueGauge
{
    private readonly ConcurrentDictionary<long, Func<long>> _sources = new();
    private long _next;

    /// <summary>Adds a queue; dispose the result to remove it.</summary>
    public IDisposable Register(Func<long> length)
    {
        ArgumentNullException.ThrowIfNull(length);
        long id = Interlocked.Increment(ref _next);
        _sources[id] = length;
        return new Registration(this, id);
    }

    /// <summary>Queues registered now.</summary>
    public int Queues => _sources.Count;

    /// <summary>The sum of the registered queues' lengths.</summary>
    public long Total
    {
        get
        {
            long total = 0;
            foreach (Func<long> length in _sources.Values) total += Math.Max(0, length());
            return total;
        }
    }

    private sealed class Registration(QueueGauge owner, long id) : IDisposable
    {
        public void Dispose() => owner._sources.TryRemove(id, out _);
    }
}
