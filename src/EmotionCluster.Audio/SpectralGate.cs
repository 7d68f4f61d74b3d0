using System.Buffers;
using System.Numerics;

namespace EmotionCluster.Audio;

/// <summary>
/// Stationary noise reduction by spectral gating (after the "noisereduce" method of T. Sainburg).
/// <list type="number">
/// <item>STFT: periodic Hann window of <c>NoiseFftSize</c> samples, hop <c>NoiseHop</c>; the signal is zero-padded by
/// half a window at both ends so every sample is covered by full frames.</item>
/// <item>Level of every bin in dB: 10·log10(|X|² + 1e-20).</item>
/// <item>Noise profile: the quietest <c>NoiseFrameFraction</c> of the frames (by total energy, at least one frame) are
/// taken as noise; per frequency bin, the mean μ and standard deviation σ of their dB levels.</item>
/// <item>Threshold per bin: μ + k·σ with k = <c>NoiseStdThreshold</c>. A bin above its threshold is signal (mask 1),
/// otherwise noise (mask 0).</item>
/// <item>The binary mask is smoothed with a separable triangular kernel of half-width <c>NoiseSmoothingHz</c> across
/// frequency and <c>NoiseSmoothingMs</c> across time (normalized where the kernel meets the edges), giving a soft mask
/// m in [0, 1]; this suppresses isolated "musical noise" bins and softens onsets.</item>
/// <item>Gain = 1 − p·(1 − m) with p = <c>NoisePropDecrease</c>: full signal keeps gain 1, pure noise gets 1 − p.</item>
/// <item>Inverse STFT of the gained spectrum, weighted overlap-add with the same window, divided by the summed squared
/// window: with all gains 1 this reconstructs the input.</item>
/// </list>
/// A stationary component (a hum or a constant tone) that is present in the quietest frames is treated as noise.
/// Clips shorter than <see cref="MinFrames"/> frames are returned unchanged: there is no noise profile to estimate.
/// Defaults (16 kHz): 512-point FFT, hop 128, quietest 10% of frames, k = 1.5, p = 0.8, no frequency smoothing,
/// ±30 ms time smoothing; docs/audio-preprocessing.md gives the reasons and measurements.
/// <para>Cost: the same arithmetic as the first implementation (bit-identical output, tested against a frozen copy),
/// without its waste: one FFT plan per thread (<see cref="GateFft"/>: precomputed twiddles, vectorized butterflies), pooled
/// work arrays instead of seven per call, dB levels (log10) only for the noise-profile frames (every other bin is
/// compared with its threshold in the power domain, exactly where that decides and with the dB level where it is too
/// close to call), the binary mask smoothed across time in integers (exact), and the overlap-add normalization cached
/// per clip length.</para>
/// </summary>
public static class SpectralGate
{
    public const int MinFrames = 8;
    private const double PowerFloor = 1e-20; // -200 dB: digital silence stays finite
    // Bins whose power is within this many dB of their threshold get their exact dB level computed; the others are
    // decided in the power domain (log10 and the float rounding of a dB level are off by far less than this).
    private const double DecisionMarginDb = 0.01;

    [ThreadStatic] private static GateFft? ThreadFft;
    [ThreadStatic] private static NormCache? ThreadNorm;
    [ThreadStatic] private static float[]? ThreadWindow;

    private sealed record NormCache(int FftSize, int Hop, int Frames, double[] Norm);

    public static float[] Reduce(ReadOnlySpan<float> x, int sampleRate, PreprocessSettings s)
    {
        var y = new float[x.Length];
        Reduce(x, sampleRate, s, y);
        return y;
    }

