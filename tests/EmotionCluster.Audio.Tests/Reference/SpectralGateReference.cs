using EmotionCluster.Audio;
using NWaves.Transforms;

namespace EmotionCluster.Audio.Tests.Reference;

/// <summary>
/// Frozen copy of <c>SpectralGate</c> as it was before the allocation-free rewrite (commit 4214f6e), with NWaves'
/// RealFft. Only for the equivalence tests: the production code must give the same samples.
/// </summary>
internal static class SpectralGateReference
{
    public const int MinFrames = 8;
    private const double PowerFloor = 1e-20; // -200 dB: digital silence stays finite

    public static float[] Reduce(ReadOnlySpan<float> x, int sampleRate, PreprocessSettings s)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleRate);
        s.Validate();
        int nFft = s.NoiseFftSize, hop = s.NoiseHop, bins = nFft / 2 + 1;
        int pad = nFft / 2;
        int frames = (x.Length + 2 * pad - nFft + hop - 1) / hop + 1;
        if (x.Length == 0 || frames < MinFrames) return x.ToArray();

        var padded = new float[(frames - 1) * hop + nFft];
        x.CopyTo(padded.AsSpan(pad));
        float[] window = HannPeriodic(nFft);
        var fft = new RealFft(nFft);
        var re = new float[frames * bins];
        var im = new float[frames * bins];
        var db = new float[frames * bins];
        var energy = new double[frames];
        var frame = new float[nFft];
        for (int t = 0; t < frames; t++)
        {
            for (int i = 0; i < nFft; i++) frame[i] = padded[t * hop + i] * window[i];
            Span<float> r = re.AsSpan(t * bins, bins), m = im.AsSpan(t * bins, bins);
            fft.Direct(frame, r, m);
            for (int b = 0; b < bins; b++)
            {
                double power = (double)r[b] * r[b] + (double)m[b] * m[b];
                energy[t] += power;
                db[t * bins + b] = (float)(10 * Math.Log10(power + PowerFloor));
            }
        }

        double[] threshold = NoiseThreshold(db, energy, bins, s);
        var mask = new float[frames * bins];
        for (int t = 0; t < frames; t++)
            for (int b = 0; b < bins; b++)
                mask[t * bins + b] = db[t * bins + b] > threshold[b] ? 1f : 0f;
        int freqHalf = (int)Math.Round(s.NoiseSmoothingHz * nFft / sampleRate);
        int timeHalf = (int)Math.Round(s.NoiseSmoothingMs / 1000.0 * sampleRate / hop);
        mask = SmoothTriangular(mask, frames, bins, timeHalf, stride: bins, step: 1);
        mask = SmoothTriangular(mask, bins, frames, freqHalf, stride: 1, step: bins);

        var output = new double[padded.Length];
        var norm = new double[padded.Length];
        for (int t = 0; t < frames; t++)
        {
            Span<float> r = re.AsSpan(t * bins, bins), m = im.AsSpan(t * bins, bins);
            for (int b = 0; b < bins; b++)
            {
                float gain = (float)(1 - s.NoisePropDecrease * (1 - mask[t * bins + b]));
                r[b] *= gain;
                m[b] *= gain;
            }
            fft.Inverse(r, m, frame);
            for (int i = 0; i < nFft; i++)
            {
                output[t * hop + i] += frame[i] * window[i] / nFft;
                norm[t * hop + i] += window[i] * window[i];
            }
        }
        var y = new float[x.Length];
        for (int i = 0; i < y.Length; i++)
        {
            double w = norm[i + pad];
            y[i] = w > 1e-8 ? (float)(output[i + pad] / w) : 0f;
        }
        return y;
    }

    /// <summary>Per-bin μ + k·σ of the dB levels of the quietest frames.</summary>
    private static double[] NoiseThreshold(float[] db, double[] energy, int bins, PreprocessSettings s)
    {
        int frames = energy.Length;
        int[] order = Enumerable.Range(0, frames).OrderBy(t => energy[t]).ToArray();
        int count = Math.Clamp((int)Math.Round(s.NoiseFrameFraction * frames), 1, frames);
        var threshold = new double[bins];
        for (int b = 0; b < bins; b++)
        {
            double sum = 0, sumSq = 0;
            for (int i = 0; i < count; i++)
            {
                double v = db[order[i] * bins + b];
                sum += v;
                sumSq += v * v;
            }
            double mean = sum / count;
            double std = Math.Sqrt(Math.Max(0, sumSq / count - mean * mean));
            threshold[b] = mean + s.NoiseStdThreshold * std;
        }
        return threshold;
    }

    /// <summary>
    /// Triangular smoothing along one axis of a row-major matrix: <paramref name="lines"/> lines of
    /// <paramref name="length"/> values, consecutive values <paramref name="stride"/> apart, lines <paramref name="step"/> apart.
    /// Weights (half + 1 - |d|) are renormalized where the kernel meets the edges.
    /// </summary>
    private static float[] SmoothTriangular(float[] a, int length, int lines, int half, int stride, int step)
    {
        if (half <= 0) return a;
        var result = new float[a.Length];
        for (int line = 0; line < lines; line++)
        {
            int origin = line * step;
            for (int i = 0; i < length; i++)
            {
                double sum = 0, weights = 0;
                for (int d = Math.Max(-half, -i); d <= Math.Min(half, length - 1 - i); d++)
                {
                    double w = half + 1 - Math.Abs(d);
                    sum += w * a[origin + (i + d) * stride];
                    weights += w;
                }
                result[origin + i * stride] = (float)(sum / weights);
            }
        }
        return result;
    }

    private static float[] HannPeriodic(int n)
    {
        var w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float)(0.5 - 0.5 * Math.Cos(2 * Math.PI * i / n));
        return w;
    }
}
