using Xunit;

namespace EmotionCluster.Features.Tests;

/// <summary>FFTs against a naive DFT computed in double.</summary>
public sealed class FftTests
{
    private static float[] RandomSignal(int n, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(2 * random.NextDouble() - 1)).ToArray();
    }

    private static (double[] Re, double[] Im) NaiveDft(float[] re, float[] im, int bins)
    {
        int n = re.Length;
        var outRe = new double[bins];
        var outIm = new double[bins];
        for (int k = 0; k < bins; k++)
            for (int t = 0; t < n; t++)
            {
                double angle = -2 * Math.PI * ((long)k * t % n) / n;
                outRe[k] += re[t] * Math.Cos(angle) - im[t] * Math.Sin(angle);
                outIm[k] += re[t] * Math.Sin(angle) + im[t] * Math.Cos(angle);
            }
        return (outRe, outIm);
    }

    /// <summary>Float FFT error grows like log N · ε · ‖x‖; 1e-5 · √N · rms bounds it with a wide margin.</summary>
    private static void AssertClose(double[] expectedRe, double[] expectedIm, float[] re, float[] im, int n)
    {
        double tolerance = 1e-5 * Math.Sqrt(n) + 1e-6;
        for (int k = 0; k < expectedRe.Length; k++)
        {
            Assert.True(Math.Abs(expectedRe[k] - re[k]) <= tolerance, $"N={n} bin {k}: re {re[k]} vs {expectedRe[k]}");
            Assert.True(Math.Abs(expectedIm[k] - im[k]) <= tolerance, $"N={n} bin {k}: im {im[k]} vs {expectedIm[k]}");
        }
    }

    [Theory]
    [InlineData(1)] [InlineData(2)] [InlineData(3)] [InlineData(4)] [InlineData(5)] [InlineData(6)] [InlineData(7)]
    [InlineData(8)] [InlineData(12)] [InlineData(16)] [InlineData(30)] [InlineData(64)] [InlineData(100)]
    [InlineData(255)] [InlineData(256)] [InlineData(400)] [InlineData(511)] [InlineData(512)] [InlineData(1000)] [InlineData(2048)]
    public void Real_fft_matches_the_naive_dft(int n)
    {
        float[] x = RandomSignal(n, seed: n);
        var fft = new RealFft(n);
        var re = new float[fft.Bins];
        var im = new float[fft.Bins];
        fft.Forward(x, re, im);
        var (expectedRe, expectedIm) = NaiveDft(x, new float[n], n / 2 + 1);
        AssertClose(expectedRe, expectedIm, re, im, n);
    }

    [Theory]
    [InlineData(1)] [InlineData(2)] [InlineData(3)] [InlineData(8)] [InlineData(12)] [InlineData(17)] [InlineData(64)]
    [InlineData(100)] [InlineData(256)] [InlineData(1024)]
    public void Complex_fft_matches_the_naive_dft(int n)
    {
        float[] re = RandomSignal(n, seed: 1000 + n), im = RandomSignal(n, seed: 2000 + n);
        var (expectedRe, expectedIm) = NaiveDft(re, im, n);
        new ComplexFft(n).Forward(re, im);
        AssertClose(expectedRe, expectedIm, re, im, n);
    }

    [Fact]
    public void A_cosine_lands_in_its_bin()
    {
        const int n = 512, bin = 37;
        float[] x = Enumerable.Range(0, n).Select(t => (float)Math.Cos(2 * Math.PI * bin * t / n)).ToArray();
        var re = new float[n / 2 + 1];
        var im = new float[n / 2 + 1];
        new RealFft(n).Forward(x, re, im);
        for (int k = 0; k <= n / 2; k++)
            Assert.Equal(k == bin ? n / 2.0 : 0.0, Math.Sqrt(re[k] * re[k] + im[k] * im[k]), 3);
    }

    [Fact]
    public void Wrong_lengths_are_rejected_with_the_sizes()
    {
        var fft = new RealFft(8);
        var e = Assert.Throws<ArgumentException>(() => fft.Forward(new float[7], new float[5], new float[5]));
        Assert.Contains("exactly 8", e.Message);
        e = Assert.Throws<ArgumentException>(() => fft.Forward(new float[8], new float[4], new float[5]));
        Assert.Contains("5 bins", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new RealFft(0));
        Assert.Throws<ArgumentException>(() => new ComplexFft(8).Forward(new float[4], new float[8]));
    }
}
