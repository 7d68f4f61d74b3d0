using Akka.Actor;
using Akka.Actor.Dsl;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Configuration;
using EmotionCluster.Audio;
using EmotionCluster.Extraction;
using EmotionCluster.Features;
using EmotionCluster.Model;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Streaming.Tests;

[Collection(TinyModelCollection.Name)]
public sealed class ModelHolderTests(TinyModel models)
{
    [Fact]
    public void Swap_is_atomic_and_a_replaced_model_lives_until_its_last_window_is_done()
    {
        using var holder = new ModelHolder();
        Assert.Null(holder.Acquire());
        holder.Swap(StreamingModel.Load(models.ModelA));
        var features = holder.Current!.Features(TinyModel.Clip(1, 1, 1), 16000);
        float[] a = holder.Current.Predict([features])[0];

        using var lease = holder.Acquire()!; // a window in flight on model A
        holder.Swap(StreamingModel.Load(models.ModelB));
        Assert.Equal(2, holder.Generation);
        Assert.Equal(a, lease.Model.Predict([features])[0]); // A still works for the window that holds it
        float[] b = holder.Current!.Predict([features])[0];
        Assert.NotEqual(a, b);
        using (var next = holder.Acquire()!) Assert.Same(holder.Current, next.Model);
        lease.Dispose();
        Assert.Throws<ObjectDisposedException>(() => lease.Model.Predict([features])); // released: A is disposed now
    }

