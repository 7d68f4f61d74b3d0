namespace EmotionCluster.Audio.Tests;

/// <summary>Test signals and measurements.</summary>
internal static class Signals
{
    public static float[] Sine(double frequency, int sampleRate, double seconds, double amplitude = 0.5, double phase = 0)
    {
        var x = new float[(int)Math.Round(seconds * sampleRate)];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(amplitude * Math.Sin(2 * Math.PI * frequency * i / sampleRate + phase));
        return x;
    }

    /// <summary>Gaussian white noise (Box-Muller), seeded.</summary>
    public static float[] Noise(int length, double std, int seed)
    {
        var random = new Random(seed);
        var x = new float[length];
        for (int i = 0; i < length; i++)
        {
            double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
            x[i] = (float)(std * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return x;
    }

    public static float[] Add(float[] a, float[] b) => a.Zip(b, (p, q) => p + q).ToArray();

    public static double Rms(ReadOnlySpan<float> x)
    {
        double sum = 0;
        foreach (float v in x) sum += (double)v * v;
        return x.Length == 0 ? 0 : Math.Sqrt(sum / x.Length);
    }

    public static double Db(double ratio) => 20 * Math.Log10(ratio);

    /// <summary>
    /// Least-squares fit of a·sin + b·cos at <paramref name="frequency"/> over <paramref name="x"/>:
    /// the fitted amplitude and the RMS of what the sinusoid does not explain.
    /// </summary>
    public static (double Amplitude, double ResidualRms, float[] Fitted) FitSine(ReadOnlySpan<float> x, int sampleRate, double frequency, int offset = 0)
    {
        double ss = 0, cc = 0, sc = 0, xs = 0, xc = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double w = 2 * Math.PI * frequency * (i + offset) / sampleRate;
            double s = Math.Sin(w), c = Math.Cos(w);
            ss += s * s; cc += c * c; sc += s * c; xs += x[i] * s; xc += x[i] * c;
        }
        double det = ss * cc - sc * sc;
        double a = (xs * cc - xc * sc) / det, b = (xc * ss - xs * sc) / det;
        var fitted = new float[x.Length];
        double residual = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double w = 2 * Math.PI * frequency * (i + offset) / sampleRate;
            fitted[i] = (float)(a * Math.Sin(w) + b * Math.Cos(w));
            residual += Math.Pow(x[i] - fitted[i], 2);
        }
        return (Math.Sqrt(a * a + b * b), Math.Sqrt(residual / x.Length), fitted);
    }
}
