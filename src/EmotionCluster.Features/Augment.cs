using EmotionCluster.Audio;

namespace EmotionCluster.Features;

/// <summary>How <see cref="Augment.TimeShift(ReadOnlySpan{float}, int, ShiftMode)"/> treats samples pushed past an end.</summary>
public enum ShiftMode
{
    /// <summary>They wrap around to the other end.</summary>
    Circular,
    /// <summary>They are dropped and the gap is filled with zeros.</summary>
    Zero,
}

/// <summary>
/// Waveform augmentation. Every random choice comes from the <see cref="Random"/> passed in, so the same seed gives
/// the same output. Inputs are never modified; each method returns a new array.
/// </summary>
public static class Augment
{
    /// <summary>
    /// <paramref name="signal"/> plus Gaussian white noise at exactly <paramref name="snrDb"/>: the noise is scaled so that
    /// 10 log10(signal power / noise power) equals the SNR for the noise actually drawn (not only in expectation).
    /// </summary>
    /// <exception cref="ArgumentException">empty or all-zero signal (its SNR is undefined).</exception>
    public static float[] AddWhiteNoise(ReadOnlySpan<float> signal, double snrDb, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var noise = new float[signal.Length];
        for (int i = 0; i < noise.Length; i += 2)
        {
            // Box-Muller: two independent standard normals from two uniforms
            double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
            double radius = Math.Sqrt(-2.0 * Math.Log(u1));
            noise[i] = (float)(radius * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < noise.Length) noise[i + 1] = (float)(radius * Math.Sin(2 * Math.PI * u2));
        }
        return MixScaled(signal, noise, snrDb, "signal");
    }

    /// <summary>
    /// <paramref name="signal"/> plus a segment of <paramref name="noise"/> (starting at a random offset, looped when the
    /// noise is shorter than the signal) scaled so the mix has exactly <paramref name="snrDb"/>.
    /// </summary>
    /// <exception cref="ArgumentException">empty or all-zero signal or noise.</exception>
    public static float[] MixNoise(ReadOnlySpan<float> signal, ReadOnlySpan<float> noise, double snrDb, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (noise.IsEmpty) throw new ArgumentException("the noise signal is empty; give at least one sample of noise", nameof(noise));
        var segment = new float[signal.Length];
        int start = random.Next(noise.Length);
        for (int i = 0; i < segment.Length; i++) segment[i] = noise[(start + i) % noise.Length];
        return MixScaled(signal, segment, snrDb, "signal");
    }

    /// <summary>Mean square of <paramref name="x"/> (power), in double.</summary>
    public static double Power(ReadOnlySpan<float> x)
    {
        if (x.IsEmpty) return 0;
        double sum = 0;
        foreach (float v in x) sum += (double)v * v;
        return sum / x.Length;
    }

    private static float[] MixScaled(ReadOnlySpan<float> signal, float[] noise, double snrDb, string name)
    {
        if (!double.IsFinite(snrDb)) throw new ArgumentOutOfRangeException(nameof(snrDb), snrDb, "SNR must be a finite number of dB");
        double signalPower = Power(signal);
        if (signalPower <= 0)
            throw new ArgumentException($"the {name} is empty or all zeros, so no SNR can be defined; skip silent clips before adding noise", name);
        double noisePower = Power(noise);
        if (noisePower <= 0) throw new ArgumentException("the noise segment is all zeros; use a noise signal with energy", nameof(noise));
        double gain = Math.Sqrt(signalPower / (noisePower * Math.Pow(10, snrDb / 10)));
        var mixed = new float[signal.Length];
        for (int i = 0; i < mixed.Length; i++) mixed[i] = (float)(signal[i] + gain * noise[i]);
        return mixed;
    }

    /// <summary>
    /// Shift by <paramref name="shift"/> samples (positive = later): <c>y[i] = x[i − shift]</c>, wrapped around or
    /// zero-filled per <paramref name="mode"/>.
    /// </summary>
    public static float[] TimeShift(ReadOnlySpan<float> signal, int shift, ShiftMode mode)
    {
        int n = signal.Length;
        var y = new float[n];
        if (n == 0) return y;
        if (mode == ShiftMode.Circular)
        {
            int s = ((shift % n) + n) % n;
            signal[..(n - s)].CopyTo(y.AsSpan(s));
            signal[(n - s)..].CopyTo(y);
        }
        else if (mode == ShiftMode.Zero)
        {
            if (Math.Abs((long)shift) >= n) return y;
            if (shift >= 0) signal[..(n - shift)].CopyTo(y.AsSpan(shift));
            else signal[-shift..].CopyTo(y);
        }
        else throw new ArgumentOutOfRangeException(nameof(mode), mode, "ShiftMode must be Circular or Zero");
        return y;
    }

    /// <summary>Shift by a whole number of samples drawn uniformly from [−maxShift, maxShift].</summary>
    public static float[] TimeShift(ReadOnlySpan<float> signal, int maxShift, ShiftMode mode, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (maxShift < 0) throw new ArgumentOutOfRangeException(nameof(maxShift), maxShift, "maximum shift must be ≥ 0 samples");
        return TimeShift(signal, random.Next(-maxShift, maxShift + 1), mode);
    }

