using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using EmotionCluster.Hosting;
using EmotionCluster.Wire;

namespace EmotionCluster.Streaming;

/// <summary>Publishing a new model to every predictor node (DistributedPubSub topic <see cref="Topic"/>).</summary>
public static class ModelPublishing
{
    public const string Topic = "models";
    /// <summary>Chunk size for model bytes: well under Akka.Remote's 128 kB frame.</summary>
    public const int ChunkBytes = ChunkTransport.DefaultChunkBytes;
    public const long MaxModelBytes = 256L * 1024 * 1024;

    /// <summary>The messages that carry <paramref name="bytes"/> (a model file's content) under <paramref name="modelId"/>.</summary>
    public static IEnumerable<ModelPublished> Chunks(string modelId, byte[] bytes)
    {
        if (bytes.Length > MaxModelBytes) throw new ArgumentException($"a model of {bytes.Length} bytes is larger than {MaxModelBytes} bytes", nameof(bytes));
        return ChunkTransport.Split(bytes, ChunkBytes).Select(c => new ModelPublished(modelId, null, c.Index, c.Count, c.Bytes));
    }

    /// <summary>Sends the model file's bytes to every predictor node of the cluster (no shared storage needed).</summary>
    public static void PublishFile(ActorSystem system, string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        var mediator = DistributedPubSub.Get(system).Mediator;
        foreach (var chunk in Chunks(Path.GetFileName(path), bytes)) mediator.Tell(new Publish(Topic, chunk));
    }

    /// <summary>Tells every predictor node to load <paramref name="path"/> (a path all of them can read).</summary>
    public static void PublishPath(ActorSystem system, string path) =>
        DistributedPubSub.Get(system).Mediator.Tell(new Publish(Topic, new ModelPublished(Path.GetFileName(path), path, 0, 1, [])));
}

/// <summary>
/// On every node: forwards each <see cref="ModelFileSaved"/> of the local event stream (the trainer's new best model)
/// to all predictor nodes, as the file's bytes on <see cref="ModelPublishing.Topic"/> (no shared storage needed).
/// </summary>
public sealed class ModelAnnouncerActor : ReceiveActor, IWithTimers
{
    private sealed record Republish;

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly TimeSpan _republishEvery;
    private string? _last;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props PropsFor() => PropsFor(null, TimeSpan.Zero);

    /// <param name="existing">a best model left from before (a file that may exist): published at start and with every republish.</param>
    /// <param name="republishEvery">publish the last model again this often (zero: never), for predictors that started since.</param>
    public static Props PropsFor(string? existing, TimeSpan republishEvery) => Props.Create(() => new ModelAnnouncerActor(existing, republishEvery));

    public ModelAnnouncerActor(string? existing, TimeSpan republishEvery)
    {
        _republishEvery = republishEvery;
        _last = !string.IsNullOrWhiteSpace(existing) && File.Exists(existing) ? existing : null;
        Receive<ModelFileSaved>(m =>
        {
            _last = m.Path;
            if (Publish(m.Path))
                _log.Info("published model {0} (run {1}, epoch {2}, validation UAR {3:F3}) to the predictors", m.Path, m.RunId, m.Epoch, m.ValidationUar);
        });
        Receive<Republish>(_ => { if (_last is not null) Publish(_last); });
    }

    private bool Publish(string path)
    {
        try
        {
            ModelPublishing.PublishFile(Context.System, path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            _log.Warning("could not publish model {0}: {1}", path, e.Message);
            return false;
        }
    }

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(ModelFileSaved));
        if (_republishEvery > TimeSpan.Zero) Timers.StartPeriodicTimer("republish", new Republish(), TimeSpan.FromSeconds(2), _republishEvery);
    }
    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);
}

/// <summary>A model published by a path outside the node's model folder, not loaded (on the node's event stream).</summary>
public sealed record ModelPathRefused(string ModelId, string Path, string ModelDirectory);

/// <summary>
/// Subscribes to <see cref="ModelPublishing.Topic"/> and swaps the node's <see cref="ModelHolder"/> to each model
/// published there (loaded off the actor's thread; streams keep running on the old model until it is ready). A model
/// published by path is loaded only from inside the node's model folder (<see cref="StreamingSettings.ModelDirectory"/>);
/// one published as bytes is kept there (<see cref="StreamingSettings.PublishedModelName"/>), so a restarted predictor
/// starts with it.
/// </summary>
public sealed class ModelSubscriberActor : ReceiveActor
{
    private sealed record Loaded(string ModelId);
    private sealed record LoadFailed(string ModelId, Exception Error);

