using EmotionCluster.Audio;

namespace EmotionCluster.Audio.Tests.Reference;

/// <summary>Frozen copy of <c>Preprocessor</c> before the rewrite (commit 4214f6e), for the equivalence tests.</summary>
internal sealed class PreprocessorReference
{
    public PreprocessorReference(PreprocessSettings? settings = null)
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
        if (s.DcRemoval == DcRemoval.SubtractMean) x = SubtractMean(x);
        else if (s.DcRemoval == DcRemoval.HighPass) x = HighPass(x, rate, s.HighPassCutoffHz);
        if (s.ReduceNoise) x = SpectralGateReference.Reduce(x, rate, s);
        if (s.TrimSilence) x = TrimSilence(x, rate, s);
        if (s.Normalization != Normalization.None) x = Normalize(x, s);
        return ReferenceEquals(x, clip.Samples) ? clip : new AudioClip(x, rate);
    }

    private static float[] SubtractMean(float[] x)
    {
        if (x.Length == 0) return x;
        double mean = 0;
        foreach (float v in x) mean += v;
        mean /= x.Length;
        var y = new float[x.Length];
        for (int i = 0; i < x.Length; i++) y[i] = (float)(x[i] - mean);
        return y;
    }

    /// <summary>y[n] = x[n] - x[n-1] + R y[n-1]; x[-1] = x[0], y[-1] = 0, so a constant offset gives no start transient.</summary>
    private static float[] HighPass(float[] x, int sampleRate, double cutoffHz)
    {
        double r = Math.Exp(-2 * Math.PI * cutoffHz / sampleRate);
        var y = new float[x.Length];
        double previousX = x.Length > 0 ? x[0] : 0, previousY = 0;
        for (int i = 0; i < x.Length; i++)
        {
            previousY = x[i] - previousX + r * previousY;
            previousX = x[i];
            y[i] = (float)previousY;
        }
        return y;
    }

    private static float[] TrimSilence(float[] x, int sampleRate, PreprocessSettings s)
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
        if (loudest <= 0) return x;
        double limit = loudest * Math.Pow(10, s.TrimThresholdDb / 10); // threshold on RMS in dB = on mean square in dB/10
        int first = Array.FindIndex(meanSquare, m => m >= limit);
        int last = Array.FindLastIndex(meanSquare, m => m >= limit);
        int margin = (int)Math.Round(s.TrimMarginMs / 1000.0 * sampleRate);
        int from = Math.Max(0, first * frame - margin);
        int to = (int)Math.Min(x.Length, (long)(last + 1) * frame + margin);
        return from == 0 && to == x.Length ? x : x[from..to];
    }

    private static float[] Normalize(float[] x, PreprocessSettings s)
    {
        double peak = 0, sumSq = 0;
        foreach (float v in x)
        {
            peak = Math.Max(peak, Math.Abs(v));
            sumSq += (double)v * v;
        }
        if (peak <= 0) return x;
        double maxGain = Math.Pow(10, s.MaxGainDb / 20);
        double gain = s.Normalization == Normalization.Peak
            ? s.PeakTarget / peak
            : Math.Min(Math.Pow(10, s.RmsTargetDbfs / 20) / Math.Sqrt(sumSq / x.Length), 1 / peak);
        gain = Math.Min(gain, maxGain);
        var y = new float[x.Length];
        for (int i = 0; i < x.Length; i++) y[i] = (float)(x[i] * gain);
        return y;
    }
}
