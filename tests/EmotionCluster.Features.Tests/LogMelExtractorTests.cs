using Xunit;

namespace EmotionCluster.Features.Tests;

public sealed class LogMelExtractorTests(ITestOutputHelper output)
{
    [Fact]
    public void Empty_input_is_rejected_with_a_clear_message()
    {
        var e = Assert.Throws<ArgumentException>(() => new LogMelExtractor().Compute(ReadOnlySpan<float>.Empty));
        Assert.Contains("no samples", e.Message);
        Assert.Throws<ArgumentException>(() => new MfccExtractor().Compute(ReadOnlySpan<float>.Empty));
    }

    [Fact]
    public void Non_finite_samples_are_rejected()
    {
        float[] x = Signals.Sine(440, 16000, 1000);
        x[500] = float.NaN;
        var e = Assert.Throws<ArgumentException>(() => new LogMelExtractor().Compute(x));
        Assert.Contains("NaN or infinite", e.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(256)] // = n_fft / 2: torch's reflect padding refuses this length
    public void Clips_too_short_for_reflect_padding_fall_back_to_zero_padding(int samples)
    {
        float[] x = Signals.Noise(samples, seed: samples);
        var reflect = new LogMelExtractor(new MelSettings());
        var constant = new LogMelExtractor(new MelSettings { PadMode = PadMode.Constant });
        Spectrogram a = reflect.Compute(x), b = constant.Compute(x);
        Assert.Equal(1 + samples / 160, a.Frames);
        Assert.Equal(b.Data, a.Data);
    }

    [Fact]
    public void Reflect_padding_differs_from_zero_padding_once_the_clip_is_long_enough()
    {
        float[] x = Signals.Noise(257, seed: 1);
        Spectrogram a = new LogMelExtractor(new MelSettings()).Compute(x);
        Spectrogram b = new LogMelExtractor(new MelSettings { PadMode = PadMode.Constant }).Compute(x);
        Assert.NotEqual(b.Data, a.Data);
    }

    [Fact]
    public void Uncentred_clip_shorter_than_nfft_gives_one_zero_padded_frame()
    {
        var settings = new MelSettings { Center = false };
        float[] x = Signals.Noise(300, seed: 2);
        Spectrogram short_ = new LogMelExtractor(settings).Compute(x);
        Spectrogram padded = new LogMelExtractor(settings).Compute(FixedLength.CropOrPad(x, 512, CropMode.Start));
        Assert.Equal(1, short_.Frames);
        Assert.Equal(padded.Data, short_.Data);
    }

    [Theory]
    [InlineData(300.0)]
    [InlineData(1000.0)]
    [InlineData(3000.0)]
    public void A_tone_peaks_in_the_band_centred_nearest_its_frequency(double hz)
    {
        var settings = new MelSettings { NFft = 2048, WinLength = 2048, NMels = 40 };
        Spectrogram s = new LogMelExtractor(settings).Compute(Signals.Sine(hz, 16000, 16000));
        int frame = s.Frames / 2;
        int loudest = Enumerable.Range(0, s.Bins).MaxBy(b => s[b, frame]);
        double melMax = MelFilterbank.HzToMel(8000, MelScale.Htk);
        int nearest = Enumerable.Range(0, 40)
            .MinBy(m => Math.Abs(MelFilterbank.MelToHz(melMax * (m + 1) / 41, MelScale.Htk) - hz));
        Assert.Equal(nearest, loudest);
    }

    [Fact]
    public void Amplitude_scales_shift_the_whole_spectrogram_in_db()
    {
        float[] x = Signals.Voice(16000, 8000);
        var extractor = new LogMelExtractor(new MelSettings { TopDb = null });
        Spectrogram a = extractor.Compute(x), b = extractor.Compute(x.Select(v => v * 0.1f).ToArray());
        for (int i = 0; i < a.Data.Length; i++)
            if (a.Data[i] > -60) Assert.InRange(b.Data[i] - (a.Data[i] - 20), -0.01f, 0.01f); // amplitude × 0.1 = power −20 dB
    }

    [Fact]
    public void Top_db_floors_at_the_maximum_minus_top_db()
    {
        float[] x = Signals.Voice(16000, 16000);
        Array.Clear(x, 4000, 6000); // digital silence: −100 dB without the floor
        Spectrogram floored = new LogMelExtractor(new MelSettings { TopDb = 50 }).Compute(x);
        Spectrogram raw = new LogMelExtractor(new MelSettings { TopDb = null }).Compute(x);
        float max = raw.Data.Max();
        Assert.Equal(max, floored.Data.Max());
        Assert.Equal(max - 50, floored.Data.Min(), 4);
        Assert.Equal(-100f, raw.Data.Min()); // 10 log10(1e-10)
        for (int i = 0; i < raw.Data.Length; i++) Assert.Equal(Math.Max(raw.Data[i], max - 50), floored.Data[i]);
    }

    public static TheoryData<MelSettings> NaiveCases => new()
    {
        new MelSettings(),
        new MelSettings { Power = 1, Window = WindowType.Hamming, Center = false, TopDb = null },
        new MelSettings { Power = 1.5, Window = WindowType.Blackman, PadMode = PadMode.Constant, NFft = 300, WinLength = 256, HopLength = 100 },
        new MelSettings { Window = WindowType.Rectangular, Scale = MelScale.Slaney, Norm = MelNorm.Slaney, NFft = 256, WinLength = 255, NMels = 32, FMin = 100, FMax = 6000 },
        new MelSettings { NFft = 201, WinLength = 200, HopLength = 80, NMels = 20, TopDb = 30 },
    };

    /// <summary>The whole pipeline against a direct transcription of its definition, in double with a naive DFT.</summary>
    [Theory]
    [MemberData(nameof(NaiveCases))]
    public void Matches_a_naive_double_precision_implementation(MelSettings s)
    {
        float[] x = Signals.Voice(s.SampleRate, 3001);
        Spectrogram ours = new LogMelExtractor(s).Compute(x);

        int pad = s.Center ? s.NFft / 2 : 0;
        var padded = new double[Math.Max(x.Length + 2 * pad, s.NFft)];
        for (int i = 0; i < padded.Length; i++)
        {
            int j = i - pad;
            if (j < 0 || j >= x.Length) j = s.PadMode == PadMode.Reflect && s.Center ? (j < 0 ? -j : 2 * (x.Length - 1) - j) : -1;
            padded[i] = j >= 0 && j < x.Length ? x[j] : 0;
        }
        int frames = 1 + (padded.Length - s.NFft) / s.HopLength;
        int left = (s.NFft - s.WinLength) / 2;
        float[] fb = MelFilterbank.Create(s).ToDense();
        var expected = new double[s.NMels * frames];
        for (int t = 0; t < frames; t++)
        {
            var spectrum = new double[s.FrequencyBins];
            for (int k = 0; k < spectrum.Length; k++)
            {
                double re = 0, im = 0;
                for (int n = 0; n < s.WinLength; n++)
                {
                    double phase = 2 * Math.PI * n / s.WinLength;
                    double w = s.Window switch
                    {
                        WindowType.Hann => 0.5 - 0.5 * Math.Cos(phase),
                        WindowType.Hamming => 0.54 - 0.46 * Math.Cos(phase),
                        WindowType.Blackman => 0.42 - 0.5 * Math.Cos(phase) + 0.08 * Math.Cos(2 * phase),
                        _ => 1,
                    };
                    double v = w * padded[t * s.HopLength + left + n];
                    double angle = -2 * Math.PI * k * (left + n) / s.NFft;
                    re += v * Math.Cos(angle);
                    im += v * Math.Sin(angle);
                }
                spectrum[k] = Math.Pow(Math.Sqrt(re * re + im * im), s.Power);
            }
            for (int m = 0; m < s.NMels; m++)
            {
                double mel = 0;
                for (int k = 0; k < spectrum.Length; k++) mel += fb[k * s.NMels + m] * spectrum[k];
                expected[m * frames + t] = 10 * Math.Log10(Math.Max(mel, 1e-10));
            }
        }
        if (s.TopDb is { } top)
        {
            double floor = expected.Max() - top;
            for (int i = 0; i < expected.Length; i++) expected[i] = Math.Max(expected[i], floor);
        }

        Assert.Equal((s.NMels, frames), (ours.Bins, ours.Frames));
        double max = expected.Max(), worstHigh = 0, worstLow = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double delta = Math.Abs(expected[i] - ours.Data[i]);
            if (expected[i] >= max - 60) worstHigh = Math.Max(worstHigh, delta);
            else worstLow = Math.Max(worstLow, delta);
        }
        output.WriteLine($"max |delta| within 60 dB of the maximum: {worstHigh:G3} dB; below: {worstLow:G3} dB");
        Assert.True(worstHigh <= 0.01, $"max |delta| within 60 dB of the maximum is {worstHigh} dB");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(19)]
    [InlineData(64)]
    public void Decibels_follow_10_log10_with_the_amin_floor_and_top_db(int length)
    {
        var random = new Random(length);
        float[] values = Enumerable.Range(0, length).Select(i => i % 5 == 4 ? 0f : (float)Math.Pow(10, 6 * random.NextDouble() - 4)).ToArray();
        float[] db = (float[])values.Clone(), floored = (float[])values.Clone();
        LogMelExtractor.ToDecibels(db, null);
        LogMelExtractor.ToDecibels(floored, 30);
        double max = values.Max(v => 10 * Math.Log10(Math.Max(v, 1e-10)));
        for (int i = 0; i < length; i++)
        {
            double expected = 10 * Math.Log10(Math.Max(values[i], 1e-10));
            Assert.InRange(db[i], expected - 1e-4, expected + 1e-4);
            Assert.InRange(floored[i], Math.Max(expected, max - 30) - 1e-4, Math.Max(expected, max - 30) + 1e-4);
        }
    }

