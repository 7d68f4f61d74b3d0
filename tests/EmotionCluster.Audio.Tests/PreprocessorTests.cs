using Xunit;

namespace EmotionCluster.Audio.Tests;

public class PreprocessorTests
{
    private const int Rate = 16000;

    private static float[] Apply(PreprocessSettings settings, float[] x) =>
        new Preprocessor(settings).Apply(new AudioClip(x, Rate)).Samples;

    [Fact]
    public void Mean_subtraction_removes_the_offset_and_keeps_the_waveform()
    {
        float[] tone = Signals.Sine(440, Rate, 1.0, amplitude: 0.3);
        float[] x = tone.Select(v => v + 0.25f).ToArray();

        float[] y = Apply(PreprocessSettings.Off with { DcRemoval = DcRemoval.SubtractMean }, x);

        Assert.Equal(0, y.Average(v => (double)v), 1e-6);
        for (int i = 0; i < y.Length; i++) Assert.Equal(tone[i], y[i], 1e-5);
    }

    [Fact]
    public void High_pass_removes_the_offset_and_passes_speech_frequencies()
    {
        float[] x = Signals.Sine(1000, Rate, 1.0, amplitude: 0.3).Select(v => v - 0.4f).ToArray();

        float[] y = Apply(PreprocessSettings.Off with { DcRemoval = DcRemoval.HighPass }, x);

        Assert.Equal(0, y.Skip(Rate / 10).Average(v => (double)v), 1e-3);
        var (amplitude, _, _) = Signals.FitSine(y.AsSpan(Rate / 10), Rate, 1000, offset: Rate / 10);
        Assert.Equal(0.3, amplitude, 0.003);
    }

    [Fact]
    public void Peak_normalization_hits_the_target()
    {
        float[] x = Signals.Add(Signals.Sine(300, Rate, 1.0, amplitude: 0.1), Signals.Noise(Rate, 0.01, seed: 3));

        float[] y = Apply(PreprocessSettings.Off with { Normalization = Normalization.Peak, PeakTarget = 0.9 }, x);

        Assert.Equal(0.9, y.Max(Math.Abs), 1e-6);
    }

    [Fact]
    public void Rms_normalization_hits_the_target()
    {
        float[] x = Signals.Sine(300, Rate, 1.0, amplitude: 0.5);

        float[] y = Apply(PreprocessSettings.Off with { Normalization = Normalization.Rms, RmsTargetDbfs = -23 }, x);

        Assert.Equal(-23, Signals.Db(Signals.Rms(y)), 0.01);
    }

    [Fact]
    public void Rms_normalization_never_clips()
    {
        var x = new float[Rate];
        x[100] = 0.5f; // one click: reaching -20 dBFS RMS would need a peak of ~13

        float[] y = Apply(PreprocessSettings.Off with { Normalization = Normalization.Rms }, x);

        Assert.Equal(1.0, y.Max(Math.Abs), 1e-6);
    }

    [Fact]
    public void Normalization_gain_is_capped()
    {
        float[] x = Signals.Sine(300, Rate, 0.5, amplitude: 1e-4);

        float[] y = Apply(PreprocessSettings.Off with { Normalization = Normalization.Peak, MaxGainDb = 40 }, x);

        Assert.Equal(1e-2, y.Max(Math.Abs), 1e-5);
    }

    [Fact]
    public void Trimming_cuts_leading_and_trailing_silence_and_keeps_the_tone()
    {
        float[] tone = Signals.Sine(500, Rate, 1.0, amplitude: 0.5);
        float[] quiet = Signals.Noise(Rate * 2, 0.0005, seed: 5); // -60 dB below the tone
        float[] x = [.. quiet.AsSpan(0, Rate / 2), .. tone, .. quiet.AsSpan(Rate / 2, Rate * 3 / 4)];
        var settings = PreprocessSettings.Off with { TrimSilence = true, TrimMarginMs = 50, TrimFrameMs = 20 };

        float[] y = Apply(settings, x);

        int margin = Rate / 20, frame = Rate / 50;
        Assert.InRange(y.Length, tone.Length + 2 * margin - 2 * frame, tone.Length + 2 * margin + 2 * frame);
        int start = Array.IndexOf(x, y[0]);
        Assert.InRange(start, Rate / 2 - margin - frame, Rate / 2 - margin + frame);
        Assert.Equal(x.AsSpan(start, y.Length).ToArray(), y); // a cut, nothing else
        Assert.True(start <= Rate / 2 && start + y.Length >= Rate / 2 + tone.Length, "the tone was cut");
    }

    [Fact]
    public void Trimming_a_silent_clip_keeps_it_whole()
    {
        float[] y = Apply(PreprocessSettings.Off with { TrimSilence = true }, new float[Rate]);

        Assert.Equal(Rate, y.Length);
    }

    [Fact]
    public void Trimming_keeps_a_clip_that_is_sound_throughout()
    {
        float[] x = Signals.Sine(500, Rate, 0.5);

        Assert.Equal(x, Apply(PreprocessSettings.Off with { TrimSilence = true }, x));
    }

    /// <summary>0.5 s noise, 1.5 s tone + noise, 0.5 s noise: the pauses give the noise profile, as in speech.</summary>
    private static (float[] Clean, float[] Noisy) ToneInNoise(double amplitude, double noiseStd)
    {
        var clean = new float[Rate * 5 / 2];
        Signals.Sine(1000, Rate, 1.5, amplitude).CopyTo(clean, Rate / 2);
        return (clean, Signals.Add(clean, Signals.Noise(clean.Length, noiseStd, seed: 7)));
    }

