using Xunit;

namespace EmotionCluster.Features.Tests;

public sealed class AugmentTests
{
    private const int Rate = 16000;
    private static readonly float[] Voice = Signals.Voice(Rate, Rate);

    private static double MeasuredSnrDb(float[] clean, float[] noisy)
    {
        var noise = noisy.Zip(clean, (n, c) => n - c).ToArray();
        return 10 * Math.Log10(Augment.Power(clean) / Augment.Power(noise));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(10.0)]
    [InlineData(20.0)]
    [InlineData(-5.0)]
    public void White_noise_hits_the_requested_snr(double snr)
    {
        float[] noisy = Augment.AddWhiteNoise(Voice, snr, new Random(1));
        Assert.InRange(MeasuredSnrDb(Voice, noisy), snr - 0.5, snr + 0.5);
    }

    [Fact]
    public void White_noise_is_reproducible_per_seed()
    {
        Assert.Equal(Augment.AddWhiteNoise(Voice, 10, new Random(7)), Augment.AddWhiteNoise(Voice, 10, new Random(7)));
        Assert.NotEqual(Augment.AddWhiteNoise(Voice, 10, new Random(7)), Augment.AddWhiteNoise(Voice, 10, new Random(8)));
    }

    [Fact]
    public void White_noise_is_roughly_gaussian_and_white()
    {
        float[] noise = Augment.AddWhiteNoise(new float[20000].Select((_, i) => i % 2 == 0 ? 1f : -1f).ToArray(), 0, new Random(3))
            .Select((v, i) => v - (i % 2 == 0 ? 1f : -1f)).ToArray();
        double mean = noise.Average(v => (double)v), power = Augment.Power(noise);
        double lag1 = Enumerable.Range(1, noise.Length - 1).Average(i => (double)noise[i] * noise[i - 1]) / power;
        double beyond3Sigma = noise.Count(v => Math.Abs(v) > 3 * Math.Sqrt(power)) / (double)noise.Length;
        Assert.InRange(mean, -0.03, 0.03);
        Assert.InRange(lag1, -0.03, 0.03);
        Assert.InRange(beyond3Sigma, 0.001, 0.005); // Gaussian: 0.27%
    }

    [Theory]
    [InlineData(5.0)]
    [InlineData(15.0)]
    public void Mixed_noise_hits_the_requested_snr_and_loops_short_noise(double snr)
    {
        float[] noise = Signals.Noise(3000, seed: 9); // shorter than the clip: looped
        var random = new Random(4);
        float[] noisy = Augment.MixNoise(Voice, noise, snr, random);
        Assert.Equal(Voice.Length, noisy.Length);
        Assert.InRange(MeasuredSnrDb(Voice, noisy), snr - 0.5, snr + 0.5);
        Assert.Equal(noisy, Augment.MixNoise(Voice, noise, snr, new Random(4)));
        Assert.NotEqual(noisy, Augment.MixNoise(Voice, noise, snr, new Random(5)));
    }

