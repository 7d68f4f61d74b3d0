using Xunit;

namespace EmotionCluster.Audio.Tests;

public class WavWriterTests
{
    [Fact]
    public void Non_finite_samples_are_refused() =>
        Assert.Throws<ArgumentException>(() => WavWriter.ToBytes([0.1f, float.NaN], 16000));

    [Theory]
    [InlineData(0)]
    [InlineData(999)]
    [InlineData(1_000_000)]
    public void Sample_rates_the_reader_would_refuse_are_refused(int rate) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => WavWriter.ToBytes([0.1f], rate));

    [Fact]
    public void Out_of_range_pcm_is_clipped_not_wrapped() =>
        Assert.Equal([1f, -1f], WavReader.Read(WavWriter.ToBytes([3f, -3f], 16000, 1, SampleEncoding.PcmSigned24), "clip.wav").Clip.Samples.Select(v => MathF.Round(v, 5)));
}
