namespace EmotionCluster.Features;

/// <summary>Where a crop is taken (and where a short input is placed in the padded output).</summary>
public enum CropMode
{
    /// <summary>Middle: crop <c>(length − target) / 2</c> from the start; pad equally on both sides (extra one at the end).</summary>
    Center,
    /// <summary>Keep the beginning; pad at the end.</summary>
    Start,
    /// <summary>Offset drawn uniformly from every possible position with the given <see cref="Random"/>.</summary>
    Random,
}

/// <summary>Crops or pads spectrograms (along time) and sample arrays to a fixed length, for batching.</summary>
public static class FixedLength
{
    /// <summary>
    /// <paramref name="spectrogram"/> with exactly <paramref name="frames"/> frames: a window of the frames when longer,
    /// the frames placed per <paramref name="mode"/> and surrounded by <paramref name="padValue"/> when shorter
    /// (default: the spectrogram's minimum, i.e. "silence" on a dB scale). Returns the input itself when it already fits.
    /// </summary>
    /// <param name="random">Required for <see cref="CropMode.Random"/>; seed it for reproducible crops.</param>
    public static Spectrogram CropOrPad(Spectrogram spectrogram, int frames, CropMode mode = CropMode.Center,
        float? padValue = null, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(spectrogram);
        if (frames < 1) throw new ArgumentOutOfRangeException(nameof(frames), frames, "target frame count must be at least 1");
        int have = spectrogram.Frames;
        if (have == frames) return spectrogram;
        int offset = Offset(Math.Abs(have - frames), mode, random);
        float fill = padValue ?? (spectrogram.Data.Length > 0 ? spectrogram.Data.Min() : 0f);
        var data = new float[spectrogram.Bins * frames];
        for (int b = 0; b < spectrogram.Bins; b++)
        {
            ReadOnlySpan<float> row = spectrogram.Data.AsSpan(b * have, have);
            Span<float> target = data.AsSpan(b * frames, frames);
            if (have > frames) row.Slice(offset, frames).CopyTo(target);
            else
            {
                target.Fill(fill);
                row.CopyTo(target[offset..]);
            }
        }
        return new Spectrogram(data, spectrogram.Bins, frames);
    }

    /// <summary>
    /// <paramref name="samples"/> cropped or padded with <paramref name="padValue"/> to exactly <paramref name="length"/>
    /// samples, placed per <paramref name="mode"/> as for spectrograms. Always returns a new array.
    /// </summary>
    public static float[] CropOrPad(ReadOnlySpan<float> samples, int length, CropMode mode = CropMode.Center,
        float padValue = 0f, Random? random = null)
    {
        if (length < 1) throw new ArgumentOutOfRangeException(nameof(length), length, "target length must be at least 1");
        int have = samples.Length;
        int offset = Offset(Math.Abs(have - length), mode, random);
        var result = new float[length];
        if (have >= length) samples.Slice(offset, length).CopyTo(result);
        else
        {
            result.AsSpan().Fill(padValue);
            samples.CopyTo(result.AsSpan(offset));
        }
        return result;
    }

    /// <summary>Start of the crop in the input, or of the input in the padded output; <paramref name="slack"/> = |difference|.</summary>
    private static int Offset(int slack, CropMode mode, Random? random) => mode switch
    {
        CropMode.Center => slack / 2,
        CropMode.Start => 0,
        CropMode.Random => (random ?? throw new ArgumentException("CropMode.Random needs a Random (seed it for reproducible crops)", nameof(random)))
            .Next(slack + 1),
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "CropMode must be Center, Start or Random"),
    };
}
