using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using EmotionCluster.Wire;

namespace EmotionCluster.Extraction;

/// <summary>Counts the clips this node extracted (for the node's own report and the metrics endpoint).</summary>
public sealed class ExtractorNodeStats
{
    private long _extracted, _cached, _failed;
    public long Extracted => Interlocked.Read(ref _extracted);
    public long Cached => Interlocked.Read(ref _cached);
    public long Failed => Interlocked.Read(ref _failed);
    internal void CountExtracted(bool cached) { Interlocked.Increment(ref _extracted); if (cached) Interlocked.Increment(ref _cached); }
    internal void CountFailed() => Interlocked.Increment(ref _failed);
}
