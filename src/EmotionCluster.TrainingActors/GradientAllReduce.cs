namespace EmotionCluster.TrainingActors;

/// <summary>
/// One replica's part of a step: its flattened values (gradients, then float buffers), the weight of its slice (the sum
/// of the class weights of its labels, or its example count without class weights) and its loss statistics.
/// </summary>
public sealed record Contribution(int Rank, double Weight, float[] Values, double LossSum = 0, int Correct = 0, int Samples = 0);

/// <summary>
/// All-reduce arithmetic over flattened float vectors. Contributions are combined in rank order with double
/// accumulators, so every replica that reduces the same contributions gets bit-identical results.
/// </summary>
public static class GradientAllReduce
{
    /// <summary>Element-wise sum, in rank order.</summary>
    public static float[] Sum(IReadOnlyList<Contribution> contributions)
    {
        var acc = Accumulate(contributions, weighted: false, out _);
        var result = new float[acc.Length];
        for (int i = 0; i < acc.Length; i++) result[i] = (float)acc[i];
        return result;
    }

    /// <summary>Element-wise plain mean (every contribution counts once).</summary>
    public static float[] Average(IReadOnlyList<Contribution> contributions)
    {
        var acc = Accumulate(contributions, weighted: false, out _);
        var result = new float[acc.Length];
        for (int i = 0; i < acc.Length; i++) result[i] = (float)(acc[i] / contributions.Count);
        return result;
    }

    /// <summary>
    /// Σ wᵣ·vᵣ / Σ wᵣ: with wᵣ the weight of replica r's slice this is the gradient of the whole batch's weighted-mean
    /// loss. Null when the weights sum to 0 (nothing to learn from: every slice was empty or dropped).
    /// </summary>
    public static float[]? WeightedAverage(IReadOnlyList<Contribution> contributions)
    {
        var acc = Accumulate(contributions, weighted: true, out double total, pooled: true);
        try
        {
            if (total <= 0) return null;
            int length = contributions[0].Values.Length;
            var result = new float[length];
            for (int i = 0; i < length; i++) result[i] = (float)(acc[i] / total);
            return result;
        }
        finally
        {
            System.Buffers.ArrayPool<double>.Shared.Return(acc);
        }
    }

    /// <summary>Σ w·v in rank order; with <paramref name="pooled"/> the array comes from the shared pool (longer than the vectors, zeroed to their length).</summary>
    private static double[] Accumulate(IReadOnlyList<Contribution> contributions, bool weighted, out double totalWeight, bool pooled = false)
    {
        ArgumentNullException.ThrowIfNull(contributions);
        if (contributions.Count == 0) throw new ArgumentException("No contributions to reduce.", nameof(contributions));
        int length = contributions[0].Values.Length;
        var seen = new HashSet<int>();
        foreach (var c in contributions)
        {
            if (c.Values.Length != length)
                throw new ArgumentException($"Replica {c.Rank} sent {c.Values.Length} values but replica {contributions[0].Rank} sent {length}; all replicas must run the same model.");
            if (!seen.Add(c.Rank)) throw new ArgumentException($"Replica {c.Rank} contributed twice.");
            if (!(c.Weight >= 0) || double.IsInfinity(c.Weight)) throw new ArgumentException($"Replica {c.Rank} has weight {c.Weight}; weights must be finite and not negative.");
        }
        double[] acc;
        if (pooled)
        {
            acc = System.Buffers.ArrayPool<double>.Shared.Rent(length);
            Array.Clear(acc, 0, length);
        }
        else
        {
            acc = new double[length];
        }
        totalWeight = 0;
        foreach (var c in contributions.OrderBy(c => c.Rank))
        {
            double w = weighted ? c.Weight : 1;
            totalWeight += w;
            if (w == 0) continue;
            var v = c.Values;
            for (int i = 0; i < length; i++) acc[i] += w * v[i];
        }
        return acc;
    }
}

/// <summary>The outcome of one step: the averaged vector (null: no update) and who contributed.</summary>
public sealed record ReducedStep(long Step, float[]? Values, int[] Contributors, int[] Dropped, double Weight, double Loss, int Correct, int Samples);

/// <summary>
/// The coordinator's bookkeeping for one step: which ranks are expected, which contributed, which were dropped
/// (died, stalled past the timeout, or out of sync). Complete when every expected rank contributed or was dropped.
/// </summary>
public sealed class StepReducer
{
    private readonly Dictionary<int, Contribution> _contributions = new();
    private readonly HashSet<int> _dropped = new();
    private readonly int[] _expected;

    public StepReducer(long step, IEnumerable<int> expectedRanks, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Step = step;
        _expected = expectedRanks.Distinct().OrderBy(r => r).ToArray();
        if (_expected.Length == 0) throw new ArgumentException("A step needs at least one replica.", nameof(expectedRanks));
        Length = length;
    }

    public long Step { get; }
    public int Length { get; }
    public IReadOnlyList<int> Expected => _expected;

    public IEnumerable<int> Missing => _expected.Where(r => !_contributions.ContainsKey(r) && !_dropped.Contains(r));

    public bool IsComplete => !Missing.Any();

    /// <summary>Adds a replica's contribution; false (ignored) when the rank was already dropped from this step.</summary>
    public bool Add(Contribution contribution)
    {
        ArgumentNullException.ThrowIfNull(contribution);
        if (Array.IndexOf(_expected, contribution.Rank) < 0)
            throw new ArgumentException($"Step {Step}: rank {contribution.Rank} is not a participant ({string.Join(", ", _expected)}).");
        if (contribution.Values.Length != Length)
            throw new ArgumentException($"Step {Step}: rank {contribution.Rank} sent {contribution.Values.Length} values, expected {Length}; is every trainer running the same model settings?");
        if (_dropped.Contains(contribution.Rank)) return false;
        if (!_contributions.TryAdd(contribution.Rank, contribution))
            throw new ArgumentException($"Step {Step}: rank {contribution.Rank} contributed twice.");
        return true;
    }

    /// <summary>Drops a rank that has not contributed yet; true if it was dropped now.</summary>
    public bool Drop(int rank) => Array.IndexOf(_expected, rank) >= 0 && !_contributions.ContainsKey(rank) && _dropped.Add(rank);

    public ReducedStep Reduce()
    {
        if (!IsComplete) throw new InvalidOperationException($"Step {Step} still waits for ranks {string.Join(", ", Missing)}.");
        var list = _contributions.Values.OrderBy(c => c.Rank).ToList();
        float[]? values = list.Count == 0 ? null : GradientAllReduce.WeightedAverage(list);
        double weight = list.Sum(c => c.Weight);
        double loss = weight > 0 ? list.Sum(c => c.LossSum) / weight : double.NaN;
        return new ReducedStep(Step, values, list.Select(c => c.Rank).ToArray(), _dropped.OrderBy(r => r).ToArray(),
            weight, loss, list.Sum(c => c.Correct), list.Sum(c => c.Samples));
    }
}