    [Fact]
    public void A_holder_with_a_warm_up_batch_warms_every_model_up_before_it_becomes_current()
    {
        using var cold = new ModelHolder();
        cold.Swap(StreamingModel.Load(models.ModelA));
        Assert.Equal(0, cold.Current!.WarmedUpBatch);

        using var holder = new ModelHolder(warmUpBatch: 5);
        var a = StreamingModel.Load(models.ModelA);
        var features = a.Features(TinyModel.Clip(1, 1, 1), 16000);
        float[] before = a.Predict([features])[0];
        holder.Swap(a);
        Assert.Equal(5, holder.Current!.WarmedUpBatch);
        Assert.Equal(before, holder.Current.Predict([features])[0]); // warming up changes nothing
        holder.Swap(StreamingModel.Load(models.ModelB)); // a hot swap too
        Assert.Equal(5, holder.Current!.WarmedUpBatch);

        Assert.Throws<ArgumentOutOfRangeException>(() => new ModelHolder(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => holder.Current.WarmUp(0));
    }

    [Fact]
    public async Task The_batcher_runs_passes_on_its_own_threads_and_leaves_no_window_unanswered_when_disposed()
    {
        using var holder = new ModelHolder();
        holder.Swap(StreamingModel.Load(models.ModelA));
        var features = holder.Current!.Features(TinyModel.Clip(1, 1, 1), 16000);
        var batcher = new InferenceBatcher(maxBatch: 2, capacity: 64, workers: 2);
        // dedicated threads (Linux names them in /proc, cut to 15 characters), not thread-pool work
        if (OperatingSystem.IsLinux())
            Assert.True(ThreadNames().Count(n => n == "stream-inferenc") >= 2, "the batcher's two workers are not threads of their own");
        using var lease = holder.Acquire()!;
        await batcher.PredictAsync(lease, features).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(1, batcher.Windows);

        // many windows queued, then disposed at once: each one is predicted or cancelled, none is left waiting
        var queued = Enumerable.Range(0, 60).Select(_ => batcher.PredictAsync(lease, features)).ToArray();
        batcher.Dispose();
        batcher.Dispose(); // twice is harmless
        await Task.WhenAll(queued.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default))).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.All(queued, t => Assert.True(t.IsCompletedSuccessfully || t.IsCanceled, $"a queued window ended {t.Status}"));
        Assert.Throws<ObjectDisposedException>(() => { _ = batcher.PredictAsync(lease, features); });
    }

    [Fact]
    public async Task Each_worker_warms_its_own_thread_up_with_the_current_the_first_or_a_larger_model()
    {
        using var holder = new ModelHolder();
        holder.Swap(StreamingModel.Load(models.ModelA));
        var features = holder.Current!.Features(TinyModel.Clip(1, 1, 1), 16000);
        using var lease = holder.Acquire()!;
        using (var started = new InferenceBatcher(maxBatch: 3, capacity: 8, workers: 2, holder))
        {
            // before the constructor returned, each on its own worker thread (warming up elsewhere does not help)
            Assert.Equal(["stream-inference-0", "stream-inference-1"], started.WarmUpThreads.Order());
            await started.PredictAsync(lease, features).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(2, started.WarmUpThreads.Count); // the model they warmed up with: no second pass
        }

        // a node started without a model: the worker warms up with the first one it is given, then serves
        using var empty = new ModelHolder();
        using var late = new InferenceBatcher(maxBatch: 3, capacity: 8, workers: 1, empty);
        Assert.Empty(late.WarmUpThreads);
        float[] first = await late.PredictAsync(lease, features).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(["stream-inference-0"], late.WarmUpThreads);
        Assert.Equal(holder.Current.Predict([features])[0], first); // the warm-up pass changes nothing

        // another model of the same size finds the memory there; a larger one gets its own warm-up
        using var same = new ModelHolder();
        same.Swap(StreamingModel.Load(models.ModelB));
        Assert.Equal(holder.Current.ActivationSize, same.Current!.ActivationSize);
        using (var onB = same.Acquire()!) await late.PredictAsync(onB, features).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Single(late.WarmUpThreads);
        using var wide = new ModelHolder();
        wide.Swap(StreamingModel.Load(models.ModelWide));
        Assert.True(wide.Current!.ActivationSize > holder.Current.ActivationSize);
        using (var onWide = wide.Acquire()!) await late.PredictAsync(onWide, features).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2, late.WarmUpThreads.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => holder.Current.WarmUpThread(0));
    }

    private static List<string> ThreadNames()
    {
        var names = new List<string>();
        foreach (string task in Directory.GetDirectories("/proc/self/task"))
        {
            try { names.Add(File.ReadAllText(Path.Combine(task, "comm")).Trim()); }
            catch (IOException) { } // the thread ended meanwhile
        }
        return names;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Batched_predictions_equal_single_ones(int workers)
    {
        using var holder = new ModelHolder();
        holder.Swap(StreamingModel.Load(models.ModelA));
        using var batcher = new InferenceBatcher(maxBatch: 64, capacity: 100, workers);
        Assert.Equal(workers, batcher.Workers);
        var inputs = Enumerable.Range(0, 40).Select(i => holder.Current!.Features(TinyModel.Clip(i % 3, 1.0, i), 16000)).ToArray();
        var leases = inputs.Select(_ => holder.Acquire()!).ToArray();
        var tasks = inputs.Select((x, i) => batcher.PredictAsync(leases[i], x)).ToArray();
        float[][] results = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60));
        foreach (var l in leases) l.Dispose();
        Assert.True(batcher.Batches < 40, $"{batcher.Batches} batches for 40 windows: nothing was batched");
        Assert.Equal(40, batcher.Windows);
        for (int i = 0; i < inputs.Length; i++)
        {
            float[] single = holder.Current!.Predict([inputs[i]])[0];
            for (int c = 0; c < single.Length; c++) Assert.Equal(single[c], results[i][c], 1e-5f);
        }
    }

    [Fact]
    public void One_batched_pass_equals_the_predictor_one_window_at_a_time()
    {
        // StreamingModel.Predict runs all windows in one forward pass (inference mode); Predictor.Predict one per pass
        var model = StreamingModel.Load(models.ModelA);
        using var predictor = EmotionCluster.Model.Predictor.Load(models.ModelA);
        var inputs = Enumerable.Range(0, 40).Select(i => model.Features(TinyModel.Clip(i % 3, 0.6 + i % 5 * 0.3, i), 16000)).ToArray();
        foreach (int n in new[] { 1, 3, 16, 40 })
        {
            float[][] batched = model.Predict(inputs[..n]);
            Assert.Equal(n, batched.Length);
            for (int i = 0; i < n; i++)
            {
                float[] single = predictor.Predict(inputs[i]);
                for (int c = 0; c < single.Length; c++) Assert.Equal(single[c], batched[i][c], 1e-5f);
            }
        }
    }

    [Fact]
    public async Task A_batch_holding_windows_of_two_models_gives_each_its_own_models_probabilities()
    {
        using var holder = new ModelHolder();
        holder.Swap(StreamingModel.Load(models.ModelA));
        var features = holder.Current!.Features(TinyModel.Clip(1, 1, 1), 16000);
        var onA = Enumerable.Range(0, 3).Select(_ => holder.Acquire()!).ToArray();
        holder.Swap(StreamingModel.Load(models.ModelB));
        var onB = Enumerable.Range(0, 3).Select(_ => holder.Acquire()!).ToArray();
        float[] a = onA[0].Model.Predict([features])[0], b = onB[0].Model.Predict([features])[0];
        Assert.NotEqual(a, b);
        using var batcher = new InferenceBatcher(maxBatch: 16, capacity: 16);
        // interleaved: A, B, A, B, A, B
        var tasks = new List<(ModelLease Lease, Task<float[]> Task)>();
        for (int i = 0; i < onA.Length; i++)
        {
            tasks.Add((onA[i], batcher.PredictAsync(onA[i], features)));
            tasks.Add((onB[i], batcher.PredictAsync(onB[i], features)));
        }
        foreach (var (lease, task) in tasks)
        {
            float[] expected = ReferenceEquals(lease.Model, onA[0].Model) ? a : b;
            float[] actual = await task.WaitAsync(TimeSpan.FromSeconds(60));
            for (int c = 0; c < expected.Length; c++) Assert.Equal(expected[c], actual[c], 1e-5f);
        }
        foreach (var l in onA.Concat(onB)) l.Dispose();
    }

    [Fact]
    public async Task A_model_published_on_the_models_topic_replaces_the_current_one_and_is_kept_for_the_next_start()
    {
        string folder = Directory.CreateTempSubdirectory("ec-models-").FullName;
        try
        {
            var settings = new StreamingSettings { ModelDirectory = folder };
            Assert.Null(settings.StartModelPath); // nothing published yet
            await SwapsAfter(static (system, path) => ModelPublishing.PublishFile(system, path), modelDirectory: folder); // bytes in 64 kB chunks, serialized (serialize-messages)
            string kept = Path.Combine(folder, StreamingSettings.PublishedModelName);
            Assert.Equal(File.ReadAllBytes(models.ModelB), File.ReadAllBytes(kept));
            Assert.Equal(kept, settings.StartModelPath); // a restarted predictor starts with it
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public Task A_model_published_by_a_path_inside_the_model_folder_replaces_the_current_one() =>
        SwapsAfter(static (system, path) => ModelPublishing.PublishPath(system, path)); // models.Dir is the folder

    [Fact]
    public async Task A_model_published_by_a_path_outside_the_model_folder_is_not_loaded()
    {
        string folder = Directory.CreateTempSubdirectory("ec-models-").FullName;
        string link = Path.Combine(folder, "link.model");
        File.CreateSymbolicLink(link, models.ModelB); // inside by name, outside in fact
        string[] outside = [models.ModelB, Path.Combine(folder, "..", Path.GetFileName(folder) + "-x", "b.model"), link];
        try
        {
            foreach (string path in outside)
            {
                ModelPathRefused refused = await RefusedAfter(path, folder);
                Assert.Equal((path, Path.GetFullPath(folder)), (refused.Path, refused.ModelDirectory));
            }
            Assert.True(StreamingSettings.IsInside(folder, Path.Combine(folder, "sub", "..", "m.model")));
            Assert.False(StreamingSettings.IsInside(folder, folder + "-sibling/m.model")); // a shared prefix is not inside
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    /// <summary>Publishes <paramref name="path"/> on a one-node cluster whose subscriber allows <paramref name="folder"/>: the refusal, and the model unchanged.</summary>
    private async Task<ModelPathRefused> RefusedAfter(string path, string folder)
    {
        using var holder = new ModelHolder();
        holder.Swap(StreamingModel.Load(models.ModelA));
        string before = holder.Current!.Id;
        var system = await OneNodeCluster();
        try
        {
            var refused = new TaskCompletionSource<ModelPathRefused>(TaskCreationOptions.RunContinuationsAsynchronously);
            var listener = system.ActorOf(act => act.Receive<ModelPathRefused>((m, _) => refused.TrySetResult(m)));
            system.EventStream.Subscribe(listener, typeof(ModelPathRefused));
            system.ActorOf(ModelSubscriberActor.PropsFor(holder, folder), "model-subscriber");
            for (int attempt = 0; attempt < 40 && !refused.Task.IsCompleted; attempt++)
            {
                ModelPublishing.PublishPath(system, path);
                await Task.WhenAny(refused.Task, Task.Delay(500));
            }
            Assert.True(refused.Task.IsCompleted, $"{path}: no refusal after publishing");
            Assert.Equal(before, holder.Current!.Id);
            return await refused.Task;
        }
        finally
        {
            await system.Terminate().WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    private static async Task<ActorSystem> OneNodeCluster()
    {
        var config = ConfigurationFactory.ParseString("""
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp.port = 0
            akka.remote.dot-netty.tcp.hostname = 127.0.0.1
            akka.actor.serializers.streaming = "EmotionCluster.Streaming.StreamingSerializer, EmotionCluster.Streaming"
            akka.actor.serialization-bindings { "EmotionCluster.Streaming.IStreamingMessage, EmotionCluster.Streaming" = streaming }
            akka.actor.serialize-messages = on
            akka.loglevel = WARNING
            """);
        var system = ActorSystem.Create("pubsub", config);
        var cluster = Akka.Cluster.Cluster.Get(system);
        cluster.Join(cluster.SelfAddress);
        var up = new ManualResetEventSlim();
        cluster.RegisterOnMemberUp(up.Set);
        Assert.True(await Task.Run(() => up.Wait(TimeSpan.FromSeconds(20))), "the one-node cluster did not come up");
        return system;
    }

    [Fact]
    public Task A_best_model_announced_by_the_trainer_reaches_the_predictors() =>
        SwapsAfter(static (system, path) =>
        {
            // what the trainer does on a new best validation UAR; the announcer (on every node) publishes the file's bytes
            system.ActorSelection("/user/model-announcer").ResolveOne(TimeSpan.FromSeconds(5)).Wait();
            system.EventStream.Publish(new EmotionCluster.Hosting.ModelFileSaved(path, "run-1", 3, 0.5));
        }, announcer: true);

    private async Task SwapsAfter(Action<ActorSystem, string> publish, bool announcer = false, string? modelDirectory = null)
    {
        using var holder = new ModelHolder();
        holder.Swap(StreamingModel.Load(models.ModelA));
        var system = await OneNodeCluster();
        try
        {
            system.ActorOf(ModelSubscriberActor.PropsFor(holder, modelDirectory ?? models.Dir), "model-subscriber");
            if (announcer) system.ActorOf(ModelAnnouncerActor.PropsFor(), "model-announcer");
            string id = holder.Current!.Id;
            var swapped = new ManualResetEventSlim();
            holder.Swapped += _ => swapped.Set();
            // the subscription is registered asynchronously: publish until it is heard
            for (int attempt = 0; attempt < 40 && !swapped.IsSet; attempt++)
            {
                publish(system, models.ModelB);
                await Task.Run(() => swapped.Wait(TimeSpan.FromMilliseconds(500)));
            }
            Assert.True(swapped.IsSet, "no swap after publishing");
            Assert.NotEqual(id, holder.Current!.Id);
            Assert.StartsWith("b.model@", holder.Current.Id);
        }
        finally
        {
            await system.Terminate().WaitAsync(TimeSpan.FromSeconds(10));
        }
    }
}