    /// <summary>
    /// Speed perturbation (tempo and pitch together, like playing a tape faster): the clip is taken as sampled at
    /// <c>round(sampleRate · factor)</c> Hz and band-limited resampled (<see cref="Resampler"/>) to <paramref name="sampleRate"/>,
    /// so its duration is divided by <paramref name="factor"/> and every frequency multiplied by it.
    /// Factor 1.1 gives a clip 1/1.1 as long, 10% higher. The factor is quantized to 1/sampleRate.
    /// </summary>
    public static float[] SpeedPerturb(ReadOnlySpan<float> signal, int sampleRate, double factor)
    {
        if (sampleRate <= 0) throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "sample rate must be positive");
        if (!(factor is >= 0.25 and <= 4)) throw new ArgumentOutOfRangeException(nameof(factor), factor, "speed factor must be in [0.25, 4]");
        int from = (int)Math.Round(sampleRate * factor);
        return from == sampleRate ? signal.ToArray() : Resampler.Resample(signal, from, sampleRate);
    }

    /// <summary>Speed perturbation by a factor drawn uniformly from [<paramref name="minFactor"/>, <paramref name="maxFactor"/>] (e.g. 0.9–1.1).</summary>
    public static float[] SpeedPerturb(ReadOnlySpan<float> signal, int sampleRate, double minFactor, double maxFactor, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (!(minFactor <= maxFactor)) throw new ArgumentException($"minFactor ({minFactor}) must not exceed maxFactor ({maxFactor})");
        return SpeedPerturb(signal, sampleRate, minFactor + (maxFactor - minFactor) * random.NextDouble());
    }

    /// <summary>
    /// Pitch shift by <paramref name="semitones"/> keeping the length: with f = 2^(semitones/12), the clip is first
    /// time-stretched by f without changing pitch (<see cref="TimeStretch"/>, WSOLA), then speed-perturbed by f
    /// (<see cref="SpeedPerturb(ReadOnlySpan{float}, int, double)"/>), which restores the duration and multiplies every
    /// frequency by f; the last few samples are cropped or zero-padded to the exact input length.
    /// </summary>
    public static float[] PitchShift(ReadOnlySpan<float> signal, int sampleRate, double semitones)
    {
        if (!(semitones is >= -12 and <= 12)) throw new ArgumentOutOfRangeException(nameof(semitones), semitones, "pitch shift must be within ±12 semitones");
        if (semitones == 0 || signal.IsEmpty) return signal.ToArray();
        double factor = Math.Pow(2, semitones / 12);
        float[] stretched = TimeStretch(signal, sampleRate, factor);
        float[] shifted = SpeedPerturb(stretched, sampleRate, factor);
        return FixedLength.CropOrPad(shifted, signal.Length, CropMode.Start);
    }

    /// <summary>Pitch shift by a number of semitones drawn uniformly from [−<paramref name="maxSemitones"/>, <paramref name="maxSemitones"/>].</summary>
    public static float[] PitchShift(ReadOnlySpan<float> signal, int sampleRate, double maxSemitones, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (!(maxSemitones is >= 0 and <= 12)) throw new ArgumentOutOfRangeException(nameof(maxSemitones), maxSemitones, "must be in [0, 12] semitones");
        return PitchShift(signal, sampleRate, (2 * random.NextDouble() - 1) * maxSemitones);
    }

    /// <summary>
    /// Time stretch to <c>round(length · ratio)</c> samples keeping the pitch, by WSOLA (waveform-similarity overlap-add):
    /// 30 ms periodic-Hann segments overlap-added every 15 ms (the windows sum to 1); the segment centred at output
    /// time t is taken near input time t / ratio, shifted by up to ±7.5 ms to the offset whose waveform best
    /// correlates with the natural continuation of the previous segment, which avoids phase cancellation.
    /// </summary>
    public static float[] TimeStretch(ReadOnlySpan<float> signal, int sampleRate, double ratio)
    {
        if (sampleRate <= 0) throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "sample rate must be positive");
        if (!(ratio is >= 0.25 and <= 4)) throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "stretch ratio must be in [0.25, 4]");
        int outLength = (int)Math.Round(signal.Length * ratio);
        var output = new float[outLength];
        if (outLength == 0) return output;
        int window = Math.Max(4, 2 * (int)(0.015 * sampleRate)), hop = window / 2, tolerance = hop / 2;
        float[] w = Windows.Create(WindowType.Hann, window);
        int frames = (outLength + hop - 1) / hop + 1;
        int previous = 0;
        for (int k = 0; k < frames; k++)
        {
            int outStart = k * hop - hop; // first frame starts half a window early so the windows cover sample 0 fully
            int nominal = (int)Math.Round((outStart + hop) / ratio) - hop; // window centre at output t ↔ input t / ratio
            int start = k == 0 ? nominal : BestOffset(signal, previous + hop, nominal, tolerance, window);
            for (int i = 0; i < window; i++)
            {
                int o = outStart + i, s = start + i;
                if (o >= 0 && o < outLength && s >= 0 && s < signal.Length) output[o] += w[i] * signal[s];
            }
            previous = start;
        }
        return output;
    }

    /// <summary>Input offset within ±tolerance of <paramref name="nominal"/> maximizing the correlation with the segment at <paramref name="natural"/>.</summary>
    private static int BestOffset(ReadOnlySpan<float> x, int natural, int nominal, int tolerance, int length)
    {
        int best = nominal;
        double bestScore = double.NegativeInfinity;
        for (int candidate = nominal - tolerance; candidate <= nominal + tolerance; candidate++)
        {
            double score = 0;
            for (int i = 0; i < length; i += 2) // every other sample: plenty for the alignment, half the cost
            {
                int a = natural + i, b = candidate + i;
                if (a >= 0 && a < x.Length && b >= 0 && b < x.Length) score += x[a] * x[b];
            }
            if (score > bestScore)
            {
                bestScore = score;
                best = candidate;
            }
        }
        return best;
    }
}
