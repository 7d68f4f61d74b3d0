using Xunit;

namespace EmotionCluster.Features.Tests;

public sealed class SpecAugmentTests
{
    private static Spectrogram Input() =>
        new LogMelExtractor().Compute(Signals.Voice(16000, 16000)); // 64 x 101

    private static int CoveredCount(IReadOnlyList<MaskRange> masks) =>
        masks.SelectMany(m => Enumerable.Range(m.Start, m.Width)).Distinct().Count();

    [Fact]
    public void Frequency_masks_set_exactly_the_drawn_bands()
    {
        Spectrogram s = Input();
        IReadOnlyList<MaskRange> masks = SpecAugment.DrawMasks(s.Bins, 2, 10, new Random(3));
        Spectrogram masked = SpecAugment.MaskFrequency(s, 2, 10, new Random(3), value: -999);
        int maskedBands = Enumerable.Range(0, s.Bins).Count(b => Enumerable.Range(0, s.Frames).All(t => masked[b, t] == -999));
        Assert.Equal(CoveredCount(masks), maskedBands);
        Assert.Equal(CoveredCount(masks) * s.Frames, masked.Data.Count(v => v == -999));
        Assert.True(maskedBands > 0);
    }

    [Fact]
    public void Time_masks_set_exactly_the_drawn_frames()
    {
        Spectrogram s = Input();
        IReadOnlyList<MaskRange> masks = SpecAugment.DrawMasks(s.Frames, 3, 20, new Random(4));
        Spectrogram masked = SpecAugment.MaskTime(s, 3, 20, new Random(4), value: -999);
        int maskedFrames = Enumerable.Range(0, s.Frames).Count(t => Enumerable.Range(0, s.Bins).All(b => masked[b, t] == -999));
        Assert.Equal(CoveredCount(masks), maskedFrames);
        Assert.Equal(CoveredCount(masks) * s.Bins, masked.Data.Count(v => v == -999));
        Assert.True(maskedFrames > 0);
    }

    [Fact]
    public void Explicit_ranges_mask_those_bands_and_frames_with_the_mean_by_default()
    {
        Spectrogram s = Input();
        float mean = (float)s.Data.Average(v => (double)v);
        Spectrogram bands = SpecAugment.MaskBands(s, [new MaskRange(5, 3)]);
        Spectrogram frames = SpecAugment.MaskFrames(s, [new MaskRange(0, 1), new MaskRange(100, 1)]);
        for (int t = 0; t < s.Frames; t++)
            for (int b = 0; b < s.Bins; b++)
            {
                Assert.Equal(b is >= 5 and < 8 ? mean : s[b, t], bands[b, t]);
                Assert.Equal(t is 0 or 100 ? mean : s[b, t], frames[b, t]);
            }
        Assert.Throws<ArgumentOutOfRangeException>(() => SpecAugment.MaskFrames(s, [new MaskRange(100, 2)]));
    }

    [Fact]
    public void Same_seed_same_masks_different_seed_different_masks()
    {
        Spectrogram s = Input();
        Spectrogram a = SpecAugment.Apply(s, 2, 8, 2, 10, new Random(1));
        Assert.Equal(a.Data, SpecAugment.Apply(s, 2, 8, 2, 10, new Random(1)).Data);
        Assert.NotEqual(a.Data, SpecAugment.Apply(s, 2, 8, 2, 10, new Random(2)).Data);
        Assert.NotSame(s.Data, a.Data);
        Assert.Equal(Input().Data, s.Data); // input untouched
    }

    [Fact]
    public void Widths_stay_within_the_maximum_and_the_axis()
    {
        var random = new Random(6);
        for (int i = 0; i < 500; i++)
            foreach (MaskRange m in SpecAugment.DrawMasks(12, 3, 20, random))
            {
                Assert.InRange(m.Width, 0, 12);
                Assert.InRange(m.Start, 0, 12 - m.Width);
            }
        Assert.Empty(SpecAugment.DrawMasks(12, 0, 5, random));
    }
}
