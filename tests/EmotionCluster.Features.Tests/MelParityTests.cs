using EmotionCluster.Audio;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Features.Tests;

/// <summary>
/// Our extractors against torchaudio 0.13 on real EMO-DB clips (reference arrays from
/// tools/reference/make_mel_reference.py). Log-mel: max |ΔdB| ≤ 0.01. MFCC: the orthonormal DCT row k has unit norm,
/// so |Δc_k| ≤ Σ_m |D_km| |ΔdB_m| ≤ √NMels · max |ΔdB|; the tolerance is that bound, √NMels · 0.01.
/// </summary>
public sealed class MelParityTests(ITestOutputHelper output)
{
    public const double MaxDbDelta = 0.01;
    private static readonly ReferenceData.Manifest Manifest = ReferenceData.Load();

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in Manifest.Cases) data.Add(c.File);
        return data;
    }

    [EmoDbTheory]
    [MemberData(nameof(Cases))]
    public void Matches_torchaudio(string file)
    {
        ReferenceData.Case c = Manifest.Cases.Single(x => x.File == file);
        MelSettings settings = Manifest.Settings[c.Settings];
        float[] samples = WavReader.Read(Path.Combine(Datasets.RequireEmoDb(), "wav", c.Clip)).Clip.Samples;
        if (c.Samples is { } n) samples = samples[..n];

        Spectrogram ours = c.Kind == "mfcc"
            ? new MfccExtractor(c.NMfcc!.Value, settings).Compute(samples)
            : new LogMelExtractor(settings).Compute(samples);
        float[] expected = ReferenceData.ReadF32(c.File);

        Assert.Equal(c.Shape, new[] { ours.Bins, ours.Frames });
        double maxDelta = 0;
        for (int i = 0; i < expected.Length; i++) maxDelta = Math.Max(maxDelta, Math.Abs(ours.Data[i] - expected[i]));
        double tolerance = c.Kind == "mfcc" ? Math.Sqrt(settings.NMels) * MaxDbDelta : MaxDbDelta;
        output.WriteLine($"{c.File}: {c.Kind} [{ours.Bins} x {ours.Frames}] max |delta| = {maxDelta:G4} (tolerance {tolerance:G3})");
        Assert.True(maxDelta <= tolerance, $"{c.File}: max |delta| {maxDelta} > {tolerance}");
    }
}
