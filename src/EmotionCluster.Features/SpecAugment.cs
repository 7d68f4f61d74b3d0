namespace EmotionCluster.Features;

/// <summary>A run of <see cref="Width"/> mel bands or frames starting at <see cref="Start"/>.</summary>
public readonly record struct MaskRange(int Start, int Width);

/// <summary>
/// SpecAugment masks (Park et al. 2019, without time warping): frequency masks set whole mel bands, time masks whole
/// frames, to a constant — by default the spectrogram's mean (computed before masking). Each mask's width is drawn
/// uniformly from the integers 0..maxWidth (capped at the axis size) and its start uniformly from the positions where
/// it fits (torchaudio's FrequencyMasking/TimeMasking draw similarly, from a continuous width). Masks may overlap.
/// Inputs are not modified.
/// </summary>
public static class SpecAugment
{
    /// <summary>Draws <paramref name="count"/> mask ranges on an axis of <paramref name="size"/> bands or frames.</summary>
    public static IReadOnlyList<MaskRange> DrawMasks(int size, int count, int maxWidth, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, "the axis needs at least one band or frame");
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "mask count must be ≥ 0");
        if (maxWidth < 0) throw new ArgumentOutOfRangeException(nameof(maxWidth), maxWidth, "maximum mask width must be ≥ 0");
        var masks = new MaskRange[count];
        for (int i = 0; i < count; i++)
        {
            int width = random.Next(Math.Min(maxWidth, size) + 1);
            masks[i] = new MaskRange(random.Next(size - width + 1), width);
        }
        return masks;
    }

    /// <summary><paramref name="count"/> random frequency masks of up to <paramref name="maxWidth"/> bands.</summary>
    public static Spectrogram MaskFrequency(Spectrogram spectrogram, int count, int maxWidth, Random random, float? value = null) =>
        MaskBands(spectrogram, DrawMasks(spectrogram.Bins, count, maxWidth, random), value);

    /// <summary><paramref name="count"/> random time masks of up to <paramref name="maxWidth"/> frames.</summary>
    public static Spectrogram MaskTime(Spectrogram spectrogram, int count, int maxWidth, Random random, float? value = null) =>
        MaskFrames(spectrogram, DrawMasks(spectrogram.Frames, count, maxWidth, random), value);

    /// <summary>Frequency masks then time masks, both drawn from <paramref name="random"/>; one mask value (mean of the input unless given).</summary>
    public static Spectrogram Apply(Spectrogram spectrogram, int frequencyMasks, int maxFrequencyWidth, int timeMasks, int maxTimeWidth,
        Random random, float? value = null)
    {
        ArgumentNullException.ThrowIfNull(spectrogram);
        float fill = value ?? Mean(spectrogram);
        Spectrogram masked = MaskFrequency(spectrogram, frequencyMasks, maxFrequencyWidth, random, fill);
        return MaskTime(masked, timeMasks, maxTimeWidth, random, fill);
    }

    /// <summary>Sets every frame of the bands in <paramref name="ranges"/> to the value.</summary>
    public static Spectrogram MaskBands(Spectrogram spectrogram, IEnumerable<MaskRange> ranges, float? value = null)
    {
        ArgumentNullException.ThrowIfNull(spectrogram);
        float fill = value ?? Mean(spectrogram);
        float[] data = (float[])spectrogram.Data.Clone();
        foreach (MaskRange r in ranges)
        {
            Check(r, spectrogram.Bins, "bands");
            data.AsSpan(r.Start * spectrogram.Frames, r.Width * spectrogram.Frames).Fill(fill);
        }
        return spectrogram with { Data = data };
    }

    /// <summary>Sets every band of the frames in <paramref name="ranges"/> to the value.</summary>
    public static Spectrogram MaskFrames(Spectrogram spectrogram, IEnumerable<MaskRange> ranges, float? value = null)
    {
        ArgumentNullException.ThrowIfNull(spectrogram);
        float fill = value ?? Mean(spectrogram);
        float[] data = (float[])spectrogram.Data.Clone();
        foreach (MaskRange r in ranges)
        {
            Check(r, spectrogram.Frames, "frames");
            for (int b = 0; b < spectrogram.Bins; b++) data.AsSpan(b * spectrogram.Frames + r.Start, r.Width).Fill(fill);
        }
        return spectrogram with { Data = data };
    }

    private static float Mean(Spectrogram s)
    {
        double sum = 0;
        foreach (float v in s.Data) sum += v;
        return s.Data.Length == 0 ? 0f : (float)(sum / s.Data.Length);
    }

    private static void Check(MaskRange r, int size, string axis)
    {
        if (r.Start < 0 || r.Width < 0 || r.Start + r.Width > size)
            throw new ArgumentOutOfRangeException(nameof(r), r, $"mask {r.Start}..{r.Start + r.Width} lies outside the {size} {axis}");
    }
}
