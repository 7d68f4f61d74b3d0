using System.Numerics;

namespace EmotionCluster.Audio;

/// <summary>
/// Band-limited resampling between any two integer rates (Kaiser-windowed sinc interpolation, J. O. Smith style).
/// <para>
/// One low-pass prototype serves every ratio: passband up to 90% of the lower Nyquist frequency, stopband from the
/// lower Nyquist frequency on, at least <see cref="StopbandAttenuationDb"/> down. So downsampling removes what would
/// alias and upsampling removes the images. Output sample <c>n</c> sits at input time <c>n * from / to</c> (computed
/// in exact integer arithmetic, so nothing drifts); outside the input the signal is taken as zero.
/// </para>
/// <para>
/// The windowed sinc is tabulated once (512 points per zero crossing, linear interpolation) and, when the reduced
/// ratio has few phases (44.1k→16k has 160), the weights of every phase are computed once per call and reused;
/// otherwise they are evaluated per output sample from the table.
/// </para>
/// </summary>
public static class Resampler
{
    public const double StopbandAttenuationDb = 80;
    /// <summary>Transition band as a fraction of the lower Nyquist frequency: passband ends at 0.9, stopband starts at 1.0.</summary>
    public const double TransitionFraction = 0.1;

    private const int TableResolution = 512;
    private const int MaxCachedWeights = 1 << 20;

    /// <summary>Kaiser β for the attenuation (Kaiser's empirical formula for A > 50 dB).</summary>
    private static readonly double Beta = 0.1102 * (StopbandAttenuationDb - 8.7);

    /// <summary>Cutoff (-6 dB point) as a fraction of the lower Nyquist frequency: middle of the transition band.</summary>
    private const double CutoffFraction = 1 - TransitionFraction / 2;

    /// <summary>Half-length of the kernel in zero crossings of its sinc, from Kaiser's length formula.</summary>
    private static readonly int ZeroCrossings = (int)Math.Ceiling(
        (StopbandAttenuationDb - 8) * CutoffFraction / (2.285 * 2 * Math.PI * TransitionFraction));

    private static readonly float[] Kernel = BuildKernel();

    /// <summary>
    /// <paramref name="x"/> at <paramref name="fromRate"/> resampled to <paramref name="toRate"/>;
    /// length <c>round(x.Length * toRate / fromRate)</c>. Equal rates return a copy.
    /// </summary>
    public static float[] Resample(ReadOnlySpan<float> x, int fromRate, int toRate)
    {
        if (fromRate <= 0) throw new ArgumentOutOfRangeException(nameof(fromRate), fromRate, "sample rates must be positive");
        if (toRate <= 0) throw new ArgumentOutOfRangeException(nameof(toRate), toRate, "sample rates must be positive");
        if (fromRate == toRate) return x.ToArray();

        long outLength = ((long)x.Length * toRate * 2 + fromRate) / (2L * fromRate);
        if (outLength > Array.MaxLength) throw new ArgumentException($"{outLength} output samples are too many for one array", nameof(x));
        var y = new float[outLength];

        // Kernel time scale: input samples per zero crossing is 1/rho (rho <= 1 when downsampling).
        double rho = CutoffFraction * Math.Min(fromRate, toRate) / fromRate;
        int half = (int)Math.Ceiling(ZeroCrossings / rho);
        int taps = 2 * half;
        int gcd = Gcd(fromRate, toRate);
        int phases = toRate / gcd; // remainders below are the multiples of gcd under toRate
        float[]? bank = (long)phases * taps <= MaxCachedWeights ? new float[phases * taps] : null;
        var scratch = bank is null ? new float[taps] : null;
        var filled = bank is null ? null : new bool[phases];

        for (long n = 0; n < outLength; n++)
        {
            long position = n * fromRate; // input time n*from/to, as integer part and remainder over toRate
            long center = position / toRate;
            int remainder = (int)(position % toRate);
            Span<float> w;
            if (bank is not null)
            {
                int phase = remainder / gcd;
                w = bank.AsSpan(phase * taps, taps);
                if (!filled![phase]) { Weights((double)remainder / toRate, rho, half, w); filled[phase] = true; }
            }
            else
            {
                w = scratch;
                Weights((double)remainder / toRate, rho, half, w);
            }
            y[n] = Dot(x, center - half + 1, w);
        }
        return y;
    }

    /// <summary>Weights for input samples center-half+1 .. center+half when the output sits <paramref name="frac"/> past center.</summary>
    private static void Weights(double frac, double rho, int half, Span<float> w)
    {
        for (int j = 0; j < w.Length; j++)
        {
            double u = rho * Math.Abs(frac + (half - 1 - j)); // distance in zero crossings
            w[j] = (float)(rho * KernelAt(u));
        }
    }

    private static float Dot(ReadOnlySpan<float> x, long start, ReadOnlySpan<float> w)
    {
        int from = (int)Math.Max(0, -start);
        int to = (int)Math.Min(w.Length, x.Length - start);
        if (from >= to) return 0;
        ReadOnlySpan<float> xs = x.Slice((int)(start + from), to - from);
        ReadOnlySpan<float> ws = w[from..to];
        int i = 0, width = Vector<float>.Count;
        var acc = Vector<float>.Zero;
        for (; i <= xs.Length - width; i += width) acc += new Vector<float>(xs[i..]) * new Vector<float>(ws[i..]);
        float sum = Vector.Sum(acc);
        for (; i < xs.Length; i++) sum += xs[i] * ws[i];
        return sum;
    }

    private static double KernelAt(double u)
    {
        double pos = u * TableResolution;
        int i = (int)pos;
        if (i >= Kernel.Length - 1) return 0;
        double t = pos - i;
        return Kernel[i] + t * (Kernel[i + 1] - Kernel[i]);
    }

    /// <summary>sinc(u) * Kaiser(u / ZeroCrossings) for u = 0 .. ZeroCrossings, plus a trailing zero.</summary>
    private static float[] BuildKernel()
    {
        int n = ZeroCrossings * TableResolution;
        var k = new float[n + 2];
        double i0Beta = BesselI0(Beta);
        for (int i = 0; i <= n; i++)
        {
            double u = (double)i / TableResolution;
            double r = u / ZeroCrossings;
            double sinc = i == 0 ? 1 : Math.Sin(Math.PI * u) / (Math.PI * u);
            k[i] = (float)(sinc * BesselI0(Beta * Math.Sqrt(Math.Max(0, 1 - r * r))) / i0Beta);
        }
        return k;
    }

    /// <summary>Modified Bessel function of the first kind, order 0 (power series).</summary>
    private static double BesselI0(double x)
    {
        double sum = 1, term = 1, q = x * x / 4;
        for (int k = 1; term > 1e-12 * sum; k++)
        {
            term *= q / ((double)k * k);
            sum += term;
        }
        return sum;
    }

    private static int Gcd(int a, int b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }
}