    [Fact]
    public void Concurrent_use_of_one_extractor_gives_the_serial_results()
    {
        var extractor = new LogMelExtractor();
        float[][] clips = Enumerable.Range(0, 16).Select(i => Signals.Noise(3000 + 500 * i, seed: i)).ToArray();
        Spectrogram[] serial = clips.Select(c => extractor.Compute(c)).ToArray();
        var parallel = new Spectrogram[clips.Length];
        Parallel.For(0, clips.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => parallel[i] = extractor.Compute(clips[i]));
        for (int i = 0; i < clips.Length; i++) Assert.Equal(serial[i].Data, parallel[i].Data);
    }

    [Fact]
    public void Mfcc_rejects_more_coefficients_than_mel_bands()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new MfccExtractor(65, new MelSettings()));
        Assert.Contains("NMels (64)", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new MfccExtractor(0));
    }

    [Fact]
    public void Dct_matrix_is_orthonormal()
    {
        const int n = 32;
        float[] d = MfccExtractor.DctMatrix(n, n);
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++)
            {
                double dot = 0;
                for (int m = 0; m < n; m++) dot += d[a * n + m] * d[b * n + m];
                Assert.Equal(a == b ? 1.0 : 0.0, dot, 5);
            }
    }

    [Fact]
    public void First_mfcc_is_the_scaled_mean_of_the_log_mel_column()
    {
        float[] x = Signals.Voice(16000, 8000);
        Spectrogram mel = new LogMelExtractor().Compute(x);
        Spectrogram mfcc = new MfccExtractor(13).Compute(x);
        Assert.Equal((13, mel.Frames), (mfcc.Bins, mfcc.Frames));
        for (int t = 0; t < mel.Frames; t += 10)
        {
            double sum = Enumerable.Range(0, 64).Sum(m => (double)mel[m, t]);
            Assert.Equal(sum / Math.Sqrt(64), mfcc[0, t], 2);
        }
    }
}
