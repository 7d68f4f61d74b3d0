using Xunit;

namespace EmotionCluster.Features.Tests;

/// <summary>Mel filterbanks against torchaudio 0.13 <c>melscale_fbanks</c> (tests/data/mel-reference/fbank.*.f32).</summary>
public sealed class FilterbankTests
{
    private static readonly ReferenceData.Manifest Manifest = ReferenceData.Load();

    [Theory]
    [InlineData("default")]
    [InlineData("slaney")]
    public void Matches_torchaudio_melscale_fbanks(string name)
    {
        ReferenceData.Fbank reference = Manifest.Fbanks.Single(f => f.Settings == name);
        float[] expected = ReferenceData.ReadF32(reference.File);
        MelFilterbank fb = MelFilterbank.Create(Manifest.Settings[name]);
        float[] dense = fb.ToDense();

        Assert.Equal(reference.Shape, new[] { fb.FrequencyBins, fb.Bands });
        float peak = expected.Max();
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(dense[i] - expected[i]) <= 1e-5f * peak,
                $"{name}: bin {i / fb.Bands}, band {i % fb.Bands}: {dense[i]} vs torchaudio {expected[i]}");
        // the sparse ranges are tight: they start and end on a nonzero weight
        for (int m = 0; m < fb.Bands; m++)
            Assert.True(fb.BandWeights(m)[0] > 0 && fb.BandWeights(m)[^1] > 0, $"{name}: band {m} range is not tight");
    }

    [Fact]
    public void Mel_scales_hit_their_anchor_points()
    {
        Assert.Equal(15.0, MelFilterbank.HzToMel(1000, MelScale.Slaney), 12); // linear part ends at 1 kHz = 15 mel
        Assert.Equal(1000.0 / (200.0 / 3), MelFilterbank.HzToMel(1000, MelScale.Slaney), 12);
        Assert.Equal(2595 * Math.Log10(1 + 1000 / 700.0), MelFilterbank.HzToMel(1000, MelScale.Htk), 12);
        foreach (MelScale scale in Enum.GetValues<MelScale>())
            foreach (double hz in new[] { 0.0, 200, 999, 1000, 1001, 4000, 8000 })
                Assert.Equal(hz, MelFilterbank.MelToHz(MelFilterbank.HzToMel(hz, scale), scale), 6);
    }

    [Fact]
    public void Htk_filters_peak_at_one_and_slaney_filters_have_equal_area()
    {
        var settings = new MelSettings { NFft = 2048, NMels = 40 };
        MelFilterbank htk = MelFilterbank.Create(settings);
        for (int m = 0; m < htk.Bands; m++) Assert.InRange(htk.BandWeights(m).ToArray().Max(), 0.5f, 1f);

        // area in Hz: Σ w · Δf ≈ (f[m+2] − f[m]) / 2 · 2 / (f[m+2] − f[m]) = 1 for every Slaney-normalized band
        MelFilterbank slaney = MelFilterbank.Create(settings with { Norm = MelNorm.Slaney });
        double binHz = settings.SampleRate / 2.0 / (settings.FrequencyBins - 1);
        for (int m = 0; m < slaney.Bands; m++)
            Assert.Equal(1.0, slaney.BandWeights(m).ToArray().Sum() * binHz, 1);
    }

    [Fact]
    public void Too_many_mels_for_the_fft_leave_empty_bands()
    {
        MelFilterbank fb = MelFilterbank.Create(new MelSettings { NFft = 64, WinLength = 64, NMels = 128 });
        Assert.True(fb.EmptyBands > 0);
        Assert.Equal(0, MelFilterbank.Create(new MelSettings()).EmptyBands);
    }
}
