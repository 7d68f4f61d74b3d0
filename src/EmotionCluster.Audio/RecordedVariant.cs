namespace EmotionCluster.Audio;

/// <summary>
/// A clip as if recorded again under random conditions, for multi-condition training (the recipe's
/// <c>Augmentation.RecordedVariants</c>): a room (reverberation), noise (white, pink or babble) and a telephone line, each
/// drawn independently, at least one of them, applied in that order (the room shapes the voice, noise joins it, the line
/// carries both) with <see cref="Perturbations"/> — the conditions the robustness protocol measures, at random strengths
/// around them. The variant then goes through the feature pipeline like any recording (spectral gate, trimming,
/// normalization), so training sees what the model sees of a noisy file.
/// </summary>
public static class RecordedVariant
{
    /// <summary>How often each condition is drawn (independently; a draw with none is drawn again).</summary>
    public const double ReverbShare = 0.25, NoiseShare = 0.6, TelephoneShare = 0.2;
    /// <summary>Noise from <see cref="MinSnrDb"/> to <see cref="MaxSnrDb"/> dB SNR, rooms of RT60 <see cref="MinRt60"/> to <see cref="MaxRt60"/> s (uniform).</summary>
    public const double MinSnrDb = 5, MaxSnrDb = 30, MinRt60 = 0.2, MaxRt60 = 0.8;

    /// <summary>The conditions of one variant in the order they are applied; never empty.</summary>
    /// <param name="babble">Babble may be drawn (a <see cref="BabbleBank"/> is at hand); otherwise noise is white or pink.</param>
    /// <param name="minSnrDb">The lowest SNR drawn (up to <see cref="MaxSnrDb"/>); <see cref="MinSnrDb"/> by default.</param>
    /// <param name="rooms">Whether a room (reverberation) is drawn at all.</param>
    public static IReadOnlyList<PerturbationCondition> Draw(Random random, bool babble, double minSnrDb = MinSnrDb, bool rooms = true)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (!(minSnrDb <= MaxSnrDb)) throw new ArgumentOutOfRangeException(nameof(minSnrDb), minSnrDb, $"the lowest SNR must be at most {MaxSnrDb} dB");
        while (true)
        {
            var conditions = new List<PerturbationCondition>(3);
            if (random.NextDouble() < ReverbShare && rooms)
                conditions.Add(new(PerturbationKind.Reverb, Math.Round(MinRt60 + (MaxRt60 - MinRt60) * random.NextDouble(), 2)));
            if (random.NextDouble() < NoiseShare)
            {
                var kind = random.Next(babble ? 3 : 2) switch { 0 => PerturbationKind.WhiteNoise, 1 => PerturbationKind.PinkNoise, _ => PerturbationKind.BabbleNoise };
                conditions.Add(new(kind, Math.Round(minSnrDb + (MaxSnrDb - minSnrDb) * random.NextDouble(), 1)));
            }
            if (random.NextDouble() < TelephoneShare) conditions.Add(new(PerturbationKind.Telephone));
            if (conditions.Count > 0) return conditions;
        }
    }

    /// <summary><paramref name="samples"/> under each of <paramref name="conditions"/> in turn (a new array; the input is not changed).</summary>
    public static float[] Apply(Perturbations perturbations, IReadOnlyList<PerturbationCondition> conditions, ReadOnlySpan<float> samples, int sampleRate, Random random)
    {
        ArgumentNullException.ThrowIfNull(perturbations);
        ArgumentNullException.ThrowIfNull(conditions);
        float[] x = samples.ToArray();
        foreach (var condition in conditions) x = perturbations.Apply(condition, x, sampleRate, random);
        return x;
    }

    /// <summary>The conditions' short names joined with '+', e.g. <c>reverb-0.43s+pink-12.5db</c>.</summary>
    public static string Describe(IReadOnlyList<PerturbationCondition> conditions) => string.Join('+', conditions.Select(c => c.Id));
}
