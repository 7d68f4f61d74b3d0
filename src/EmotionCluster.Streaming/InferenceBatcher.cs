using System.Collections.Concurrent;
using EmotionCluster.Features;

namespace EmotionCluster.Streaming;

/// <summary>
/// Runs the windows of all streams through the model together: a worker takes every window waiting (up to
/// <c>maxBatch</c>) and makes one batched forward pass per model (<see cref="StreamingModel.Predict"/>), so under load a hop tick of N streams costs one
/// batch instead of N single passes. With several <c>workers</c> (<see cref="StreamingSettings.InferenceWorkers"/>),
/// one collects the next batch while another's pass runs; passes of one model still take turns (the predictor's lock). Waiting windows are bounded (each stream has at most one in flight, and the queue refuses more than
/// <c>capacity</c>).
/// <para>The workers are dedicated threads, not thread-pool work: a pass is 2–40 ms of CPU, and on a
/// 2-core node two of them on pool threads starved the sockets and actors sharing the pool (the pool adds a thread
/// only every half second or so), which showed as 250–500 ms hop-latency spikes.</para>
/// </summary>
public sealed class InferenceBatcher : IDisposable
{
    private sealed record Request(ModelLease Lease, Spectrogram Features, TaskCompletionSource<float[]> Done, long QueuedAt);

    private readonly BlockingCollection<Request> _queue;
    private readonly int _maxBatch;
    private readonly Thread[] _workers;
    private readonly CancellationTokenSource _stop = new();
    private readonly IDisposable _queueGauge;

    public InferenceBatcher(int maxBatch, int capacity, int workers = 1)
    {
        if (maxBatch < 1) throw new ArgumentOutOfRangeException(nameof(maxBatch), maxBatch, "batches need at least one window");
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "the queue needs room for at least one window");
        if (workers < 1) throw new ArgumentOutOfRangeException(nameof(workers), workers, "inference needs at least one worker");
        _maxBatch = maxBatch;
        _queue = new BlockingCollection<Request>(new ConcurrentQueue<Request>(), capacity);
        _workers = new Thread[workers];
        for (int i = 0; i < workers; i++)
        {
            _workers[i] = new Thread(Run) { IsBackground = true, Name = $"stream-inference-{i}" };
            _workers[i].Start();
        }
        _queueGauge = StreamingMetrics.InferenceQueue.Register(() => _queue.Count);
    }

    /// <summary>Workers of this batcher (passes of one model still take turns).</summary>
    public int Workers => _workers.Length;

    /// <summary>Batches run so far and windows in them (for tests and the benchmark).</summary>
    public long Batches => Interlocked.Read(ref _batches);
    public long Windows => Interlocked.Read(ref _windows);
    private long _batches, _windows;

    /// <summary>The model's probabilities for <paramref name="features"/>; the lease must stay undisposed until this completes.</summary>
    /// <exception cref="StreamProtocolException">the queue is full (the node is overloaded).</exception>
    public Task<float[]> PredictAsync(ModelLease lease, Spectrogram features)
    {
        var done = new TaskCompletionSource<float[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        bool queued;
        try
        {
            queued = _queue.TryAdd(new Request(lease, features, done, System.Diagnostics.Stopwatch.GetTimestamp()));
        }
        catch (InvalidOperationException) // after Dispose
        {
            throw new ObjectDisposedException(nameof(InferenceBatcher));
        }
        if (!queued)
            throw new StreamProtocolException(StreamErrorKind.Unavailable, "the node's inference queue is full; try again later or add predictor nodes");
        return done.Task;
    }

    private void Run()
    {
        var batch = new List<Request>(_maxBatch);
        var group = new List<Request>(_maxBatch);
        var features = new List<Spectrogram>(_maxBatch);
        try
        {
            while (_queue.TryTake(out Request? first, Timeout.Infinite, _stop.Token))
            {
                batch.Clear();
                batch.Add(first);
                while (batch.Count < _maxBatch && _queue.TryTake(out Request? r)) batch.Add(r);
                // one pass per model (there are two only around a hot swap), windows in arrival order
                while (batch.Count > 0)
                {
                    StreamingModel model = batch[0].Lease.Model;
                    group.Clear();
                    features.Clear();
                    int kept = 0;
                    for (int i = 0; i < batch.Count; i++)
                    {
                        Request r = batch[i];
                        if (ReferenceEquals(r.Lease.Model, model)) { group.Add(r); features.Add(r.Features); }
                        else batch[kept++] = r;
                    }
                    batch.RemoveRange(kept, batch.Count - kept);
                    try
                    {
                        long started = System.Diagnostics.Stopwatch.GetTimestamp();
                        foreach (var r in group) StreamingMetrics.InferenceWait.Record(System.Diagnostics.Stopwatch.GetElapsedTime(r.QueuedAt, started).TotalMilliseconds);
                        float[][] probabilities = model.Predict(features);
                        StreamingMetrics.BatchDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                        StreamingMetrics.BatchSize.Record(group.Count);
                        for (int i = 0; i < group.Count; i++) group[i].Done.TrySetResult(probabilities[i]);
                        Interlocked.Increment(ref _batches);
                        Interlocked.Add(ref _windows, group.Count);
                    }
                    catch (Exception e)
                    {
                        foreach (var r in group) r.Done.TrySetException(e);
                    }
                }
            }
        }
        catch (OperationCanceledException) { }
        catch (InvalidOperationException) { } // completed: disposing
        while (_queue.TryTake(out Request? left)) left.Done.TrySetCanceled();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _queueGauge.Dispose();
        _queue.CompleteAdding();
        _stop.Cancel();
        bool stopped = true;
        foreach (var worker in _workers) stopped &= worker.Join(TimeSpan.FromSeconds(10));
        if (!stopped) return; // a worker is still in a pass: it may still use the queue and the token
        _stop.Dispose();
        _queue.Dispose();
    }

    private int _disposed;
}
