using System.Security.Cryptography;
using EmotionCluster.Audio;
using EmotionCluster.Extraction;
using EmotionCluster.Features;
using EmotionCluster.Model;

namespace EmotionCluster.Streaming;

/// <summary>A window's hold on a model: the model stays loaded until every lease on it is disposed.</summary>
public sealed class ModelLease : IDisposable
{
    private int _released;

    internal ModelLease(StreamingModel model) => Model = model;

    public StreamingModel Model { get; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0) Model.RemoveUser();
    }
}
