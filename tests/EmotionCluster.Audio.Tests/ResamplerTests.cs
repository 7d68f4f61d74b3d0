using Xunit;

namespace EmotionCluster.Audio.Tests;

public class ResamplerTests
{
    /// <summary>The middle of a resampled tone, away from the edges where the signal starts and stops abruptly.</summary>
    private static ReadOnlySpan<float> Middle(float[] y, int rate) => y.AsSpan(rate / 10, y.Length - rate / 5);

    [Theory]
    [InlineData(44100, 16000, 1000)]
    [InlineData(8000, 16000, 1000)]
    [InlineData(11025, 16000, 1000)]
    [InlineData(22050, 16000, 1000)]
    [InlineData(48000, 16000, 1000)]
    [InlineData(96000, 16000, 1000)]
    [InlineData(44100, 16000, 7000)]   // near the passband edge (0.9 x 8 kHz = 7.2 kHz)
    [InlineData(8000, 16000, 3500)]    // near the input's Nyquist when upsampling
    [InlineData(16000, 8000, 3000)]
    [InlineData(16000, 44100, 5000)]
    [InlineData(44101, 16000, 1000)]   // coprime rates: 16000 phases, weights computed per sample
    public void A_tone_below_both_Nyquists_keeps_amplitude_and_frequency(int from, int to, double frequency)
    {
        float[] x = Signals.Sine(frequency, from, 0.6, amplitude: 0.5);

        float[] y = Resampler.Resample(x, from, to);

        var (amplitude, _, _) = Signals.FitSine(Middle(y, to), to, frequency, offset: to / 10);
        Assert.InRange(Signals.Db(amplitude / 0.5), -0.05, 0.05);
        // Same tone sampled directly at the target rate: equal frequency, amplitude and phase (no delay).
        float[] ideal = Signals.Sine(frequency, to, (double)y.Length / to, amplitude: 0.5);
        float[] error = y.Zip(ideal, (a, b) => a - b).ToArray();
        double errorDb = Signals.Db(Signals.Rms(Middle(error, to)) / 0.5);
        Assert.True(errorDb < -60, $"differs from the ideal {frequency} Hz tone by {errorDb:F1} dB");
    }

    [Theory]
    [InlineData(48000, 8000, 5000)]    // would alias to 3 kHz
    [InlineData(44100, 16000, 8000)]   // exactly the target Nyquist
    [InlineData(44100, 16000, 12000)]  // would alias to 4 kHz
    [InlineData(96000, 16000, 30000)]
    [InlineData(22050, 16000, 9000)]
    public void A_tone_above_the_target_Nyquist_is_attenuated_by_at_least_75_dB(int from, int to, double frequency)
    {
        float[] x = Signals.Sine(frequency, from, 0.6, amplitude: 0.5);

        float[] y = Resampler.Resample(x, from, to);

        double attenuation = Signals.Db(Signals.Rms(Middle(y, to)) / (0.5 / Math.Sqrt(2)));
        Assert.True(attenuation < -75, $"only {attenuation:F1} dB (designed for 80)");
    }

    [Theory]
    [InlineData(8000, 3700)]   // image at 4300 Hz
    [InlineData(11025, 5000)]  // image at 6025 Hz
    public void Upsampling_leaves_no_image_above_the_input_Nyquist(int from, double frequency)
    {
        float[] y = Resampler.Resample(Signals.Sine(frequency, from, 0.6, amplitude: 0.5), from, 16000);

        var (image, _, _) = Signals.FitSine(Middle(y, 16000), 16000, from - frequency, offset: 1600);
        Assert.True(Signals.Db(image / 0.5) < -60, $"image at {Signals.Db(image / 0.5):F1} dB");
    }

    [Fact]
    public void Output_length_is_the_rounded_ratio_for_common_rates()
    {
        foreach (int from in new[] { 8000, 11025, 16000, 22050, 44100, 48000, 96000, 44101 })
            foreach (int n in new[] { 0, 1, 2, 3, 7, 100, 441, 1001, 12345 })
            {
                long expected = (long)Math.Round((double)n * 16000 / from, MidpointRounding.AwayFromZero);
                Assert.Equal(expected, Resampler.Resample(new float[n], from, 16000).Length);
            }
    }

    [Fact]
    public void Equal_rates_return_an_equal_copy()
    {
        float[] x = Signals.Noise(1000, 0.3, seed: 1);

        float[] y = Resampler.Resample(x, 16000, 16000);

        Assert.Equal(x, y);
        Assert.NotSame(x, y);
    }

    [Fact]
    public void Constant_signal_keeps_its_level()
    {
        float[] y = Resampler.Resample(Enumerable.Repeat(0.25f, 44100).ToArray(), 44100, 16000);

        foreach (float v in y.AsSpan(1000, y.Length - 2000)) Assert.Equal(0.25, v, 1e-4);
    }

    [Theory]
    [InlineData(0, 16000)]
    [InlineData(16000, -1)]
    public void Non_positive_rates_are_rejected(int from, int to) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Resampler.Resample(new float[10], from, to));
}
