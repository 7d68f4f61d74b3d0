using EmotionCluster.Audio.Tests.Reference;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Audio.Tests;

/// <summary>
/// The allocation-free <see cref="SpectralGate"/> and <see cref="Preprocessor"/> against frozen copies of the first
/// implementation (<see cref="SpectralGateReference"/>, <see cref="PreprocessorReference"/>, NWaves' FFT): training
/// features and models depend on these samples, so they must stay the same — bit for bit, not just within rounding.
/// </summary>
public class PreprocessingEquivalenceTests
{
    private static void AssertSameBits(float[] expected, float[] actual, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} samples, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                double worst = 0;
                for (int k = 0; k < expected.Length; k++)
                    worst = Math.Max(worst, Math.Abs(expected[k] - actual[k]) / Math.Max(1e-12, Math.Abs(expected[k])));
                Assert.Fail($"{what}: sample {i} is {actual[i]:R}, expected {expected[i]:R} (largest relative difference {worst:G3})");
            }
    }

    /// <summary>Speech-like: a buzzy tone in syllables over noise, with a DC offset and silent ends.</summary>
    private static float[] Speechy(int rate, double seconds, int seed, double noise = 0.01)
    {
        var random = new Random(seed);
        var x = new float[(int)(rate * seconds)];
        for (int i = 0; i < x.Length; i++)
        {
            double t = (double)i / rate;
            double envelope = t < 0.2 || t > seconds - 0.2 ? 0 : Math.Max(0, Math.Sin(2 * Math.PI * (2.5 + seed % 3) * t));
            x[i] = (float)(0.05 + 0.4 * envelope * (Math.Sin(2 * Math.PI * (150 + 10 * seed) * t) + 0.4 * Math.Sin(2 * Math.PI * 2 * (150 + 10 * seed) * t))
                + noise * (random.NextDouble() * 2 - 1));
        }
        return x;
    }

    public static TheoryData<string> Signals() => new()
    {
        "speech 2 s", "speech 3.7 s", "speech 0.3 s", "speech 31 ms", "one sample", "empty", "silence", "dc only", "tone",
        "white noise", "quiet noise", "loud clipped", "ties (repeated frames)",
    };

    private static float[] Signal(string name, int rate) => name switch
    {
        "speech 2 s" => Speechy(rate, 2, 1),
        "speech 3.7 s" => Speechy(rate, 3.7, 2, 0.05),
        "speech 0.3 s" => Speechy(rate, 0.3, 3),
        "speech 31 ms" => Speechy(rate, 0.031, 4), // fewer STFT frames than SpectralGate.MinFrames at 16 kHz
        "one sample" => [0.25f],
        "empty" => [],
        "silence" => new float[rate],
        "dc only" => Enumerable.Repeat(0.3f, rate).ToArray(),
        "tone" => Audio.Tests.Signals.Sine(440, rate, 1.5),
        "white noise" => Audio.Tests.Signals.Noise(rate * 2, 0.1, 5),
        "quiet noise" => Audio.Tests.Signals.Noise(rate, 1e-6, 6),
        "loud clipped" => Speechy(rate, 1.2, 7).Select(v => Math.Clamp(v * 8, -1f, 1f)).ToArray(),
        "ties (repeated frames)" => Enumerable.Range(0, rate).Select(i => (i / 64) % 2 == 0 ? 0f : 0.1f * MathF.Sin(i)).ToArray(),
        _ => throw new ArgumentException(name),
    };

    public static TheoryData<string> SettingNames() => new()
    {
        "default", "no noise reduction", "high-pass", "no DC removal", "frequency smoothing", "no time smoothing",
        "fft 256 hop 64", "fft 1024 hop 512", "hop 100", "rms, no trim", "everything off", "strong gate",
    };

    private static PreprocessSettings Setting(string name) => name switch
    {
        "default" => new PreprocessSettings(),
        "no noise reduction" => new PreprocessSettings { ReduceNoise = false },
        "high-pass" => new PreprocessSettings { DcRemoval = DcRemoval.HighPass },
        "no DC removal" => new PreprocessSettings { DcRemoval = DcRemoval.None },
        "frequency smoothing" => new PreprocessSettings { NoiseSmoothingHz = 250 },
        "no time smoothing" => new PreprocessSettings { NoiseSmoothingMs = 0 },
        "fft 256 hop 64" => new PreprocessSettings { NoiseFftSize = 256, NoiseHop = 64 },
        "fft 1024 hop 512" => new PreprocessSettings { NoiseFftSize = 1024, NoiseHop = 512, NoiseFrameFraction = 0.3 },
        "hop 100" => new PreprocessSettings { NoiseHop = 100, NoiseSmoothingMs = 100 },
        "rms, no trim" => new PreprocessSettings { Normalization = Normalization.Rms, TrimSilence = false },
        "everything off" => PreprocessSettings.Off,
        "strong gate" => new PreprocessSettings { NoiseStdThreshold = 0, NoisePropDecrease = 1, NoiseFrameFraction = 1 },
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Signals))]
    public void Spectral_gate_gives_the_reference_bits_for_every_signal_and_rate(string signal)
    {
        foreach (int rate in new[] { 8000, 16000, 44100 })
        {
            float[] x = Signal(signal, rate);
            var s = new PreprocessSettings();
            AssertSameBits(SpectralGateReference.Reduce(x, rate, s), SpectralGate.Reduce(x, rate, s), $"{signal} at {rate} Hz");
        }
    }

    [Theory]
    [MemberData(nameof(SettingNames))]
    public void Preprocessing_gives_the_reference_bits_for_every_setting(string setting)
    {
        PreprocessSettings s = Setting(setting);
        foreach (string signal in new[] { "speech 2 s", "speech 3.7 s", "speech 0.3 s", "silence", "tone", "white noise", "ties (repeated frames)" })
        {
            float[] x = Signal(signal, 16000);
            float[] copy = x.ToArray();
            float[] expected = new PreprocessorReference(s).Apply(new AudioClip(x, 16000)).Samples;
            AssertSameBits(expected, new Preprocessor(s).Apply(new AudioClip(x, 16000)).Samples, $"{signal}, {setting}");
            Assert.Equal(copy, x); // the input is never changed
            // the allocation-free form (streaming) gives the same bits in its rented array
            float[] rented = new Preprocessor(s).ApplyRented(x, 16000, out int length);
            AssertSameBits(expected, rented.AsSpan(0, length).ToArray(), $"{signal}, {setting}, rented");
            System.Buffers.ArrayPool<float>.Shared.Return(rented);
            Assert.Equal(copy, x);
        }
    }

    [Fact]
    public void The_rented_forms_match_at_other_rates_on_empty_input_and_in_place()
    {
        var loader = new AudioLoader();
        foreach (int rate in new[] { 8000, 16000, 44100 })
        {
            float[] x = Signal("speech 2 s", rate);
            float[] expected = loader.Prepare(new AudioClip(x, rate)).Samples;
            float[] rented = loader.PrepareRented(x, rate, out int length);
            AssertSameBits(expected, rented.AsSpan(0, length).ToArray(), $"PrepareRented at {rate} Hz");
            System.Buffers.ArrayPool<float>.Shared.Return(rented);
            // the gate writing over its own input
            var s = new PreprocessSettings();
            float[] inPlace = x.ToArray();
            SpectralGate.Reduce(inPlace, rate, s, inPlace);
            AssertSameBits(SpectralGateReference.Reduce(x, rate, s), inPlace, $"in-place gate at {rate} Hz");
        }
        float[] none = new Preprocessor().ApplyRented([], 16000, out int empty);
        Assert.Equal(0, empty);
        System.Buffers.ArrayPool<float>.Shared.Return(none);
        Assert.Throws<ArgumentException>(() => SpectralGate.Reduce(new float[100], 16000, new PreprocessSettings(), new float[99]));
        Assert.Throws<ArgumentOutOfRangeException>(() => loader.PrepareRented(new float[10], 0, out _));
    }

    [Fact]
    public void Time_smoothing_too_wide_for_16_bit_counts_gives_the_reference_bits()
    {
        // half-width 500 frames: weights up to 501² do not fit the 16-bit lanes, the 32-bit path runs
        var s = new PreprocessSettings { NoiseFftSize = 256, NoiseHop = 16, NoiseSmoothingMs = 1000 };
        foreach (string signal in new[] { "speech 2 s", "white noise" })
        {
            float[] x = Signal(signal, 8000);
            AssertSameBits(SpectralGateReference.Reduce(x, 8000, s), SpectralGate.Reduce(x, 8000, s), signal);
        }
    }

    [Fact]
    public void Repeated_calls_on_one_thread_with_different_lengths_and_sizes_reuse_nothing_stale()
    {
        // the per-thread FFT plan, window and overlap-add normalization must follow each call's settings and length
        var a = new PreprocessSettings();
        var b = new PreprocessSettings { NoiseFftSize = 1024, NoiseHop = 256 };
        foreach (var (x, s) in new[] { (Speechy(16000, 2, 1), a), (Speechy(16000, 1.3, 2), a), (Speechy(16000, 2, 3), b), (Speechy(16000, 2, 4), a), (Speechy(16000, 1.3, 5), b) })
            AssertSameBits(SpectralGateReference.Reduce(x, 16000, s), SpectralGate.Reduce(x, 16000, s), $"{x.Length} samples, FFT {s.NoiseFftSize}");
    }

    [Fact]
    public void Concurrent_calls_give_the_reference_bits()
    {
        var inputs = Enumerable.Range(0, 16).Select(i => Speechy(16000, 1 + i % 4 * 0.5, i, 0.02)).ToArray();
        var expected = inputs.Select(x => new PreprocessorReference(new PreprocessSettings()).Apply(new AudioClip(x, 16000)).Samples).ToArray();
        var preprocessor = new Preprocessor();
        var actual = new float[inputs.Length][];
        Parallel.For(0, inputs.Length * 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, k =>
        {
            int i = k % inputs.Length;
            actual[i] = preprocessor.Apply(new AudioClip(inputs[i], 16000)).Samples;
        });
        for (int i = 0; i < inputs.Length; i++) AssertSameBits(expected[i], actual[i], $"input {i}");
    }

    [EmoDbFact]
    public void Emo_db_clips_load_to_the_reference_bits()
    {
        string[] files = Directory.GetFiles(Path.Combine(Datasets.RequireEmoDb(), "wav"), "*.wav").Order().Where((_, i) => i % 4 == 0).ToArray();
        var loader = new AudioLoader();
        var reference = new PreprocessorReference(loader.Settings.Preprocess);
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.ForEach(files, path =>
        {
            var (clip, _) = WavReader.Read(path);
            AudioClip resampled = clip.SampleRate == loader.Settings.TargetSampleRate ? clip
                : new AudioClip(Resampler.Resample(clip.Samples, clip.SampleRate, loader.Settings.TargetSampleRate), loader.Settings.TargetSampleRate);
            float[] expected = reference.Apply(resampled).Samples;
            float[] actual = loader.Load(path).Clip.Samples;
            try { AssertSameBits(expected, actual, Path.GetFileName(path)); }
            catch (Xunit.Sdk.XunitException e) { failures.Add(e.Message); }
        });
        Assert.True(failures.IsEmpty, string.Join('\n', failures.Take(5)));
        Assert.True(files.Length > 100);
    }
}
