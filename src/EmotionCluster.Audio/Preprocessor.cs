namespace EmotionCluster.Audio;

/// <summary>
/// Cleans a clip before feature extraction. Steps, in order, each switched by <see cref="PreprocessSettings"/>:
/// <list type="number">
/// <item>DC removal: mean subtraction (default) or a one-pole high-pass (<see cref="DcRemoval"/>).</item>
/// <item>Noise reduction by spectral gating (<see cref="SpectralGate"/>); runs before trimming because the leading
/// and trailing pauses are the best noise profile.</item>
/// <item>Silence trimming at both ends: non-overlapping frames of <c>TrimFrameMs</c>; frames whose RMS is within
/// <c>TrimThresholdDb</c> of the loudest frame are sound; everything before the first and after the last sounding frame
/// is cut, keeping <c>TrimMarginMs</c> on each side. An all-zero clip has no loudest frame and is left untouched, so
/// trimming never empties a clip.</item>
/// <item>Normalization to a peak or RMS target, gain capped at <c>MaxGainDb</c>; RMS gain is further capped so the peak
/// stays within ±1. An all-zero clip stays all zero.</item>
/// </list>
/// Output samples are always finite for finite input. Thread-safe: one instance may serve many threads.
/// </summary>
public sealed class Preprocessor
{
    public Preprocessor(PreprocessSettings? settings = null)
    {
        Settings = settings ?? new PreprocessSettings();
        Settings.Validate();
    }

    public PreprocessSettings Settings { get; }

    public AudioClip Apply(AudioClip clip)
    {
        ArgumentNullException.ThrowIfNull(clip);
        if (clip.SampleRate <= 0) throw new ArgumentOutOfRangeException(nameof(clip), clip.SampleRate, "the clip's sample rate must be positive");
        PreprocessSettings s = Settings;
        float[] x = clip.Samples;
        int rate = clip.SampleRate;
        bool owned = false; // x is this call's own array (may be changed in place)
        if (s.DcRemoval == DcRemoval.SubtractMean && s.ReduceNoise && x.Length > 0)
        {
            // the mean-free copy only feeds the spectral gate: a pooled buffer
            float[] centred = System.Buffers.ArrayPool<float>.Shared.Rent(x.Length);
            try
            {
                SubtractMean(x, centred.AsSpan(0, x.Length));
                x = SpectralGate.Reduce(centred.AsSpan(0, x.Length), rate, s);
            }
            finally
            {
                System.Buffers.ArrayPool<float>.Shared.Return(centred);
            }
            owned = true;
        }
        else
        {
            if (s.DcRemoval == DcRemoval.SubtractMean) x = SubtractMean(x);
            else if (s.DcRemoval == DcRemoval.HighPass) x = HighPass(x, rate, s.HighPassCutoffHz);
            owned = !ReferenceEquals(x, clip.Samples);
            if (s.ReduceNoise) (x, owned) = (SpectralGate.Reduce(x, rate, s), true);
        }
        (int from, int to) = s.TrimSilence ? TrimRange(x, rate, s) : (0, x.Length);
        if (s.Normalization != Normalization.None) x = Normalize(x, from, to - from, inPlace: owned, s);
        else if (from != 0 || to != x.Length) x = x[from..to];
        return ReferenceEquals(x, clip.Samples) ? clip : new AudioClip(x, rate);
    }

    /// <summary>
    /// <see cref="Apply"/> without allocating: the preprocessed samples, bit for bit what <see cref="Apply"/> returns, in
    /// <c>[0, length)</c> of an array rented from <see cref="System.Buffers.ArrayPool{T}.Shared"/>, which the caller returns
    /// when done. For callers preprocessing a stream of windows (live streaming), where <see cref="Apply"/>'s two
    /// window-sized arrays per call kept the garbage collector busy.
    /// </summary>
    public float[] ApplyRented(ReadOnlySpan<float> samples, int sampleRate, out int length) => ApplyRented(samples, sampleRate, out length, null, 0);

