namespace EmotionCluster.Features;

/// <summary>
/// Speaker-level feature normalization (the experiments' <c>Input.SpeakerNorm</c>): each band of a clip is shifted (and
/// scaled) by the statistics of that band over every frame of its speaker's clips, before the per-clip standardization.
/// It removes a speaker's average spectral shape (vocal tract, microphone, room) and keeps what varies between that
/// speaker's utterances. The statistics need only the speaker's unlabelled audio: in leave-one-speaker-out runs the
/// held-out speaker's own clips give them, no labels are used. A clip or streamed window whose speaker is unknown is
/// normalized by its own statistics.
/// </summary>
public enum SpeakerNormalization
{
    /// <summary>No speaker normalization (what model files written before the option mean).</summary>
    None,
    /// <summary>Subtract the speaker's per-band mean.</summary>
    Mean,
    /// <summary>Subtract the speaker's per-band mean and divide by the speaker's per-band standard deviation (the experiments' default).</summary>
    MeanVariance,
}

/// <summary>
/// Mean and standard deviation of each band over every frame of a group of spectrograms (one speaker's clips), and how
/// many frames they were taken over (<see cref="Frames"/>: what <see cref="Pool"/> and <see cref="Toward"/> weigh by).
/// </summary>
public sealed record BandStatistics(double[] Mean, double[] Std)
{
    /// <summary>The frames the statistics were taken over (0: unknown, e.g. written by an older build).</summary>
    public long Frames { get; init; }

    /// <summary>The smallest deviation divided by, so that a constant band does not blow up.</summary>
    public const double MinStd = 1e-3;

    public int Bins => Mean.Length;

    /// <exception cref="ArgumentException">no spectrogram, no frames, or spectrograms with different band counts.</exception>
    public static BandStatistics Of(IEnumerable<Spectrogram> group)
    {
        double[]? sum = null, sq = null;
        long frames = 0;
        foreach (var s in group)
        {
            sum ??= new double[s.Bins];
            sq ??= new double[s.Bins];
            if (s.Bins != sum.Length) throw new ArgumentException($"a spectrogram has {s.Bins} bands, the group {sum.Length}");
            for (int b = 0; b < s.Bins; b++)
                foreach (float v in s.Data.AsSpan(b * s.Frames, s.Frames)) { sum[b] += v; sq[b] += (double)v * v; }
            frames += s.Frames;
        }
        if (sum is null || sq is null || frames == 0) throw new ArgumentException("band statistics need at least one frame");
        return FromMoments(sum, sq, frames, frames);
    }

    /// <summary>
    /// The statistics of the union of the groups <paramref name="parts"/> were taken over (each weighed by its
    /// <see cref="Frames"/>): equal, within rounding, to <see cref="Of"/> over all of their spectrograms.
    /// </summary>
    /// <exception cref="ArgumentException">no part with frames, or parts with different band counts.</exception>
    public static BandStatistics Pool(IEnumerable<BandStatistics> parts)
    {
        double[]? sum = null, sq = null;
        long frames = 0;
        foreach (var p in parts)
        {
            if (p.Frames <= 0) continue;
            sum ??= new double[p.Bins];
            sq ??= new double[p.Bins];
            if (p.Bins != sum.Length) throw new ArgumentException($"statistics of {p.Bins} bands cannot be pooled with {sum.Length}");
            for (int b = 0; b < p.Bins; b++)
            {
                sum[b] += p.Frames * p.Mean[b];
                sq[b] += p.Frames * (p.Std[b] * p.Std[b] + p.Mean[b] * p.Mean[b]);
            }
            frames += p.Frames;
        }
        if (sum is null || sq is null) throw new ArgumentException("pooled band statistics need at least one part with frames");
        return FromMoments(sum, sq, frames, frames);
    }

    /// <summary>
    /// These statistics shrunk toward <paramref name="prior"/> as if the prior had been measured over
    /// <paramref name="priorFrames"/> frames: the pooled first and second moments, this group weighing
    /// <c>Frames / (Frames + priorFrames)</c>. Few frames (one short clip, a stream's first second) stay near the prior;
    /// many (all of a speaker's clips) are nearly their own. <paramref name="priorFrames"/> 0 returns this unchanged.
    /// </summary>
    public BandStatistics Toward(BandStatistics prior, double priorFrames)
    {
        ArgumentNullException.ThrowIfNull(prior);
        if (priorFrames <= 0) return this;
        if (prior.Bins != Bins) throw new ArgumentException($"the prior has {prior.Bins} bands, these statistics {Bins}");
        double own = Math.Max(Frames, 0);
        var sum = new double[Bins];
        var sq = new double[Bins];
        for (int b = 0; b < Bins; b++)
        {
            sum[b] = own * Mean[b] + priorFrames * prior.Mean[b];
            sq[b] = own * (Std[b] * Std[b] + Mean[b] * Mean[b]) + priorFrames * (prior.Std[b] * prior.Std[b] + prior.Mean[b] * prior.Mean[b]);
        }
        return FromMoments(sum, sq, own + priorFrames, Frames);
    }

    private static BandStatistics FromMoments(double[] sum, double[] sq, double weight, long frames)
    {
        var mean = new double[sum.Length];
        var std = new double[sum.Length];
        for (int b = 0; b < sum.Length; b++)
        {
            mean[b] = sum[b] / weight;
            std[b] = Math.Sqrt(Math.Max(sq[b] / weight - mean[b] * mean[b], 0));
        }
        return new BandStatistics(mean, std) { Frames = frames };
    }

    /// <summary><paramref name="s"/> with each band's mean subtracted and, for <see cref="SpeakerNormalization.MeanVariance"/>, divided by its deviation.</summary>
    public Spectrogram Normalize(Spectrogram s, SpeakerNormalization mode)
    {
        if (mode == SpeakerNormalization.None) return s;
        if (s.Bins != Bins) throw new ArgumentException($"the spectrogram has {s.Bins} bands, the statistics {Bins}");
        var data = new float[s.Data.Length];
        for (int b = 0; b < s.Bins; b++)
        {
            double mean = Mean[b];
            double scale = mode == SpeakerNormalization.MeanVariance ? 1.0 / Math.Max(Std[b], MinStd) : 1.0;
            int row = b * s.Frames;
            for (int t = 0; t < s.Frames; t++) data[row + t] = (float)((s.Data[row + t] - mean) * scale);
        }
        return new Spectrogram(data, s.Bins, s.Frames);
    }
}