    private readonly ModelHolder _holder;
    private readonly string _modelDirectory;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    /// <summary>The last load started: each load waits for it, so models are swapped in (and kept) in the order they came.</summary>
    private Task _loading = Task.CompletedTask;
    /// <summary>Published bytes being put together, by model id (one model at a time: see <see cref="Handle"/>).</summary>
    private readonly ChunkTransport<string, byte> _chunks = new(ModelPublishing.MaxModelBytes, id => $"model {id}");

    /// <param name="modelDirectory">the only folder a published path may point into; published bytes are kept there.</param>
    public static Props PropsFor(ModelHolder holder, string modelDirectory) => Props.Create(() => new ModelSubscriberActor(holder, modelDirectory));

    public ModelSubscriberActor(ModelHolder holder, string modelDirectory)
    {
        _holder = holder;
        _modelDirectory = Path.GetFullPath(modelDirectory);
        Receive<SubscribeAck>(_ => { });
        Receive<ModelPublished>(Handle);
        Receive<Loaded>(m => _log.Info("model {0} loaded; streams use it from their next window", m.ModelId));
        Receive<LoadFailed>(m => _log.Error(m.Error, "published model {0} could not be loaded; keeping the current one", m.ModelId));
    }

    protected override void PreStart() => DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(ModelPublishing.Topic, Self));

    private void Handle(ModelPublished m)
    {
        if (m.Path is not null)
        {
            string path = m.Path;
            if (!StreamingSettings.IsInside(_modelDirectory, path))
            {
                _log.Warning("model {0} published by path {1}: outside this node's model folder {2} ({3}:ModelDirectory); not loaded",
                    m.ModelId, path, _modelDirectory, StreamingSettings.Section);
                Context.System.EventStream.Publish(new ModelPathRefused(m.ModelId, path, _modelDirectory));
                return;
            }
            Load(m.ModelId, () => _holder.Load(path));
            return;
        }
        // a new model's first chunk drops an unfinished other (its publisher went away): at most one model in memory
        if (m.ChunkIndex == 0) _chunks.AbandonWhere(id => id != m.ModelId);
        byte[]? bytes;
        try
        {
            bytes = _chunks.Add(m.ModelId, m.ChunkIndex, m.ChunkCount, totalBytes: null, m.Bytes);
        }
        catch (InvalidDataException e)
        {
            _log.Warning("{0}; ignored", e.Message);
            return;
        }
        if (bytes is null) return;
        string id = m.ModelId;
        if (_holder.Current?.Id == StreamingModel.IdOf(id, bytes)) return; // a republish of the model in use
        string directory = _modelDirectory;
        Load(id, () =>
        {
            var model = _holder.Load(bytes, id);
            Keep(directory, bytes, _log);
            return model;
        });
    }

    /// <summary>Writes a loadable published model to the model folder (whole or not at all), for the next start.</summary>
    private static void Keep(string directory, byte[] bytes, ILoggingAdapter log)
    {
        try
        {
            Directory.CreateDirectory(directory);
            string target = Path.Combine(directory, StreamingSettings.PublishedModelName), temp = target + ".tmp";
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, target, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warning("streaming: could not keep the published model in {0}: {1}", directory, e.Message);
        }
    }

    private void Load(string id, Func<StreamingModel> load)
    {
        var holder = _holder;
        // a thread of its own: loading and warming up a model is about a second of CPU, which on pool threads would
        // hold up the sockets and actors of the streams running meanwhile. After the previous load: two models published
        // close together (a trainer's epochs) must not be swapped in or kept on disk in the wrong order.
        Task<object> loading = _loading.ContinueWith(_ =>
        {
            try
            {
                var model = load();
                holder.Swap(model);
                return (object)new Loaded(model.Id);
            }
            catch (Exception e)
            {
                return new LoadFailed(id, e);
            }
        }, CancellationToken.None, TaskContinuationOptions.LongRunning, TaskScheduler.Default);
        _loading = loading;
        loading.PipeTo(Self);
    }
}