    /// <summary>
    /// <see cref="Reduce(ReadOnlySpan{float}, int, PreprocessSettings)"/> into <paramref name="into"/> (at least as long as
    /// <paramref name="x"/>; it may be <paramref name="x"/> itself: the input is read completely before any output is written).
    /// </summary>
    public static void Reduce(ReadOnlySpan<float> x, int sampleRate, PreprocessSettings s, Span<float> into)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleRate);
        if (into.Length < x.Length) throw new ArgumentException($"the output has room for {into.Length} samples, the input has {x.Length}", nameof(into));
        s.Validate();
        int nFft = s.NoiseFftSize, hop = s.NoiseHop, bins = nFft / 2 + 1;
        int pad = nFft / 2;
        int frames = (x.Length + 2 * pad - nFft + hop - 1) / hop + 1;
        if (x.Length == 0 || frames < MinFrames)
        {
            x.CopyTo(into);
            return;
        }

        GateFft fft = FftFor(nFft);
        int paddedLength = (frames - 1) * hop + nFft;
        int cells = frames * bins;
        var pool = ArrayPool<float>.Shared;
        float[] window = WindowFor(nFft);
        float[] padded = pool.Rent(paddedLength), re = pool.Rent(cells), im = pool.Rent(cells), frame = pool.Rent(nFft), smoothed = pool.Rent(cells);
        byte[] mask = ArrayPool<byte>.Shared.Rent(cells);
        double[] energy = ArrayPool<double>.Shared.Rent(frames), output = ArrayPool<double>.Shared.Rent(paddedLength);
        try
        {
            padded.AsSpan(0, pad).Clear();
            x.CopyTo(padded.AsSpan(pad));
            padded.AsSpan(pad + x.Length, paddedLength - pad - x.Length).Clear();

            // STFT and the energy of every frame
            for (int t = 0; t < frames; t++)
            {
                Multiply(padded.AsSpan(t * hop, nFft), window.AsSpan(0, nFft), frame.AsSpan(0, nFft));
                Span<float> r = re.AsSpan(t * bins, bins), m = im.AsSpan(t * bins, bins);
                fft.Direct(frame.AsSpan(0, nFft), r, m);
                double e = 0;
                for (int b = 0; b < r.Length; b++) e += (double)r[b] * r[b] + (double)m[b] * m[b];
                energy[t] = e;
            }

            double[] threshold = NoiseThreshold(re, im, energy.AsSpan(0, frames), bins, s);

            // binary mask: dB level above the bin's threshold
            var decision = new MaskDecision(threshold);
            for (int t = 0; t < frames; t++)
                decision.Decide(re.AsSpan(t * bins, bins), im.AsSpan(t * bins, bins), mask.AsSpan(t * bins, bins));

            int freqHalf = (int)Math.Round(s.NoiseSmoothingHz * nFft / sampleRate);
            int timeHalf = (int)Math.Round(s.NoiseSmoothingMs / 1000.0 * sampleRate / hop);
            SmoothBinaryAcrossTime(mask, smoothed, frames, bins, timeHalf);
            float[] soft = smoothed;
            if (freqHalf > 0) soft = SmoothTriangular(smoothed, bins, frames, freqHalf, stride: 1, step: bins);

            // gains, inverse STFT, weighted overlap-add
            output.AsSpan(0, paddedLength).Clear();
            double p = s.NoisePropDecrease;
            for (int t = 0; t < frames; t++)
            {
                GainAndInverse(fft, re.AsSpan(t * bins, bins), im.AsSpan(t * bins, bins), soft.AsSpan(t * bins, bins), p, frame.AsSpan(0, nFft));
                OverlapAdd(frame.AsSpan(0, nFft), window, output.AsSpan(t * hop, nFft));
            }
            double[] norm = Norm(window.AsSpan(0, nFft), hop, frames);
            for (int i = 0; i < x.Length; i++)
            {
                double w = norm[i + pad];
                into[i] = w > 1e-8 ? (float)(output[i + pad] / w) : 0f;
            }
        }
        finally
        {
            pool.Return(padded); pool.Return(re); pool.Return(im); pool.Return(frame); pool.Return(smoothed);
            ArrayPool<byte>.Shared.Return(mask);
            ArrayPool<double>.Shared.Return(energy); ArrayPool<double>.Shared.Return(output);
        }
    }

    /// <summary>The calling thread's FFT plan of <paramref name="size"/> points (one per thread: a plan is not thread-safe).</summary>
    internal static GateFft FftFor(int size) => ThreadFft is { } cached && cached.Size == size ? cached : (ThreadFft = new GateFft(size));

    /// <summary>The periodic Hann window of <paramref name="size"/> points, cached per thread.</summary>
    internal static float[] WindowFor(int size) => ThreadWindow is { } hann && hann.Length == size ? hann : (ThreadWindow = HannPeriodic(size));

    /// <summary>Bin b of a frame gets gain 1 − p·(1 − soft[b]); then the inverse FFT of the gained bins into <paramref name="frame"/> (<paramref name="re"/> and <paramref name="im"/> are scaled in place).</summary>
    internal static void GainAndInverse(GateFft fft, Span<float> re, Span<float> im, ReadOnlySpan<float> soft, double p, Span<float> frame)
    {
        for (int b = 0; b < re.Length; b++)
        {
            float gain = (float)(1 - p * (1 - soft[b]));
            re[b] *= gain;
            im[b] *= gain;
        }
        fft.Inverse(re, im, frame);
    }

    /// <summary>Weighted overlap-add of one inverse-transformed frame: output[i] += frame[i]·window[i] / N.</summary>
    internal static void OverlapAdd(ReadOnlySpan<float> frame, ReadOnlySpan<float> window, Span<double> output)
    {
        int n = frame.Length;
        for (int i = 0; i < output.Length; i++) output[i] += frame[i] * window[i] / n;
    }

    /// <summary>
    /// The binary mask's decision for one threshold: a bin is signal (1) when its dB level is above its threshold. Decided
    /// in the power domain where that is clear by more than <see cref="DecisionMarginDb"/>, with the exact dB level where
    /// it is too close to call.
    /// </summary>
    internal sealed class MaskDecision
    {
        private readonly double[] _threshold, _above, _below;

        public MaskDecision(double[] threshold)
        {
            _threshold = threshold;
            _above = new double[threshold.Length];
            _below = new double[threshold.Length];
            for (int b = 0; b < threshold.Length; b++)
            {
                _above[b] = Math.Pow(10, (threshold[b] + DecisionMarginDb) / 10); // power + floor above this: clearly over
                _below[b] = Math.Pow(10, (threshold[b] - DecisionMarginDb) / 10); // below this: clearly not
            }
        }

        public void Decide(ReadOnlySpan<float> r, ReadOnlySpan<float> m, Span<byte> row)
        {
            for (int b = 0; b < row.Length; b++)
            {
                double power = (double)r[b] * r[b] + (double)m[b] * m[b];
                double level = power + PowerFloor;
                row[b] = level > _above[b] ? (byte)1
                    : level < _below[b] ? (byte)0
                    : (float)(10 * Math.Log10(power + PowerFloor)) > _threshold[b] ? (byte)1 : (byte)0;
            }
        }
    }

    internal static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> into)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i <= a.Length - Vector<float>.Count; i += Vector<float>.Count)
                (new Vector<float>(a[i..]) * new Vector<float>(b[i..])).CopyTo(into[i..]);
        for (; i < a.Length; i++) into[i] = a[i] * b[i];
    }

    /// <summary>
    /// Per-bin μ + k·σ of the dB levels of the quietest frames (by energy; ties in frame order, as a stable sort gives).
    /// Only these frames' levels are computed.
    /// </summary>
    private static double[] NoiseThreshold(float[] re, float[] im, ReadOnlySpan<double> energy, int bins, PreprocessSettings s)
    {
        int[] quietest = QuietestFrames(energy, s.NoiseFrameFraction);
        var db = new float[quietest.Length * bins];
        for (int i = 0; i < quietest.Length; i++)
        {
            int offset = quietest[i] * bins;
            Levels(re.AsSpan(offset, bins), im.AsSpan(offset, bins), db.AsSpan(i * bins, bins));
        }
        return ThresholdOf(db, quietest.Length, bins, s.NoiseStdThreshold);
    }

    /// <summary>The quietest <paramref name="fraction"/> of the frames (at least one), quietest first; ties in frame order.</summary>
    internal static int[] QuietestFrames(ReadOnlySpan<double> energy, double fraction)
    {
        int frames = energy.Length;
        var keys = energy.ToArray();
        int[] order = new int[frames];
        for (int t = 0; t < frames; t++) order[t] = t;
        Array.Sort(order, (a, b) =>
        {
            int c = keys[a].CompareTo(keys[b]);
            return c != 0 ? c : a.CompareTo(b);
        });
        int count = Math.Clamp((int)Math.Round(fraction * frames), 1, frames);
        return order[..count];
    }

    /// <summary>The dB level of every bin of a frame: 10·log10(|X|² + 1e-20).</summary>
    internal static void Levels(ReadOnlySpan<float> re, ReadOnlySpan<float> im, Span<float> db)
    {
        for (int b = 0; b < db.Length; b++)
        {
            double power = (double)re[b] * re[b] + (double)im[b] * im[b];
            db[b] = (float)(10 * Math.Log10(power + PowerFloor));
        }
    }

    /// <summary>A row of bins' power (|X|², as float) turned into their dB levels in place: 10·log10(power + 1e-20).</summary>
    internal static void PowerToLevels(Span<float> row)
    {
        for (int b = 0; b < row.Length; b++) row[b] = (float)(10 * Math.Log10(row[b] + PowerFloor));
    }

    /// <summary>Per bin, μ + k·σ over the <paramref name="count"/> rows of dB levels in <paramref name="db"/>.</summary>
    internal static double[] ThresholdOf(float[] db, int count, int bins, double k)
    {
        var sum = new double[bins];
        var sumSq = new double[bins];
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<float> row = db.AsSpan(i * bins, bins);
            for (int b = 0; b < bins; b++)
            {
                double v = row[b];
                sum[b] += v;
                sumSq[b] += v * v;
            }
        }
        var threshold = new double[bins];
        for (int b = 0; b < bins; b++)
        {
            double mean = sum[b] / count;
            double std = Math.Sqrt(Math.Max(0, sumSq[b] / count - mean * mean));
            threshold[b] = mean + k * std;
        }
        return threshold;
    }

    /// <summary>
    /// The triangular smoothing of <see cref="SmoothTriangular"/> across time (weights half + 1 − |d|, renormalized at
    /// the edges) for a 0/1 mask: every partial sum is a small integer, so integer sums give exactly the double sums.
    /// </summary>
    private static void SmoothBinaryAcrossTime(byte[] mask, float[] into, int frames, int bins, int half)
    {
        if (half <= 0)
        {
            for (int i = 0; i < frames * bins; i++) into[i] = mask[i];
            return;
        }
        // a frame's weights sum to at most (half + 1)²: beyond 65535 the 16-bit counts of MaskSmoother would overflow
        if (!MaskSmoother.Fits(half))
        {
            SmoothBinaryAcrossTimeWide(mask, into, frames, bins, half);
            return;
        }
        var smoother = new MaskSmoother(bins, half);
        Func<long, int> offsetOf = u => (int)u * bins;
        for (int t = 0; t < frames; t++)
            smoother.Row(mask, offsetOf, t, Math.Max(t - half, 0), Math.Min(t + half, frames - 1), into.AsSpan(t * bins, bins));
    }

    /// <summary>
    /// One frame's soft mask at a time: its 0/1 mask smoothed across time with weights half + 1 − |d|, renormalized over
    /// the frames that exist (<see cref="SmoothBinaryAcrossTime"/>, and the stream gate's frames as they arrive). The
    /// weighted counts are summed in 16-bit lanes ((half + 1)² ≤ 65535, <see cref="Fits"/>) and each count k becomes
    /// (float)((double)k / weights) through a table: the same values as dividing every cell, without a division per cell.
    /// </summary>
    internal sealed class MaskSmoother
    {
        private readonly int _half;
        private readonly ushort[] _sums;
        private readonly float[] _table;
        private int _tableWeights = -1;

        public MaskSmoother(int bins, int half)
        {
            if (!Fits(half)) throw new ArgumentOutOfRangeException(nameof(half), half, "(half + 1)² must fit 16 bits");
            _half = half;
            _sums = new ushort[bins];
            _table = new float[(half + 1) * (half + 1) + 1];
        }

        /// <summary>Whether a frame's weights, (half + 1)² at most, fit the 16-bit counts.</summary>
        public static bool Fits(long half) => (half + 1) * (half + 1) <= ushort.MaxValue;

        /// <summary>Frame <paramref name="t"/>'s soft mask into <paramref name="into"/>; frames <paramref name="lo"/>..<paramref name="hi"/> exist, frame u's mask row starts at <paramref name="offsetOf"/>(u).</summary>
        public void Row(byte[] mask, Func<long, int> offsetOf, long t, long lo, long hi, Span<float> into)
        {
            Span<ushort> sums = _sums.AsSpan(0, into.Length);
            sums.Clear();
            int weights = 0;
            for (long u = lo; u <= hi; u++)
            {
                int w = _half + 1 - (int)Math.Abs(u - t);
                weights += w;
                AddWeighted(mask.AsSpan(offsetOf(u), into.Length), (ushort)w, sums);
            }
            if (weights != _tableWeights)
            {
                for (int k = 0; k <= weights; k++) _table[k] = (float)((double)k / weights);
                _tableWeights = weights;
            }
            for (int b = 0; b < into.Length; b++) into[b] = _table[sums[b]];
        }
    }

    /// <summary>sum[b] += w · row[b] (row: 0/1), a vector of bytes at a time.</summary>
    private static void AddWeighted(ReadOnlySpan<byte> row, ushort w, Span<ushort> sum)
    {
        int b = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var weight = new Vector<ushort>(w);
            for (; b <= row.Length - Vector<byte>.Count; b += Vector<byte>.Count)
            {
                Vector.Widen(new Vector<byte>(row[b..]), out Vector<ushort> low, out Vector<ushort> high);
                Span<ushort> lo = sum.Slice(b, Vector<ushort>.Count), hi = sum.Slice(b + Vector<ushort>.Count, Vector<ushort>.Count);
                (new Vector<ushort>(lo) + low * weight).CopyTo(lo);
                (new Vector<ushort>(hi) + high * weight).CopyTo(hi);
            }
        }
        for (; b < row.Length; b++) sum[b] += (ushort)(w * row[b]);
    }

    /// <summary>The same smoothing with 32-bit counts, for half-widths whose weights could overflow 16 bits.</summary>
    private static void SmoothBinaryAcrossTimeWide(byte[] mask, float[] into, int frames, int bins, int half)
    {
        var sums = new int[bins];
        for (int t = 0; t < frames; t++)
        {
            Array.Clear(sums);
            int weights = 0;
            for (int d = Math.Max(-half, -t); d <= Math.Min(half, frames - 1 - t); d++)
            {
                int w = half + 1 - Math.Abs(d);
                weights += w;
                ReadOnlySpan<byte> row = mask.AsSpan((t + d) * bins, bins);
                for (int b = 0; b < row.Length; b++) sums[b] += w * row[b];
            }
            Span<float> result = into.AsSpan(t * bins, bins);
            for (int b = 0; b < result.Length; b++) result[b] = (float)((double)sums[b] / weights);
        }
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

    /// <summary><see cref="OverlapNorm"/>, cached per thread for the last clip length.</summary>
    private static double[] Norm(ReadOnlySpan<float> window, int hop, int frames)
    {
        int nFft = window.Length;
        if (ThreadNorm is { } c && c.FftSize == nFft && c.Hop == hop && c.Frames == frames) return c.Norm;
        double[] norm = OverlapNorm(window, hop, frames);
        ThreadNorm = new NormCache(nFft, hop, frames, norm);
        return norm;
    }

    /// <summary>
    /// Σ over <paramref name="frames"/> frames (hop apart, the first at 0) of the squared window at every sample: the
    /// overlap-add normalization, added frame by frame in order.
    /// </summary>
    internal static double[] OverlapNorm(ReadOnlySpan<float> window, int hop, int frames)
    {
        int nFft = window.Length;
        var norm = new double[(frames - 1) * hop + nFft];
        for (int t = 0; t < frames; t++)
            for (int i = 0; i < nFft; i++)
                norm[t * hop + i] += window[i] * window[i];
        return norm;
    }

    private static float[] HannPeriodic(int n)
    {
        var w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float)(0.5 - 0.5 * Math.Cos(2 * Math.PI * i / n));
        return w;
    }
}
