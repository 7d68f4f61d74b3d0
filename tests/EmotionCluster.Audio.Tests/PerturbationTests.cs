using System.Numerics;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Audio.Tests;

/// <summary>Each recording condition does what its name says, measured on the output.</summary>
public class PerturbationTests
{
    private const int Rate = 16000;

    /// <summary>A speech-like test signal: a few harmonics with a syllable-rate envelope, peak about 0.5.</summary>
    private static float[] Voice(double seconds = 2)
    {
        var x = new float[(int)(seconds * Rate)];
        for (int i = 0; i < x.Length; i++)
        {
            double t = (double)i / Rate, env = 0.5 + 0.5 * Math.Sin(2 * Math.PI * 4 * t);
            x[i] = (float)(0.2 * env * (Math.Sin(2 * Math.PI * 150 * t) + 0.6 * Math.Sin(2 * Math.PI * 450 * t) + 0.3 * Math.Sin(2 * Math.PI * 1200 * t)));
        }
        return x;
    }

    /// <summary>SNR of <paramref name="y"/> against <paramref name="x"/>: the part of y along x (least squares) against the rest.</summary>
    private static double SnrDb(float[] x, float[] y)
    {
        double xy = 0, xx = 0;
        for (int i = 0; i < x.Length; i++) { xy += (double)x[i] * y[i]; xx += (double)x[i] * x[i]; }
        double a = xy / xx, signal = 0, noise = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double s = a * x[i];
            signal += s * s;
            noise += (y[i] - s) * (y[i] - s);
        }
        return 10 * Math.Log10(signal / noise);
    }

    /// <summary>Mean power spectrum (averaged over 1024-sample frames, Hann window) per bin of <see cref="Rate"/>/1024 Hz.</summary>
    private static double[] Spectrum(float[] x, int size = 1024)
    {
        var power = new double[size / 2 + 1];
        int frames = 0;
        for (int start = 0; start + size <= x.Length; start += size / 2, frames++)
        {
            var a = new Complex[size];
            for (int i = 0; i < size; i++) a[i] = x[start + i] * (0.5 - 0.5 * Math.Cos(2 * Math.PI * i / size));
            Perturbations.Fft(a, inverse: false);
            for (int k = 0; k < power.Length; k++) power[k] += a[k].Magnitude * a[k].Magnitude;
        }
        return power.Select(p => p / frames).ToArray();
    }

    private static double Band(double[] spectrum, double fromHz, double toHz, int size = 1024) =>
        Enumerable.Range(0, spectrum.Length).Where(k => k * (double)Rate / size >= fromHz && k * (double)Rate / size < toHz).Average(k => spectrum[k]);

    private static BabbleBank Babble()
    {
        // six "talkers": voices at other pitches and syllable rates
        var clips = Enumerable.Range(0, 8).Select(s =>
        {
            var x = new float[Rate * 3];
            for (int i = 0; i < x.Length; i++)
            {
                double t = (double)i / Rate, env = Math.Max(0, Math.Sin(2 * Math.PI * (3 + s * 0.4) * t));
                x[i] = (float)(0.3 * env * Math.Sin(2 * Math.PI * (110 + 23 * s) * t));
            }
            return new AudioClip(x, Rate);
        }).ToList();
        return new BabbleBank(clips);
    }

    [Theory]
    [InlineData("white-20db", 20)]
    [InlineData("white-10db", 10)]
    [InlineData("pink-20db", 20)]
    [InlineData("pink-10db", 10)]
    [InlineData("babble-20db", 20)]
    [InlineData("babble-10db", 10)]
    public void Noise_is_added_at_the_stated_signal_to_noise_ratio(string id, double snr)
    {
        float[] x = Voice();
        float[] y = new Perturbations(Babble()).Apply(PerturbationCondition.Parse(id), x, Rate, new Random(3));
        Assert.Equal(x.Length, y.Length);
        Assert.InRange(SnrDb(x, y), snr - 0.5, snr + 0.5);
    }

    [Fact]
    public void The_same_seed_gives_the_same_noise_and_another_seed_other_noise()
    {
        float[] x = Voice();
        var p = new Perturbations(Babble());
        foreach (var c in new[] { "white-20db", "pink-20db", "babble-20db", "reverb-0.5s" }.Select(PerturbationCondition.Parse))
        {
            Assert.Equal(p.Apply(c, x, Rate, new Random(5)), p.Apply(c, x, Rate, new Random(5)));
            Assert.NotEqual(p.Apply(c, x, Rate, new Random(5)), p.Apply(c, x, Rate, new Random(6)));
        }
    }

    [Fact]
    public void White_noise_is_flat_and_pink_noise_falls_3_dB_per_octave()
    {
        double[] white = Spectrum(Perturbations.WhiteNoise(Rate * 8, new Random(1)));
        double[] pink = Spectrum(Perturbations.PinkNoise(Rate * 8, new Random(1)));
        double WhiteSlope(double f) => 10 * Math.Log10(Band(white, 2 * f, 4 * f) / Band(white, f, 2 * f));
        double PinkOctaveStep(double f) => 10 * Math.Log10(Band(pink, 2 * f, 4 * f) / Band(pink, f, 2 * f));
        foreach (double f in new[] { 250.0, 500, 1000, 2000 })
        {
            Assert.InRange(WhiteSlope(f), -0.5, 0.5);
            Assert.InRange(PinkOctaveStep(f), -3.6, -2.4); // −3 dB per octave
        }
    }

    [Fact]
    public void Babble_is_refused_without_other_speakers()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new Perturbations().Apply(PerturbationCondition.Parse("babble-20db"), Voice(), Rate, new Random(1)));
        Assert.Contains("BabbleBank", e.Message);
        Assert.Throws<ArgumentException>(() => new BabbleBank([new AudioClip(Voice(), Rate)]));
    }

    [Fact]
    public void Telephone_keeps_300_to_3400_Hz_and_removes_the_rest()
    {
        float[] x = Perturbations.WhiteNoise(Rate * 4, new Random(2)).Select(v => v * 0.1f).ToArray();
        float[] y = new Perturbations().Apply(new PerturbationCondition(PerturbationKind.Telephone), x, Rate, new Random(1));
        Assert.Equal(x.Length, y.Length);
        double[] s = Spectrum(y), sx = Spectrum(x);
        double pass = Band(s, 500, 3000) / Band(sx, 500, 3000);
        Assert.InRange(10 * Math.Log10(pass), -1.5, 1.5); // the voice band passes at its level
        Assert.True(10 * Math.Log10(Band(s, 4300, 8000) / Band(s, 500, 3000)) < -50, "above 4 kHz: an 8 kHz line carries nothing");
        Assert.True(10 * Math.Log10(Band(s, 3700, 3950) / Band(s, 500, 3000)) < -6, "above 3.4 kHz the band limit attenuates");
        Assert.True(10 * Math.Log10(Band(s, 20, 150) / Band(s, 500, 3000)) < -12, "below 300 Hz the band limit attenuates");
    }

    [Fact]
    public void Gain_minus_20_dB_lowers_the_level_by_20_dB()
    {
        float[] x = Voice();
        float[] y = new Perturbations().Apply(PerturbationCondition.Parse("gain-20db"), x, Rate, new Random(1));
        Assert.Equal(-20, Signals.Db(Signals.Rms(y) / Signals.Rms(x)), 2);
    }

    [Fact]
    public void Clipping_drives_the_peak_past_full_scale_and_flattens_the_crests()
    {
        float[] x = Voice();
        float[] y = new Perturbations().Apply(PerturbationCondition.Parse("clipping-6db"), x, Rate, new Random(1));
        Assert.Equal(1f, y.Max(Math.Abs));
        double clipped = y.Count(v => Math.Abs(v) >= InputLevel.FullScale) / (double)y.Length;
        Assert.InRange(clipped, 0.001, 0.5);
        Assert.True(InputLevel.Measure(y, Rate).Warnings.HasFlag(LevelWarning.Clipped), "the level check flags it as clipped");
        // below the clipping level it is the input, scaled: a peak of 2 (6 dB past full scale) means a gain of 2/peak
        float g = (float)(Math.Pow(10, 6 / 20.0) / x.Max(Math.Abs));
        int i = Array.FindIndex(x, v => Math.Abs(v * g) is > 0.1f and < 0.9f);
        Assert.Equal(x[i] * g, y[i], 5);
    }

    [Fact]
    public void Reverb_adds_a_tail_that_decays_60_dB_in_RT60()
    {
        var random = new Random(4);
        float[] ir = Perturbations.RoomImpulseResponse(Rate, 0.5, random);
        double Energy(double from, double to) => ir.Skip((int)(from * Rate)).Take((int)((to - from) * Rate)).Sum(v => (double)v * v);
        // energy falls 10^(−6 t / RT60): 0.1 s later → −12 dB at RT60 0.5 s
        Assert.InRange(10 * Math.Log10(Energy(0.2, 0.3) / Energy(0.1, 0.2)), -14, -10);
        Assert.Equal(1f, ir[0]);

        // an impulse in the middle of a clip comes out as the direct sound plus that tail; the length and peak stay
        var x = new float[Rate];
        x[Rate / 4] = 0.8f;
        float[] y = new Perturbations().Apply(PerturbationCondition.Parse("reverb-0.5s"), x, Rate, new Random(4));
        Assert.Equal(x.Length, y.Length);
        Assert.Equal(0.8f, y.Max(Math.Abs), 4);
        Assert.True(y.Take(Rate / 4).All(v => Math.Abs(v) < 1e-5), "nothing before the sound (FFT rounding aside)");
        double tail = y.Skip(Rate / 4 + Rate / 10).Take(Rate / 10).Sum(v => (double)v * v);
        Assert.True(tail > 1e-4, "the room rings on after the sound");
    }

    [Fact]
    public void Mp3_round_trip_keeps_the_signal_aligned_and_loses_a_little()
    {
        var codec = new CodecRoundTrip();
        if (!codec.IsAvailable())
        {
            Assert.False(Datasets.IsCi, "sox with MP3 support is missing; deploy/install-deps.sh installs sox and libsox-fmt-mp3");
            return; // skipped locally without sox
        }
        float[] x = Voice();
        float[] y = new Perturbations(codec: codec).Apply(PerturbationCondition.Parse("mp3-32k"), x, Rate, new Random(1));
        Assert.Equal(x.Length, y.Length);
        double snr = SnrDb(x, y);
        Assert.InRange(snr, 5, 60); // lossy, but the same signal, lined up
        Assert.NotEqual(x, y);
    }

    [Theory]
    [InlineData(6.0)]
    [InlineData(-6.0)]
    public void Another_microphone_changes_the_level_above_a_kilohertz_by_the_shelf_and_keeps_the_low_band(double shelfDb)
    {
        static float[] Sine(double hz) => Enumerable.Range(0, Rate).Select(i => (float)(0.2 * Math.Sin(2 * Math.PI * hz * i / Rate))).ToArray();
        static double GainDb(float[] x, float[] y) => 10 * Math.Log10(Perturbations.Power(y.AsSpan(Rate / 2)) / Perturbations.Power(x.AsSpan(Rate / 2)));
        var condition = PerturbationCondition.Parse(shelfDb > 0 ? "mic+6db" : "mic-6db");
        var perturbations = new Perturbations();
        float[] low = Sine(100), high = Sine(5000);
        Assert.InRange(GainDb(low, perturbations.Apply(condition, low, Rate, new Random(1))), -0.3, 0.3);
        Assert.InRange(GainDb(high, perturbations.Apply(condition, high, Rate, new Random(1))), shelfDb - 0.5, shelfDb + 0.5);
        // a loud clip made brighter stays inside full scale
        float[] loud = Sine(5000).Select(v => v * 4.9f).ToArray();
        Assert.True(perturbations.Apply(PerturbationCondition.Parse("mic+6db"), loud, Rate, new Random(1)).Max(Math.Abs) <= 1f);
    }

    [Fact]
    public void Condition_names_read_back_and_bad_names_say_the_forms()
    {
        foreach (var c in PerturbationCondition.Standard) Assert.Equal(c, PerturbationCondition.Parse(c.Id));
        Assert.Equal(14, PerturbationCondition.Standard.Count);
        Assert.Equal(new PerturbationCondition(PerturbationKind.Microphone, -6), PerturbationCondition.Parse("mic-6db"));
        Assert.Contains("mic+6db", Assert.Throws<ArgumentException>(() => PerturbationCondition.Parse("mic+30db")).Message);
        var e = Assert.Throws<ArgumentException>(() => PerturbationCondition.Parse("loud"));
        Assert.Contains("white-20db", e.Message);
        Assert.Equal(PerturbationKind.Clean, PerturbationCondition.Parse("clean").Kind);
    }

    [Fact]
    public void A_recorded_variant_draws_a_room_noise_and_a_line_independently_at_least_one_in_that_order()
    {
        var random = new Random(11);
        int n = 4000, rooms = 0, noises = 0, lines = 0, babbles = 0;
        var order = new[] { PerturbationKind.Reverb, PerturbationKind.WhiteNoise, PerturbationKind.PinkNoise, PerturbationKind.BabbleNoise, PerturbationKind.Telephone };
        for (int i = 0; i < n; i++)
        {
            var c = RecordedVariant.Draw(random, babble: i % 2 == 0);
            Assert.NotEmpty(c);
            Assert.Equal(c.Count, c.Select(x => x.Kind is PerturbationKind.WhiteNoise or PerturbationKind.PinkNoise or PerturbationKind.BabbleNoise ? "noise" : x.Kind.ToString()).Distinct().Count());
            Assert.Equal(c.OrderBy(x => Array.IndexOf(order, x.Kind)).ToList(), c); // room, then noise, then the line
            foreach (var x in c)
                switch (x.Kind)
                {
                    case PerturbationKind.Reverb: rooms++; Assert.InRange(x.Amount, RecordedVariant.MinRt60, RecordedVariant.MaxRt60); break;
                    case PerturbationKind.Telephone: lines++; break;
                    default:
                        noises++;
                        Assert.InRange(x.Amount, RecordedVariant.MinSnrDb, RecordedVariant.MaxSnrDb);
                        if (x.Kind == PerturbationKind.BabbleNoise) { babbles++; Assert.True(i % 2 == 0, "babble drawn without a babble bank"); }
                        break;
                }
        }
        // each share, given that a draw with nothing is drawn again (1 - (1-0.25)(1-0.6)(1-0.2) = 0.76 of draws are kept)
        Assert.InRange(rooms / (double)n, 0.25 / 0.76 - 0.03, 0.25 / 0.76 + 0.03);
        Assert.InRange(noises / (double)n, 0.6 / 0.76 - 0.03, 0.6 / 0.76 + 0.03);
        Assert.InRange(lines / (double)n, 0.2 / 0.76 - 0.03, 0.2 / 0.76 + 0.03);
        Assert.InRange(babbles / (double)(n / 2), 0.6 / 0.76 / 3 - 0.04, 0.6 / 0.76 / 3 + 0.04);
    }

    [Fact]
    public void A_recorded_variant_without_rooms_is_noise_or_a_line_and_its_noise_stays_above_the_lowest_snr()
    {
        var random = new Random(5);
        var draws = Enumerable.Range(0, 2000).SelectMany(_ => RecordedVariant.Draw(random, babble: true, minSnrDb: 15, rooms: false)).ToList();
        Assert.DoesNotContain(draws, c => c.Kind == PerturbationKind.Reverb);
        Assert.Contains(draws, c => c.Kind == PerturbationKind.Telephone);
        var noise = draws.Where(c => c.Kind is PerturbationKind.WhiteNoise or PerturbationKind.PinkNoise or PerturbationKind.BabbleNoise).ToList();
        Assert.All(noise, c => Assert.InRange(c.Amount, 15, RecordedVariant.MaxSnrDb));
        Assert.True(noise.Min(c => c.Amount) < 16 && noise.Max(c => c.Amount) > 29, "the SNR is drawn over the whole range");
        Assert.Throws<ArgumentOutOfRangeException>(() => RecordedVariant.Draw(random, babble: false, minSnrDb: 31));
    }

    [Fact]
    public void A_recorded_variant_applies_its_conditions_in_turn_and_is_the_same_for_the_same_seed()
    {
        var x = Voice();
        var conditions = new[] { new PerturbationCondition(PerturbationKind.Reverb, 0.4), new PerturbationCondition(PerturbationKind.WhiteNoise, 10), new PerturbationCondition(PerturbationKind.Telephone) };
        var p = new Perturbations();
        float[] y = RecordedVariant.Apply(p, conditions, x, Rate, new Random(3));
        var r = new Random(3);
        float[] expected = p.Apply(conditions[2], p.Apply(conditions[1], p.Apply(conditions[0], x, Rate, r), Rate, r), Rate, r);
        Assert.Equal(expected, y);
        Assert.Equal(y, RecordedVariant.Apply(p, conditions, x, Rate, new Random(3)));
        Assert.NotEqual(y, RecordedVariant.Apply(p, conditions, x, Rate, new Random(4)));
        Assert.Equal(x.Length, y.Length);
        Assert.Equal("reverb-0.4s+white-10db+telephone", RecordedVariant.Describe(conditions));
    }
}
