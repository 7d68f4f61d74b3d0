using System.Net.WebSockets;
using System.Text;
using Akka.Actor;
using EmotionCluster.Audio;

namespace EmotionCluster.Streaming.Tests;

public sealed class FeatureWorkersTests
{
    [Fact]
    public async Task Work_runs_on_the_dedicated_threads_in_order_and_returns_its_result()
    {
        using var workers = new FeatureWorkers(1);
        var order = new System.Collections.Concurrent.ConcurrentQueue<int>();
        var tasks = Enumerable.Range(0, 50).Select(i => workers.Run(() =>
        {
            order.Enqueue(i);
            Assert.False(Thread.CurrentThread.IsThreadPoolThread);
            return (i, Thread.CurrentThread.Name);
        })).ToArray();
        var results = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(0, 50), results.Select(r => r.i));
        Assert.All(results, r => Assert.Equal("stream-features-0", r.Name));
        Assert.Equal(Enumerable.Range(0, 50), order); // one thread: arrival order
    }

    [Fact]
    public async Task An_exception_fails_only_its_own_task_and_the_threads_go_on()
    {
        using var workers = new FeatureWorkers(2);
        Task<int> bad = workers.Run<int>(() => throw new InvalidOperationException("boom"));
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => bad.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("boom", e.Message);
        Assert.Equal(42, await workers.Run(() => 42).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(2, workers.Threads);
    }

    [Fact]
    public async Task Dispose_finishes_queued_work_and_refuses_more()
    {
        var workers = new FeatureWorkers(1);
        var gate = new ManualResetEventSlim();
        Task<int> first = workers.Run(() => { gate.Wait(TimeSpan.FromSeconds(30)); return 1; });
        Task<int> second = workers.Run(() => 2);
        gate.Set();
        workers.Dispose();
        Assert.Equal(1, await first);
        Assert.Equal(2, await second);
        ObjectDisposedException? refused = null;
        try { _ = workers.Run(() => 3); }
        catch (ObjectDisposedException e) { refused = e; }
        Assert.NotNull(refused);
        Assert.Throws<ArgumentOutOfRangeException>(() => new FeatureWorkers(0));
    }
}
