using System.Globalization;

namespace EmotionCluster.Streaming;

public enum SmoothingKind { None, Ema, Majority }

/// <summary>How the current emotion is smoothed over hops: <c>none</c>, <c>ema:ALPHA</c> (0 &lt; ALPHA ≤ 1) or <c>majority:K</c> (K ≥ 1).</summary>
public sealed record SmoothingSpec(SmoothingKind Kind, double Alpha, int Hops)
{
    public static SmoothingSpec Parse(string? text)
    {
        string spec = (text ?? "").Trim().ToLowerInvariant();
        if (spec is "none" or "") return new SmoothingSpec(SmoothingKind.None, 1, 1);
        string[] parts = spec.Split(':', 2);
        if (parts.Length == 2 && parts[0] == "ema"
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double alpha) && alpha is > 0 and <= 1)
            return new SmoothingSpec(SmoothingKind.Ema, alpha, 1);
        if (parts.Length == 2 && parts[0] == "majority"
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int k) && k is >= 1 and <= 1000)
            return new SmoothingSpec(SmoothingKind.Majority, 1, k);
        throw new ArgumentException($"Smoothing '{text}' is not understood; use 'ema:ALPHA' with ALPHA in (0, 1] (e.g. ema:0.5), 'majority:K' with K in 1..1000 (e.g. majority:5) or 'none'");
    }

    public EmotionSmoother Create() => new(this);
}

/// <summary>The smoothed current emotion after a hop: the label index and, for EMA, the smoothed probabilities.</summary>
public readonly record struct Smoothed(int Label, float[] Probabilities);

/// <summary>
/// Per-stream smoothing of hop probabilities. EMA: <c>s = α p + (1 − α) s</c>, starting at the first hop's probabilities;
/// the label is the arg-max of <c>s</c>. Majority: the most frequent arg-max of the last K hops, ties going to the label
/// seen most recently; its probabilities are the mean of those K hops. None: the hop itself.
/// </summary>
public sealed class EmotionSmoother(SmoothingSpec spec)
{
    private float[]? _ema;
    private readonly Queue<float[]> _recent = new();

    public SmoothingSpec Spec { get; } = spec;

    public Smoothed Update(float[] probabilities)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        switch (Spec.Kind)
        {
            case SmoothingKind.Ema:
                if (_ema is null || _ema.Length != probabilities.Length) _ema = (float[])probabilities.Clone();
                else
                    for (int i = 0; i < _ema.Length; i++)
                        _ema[i] = (float)(Spec.Alpha * probabilities[i] + (1 - Spec.Alpha) * _ema[i]);
                return new Smoothed(ArgMax(_ema), (float[])_ema.Clone());
            case SmoothingKind.Majority:
                if (_recent.Count > 0 && _recent.Peek().Length != probabilities.Length) _recent.Clear(); // the model changed its labels
                _recent.Enqueue(probabilities);
                while (_recent.Count > Spec.Hops) _recent.Dequeue();
                var votes = new int[probabilities.Length];
                var lastSeen = new int[probabilities.Length];
                var mean = new float[probabilities.Length];
                int hop = 0;
                foreach (float[] p in _recent)
                {
                    int label = ArgMax(p);
                    votes[label]++;
                    lastSeen[label] = ++hop;
                    for (int i = 0; i < mean.Length; i++) mean[i] += p[i] / _recent.Count;
                }
                int best = 0;
                for (int i = 1; i < votes.Length; i++)
                    if (votes[i] > votes[best] || (votes[i] == votes[best] && lastSeen[i] > lastSeen[best])) best = i;
                return new Smoothed(best, mean);
            default:
                return new Smoothed(ArgMax(probabilities), (float[])probabilities.Clone());
        }
    }

    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }
}
