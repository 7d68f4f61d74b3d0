namespace EmotionCluster.Model;

/// <summary>
/// The unlabelled clips of a speaker that a training example's normalization statistics come from
/// (<see cref="AugmentationSettings.SpeakerContexts"/>), drawn the way users' contexts vary: the clip alone (what
/// <c>predict FILE</c> and a stream's first seconds have), a few clips, up to all of them, sometimes clips of one
/// emotion only (an enrollment that happens to be all neutral or all angry).
/// </summary>
public static class SpeakerContexts
{
    /// <summary>Probability that the context is the clip alone.</summary>
    public const double Alone = 0.4;
    /// <summary>Of the other draws, the probability that the context is taken from clips of one emotion only.</summary>
    public const double OneEmotion = 0.3;

    /// <summary>
    /// Indices into the speaker's training clips (<paramref name="labels"/>: their classes; the example's own clip at
    /// <paramref name="self"/>): with probability <see cref="Alone"/> the clip alone; otherwise k clips, k log-uniform in
    /// 1..n, from all of the speaker's clips or (probability <see cref="OneEmotion"/>) from those of one emotion
    /// (<paramref name="labels"/>, the clips' classes), with the clip itself added half of the time.
    /// </summary>
    public static int[] Draw(int self, IReadOnlyList<int> labels, Random random)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(random);
        int n = labels.Count;
        if (self < 0 || self >= n) throw new ArgumentOutOfRangeException(nameof(self), $"clip {self} is not one of the speaker's {n}");
        if (n == 1 || random.NextDouble() < Alone) return [self];
        int[] pool;
        if (random.NextDouble() < OneEmotion)
        {
            int emotion = labels[random.Next(n)];
            pool = Enumerable.Range(0, n).Where(i => labels[i] == emotion).ToArray();
        }
        else pool = Enumerable.Range(0, n).ToArray();
        int k = Math.Clamp((int)Math.Floor(Math.Exp(random.NextDouble() * Math.Log(pool.Length + 1))), 1, pool.Length);
        random.Shuffle(pool);
        var chosen = pool.Take(k).ToList();
        if (!chosen.Contains(self) && random.NextDouble() < 0.5) chosen.Add(self);
        return chosen.ToArray();
    }
}