    [Fact]
    public void Silent_signal_or_noise_is_a_clear_error()
    {
        var e = Assert.Throws<ArgumentException>(() => Augment.AddWhiteNoise(new float[100], 10, new Random(1)));
        Assert.Contains("all zeros", e.Message);
        Assert.Throws<ArgumentException>(() => Augment.MixNoise(Voice, new float[10], 10, new Random(1)));
        Assert.Throws<ArgumentException>(() => Augment.MixNoise(Voice, [], 10, new Random(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Augment.AddWhiteNoise(Voice, double.NaN, new Random(1)));
    }

    [Fact]
    public void Circular_shift_wraps_and_zero_shift_fills()
    {
        float[] x = [1, 2, 3, 4, 5];
        Assert.Equal([4f, 5, 1, 2, 3], Augment.TimeShift(x, 2, ShiftMode.Circular));
        Assert.Equal([3f, 4, 5, 1, 2], Augment.TimeShift(x, -2, ShiftMode.Circular));
        Assert.Equal([5f, 1, 2, 3, 4], Augment.TimeShift(x, 6, ShiftMode.Circular));
        Assert.Equal([0f, 0, 1, 2, 3], Augment.TimeShift(x, 2, ShiftMode.Zero));
        Assert.Equal([3f, 4, 5, 0, 0], Augment.TimeShift(x, -2, ShiftMode.Zero));
        Assert.Equal([0f, 0, 0, 0, 0], Augment.TimeShift(x, 9, ShiftMode.Zero));
    }

    [Fact]
    public void Random_shift_stays_within_the_maximum_and_is_reproducible()
    {
        float[] x = Enumerable.Range(1, 100).Select(i => (float)i).ToArray();
        var shifts = new HashSet<int>();
        for (int seed = 0; seed < 300; seed++)
        {
            float[] y = Augment.TimeShift(x, 3, ShiftMode.Circular, new Random(seed));
            Assert.Equal(y, Augment.TimeShift(x, 3, ShiftMode.Circular, new Random(seed)));
            shifts.Add(((Array.IndexOf(y, 1f) + 50) % 100) - 50);
        }
        Assert.Equal([-3, -2, -1, 0, 1, 2, 3], shifts.Order());
    }

    [Theory]
    [InlineData(0.9)]
    [InlineData(1.1)]
    [InlineData(1.0)]
    public void Speed_perturbation_divides_the_duration_by_the_factor(double factor)
    {
        float[] y = Augment.SpeedPerturb(Voice, Rate, factor);
        Assert.InRange(y.Length, Voice.Length / factor - 1, Voice.Length / factor + 1);
    }

    [Fact]
    public void Speed_perturbation_scales_the_frequency()
    {
        float[] tone = Signals.Sine(1000, Rate, Rate);
        Assert.Equal(1100, DominantHz(Augment.SpeedPerturb(tone, Rate, 1.1)), 0);
        Assert.Equal(900, DominantHz(Augment.SpeedPerturb(tone, Rate, 0.9)), 0);
    }

    [Fact]
    public void Random_speed_factor_is_reproducible()
    {
        float[] a = Augment.SpeedPerturb(Voice, Rate, 0.9, 1.1, new Random(2));
        Assert.Equal(a, Augment.SpeedPerturb(Voice, Rate, 0.9, 1.1, new Random(2)));
        Assert.InRange(a.Length, Voice.Length / 1.1 - 1, Voice.Length / 0.9 + 1);
    }

    [Theory]
    [InlineData(2.0)]
    [InlineData(-3.0)]
    public void Pitch_shift_keeps_the_length_and_moves_the_tone(double semitones)
    {
        float[] tone = Signals.Sine(500, Rate, Rate);
        float[] y = Augment.PitchShift(tone, Rate, semitones);
        Assert.Equal(tone.Length, y.Length);
        double expected = 500 * Math.Pow(2, semitones / 12);
        Assert.InRange(DominantHz(y), expected - 3, expected + 3);
        // the level stays about the same (no cancellation between overlapped segments)
        Assert.InRange(Augment.Power(y[1000..^1000]) / Augment.Power(tone), 0.8, 1.25);
    }

    [Theory]
    [InlineData(0.8)]
    [InlineData(1.25)]
    public void Time_stretch_changes_the_length_not_the_pitch(double ratio)
    {
        float[] tone = Signals.Sine(440, Rate, Rate);
        float[] y = Augment.TimeStretch(tone, Rate, ratio);
        Assert.Equal((int)Math.Round(Rate * ratio), y.Length);
        Assert.InRange(DominantHz(y), 437, 443);
    }

    [Fact]
    public void Random_pitch_shift_is_reproducible()
    {
        float[] a = Augment.PitchShift(Voice, Rate, 2, new Random(11));
        Assert.Equal(a, Augment.PitchShift(Voice, Rate, 2, new Random(11)));
        Assert.NotEqual(a, Augment.PitchShift(Voice, Rate, 2, new Random(12)));
    }

    /// <summary>Frequency of the strongest bin of a zero-padded 2^17-point spectrum (0.12 Hz bins).</summary>
    private static double DominantHz(float[] x)
    {
        const int n = 1 << 17;
        var padded = new float[n];
        x.AsSpan(0, Math.Min(x.Length, n)).CopyTo(padded);
        var fft = new RealFft(n);
        var re = new float[fft.Bins];
        var im = new float[fft.Bins];
        fft.Forward(padded, re, im);
        int best = Enumerable.Range(1, fft.Bins - 1).MaxBy(k => re[k] * re[k] + im[k] * im[k]);
        return best * (double)Rate / n;
    }
}
