using System.Buffers;
using System.Globalization;

namespace EmotionCluster.Audio;

/// <summary>What is wrong with a recording's level, if anything.</summary>
[Flags]
public enum LevelWarning
{
    None = 0,
    /// <summary>The speech is far quieter than anything the model was trained on (<see cref="InputLevel.QuietBelowDbfs"/>).</summary>
    TooQuiet = 1,
    /// <summary>More than <see cref="InputLevel.ClippedAboveFraction"/> of the samples sit at full scale.</summary>
    Clipped = 2,
}

/// <summary>
/// The level of raw samples (before any preprocessing, at the file's or stream's own rate), to warn a user whose input
/// the model cannot be expected to handle: speech too quiet, or clipped. Levels are dBFS: 20·log10(RMS) with samples in
/// [−1, 1], so a full-scale square wave is 0 dBFS and a full-scale sine −3 dBFS; silence is <see cref="FloorDbfs"/>.
/// </summary>
/// <param name="RmsDbfs">Level of the whole signal, pauses included.</param>
/// <param name="ActiveDbfs">
/// Active speech level: the mean power of the <see cref="FrameSeconds"/> frames within <see cref="ActiveRangeDb"/> of
/// the loud frames (the 95th percentile frame), so pauses and silence before and after the speech do not count. A
/// simplified ITU-T P.56: a quiet talker stays quiet however much silence surrounds them, and one click does not make a
/// quiet clip loud.
/// </param>
/// <param name="PeakDbfs">Largest absolute sample.</param>
/// <param name="ClippedFraction">Share of the samples with |x| ≥ <see cref="FullScale"/>.</param>
/// <param name="Samples">Samples measured.</param>
public sealed record InputLevel(double RmsDbfs, double ActiveDbfs, double PeakDbfs, double ClippedFraction, int Samples)
{
    /// <summary>
    /// Speech whose active level is below this is "too quiet". EMO-DB's 535 clips, which the model learns from, have
    /// active levels of −27 to −11 dBFS (median −18; they are peak-normalized). −40 dBFS is 13 dB below the quietest
    /// of them and 14 dB below ITU-T P.56's nominal speech level (−26 dBov): a talker far from the microphone, an input
    /// gain turned down, or no speech at all. At that level a consumer microphone's self-noise and room noise are
    /// within 20–30 dB of the speech, which the model has not seen.
    /// </summary>
    public const double QuietBelowDbfs = -40;

    /// <summary>
    /// A sample with |x| at or above this counts as at full scale: 0.99 (−0.09 dBFS) catches PCM16's ±32767/32768 and
    /// float input that was clamped to ±1, with a little room for a converter's dither or a DC offset.
    /// </summary>
    public const double FullScale = 0.99;

    /// <summary>
    /// "Clipped" when more than this share of the samples is at full scale: 0.1 %, 32 samples of a 2 s window at 16 kHz.
    /// Peak-normalized audio reaches full scale only at its few highest peaks: EMO-DB's clips, peak-normalized, have at
    /// most 0.028 % of their samples there (the median clip 0.005 %). Clipped speech flattens whole wave crests, tens of
    /// samples each: every 10th EMO-DB clip driven 6 dB past full scale had 0.2–5 % of its samples there (median 1 %),
    /// all flagged; 3 dB past, 0.03–1.1 % (median 0.18 %), three in four flagged.
    /// </summary>
    public const double ClippedAboveFraction = 0.001;

    /// <summary>Frame length of the active level (20 ms: shorter than a syllable, longer than a pitch period).</summary>
    public const double FrameSeconds = 0.02;

    /// <summary>Frames within this many dB of the 95th percentile frame count as active speech (about P.56's 15.9 dB margin plus room for soft syllables).</summary>
    public const double ActiveRangeDb = 25;

    /// <summary>The level reported for digital silence (and the lowest any level goes).</summary>
    public const double FloorDbfs = -120;

    /// <summary>The warnings that apply, <see cref="LevelWarning.None"/> when the level is fine.</summary>
    public LevelWarning Warnings =>
        (ActiveDbfs < QuietBelowDbfs ? LevelWarning.TooQuiet : LevelWarning.None)
        | (ClippedFraction > ClippedAboveFraction ? LevelWarning.Clipped : LevelWarning.None);

