using System.Collections.Concurrent;

namespace EmotionCluster.Streaming;

/// <summary>
/// A fixed number of dedicated threads that compute the windows' features (milliseconds of CPU each). On the .NET
/// thread pool, as before, every stream's window was a work item: under load the pool ran more of them at once than
/// there are cores (and injected threads), and the sockets' and actors' short continuations queued behind them
/// (docs/dev-notes.md: give CPU-bound work a fixed thread count). Work runs in arrival order.
/// </summary>
public sealed class FeatureWorkers : IDisposable
{
    private readonly BlockingCollection<Action> _queue = new(new ConcurrentQueue<Action>());
    private readonly Thread[] _threads;

    public FeatureWorkers(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _threads = new Thread[threads];
        for (int i = 0; i < threads; i++)
        {
            _threads[i] = new Thread(Loop) { IsBackground = true, Name = $"stream-features-{i}" };
            _threads[i].Start();
        }
    }

    public int Threads => _threads.Length;

    /// <summary>Default thread count: half the processors, at least one (the other half runs inference, sockets and actors).</summary>
    public static int DefaultThreads => Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>Runs <paramref name="work"/> on one of the threads; its result or exception completes the task.</summary>
    /// <exception cref="ObjectDisposedException">after <see cref="Dispose"/>.</exception>
    public Task<T> Run<T>(Func<T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            _queue.Add(() =>
            {
                try { done.TrySetResult(work()); }
                catch (Exception e) { done.TrySetException(e); }
            });
        }
        catch (InvalidOperationException) // added after CompleteAdding
        {
            throw new ObjectDisposedException(nameof(FeatureWorkers));
        }
        return done.Task;
    }

    private void Loop()
    {
        foreach (Action work in _queue.GetConsumingEnumerable()) work();
    }

    /// <summary>Lets queued work finish (up to 10 s), then stops the threads.</summary>
    public void Dispose()
    {
        _queue.CompleteAdding();
        foreach (var t in _threads) t.Join(TimeSpan.FromSeconds(10));
    }
}
