using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using EmotionCluster.Audio;

namespace EmotionCluster.Streaming;

/// <summary>What every predictor actor of a node shares: settings, the current model, the feature threads, the batched inference worker.</summary>
public sealed class StreamingServices(StreamingSettings settings, ModelHolder models, InferenceBatcher batcher, FeatureWorkers features) : IDisposable
{
    public StreamingSettings Settings { get; } = settings;
    public ModelHolder Models { get; } = models;
    public InferenceBatcher Batcher { get; } = batcher;
    public FeatureWorkers Features { get; } = features;

    /// <summary>Services from validated settings, loading <see cref="StreamingSettings.StartModelPath"/> when there is one.</summary>
    /// <param name="log">where the inference workers report a failed warm-up (default: nowhere).</param>
    public static StreamingServices Create(StreamingSettings settings, Microsoft.Extensions.Logging.ILogger? log = null)
    {
        settings.Validate();
        // threads go to whichever runtime loads a model (torch's are set only when a torch model is loaded: an ONNX-only node never loads libtorch)
        var holder = new ModelHolder(warmUpBatch: settings.MaxBatch, settings.ParsedRuntime, settings.TorchThreads);
        if (settings.StartModelPath is { } start) holder.Swap(holder.Load(start));
        return new StreamingServices(settings, holder, new InferenceBatcher(settings.MaxBatch, settings.MaxStreams + settings.MaxBatch,
                settings.InferenceWorkers, holder, log),
            new FeatureWorkers(settings.FeatureThreads > 0 ? settings.FeatureThreads : FeatureWorkers.DefaultThreads));
    }

    public void Dispose()
    {
        Features.Dispose();
        Batcher.Dispose();
        Models.Dispose();
    }
}