    public bool TooQuiet => Warnings.HasFlag(LevelWarning.TooQuiet);
    public bool Clipped => Warnings.HasFlag(LevelWarning.Clipped);

    /// <summary>Measures mono samples at <paramref name="sampleRate"/> (the rate sets the frame length of the active level).</summary>
    public static InputLevel Measure(ReadOnlySpan<float> samples, int sampleRate)
    {
        if (sampleRate < 1) throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "the sample rate must be positive (Hz)");
        if (samples.IsEmpty) return new InputLevel(FloorDbfs, FloorDbfs, FloorDbfs, 0, 0);
        int frame = Math.Clamp((int)Math.Round(FrameSeconds * sampleRate), 1, samples.Length);
        int frames = samples.Length / frame; // a partial last frame counts in the RMS, peak and clipping, not in the active level
        double[] power = ArrayPool<double>.Shared.Rent(frames);
        try
        {
            double total = 0, peak = 0;
            long atFullScale = 0;
            for (int f = 0, at = 0; at < samples.Length; f++)
            {
                int n = Math.Min(frame, samples.Length - at);
                double sum = 0;
                for (int i = at; i < at + n; i++)
                {
                    double v = Math.Abs((double)samples[i]);
                    if (double.IsNaN(v)) throw new ArgumentException($"sample {i} is NaN; the level of such audio is undefined", nameof(samples));
                    sum += v * v;
                    if (v > peak) peak = v;
                    if (v >= FullScale) atFullScale++;
                }
                total += sum;
                if (f < frames) power[f] = sum / n;
                at += n;
            }
            Span<double> sorted = power.AsSpan(0, frames);
            double active = ActivePower(sorted);
            return new InputLevel(Db(total / samples.Length), Db(active), Db(peak * peak), (double)atFullScale / samples.Length, samples.Length);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(power);
        }
    }

    /// <summary>Measures a clip (its samples at its own rate).</summary>
    public static InputLevel Measure(AudioClip clip)
    {
        ArgumentNullException.ThrowIfNull(clip);
        return Measure(clip.Samples, clip.SampleRate);
    }

    /// <summary>
    /// One line for a user: what is wrong and what to do (<c>too quiet: active speech level −52.3 dBFS, below −40 dBFS; …</c>),
    /// or the measured level when nothing is.
    /// </summary>
    public string Describe()
    {
        var parts = new List<string>(2);
        if (TooQuiet)
            parts.Add(ActiveDbfs <= FloorDbfs
                ? "too quiet: the input is digital silence; check that the right microphone or file is used"
                : Invariant($"too quiet: active speech level {ActiveDbfs:0.0} dBFS, below {QuietBelowDbfs:0} dBFS; move closer to the microphone or raise the input gain (results are unreliable)"));
        if (Clipped)
            parts.Add(Invariant($"clipped: {100 * ClippedFraction:0.0##} % of the samples at full scale (more than {100 * ClippedAboveFraction:0.0##} %); lower the input gain (results are unreliable)"));
        return parts.Count > 0
            ? string.Join("; ", parts)
            : Invariant($"level ok: active speech level {ActiveDbfs:0.0} dBFS, peak {PeakDbfs:0.0} dBFS, {100 * ClippedFraction:0.0##} % at full scale");
    }

    /// <summary>Mean power of the frames within <see cref="ActiveRangeDb"/> of the 95th percentile frame, louder ones counted at it (sorts <paramref name="power"/>).</summary>
    private static double ActivePower(Span<double> power)
    {
        if (power.IsEmpty) return 0;
        power.Sort();
        double reference = power[Math.Min(power.Length - 1, (int)(0.95 * power.Length))];
        double floor = reference * Math.Pow(10, -ActiveRangeDb / 10);
        double sum = 0;
        int count = 0;
        for (int i = power.Length - 1; i >= 0 && power[i] >= floor; i--)
        {
            sum += Math.Min(power[i], reference); // the loudest 5 % count at the reference: a burst of clicks does not lift quiet speech
            count++;
        }
        return count == 0 ? 0 : sum / count;
    }

    private static double Db(double power) => power > 0 ? Math.Max(FloorDbfs, 10 * Math.Log10(power)) : FloorDbfs;

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
