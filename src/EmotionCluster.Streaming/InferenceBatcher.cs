using System.Threading.Channels;
using EmotionCluster.Features;

namespace EmotionCluster.Streaming;

/// <summary>
/// Runs the windows of all streams through the model together: a worker takes every window waiting (up to
/// <c>maxBatch</c>) and makes one batched forward pass per model (<see cref="StreamingModel.Predict"/>), so under load a hop tick of N streams costs one
/// batch instead of N single passes. With several <c>workers</c> (<see cref="StreamingSettings.InferenceWorkers"/>),
/// one collects the next batch while another's pass runs; passes of one model still take turns (the predictor's lock). Waiting windows are bounded (each stream has at most one in flight, and the queue refuses more than
/// <c>capacity</c>).
/// </summary>
public sealed class InferenceBatcher : IDisposable
{
    private sealed record Request(ModelLease Lease, Spectrogram Features, TaskCompletionSource<float[]> Done);

    private readonly Channel<Request> _queue;
    private readonly int _maxBatch;
    private readonly Task[] _workers;
    private readonly CancellationTokenSource _stop = new();
    private readonly IDisposable _queueGauge;

    public InferenceBatcher(int maxBatch, int capacity, int workers = 1)
    {
        if (maxBatch < 1) throw new ArgumentOutOfRangeException(nameof(maxBatch), maxBatch, "batches need at least one window");
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "the queue needs room for at least one window");
        if (workers < 1) throw new ArgumentOutOfRangeException(nameof(workers), workers, "inference needs at least one worker");
        _maxBatch = maxBatch;
        _queue = Channel.CreateBounded<Request>(new BoundedChannelOptions(capacity) { SingleReader = workers == 1, FullMode = BoundedChannelFullMode.Wait });
        _workers = Enumerable.Range(0, workers).Select(_ => Task.Factory.StartNew(Run, TaskCreationOptions.LongRunning).Unwrap()).ToArray();
        _queueGauge = StreamingMetrics.InferenceQueue.Register(() => _queue.Reader.Count);
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
        if (!_queue.Writer.TryWrite(new Request(lease, features, done)))
            throw new StreamProtocolException(StreamErrorKind.Unavailable, "the node's inference queue is full; try again later or add predictor nodes");
        return done.Task;
    }

    private async Task Run()
    {
        var batch = new List<Request>(_maxBatch);
        var group = new List<Request>(_maxBatch);
        var features = new List<Spectrogram>(_maxBatch);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(_stop.Token))
            {
                batch.Clear();
                while (batch.Count < _maxBatch && _queue.Reader.TryRead(out Request? r)) batch.Add(r);
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
        while (_queue.Reader.TryRead(out Request? left)) left.Done.TrySetCanceled();
    }

    public void Dispose()
    {
        _queueGauge.Dispose();
        _queue.Writer.TryComplete();
        _stop.Cancel();
        try { Task.WaitAll(_workers, TimeSpan.FromSeconds(10)); } catch (AggregateException) { }
        _stop.Dispose();
    }
}
