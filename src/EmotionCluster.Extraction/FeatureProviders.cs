namespace EmotionCluster.Extraction;

/// <summary>One clip of a corpus manifest: its id (unique in the run; the sharding entity id) and where its audio is.</summary>
public sealed record ClipSource(string ClipId, string Path);

/// <summary>Progress of a batch: clips finished (with features or an error) out of the total.</summary>
public readonly record struct BatchProgress(int Done, int Failed, int Total);

/// <summary>
/// Extracts features for a batch of clips. Every clip gets an outcome (features or an error); one bad clip never
/// stops the batch. Implementations: <see cref="LocalFeatureProvider"/> (a plain parallel loop) and the cluster's
/// sharded extraction (ClusterFeatureProvider).
/// </summary>
public interface IFeatureProvider
{
    Task<IReadOnlyList<ExtractionOutcome>> ExtractAsync(IReadOnlyList<ClipSource> clips, FeaturePipelineSettings settings,
        IProgress<BatchProgress>? progress = null, CancellationToken cancellationToken = default);
}

/// <summary>The direct in-process extraction loop (no actors), parallel over <see cref="Threads"/> threads.</summary>
public sealed class LocalFeatureProvider(IFeatureStore store, int threads = 1) : IFeatureProvider
{
    public int Threads { get; } = threads >= 1 ? threads : throw new ArgumentOutOfRangeException(nameof(threads), "at least 1 thread");

    public Task<IReadOnlyList<ExtractionOutcome>> ExtractAsync(IReadOnlyList<ClipSource> clips, FeaturePipelineSettings settings,
        IProgress<BatchProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var service = new ClipExtractionService(new PipelineFeaturizer(settings), store);
        var results = new ExtractionOutcome[clips.Count];
        int done = 0, failed = 0;
        Parallel.For(0, clips.Count, new ParallelOptions { MaxDegreeOfParallelism = Threads, CancellationToken = cancellationToken }, i =>
        {
            results[i] = service.ExtractFile(clips[i].ClipId, clips[i].Path);
            int f = results[i].Succeeded ? Volatile.Read(ref failed) : Interlocked.Increment(ref failed);
            progress?.Report(new BatchProgress(Interlocked.Increment(ref done) - f, f, clips.Count));
        });
        return Task.FromResult<IReadOnlyList<ExtractionOutcome>>(results);
    }
}
