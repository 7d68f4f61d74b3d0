using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
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
/// <para>Each worker first makes one pass at <c>maxBatch</c> on its own thread (<see cref="StreamingModel.WarmUpThread"/>):
/// with the current model of <c>models</c> before the constructor returns, and again whenever it is given a model with
/// larger activations than it warmed up with (the first model, when the node started without one). Without it the first
/// full batch on a fresh worker thread took 0.3–0.45 s (its malloc arena faulting in memory): a stall of every stream
/// on the node in its first busy second.</para>
/// </summary>
public sealed class InferenceBatcher : IDisposable
{
    private sealed record Request(ModelLease Lease, Spectrogram Features, TaskCompletionSource<float[]> Done, long QueuedAt);

    private readonly BlockingCollection<Request> _queue;
    private readonly int _maxBatch;
    private readonly Thread[] _workers;
    private readonly CancellationTokenSource _stop = new();
    private readonly IDisposable _queueGauge;
    private readonly ModelHolder? _models;
    private readonly ILogger _log;

    /// <param name="models">when it holds a model, each worker warms its thread up with it before the constructor returns.</param>
    /// <param name="log">where a failed warm-up pass is reported (default: nowhere).</param>
    public InferenceBatcher(int maxBatch, int capacity, int workers = 1, ModelHolder? models = null, ILogger? log = null)
    {
        _log = log ?? NullLogger.Instance;
        if (maxBatch < 1) throw new ArgumentOutOfRangeException(nameof(maxBatch), maxBatch, "batches need at least one window");
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "the queue needs room for at least one window");
        if (workers < 1) throw new ArgumentOutOfRangeException(nameof(workers), workers, "inference needs at least one worker");
        _maxBatch = maxBatch;
        _queue = new BlockingCollection<Request>(new ConcurrentQueue<Request>(), capacity);
        _models = models;
        _workers = new Thread[workers];
        var started = new CountdownEvent(workers);
        for (int i = 0; i < workers; i++)
        {
            _workers[i] = new Thread(() => Run(started)) { IsBackground = true, Name = $"stream-inference-{i}" };
            _workers[i].Start();
        }
        // warm-ups take a fraction of a second; a stuck one does not stop the node (and may still signal later)
        if (started.Wait(TimeSpan.FromMinutes(1))) started.Dispose();
        _queueGauge = StreamingMetrics.InferenceQueue.Register(() => _queue.Count);
    }

    /// <summary>Workers of this batcher (passes of one model still take turns).</summary>
    public int Workers => _workers.Length;

    /// <summary>Batches run so far and windows in them (for tests and the benchmark).</summary>
    public long Batches => Interlocked.Read(ref _batches);
    public long Windows => Interlocked.Read(ref _windows);
    /// <summary>Names of the threads that made the workers' warm-up passes (<see cref="StreamingModel.WarmUpThread"/>), one per pass, in order.</summary>
    public IReadOnlyList<string> WarmUpThreads => [.. _warmUpThreads];
    private long _batches, _windows;
    private readonly ConcurrentQueue<string> _warmUpThreads = new();

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

    private void Run(CountdownEvent ready)
    {
        long warmed = 0; // activation size this thread has warmed up for
        try
        {
            using ModelLease? lease = _models?.Acquire();
            if (lease is not null) warmed = WarmThread(lease.Model);
        }
        finally
        {
            ready.Signal();
        }
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
                    if (model.ActivationSize > warmed) warmed = WarmThread(model); // the first model, or a larger one swapped in
                    try
                    {
                        long started = System.Diagnostics.Stopwatch.GetTimestamp();
                        foreach (var r in group) StreamingMetrics.InferenceWait.Record(System.Diagnostics.Stopwatch.GetElapsedTime(r.QueuedAt, started).TotalMilliseconds);
                        float[][] probabilities = model.Predict(features);
                        StreamingMetrics.BatchDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                        StreamingMetrics.BatchSize.Record(group.Count);
                        // counted before the answers go out: a caller resumed by its answer reads counts that include it
                        Interlocked.Increment(ref _batches);
                        Interlocked.Add(ref _windows, group.Count);
                        for (int i = 0; i < group.Count; i++) group[i].Done.TrySetResult(probabilities[i]);
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

    /// <summary>The warm-up pass on this thread; its model's <see cref="StreamingModel.ActivationSize"/>, also when it fails (not retried: the windows' own passes report what is wrong with the model).</summary>
    private long WarmThread(StreamingModel model)
    {
        try
        {
            model.WarmUpThread(_maxBatch);
            _warmUpThreads.Enqueue(Thread.CurrentThread.Name ?? "");
        }
        catch (Exception e)
        {
            _log.LogWarning("streaming: the warm-up pass of model {Model} on {Thread} failed ({Error}); its windows will report the error",
                model.Id, Thread.CurrentThread.Name, e.Message);
        }
        return model.ActivationSize;
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
