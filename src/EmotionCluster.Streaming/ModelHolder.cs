using System.Security.Cryptography;
using EmotionCluster.Audio;
using EmotionCluster.Extraction;
using EmotionCluster.Features;
using EmotionCluster.Model;

namespace EmotionCluster.Streaming;

/// <summary>
/// The node's current model, shared by every stream. <see cref="Swap"/> replaces it atomically: windows already
/// running finish on the model they started with, the next window of every stream uses the new one, no stream is dropped.
/// </summary>
public sealed class ModelHolder(int warmUpBatch = 0, ModelRuntime runtime = ModelRuntime.Auto, int threads = 0) : IDisposable
{
    private readonly Lock _gate = new();

    /// <summary>The runtime models are loaded with (<see cref="StreamingSettings.Runtime"/>), published ones included.</summary>
    public ModelRuntime Runtime { get; } = runtime;

    /// <summary>Intra-op threads models are loaded with (<see cref="StreamingSettings.TorchThreads"/>).</summary>
    public int Threads { get; } = threads;

    /// <summary>Loads a model file or ONNX export with this holder's <see cref="Runtime"/> and <see cref="Threads"/> (not yet current: <see cref="Swap"/> it).</summary>
    public StreamingModel Load(string path) => StreamingModel.Load(path, Runtime, Threads);

    /// <summary>As <see cref="Load(string)"/>, from the file's bytes.</summary>
    public StreamingModel Load(byte[] bytes, string name) => StreamingModel.Load(bytes, name, Runtime, Threads);

    /// <summary>Batch sizes 1..this are warmed up (<see cref="StreamingModel.WarmUp"/>) before a model is swapped in; 0: none.</summary>
    public int WarmUpBatch { get; } = warmUpBatch >= 0 ? warmUpBatch : throw new ArgumentOutOfRangeException(nameof(warmUpBatch), warmUpBatch, "a batch size cannot be negative");
    private StreamingModel? _current;
    private long _generation;

    /// <summary>Raised after a swap with the new model (on the swapping thread).</summary>
    public event Action<StreamingModel>? Swapped;

    public StreamingModel? Current => Volatile.Read(ref _current);
    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>A lease on the current model, or null when none is loaded.</summary>
    public ModelLease? Acquire()
    {
        while (true)
        {
            StreamingModel? model = Volatile.Read(ref _current);
            if (model is null) return null;
            if (model.TryAddUser()) return new ModelLease(model);
            // it was swapped out and disposed between the read and the lease: read again
        }
    }

    /// <summary>Makes <paramref name="model"/> current, after warming it up (<see cref="WarmUpBatch"/>) on the calling thread while streams go on with the old one.</summary>
    public void Swap(StreamingModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (WarmUpBatch > 0 && model.WarmedUpBatch < WarmUpBatch)
        {
            try
            {
                model.WarmUp(WarmUpBatch);
            }
            catch
            {
                model.RemoveUser(); // never became current: release it
                throw;
            }
        }
        StreamingModel? old;
        lock (_gate)
        {
            old = Interlocked.Exchange(ref _current, model);
            Interlocked.Increment(ref _generation);
        }
        old?.RemoveUser();
        Swapped?.Invoke(model);
    }

    public void Dispose()
    {
        StreamingModel? old = Interlocked.Exchange(ref _current, null);
        old?.RemoveUser();
    }
}
