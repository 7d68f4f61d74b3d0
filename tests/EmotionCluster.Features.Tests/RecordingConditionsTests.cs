using EmotionCluster.Features;
using Xunit;

namespace EmotionCluster.Features.Tests;

public sealed class RecordingConditionsTests
{
    private static readonly MelSettings Mel = new();
    private readonly RecordingConditions _conditions = new(Mel);

    /// <summary>Speech-like log-mel: a loud low-frequency region that comes and goes, quiet highs.</summary>
    private static Spectrogram Speech(int frames = 200, int seed = 1)
    {
        var random = new Random(seed);
        var data = new float[Mel.NMels * frames];
        for (int b = 0; b < Mel.NMels; b++)
            for (int t = 0; t < frames; t++)
                data[b * frames + t] = (float)(-10 - 0.6 * b + 15 * Math.Sin(t / 9.0) * (b < 30 ? 1 : 0.2) + random.NextDouble());
        return new Spectrogram(data, Mel.NMels, frames);
    }

    private static double TotalPower(Spectrogram db) => db.Data.Sum(v => Math.Pow(10, v / 10.0));

    [Theory]
    [InlineData(NoiseKind.White, 20)]
    [InlineData(NoiseKind.Pink, 10)]
    public void Noise_is_added_at_the_signal_to_noise_ratio_asked_for(NoiseKind kind, double snr)
    {
        var clean = Speech();
        var noisy = _conditions.AddNoise(clean, kind, snr);
        double added = TotalPower(noisy) - TotalPower(clean);
        Assert.Equal(snr, 10 * Math.Log10(TotalPower(clean) / added), 2);
        // the quiet high bands fill up with noise; pink noise less so than white at the top
        Assert.True(noisy.Data[(Mel.NMels - 1) * 200] > clean.Data[(Mel.NMels - 1) * 200] + 3);
    }

    [Fact]
    public void White_noise_has_more_high_band_power_than_pink()
    {
        var silence = new Spectrogram(Enumerable.Repeat(-30f, Mel.NMels * 10).ToArray(), Mel.NMels, 10);
        var white = _conditions.AddNoise(silence, NoiseKind.White, 0);
        var pink = _conditions.AddNoise(silence, NoiseKind.Pink, 0);
        double Tilt(Spectrogram s) => s.Data[(Mel.NMels - 1) * 10] - s.Data[2 * 10];
        Assert.True(Tilt(white) > Tilt(pink) + 6, $"white tilt {Tilt(white):0.0} dB, pink {Tilt(pink):0.0} dB");
    }

    [Fact]
    public void Babble_from_other_clips_is_added_at_the_ratio_asked_for()
    {
        var clean = Speech(seed: 1);
        var noisy = _conditions.AddBabble(clean, [Speech(150, 2), Speech(90, 3)], 10, new Random(4));
        double added = TotalPower(noisy) - TotalPower(clean);
        Assert.Equal(10, 10 * Math.Log10(TotalPower(clean) / added), 2);
        Assert.Throws<ArgumentException>(() => _conditions.AddBabble(clean, [], 10, new Random(1)));
    }

    [Fact]
    public void The_telephone_band_keeps_300_to_3400_Hz_and_cuts_the_rest_by_40_dB()
    {
        var flat = new Spectrogram(Enumerable.Repeat(0f, Mel.NMels * 4).ToArray(), Mel.NMels, 4);
        var phone = _conditions.Telephone(flat);
        for (int b = 0; b < Mel.NMels; b++)
        {
            double centre = MelFilterbank.MelToHz(MelFilterbank.HzToMel(Mel.SampleRate / 2, Mel.Scale) * (b + 1) / (Mel.NMels + 1), Mel.Scale);
            float level = phone.Data[b * 4];
            if (centre is > 500 and < 3000) Assert.InRange(level, -0.5f, 0.01f);
            if (centre > 4500) Assert.InRange(level, -40.01f, -39.5f);
        }
    }

    [Fact]
    public void Reverberation_fills_the_gaps_after_loud_frames_and_decays_faster_in_a_drier_room()
    {
        // a burst then silence in every band
        var data = new float[Mel.NMels * 100];
        for (int b = 0; b < Mel.NMels; b++)
            for (int t = 0; t < 100; t++) data[b * 100 + t] = t < 10 ? 0 : -60;
        var burst = new Spectrogram(data, Mel.NMels, 100);
        var hall = _conditions.Reverberate(burst, 1.0, 0);
        var dry = _conditions.Reverberate(burst, 0.2, 0);
        Assert.True(hall.Data[30] > -60 + 10, $"30 frames after the burst the hall is at {hall.Data[30]} dB");
        Assert.True(hall.Data[30] > dry.Data[30] + 10);
        Assert.Equal(0, hall.Data[0], 0.5); // the direct sound stays (the tail starts after it)
        Assert.Throws<ArgumentOutOfRangeException>(() => _conditions.Reverberate(burst, 0, 0));
    }

    [Fact]
    public void Random_conditions_are_reproducible_keep_the_shape_and_sometimes_leave_the_clip_alone()
    {
        var clean = Speech();
        var others = new[] { Speech(120, 5), Speech(80, 6) };
        var a = Enumerable.Range(0, 50).Select(i => _conditions.Apply(clean, new Random(i), others)).ToList();
        var b = Enumerable.Range(0, 50).Select(i => _conditions.Apply(clean, new Random(i), others)).ToList();
        Assert.All(a.Zip(b), p => Assert.Equal(p.First.Data, p.Second.Data));
        Assert.All(a, s => Assert.Equal((clean.Bins, clean.Frames), (s.Bins, s.Frames)));
        int unchanged = a.Count(s => s.Data.SequenceEqual(clean.Data));
        Assert.InRange(unchanged, 3, 25);
        Assert.Throws<ArgumentException>(() => _conditions.AddNoise(new Spectrogram(new float[10], 10, 1), NoiseKind.White, 10));
    }
}
