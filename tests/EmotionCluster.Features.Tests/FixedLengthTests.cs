using Xunit;

namespace EmotionCluster.Features.Tests;

public sealed class FixedLengthTests
{
    /// <summary>2 bins x <paramref name="frames"/> frames; value = 100 · bin + frame.</summary>
    private static Spectrogram Ramp(int frames) =>
        Spectrogram.Create(Enumerable.Range(0, 2 * frames).Select(i => (float)(100 * (i / frames) + i % frames)).ToArray(), 2, frames);

    [Fact]
    public void Center_crop_takes_the_middle()
    {
        Spectrogram s = FixedLength.CropOrPad(Ramp(10), 4, CropMode.Center);
        Assert.Equal([3f, 4, 5, 6, 103, 104, 105, 106], s.Data);
    }

    [Fact]
    public void Start_crop_takes_the_beginning()
    {
        Spectrogram s = FixedLength.CropOrPad(Ramp(10), 3, CropMode.Start);
        Assert.Equal([0f, 1, 2, 100, 101, 102], s.Data);
    }

    [Fact]
    public void Center_pad_surrounds_with_the_minimum_by_default()
    {
        Spectrogram s = FixedLength.CropOrPad(Ramp(3), 6, CropMode.Center);
        Assert.Equal([0f, 0, 1, 2, 0, 0, 0, 100, 101, 102, 0, 0], s.Data); // minimum is 0; 1 left, 2 right
    }

    [Fact]
    public void Start_pad_appends_a_given_value()
    {
        Spectrogram s = FixedLength.CropOrPad(Ramp(2), 4, CropMode.Start, padValue: -80);
        Assert.Equal([0f, 1, -80, -80, 100, 101, -80, -80], s.Data);
    }

    [Fact]
    public void Random_crops_are_reproducible_and_cover_every_offset()
    {
        Spectrogram input = Ramp(10);
        var offsets = new HashSet<float>();
        var a = new Random(5);
        var b = new Random(5);
        for (int i = 0; i < 200; i++)
        {
            Spectrogram x = FixedLength.CropOrPad(input, 7, CropMode.Random, random: a);
            Assert.Equal(x.Data, FixedLength.CropOrPad(input, 7, CropMode.Random, random: b).Data);
            Assert.Equal(7, x.Frames);
            offsets.Add(x.Data[0]); // first kept frame = offset
        }
        Assert.Equal([0f, 1, 2, 3], offsets.Order());
    }

    [Fact]
    public void Random_mode_without_a_random_is_a_clear_error()
    {
        var e = Assert.Throws<ArgumentException>(() => FixedLength.CropOrPad(Ramp(10), 5, CropMode.Random));
        Assert.Contains("needs a Random", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => FixedLength.CropOrPad(Ramp(10), 0));
    }

    [Fact]
    public void Same_length_returns_the_input()
    {
        Spectrogram s = Ramp(5);
        Assert.Same(s, FixedLength.CropOrPad(s, 5));
    }

    [Theory]
    [InlineData(CropMode.Start, new[] { 1f, 2, 3 })]
    [InlineData(CropMode.Center, new[] { 2f, 3, 4 })]
    public void Samples_are_cropped(CropMode mode, float[] expected) =>
        Assert.Equal(expected, FixedLength.CropOrPad([1f, 2, 3, 4, 5], 3, mode));

    [Theory]
    [InlineData(CropMode.Start, new[] { 1f, 2, 0, 0, 0 })]
    [InlineData(CropMode.Center, new[] { 0f, 1, 2, 0, 0 })]
    public void Samples_are_padded_with_zeros(CropMode mode, float[] expected) =>
        Assert.Equal(expected, FixedLength.CropOrPad([1f, 2], 5, mode));

    [Fact]
    public void Random_sample_padding_places_the_clip_anywhere_reproducibly()
    {
        var seen = new HashSet<int>();
        for (int seed = 0; seed < 50; seed++)
        {
            float[] y = FixedLength.CropOrPad([1f], 3, CropMode.Random, random: new Random(seed));
            Assert.Equal(y, FixedLength.CropOrPad([1f], 3, CropMode.Random, random: new Random(seed)));
            seen.Add(Array.IndexOf(y, 1f));
        }
        Assert.Equal([0, 1, 2], seen.Order());
    }
}