    private static double Snr(float[] clean, float[] x) =>
        10 * Math.Log10(clean.Sum(v => (double)v * v) / clean.Zip(x, (c, v) => (double)(v - c) * (v - c)).Sum());

    [Theory]
    [InlineData(0.3, 0.05)]
    [InlineData(0.1, 0.1)]
    public void Spectral_gating_raises_the_SNR_of_a_tone_in_white_noise_and_keeps_the_tone(double amplitude, double noiseStd)
    {
        var (clean, noisy) = ToneInNoise(amplitude, noiseStd);

        float[] y = Apply(PreprocessSettings.Off with { ReduceNoise = true }, noisy);

        Assert.Equal(noisy.Length, y.Length);
        double gain = Snr(clean, y) - Snr(clean, noisy);
        Assert.True(gain >= 6, $"SNR improved by {gain:F1} dB only");
        var (kept, _, _) = Signals.FitSine(y.AsSpan(Rate / 2, Rate * 3 / 2), Rate, 1000, offset: Rate / 2);
        Assert.InRange(Signals.Db(kept / amplitude), -1, 0.5);
    }

    [Fact]
    public void Spectral_gating_with_no_decrease_reconstructs_the_input()
    {
        var (_, noisy) = ToneInNoise(0.3, 0.05);

        float[] y = Apply(PreprocessSettings.Off with { ReduceNoise = true, NoisePropDecrease = 0 }, noisy);

        for (int i = 0; i < y.Length; i++) Assert.Equal(noisy[i], y[i], 1e-5);
    }

    [Fact]
    public void Spectral_gating_with_full_decrease_silences_the_noise_only_parts()
    {
        var (_, noisy) = ToneInNoise(0.3, 0.05);

        float[] y = Apply(PreprocessSettings.Off with { ReduceNoise = true, NoisePropDecrease = 1 }, noisy);

        double residual = Signals.Db(Signals.Rms(y.AsSpan(0, Rate / 2 - 1000)) / 0.05);
        Assert.True(residual < -15, $"noise only reduced by {-residual:F1} dB");
    }

    [Fact]
    public void Frequency_smoothing_is_applied_when_asked()
    {
        var (_, noisy) = ToneInNoise(0.3, 0.05);
        var settings = PreprocessSettings.Off with { ReduceNoise = true };

        float[] plain = Apply(settings, noisy);
        float[] smoothed = Apply(settings with { NoiseSmoothingHz = 500 }, noisy);

        // Averaging the mask over ±500 Hz around a narrow tone lowers its gain.
        var (a, _, _) = Signals.FitSine(plain.AsSpan(Rate / 2, Rate * 3 / 2), Rate, 1000, offset: Rate / 2);
        var (b, _, _) = Signals.FitSine(smoothed.AsSpan(Rate / 2, Rate * 3 / 2), Rate, 1000, offset: Rate / 2);
        Assert.True(b < a * 0.8, $"{a} vs {b}");
    }

    [Fact]
    public void Every_step_off_is_the_identity()
    {
        float[] x = Signals.Add(Signals.Sine(200, Rate, 1.0), Signals.Noise(Rate, 0.1, seed: 9));
        var clip = new AudioClip(x, Rate);

        AudioClip y = new Preprocessor(PreprocessSettings.Off).Apply(clip);

        Assert.Equal(x, y.Samples);
        Assert.Equal(Rate, y.SampleRate);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(16000)]
    public void Silent_or_tiny_input_gives_finite_output_of_the_same_length(int length)
    {
        float[] y = Apply(new PreprocessSettings(), new float[length]);

        Assert.Equal(length, y.Length);
        Assert.All(y, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Defaults_give_finite_normalized_output_for_noisy_speech_like_input()
    {
        var (_, noisy) = ToneInNoise(0.3, 0.05);

        float[] y = Apply(new PreprocessSettings(), noisy);

        Assert.All(y, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(0.95, y.Max(Math.Abs), 1e-6);
    }

    [Theory]
    [InlineData(nameof(PreprocessSettings.NoiseFftSize))]
    [InlineData(nameof(PreprocessSettings.NoiseHop))]
    [InlineData(nameof(PreprocessSettings.NoisePropDecrease))]
    [InlineData(nameof(PreprocessSettings.TrimThresholdDb))]
    [InlineData(nameof(PreprocessSettings.PeakTarget))]
    [InlineData(nameof(PreprocessSettings.NoiseFrameFraction))]
    public void Bad_settings_are_rejected_naming_the_setting(string setting)
    {
        PreprocessSettings bad = setting switch
        {
            nameof(PreprocessSettings.NoiseFftSize) => new() { NoiseFftSize = 500 },
            nameof(PreprocessSettings.NoiseHop) => new() { NoiseHop = 400 },
            nameof(PreprocessSettings.NoisePropDecrease) => new() { NoisePropDecrease = double.NaN },
            nameof(PreprocessSettings.TrimThresholdDb) => new() { TrimThresholdDb = 10 },
            nameof(PreprocessSettings.PeakTarget) => new() { PeakTarget = 1.5 },
            _ => new() { NoiseFrameFraction = 0 },
        };

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Preprocessor(bad));
        Assert.Equal($"PreprocessSettings.{setting}", e.ParamName);
        Assert.Contains(setting, e.Message);
    }
}
