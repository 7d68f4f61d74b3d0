using EmotionCluster.Features;
using EmotionCluster.Model;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace EmotionCluster.Model.Tests;

public class BatchesTests
{
    [Fact]
    public void Batch_tensor_holds_every_example_in_order()
    {
        using var scope = NewDisposeScope();
        var a = Spectrogram.Create([1, 2, 3, 4, 5, 6], 2, 3);
        var b = Spectrogram.Create([7, 8, 9, 10, 11, 12], 2, 3);

        var t = Batches.ToTensor([a, b], 2, 3);

        Assert.Equal(new long[] { 2, 1, 2, 3 }, t.shape);
        Assert.Equal(Enumerable.Range(1, 12).Select(v => (float)v), t.data<float>().ToArray());
        Assert.Equal(6f, t[0, 0, 1, 2].item<float>());
        Assert.Equal(10f, t[1, 0, 1, 0].item<float>());
    }

    [Fact]
    public void An_example_of_the_wrong_size_is_named()
    {
        var ok = Spectrogram.Create(new float[6], 2, 3);
        var bad = Spectrogram.Create(new float[8], 2, 4);
        var e = Assert.Throws<ArgumentException>(() => Batches.ToTensor([ok, bad], 2, 3));
        Assert.Contains("Example 1", e.Message);
        Assert.Contains("2 x 4", e.Message);
    }

    [Fact]
    public void Copies_to_and_from_tensors_including_strided_views()
    {
        using var scope = NewDisposeScope();
        var t = arange(6, ScalarType.Float32).reshape(2, 3);
        var values = new float[6];
        Batches.CopyTo(t.t(), values); // a transposed, non-contiguous view
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, values);

        Batches.CopyFrom(new float[] { 9, 8, 7, 6, 5, 4 }, t);
        Assert.Equal(new float[] { 9, 8, 7, 6, 5, 4 }, t.data<float>().ToArray());
        Batches.CopyFrom(new float[] { 1, 2, 3, 4, 5, 6 }, t.t()); // writes through the view
        Assert.Equal(new float[] { 1, 3, 5, 2, 4, 6 }, t.data<float>().ToArray());

        Assert.Throws<ArgumentException>(() => Batches.CopyTo(t, new float[5]));
    }
}