    /// <summary>
    /// <see cref="ApplyRented(ReadOnlySpan{float}, int, out int)"/> for a window of a live stream at
    /// <paramref name="position"/> (samples from the stream's start): with <paramref name="gate"/> (the stream's), noise
    /// reduction is the stream's gate, run first on the raw samples (<see cref="StreamGate"/>: every frame gated once,
    /// not once per overlapping window), then DC removal, trimming and normalization of the window as for a clip.
    /// Without a gate, or for settings a stream gate does not support, the window is preprocessed as a clip.
    /// </summary>
    public float[] ApplyRented(ReadOnlySpan<float> samples, int sampleRate, out int length, StreamGate? gate, long position)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleRate);
        PreprocessSettings s = Settings;
        var pool = System.Buffers.ArrayPool<float>.Shared;
        int n = samples.Length;
        float[] y = pool.Rent(Math.Max(n, 1));
        float[]? centred = null;
        try
        {
            Span<float> x = y.AsSpan(0, n);
            if (gate is not null && s.ReduceNoise && StreamGate.Supports(s, sampleRate))
            {
                gate.Reduce(s, sampleRate, position, samples, x);
                RemoveDc(x, x, sampleRate, s);
            }
            else if (s.DcRemoval == DcRemoval.SubtractMean && s.ReduceNoise && n > 0)
            {
                centred = pool.Rent(n);
                SubtractMean(samples, centred.AsSpan(0, n));
                SpectralGate.Reduce(centred.AsSpan(0, n), sampleRate, s, x);
            }
            else
            {
                RemoveDc(samples, x, sampleRate, s);
                if (s.ReduceNoise) SpectralGate.Reduce(x, sampleRate, s, x);
            }
            (int from, int to) = s.TrimSilence ? TrimRange(x, sampleRate, s) : (0, n);
            length = to - from;
            if (s.Normalization != Normalization.None) NormalizeInPlace(y, from, length, s);
            else if (from != 0) y.AsSpan(from, length).CopyTo(y);
            return y;
        }
        catch
        {
            pool.Return(y);
            throw;
        }
        finally
        {
            if (centred is not null) pool.Return(centred);
        }
    }

    /// <summary>The DC removal of <paramref name="s"/> from <paramref name="from"/> into <paramref name="into"/> (it may be the same span); a copy without one.</summary>
    private static void RemoveDc(ReadOnlySpan<float> from, Span<float> into, int sampleRate, PreprocessSettings s)
    {
        if (s.DcRemoval == DcRemoval.SubtractMean && from.Length > 0) SubtractMean(from, into);
        else if (s.DcRemoval == DcRemoval.HighPass) HighPass(from, into, sampleRate, s.HighPassCutoffHz);
        else from.CopyTo(into);
    }

    private static float[] SubtractMean(float[] x)
    {
        if (x.Length == 0) return x;
        var y = new float[x.Length];
        SubtractMean(x, y);
        return y;
    }

    private static void SubtractMean(ReadOnlySpan<float> x, Span<float> y)
    {
        double mean = 0;
        foreach (float v in x) mean += v;
        mean /= x.Length;
        for (int i = 0; i < x.Length; i++) y[i] = (float)(x[i] - mean);
    }

    /// <summary>y[n] = x[n] - x[n-1] + R y[n-1]; x[-1] = x[0], y[-1] = 0, so a constant offset gives no start transient.</summary>
    private static float[] HighPass(float[] x, int sampleRate, double cutoffHz)
    {
        var y = new float[x.Length];
        HighPass(x, y, sampleRate, cutoffHz);
        return y;
    }

    private static void HighPass(ReadOnlySpan<float> x, Span<float> y, int sampleRate, double cutoffHz)
    {
        double r = Math.Exp(-2 * Math.PI * cutoffHz / sampleRate);
        double previousX = x.Length > 0 ? x[0] : 0, previousY = 0;
        for (int i = 0; i < x.Length; i++)
        {
            previousY = x[i] - previousX + r * previousY;
            previousX = x[i];
            y[i] = (float)previousY;
        }
    }

    /// <summary>The samples [from, to) that trimming keeps (the whole clip when it is silent).</summary>
    private static (int From, int To) TrimRange(ReadOnlySpan<float> x, int sampleRate, PreprocessSettings s)
    {
        int frame = Math.Max(1, (int)Math.Round(s.TrimFrameMs / 1000.0 * sampleRate));
        int frames = (x.Length + frame - 1) / frame;
        var meanSquare = new double[frames];
        double loudest = 0;
        for (int f = 0; f < frames; f++)
        {
            int start = f * frame, end = Math.Min(x.Length, start + frame);
            double sum = 0;
            for (int i = start; i < end; i++) sum += (double)x[i] * x[i];
            meanSquare[f] = sum / (end - start);
            loudest = Math.Max(loudest, meanSquare[f]);
        }
        if (loudest <= 0) return (0, x.Length);
        double limit = loudest * Math.Pow(10, s.TrimThresholdDb / 10); // threshold on RMS in dB = on mean square in dB/10
        int first = Array.FindIndex(meanSquare, m => m >= limit);
        int last = Array.FindLastIndex(meanSquare, m => m >= limit);
        int margin = (int)Math.Round(s.TrimMarginMs / 1000.0 * sampleRate);
        int from = Math.Max(0, first * frame - margin);
        int to = (int)Math.Min(x.Length, (long)(last + 1) * frame + margin);
        return (from, to);
    }

    /// <summary>
    /// x[from, from + length) normalized into x[0, length) (what <see cref="Normalize"/> computes): every value is read
    /// before the slot it lands in is written, as from ≥ 0.
    /// </summary>
    private static void NormalizeInPlace(float[] x, int from, int length, PreprocessSettings s)
    {
        ReadOnlySpan<float> v = x.AsSpan(from, length);
        (double peak, double sumSq) = Level(v);
        if (peak <= 0)
        {
            if (from != 0) v.CopyTo(x);
            return;
        }
        double gain = Gain(peak, sumSq, length, s);
        for (int i = 0; i < length; i++) x[i] = (float)(x[from + i] * gain);
    }

    /// <summary>Peak |x| and Σx² of the samples the normalization scales.</summary>
    private static (double Peak, double SumSq) Level(ReadOnlySpan<float> v)
    {
        double peak = 0, sumSq = 0;
        foreach (float a in v)
        {
            peak = Math.Max(peak, Math.Abs(a));
            sumSq += (double)a * a;
        }
        return (peak, sumSq);
    }

    private static double Gain(double peak, double sumSq, int length, PreprocessSettings s)
    {
        double maxGain = Math.Pow(10, s.MaxGainDb / 20);
        double gain = s.Normalization == Normalization.Peak
            ? s.PeakTarget / peak
            : Math.Min(Math.Pow(10, s.RmsTargetDbfs / 20) / Math.Sqrt(sumSq / length), 1 / peak);
        return Math.Min(gain, maxGain);
    }

    /// <summary>x[from, from + length) normalized: in place when allowed and it is all of x, else into a new array.</summary>
    private static float[] Normalize(float[] x, int from, int length, bool inPlace, PreprocessSettings s)
    {
        ReadOnlySpan<float> v = x.AsSpan(from, length);
        bool whole = from == 0 && length == x.Length;
        (double peak, double sumSq) = Level(v);
        if (peak <= 0) return whole ? x : v.ToArray();
        double gain = Gain(peak, sumSq, length, s);
        float[] y = inPlace && whole ? x : new float[length];
        for (int i = 0; i < length; i++) y[i] = (float)(v[i] * gain);
        return y;
    }
}
