using Akka.Actor;
using EmotionCluster.Wire;

namespace EmotionCluster.Extraction;

/// <summary>
/// Feature extraction through the cluster: an <see cref="ExtractionCoordinator"/> sends every clip to the clip
/// extractor shard region (on whichever nodes host it) and the features are read back from the store. With
/// <see cref="ReturnFeatures"/> the extractors send features back to this node's store (no shared storage needed).
/// </summary>
public sealed class ClusterFeatureProvider(ActorSystem system, IActorRef region, IFeatureStore store,
    CoordinatorOptions? options = null, bool returnFeatures = false) : IFeatureProvider
{
    public bool ReturnFeatures { get; } = returnFeatures;

    /// <summary>The last run's summary (per-node counts, retries), for reports and benchmarks.</summary>
    public ExtractionSummary? LastSummary { get; private set; }

    public async Task<IReadOnlyList<ExtractionOutcome>> ExtractAsync(IReadOnlyList<ClipSource> clips, FeaturePipelineSettings settings,
        IProgress<BatchProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        IActorRef coordinator = system.ActorOf(ExtractionCoordinator.PropsFor(region, store, options));
        IActorRef? progressActor = progress is null ? null
            : system.ActorOf(Props.Create(() => new ProgressForwarder(progress)));
        try
        {
            var summary = await coordinator.Ask<ExtractionSummary>(
                new RunExtraction(clips, settings.ToJson(), ReturnFeatures, progressActor), Timeout.InfiniteTimeSpan, cancellationToken);
            LastSummary = summary;
            return clips.Select(c =>
            {
                ClipResult r = summary.Results[c.ClipId];
                if (r.Error is not null || r.Key is not { } key) return new ExtractionOutcome(c.ClipId, r.Key, null, r.Cached, r.Error ?? "no features");
                var features = store.TryGet(key);
                return features is null
                    ? new ExtractionOutcome(c.ClipId, key, null, r.Cached, $"{c.Path}: features missing from the store at {key}")
                    : new ExtractionOutcome(c.ClipId, key, features, r.Cached, null);
            }).ToList();
        }
        finally
        {
            system.Stop(coordinator);
            if (progressActor is not null) system.Stop(progressActor);
        }
    }

    private sealed class ProgressForwarder : ReceiveActor
    {
        public ProgressForwarder(IProgress<BatchProgress> progress) =>
            Receive<ExtractionProgress>(p => progress.Report(new BatchProgress(p.Done, p.Failed, p.Total)));
    }
}
