namespace EmotionCluster.TrainingActors;

/// <summary>Where a global step falls: its 1-based epoch and 0-based index in the epoch.</summary>
public readonly record struct StepPosition(int Epoch, int StepInEpoch);

/// <summary>
/// Deterministic data-parallel planning. Every replica derives the same global batches from (seed, epoch) alone, so
/// no batch contents travel; each replica takes its rank's contiguous slice.
/// <para>
/// Global steps are numbered from 1; step s is in epoch (s-1)/StepsPerEpoch + 1. An epoch's order is a Fisher-Yates
/// shuffle of 0..n-1 with <c>new Random(seed ⊕ epoch)</c>, so resuming at any step needs only the seed and the step.
/// </para>
/// </summary>
public sealed class DataParallelStep
{
    public DataParallelStep(int samples, int batchSize, int seed)
    {
        if (samples < 1) throw new ArgumentException($"The training set has {samples} examples; at least 1 is needed.", nameof(samples));
        if (batchSize < 1) throw new ArgumentException($"BatchSize is {batchSize}; it must be at least 1.", nameof(batchSize));
        Samples = samples;
        BatchSize = batchSize;
        Seed = seed;
        StepsPerEpoch = (samples + batchSize - 1) / batchSize;
    }

    public int Samples { get; }
    public int BatchSize { get; }
    public int Seed { get; }
    public int StepsPerEpoch { get; }

    public long TotalSteps(int epochs) => (long)epochs * StepsPerEpoch;

    public StepPosition Locate(long step)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        return new StepPosition((int)((step - 1) / StepsPerEpoch) + 1, (int)((step - 1) % StepsPerEpoch));
    }

    /// <summary>The example indices of epoch <paramref name="epoch"/> in training order.</summary>
    public int[] EpochOrder(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(epoch, 1);
        var order = Enumerable.Range(0, Samples).ToArray();
        new Random(unchecked(Seed * 1_000_003 ^ epoch)).Shuffle(order);
        return order;
    }

    /// <summary>The whole batch of a global step (what a single replica would train on).</summary>
    public int[] GlobalBatch(long step)
    {
        var (epoch, index) = Locate(step);
        var order = EpochOrder(epoch);
        int start = index * BatchSize;
        return order.AsSpan(start, Math.Min(BatchSize, Samples - start)).ToArray();
    }

    /// <summary>
    /// Rank <paramref name="rank"/>'s part of <paramref name="batch"/> among <paramref name="replicas"/>: contiguous
    /// slices whose sizes differ by at most one (the first batch % replicas ranks take one more); may be empty.
    /// </summary>
    public static int[] Slice(IReadOnlyList<int> batch, int rank, int replicas)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (replicas < 1) throw new ArgumentOutOfRangeException(nameof(replicas), replicas, "At least one replica.");
        if (rank < 0 || rank >= replicas) throw new ArgumentOutOfRangeException(nameof(rank), rank, $"Rank must be in 0..{replicas - 1}.");
        int baseSize = batch.Count / replicas, extra = batch.Count % replicas;
        int start = rank * baseSize + Math.Min(rank, extra);
        int size = baseSize + (rank < extra ? 1 : 0);
        var slice = new int[size];
        for (int i = 0; i < size; i++) slice[i] = batch[start + i];
        return slice;
    }

    /// <summary>Rank's slice of global step <paramref name="step"/>.</summary>
    public int[] Plan(long step, int rank, int replicas) => Slice(GlobalBatch(step), rank, replicas);
}
