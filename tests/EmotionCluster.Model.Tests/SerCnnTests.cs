using EmotionCluster.Model;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace EmotionCluster.Model.Tests;

public class SerCnnTests
{
    [Fact]
    public void Logits_have_one_row_per_example_and_one_column_per_class()
    {
        using var scope = NewDisposeScope();
        using var model = new SerCnn(ToyData.SmallCnn);
        Assert.Equal(new long[] { 5, 3 }, model.forward(randn(5, 1, 16, 32)).shape);
        Assert.Equal(new long[] { 2, 3 }, model.forward(randn(2, 16, 32)).shape);
    }

    [Fact]
    public void Summary_lists_layers_shapes_and_hand_counted_parameters()
    {
        using var model = new SerCnn(ToyData.SmallCnn);
        var summary = model.ArchitectureSummary();

        // conv1 1*4*9 (no bias), bn1 2*4, conv2 4*8*9, bn2 2*8, fc 8*16+16, logits 16*3+3
        Assert.Equal(36 + 8 + 288 + 16 + 144 + 51, summary.TotalParameters);
        Assert.Equal(summary.TotalParameters, summary.Layers.Sum(l => l.Parameters));
        Assert.Equal(summary.TotalParameters, model.ParameterCount);
        var byName = summary.Layers.ToDictionary(l => l.Name);
        Assert.Equal(new long[] { 1, 4, 16, 32 }, byName["conv1"].OutputShape);
        Assert.Equal(36, byName["conv1"].Parameters);
        Assert.Equal(new long[] { 1, 4, 8, 16 }, byName["pool1"].OutputShape);
        Assert.Equal(new long[] { 1, 8, 4, 8 }, byName["pool2"].OutputShape);
        Assert.Equal(new long[] { 1, 8 }, byName["flatten"].OutputShape);
        Assert.Equal(new long[] { 1, 3 }, byName["logits"].OutputShape);
        Assert.Equal("Conv2d", byName["conv1"].Type);
        Assert.Contains("543", summary.FormatTable());
        Assert.True(model.training, "the summary must leave the training flag as it was");
    }

    [Fact]
    public void Default_network_is_about_a_hundred_thousand_parameters()
    {
        using var model = new SerCnn(new CnnSettings());
        // 144+32 + 4608+64 + 18432+128 + 73728+256 + 128*64+64 + 64*7+7
        Assert.Equal(106_103, model.ParameterCount);
        Assert.Equal(new long[] { 1, 128, 4, 18 }, model.ArchitectureSummary().Layers.Single(l => l.Name == "pool4").OutputShape);
    }

    [Theory]
    [InlineData(1, 1, 2, 2)]
    [InlineData(3, 4, 64, 300)]
    [InlineData(2, 5, 17, 75)] // odd: the last row and column are dropped, as MaxPool2d(2) does
    [InlineData(1, 3, 3, 37)]
    public void MaxPool2x2_equals_MaxPool2d(int n, int c, int h, int w)
    {
        using var scope = NewDisposeScope();
        using var pool = nn.MaxPool2d(2);
        var x = randn(n, c, h, w, generator: new Generator(41));
        var flat = x.view(-1);
        // inside the first 2 x 2 window (indices 0, 1, w, w + 1): a NaN; in the next windows ties and infinities
        flat[w] = tensor(float.NaN);
        if (w >= 6)
        {
            flat[2] = tensor(float.PositiveInfinity); flat[3] = tensor(1f); // window 2: +inf wins
            flat[4] = tensor(0.5f); flat[5] = tensor(0.5f); flat[w + 4] = tensor(0.5f); flat[w + 5] = tensor(-2f); // window 3: a tie
        }
        Tensor expected = pool.forward(x), actual = SerCnn.MaxPool2x2(x);
        Assert.Equal(expected.shape, actual.shape);
        Assert.Equal(Bits(expected), Bits(actual));
        // and on a non-contiguous input (a view), as a block's input may be
        var t = x.transpose(2, 3);
        Assert.Equal(Bits(pool.forward(t.contiguous())), Bits(SerCnn.MaxPool2x2(t)));
    }

    [Fact]
    public void MaxPool2x2_may_differ_from_MaxPool2d_only_in_the_sign_of_a_zero_that_ties_with_the_other_zero()
    {
        using var scope = NewDisposeScope();
        using var pool = nn.MaxPool2d(2);
        // [[-1, +0], [-0, -1]]: MaxPool2d keeps the first maximum in row order (+0); the element-wise maximum may give -0
        var x = tensor(new[] { -1f, 0f, -0f, -1f }).reshape(1, 1, 2, 2);
        float expected = pool.forward(x).item<float>(), actual = SerCnn.MaxPool2x2(x).item<float>();
        Assert.True(expected == 0f && actual == 0f, $"{expected} vs {actual}"); // equal as numbers (+0 == -0)
        Assert.Equal(0, BitConverter.SingleToInt32Bits(expected)); // MaxPool2d: +0
    }

    [Fact]
    public void MaxPool2x2_names_an_input_too_small()
    {
        using var scope = NewDisposeScope();
        Assert.Contains("at least 2 x 2", Assert.Throws<ArgumentException>(() => SerCnn.MaxPool2x2(randn(1, 1, 1, 8))).Message);
        Assert.Contains("at least 2 dimensions", Assert.Throws<ArgumentException>(() => SerCnn.MaxPool2x2(randn(8))).Message);
    }

    [Fact]
    public void Without_autograd_the_forward_pass_gives_the_training_graphs_bits_and_with_it_gradients_flow()
    {
        using var scope = NewDisposeScope();
        using var model = new SerCnn(new CnnSettings());
        model.eval();
        var x = randn(3, 1, 64, 300, generator: new Generator(7));
        x[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(0, 50)] = zeros(1); // padding: ties in the pools
        Tensor graph = model.forward(x); // autograd on: the modules as trained
        Assert.True(graph.requires_grad);
        graph.sum().backward();
        Assert.True(model.parameters().All(p => p.grad is not null), "with autograd on, backward must reach every parameter");
        int[] expected = Bits(graph.detach());
        using (no_grad()) Assert.Equal(expected, Bits(model.forward(x)));
        using (inference_mode()) Assert.Equal(expected, Bits(model.forward(x)));
        // the pool modules stay in the model: same state dict keys as before the fast path
        Assert.DoesNotContain(model.state_dict().Keys, k => k.Contains("sequence", StringComparison.Ordinal));
        Assert.Equal(4, model.named_modules().Count(m => m.module is TorchSharp.Modules.MaxPool2d));
    }

    // bit patterns, every NaN as one (maximum returns the canonical NaN where MaxPool2d passes the input NaN's sign on)
    private static int[] Bits(Tensor t) => t.contiguous().data<float>().ToArray().Select(v => float.IsNaN(v) ? int.MinValue : BitConverter.SingleToInt32Bits(v)).ToArray();

    [Fact]
    public void Bad_settings_name_the_setting()
    {
        Assert.Contains("halve it 6 times", Assert.Throws<ArgumentException>(() =>
            new SerCnn(ToyData.SmallCnn with { Channels = [1, 2, 3, 4, 5, 6] })).Message);
        Assert.Contains("KernelSize is 4", Assert.Throws<ArgumentException>(() => (ToyData.SmallCnn with { KernelSize = 4 }).Validate()).Message);
        Assert.Contains("Classes is 1", Assert.Throws<ArgumentException>(() => (ToyData.SmallCnn with { Classes = 1 }).Validate()).Message);
        Assert.Contains("DenseDropout", Assert.Throws<ArgumentException>(() => (ToyData.SmallCnn with { DenseDropout = 1 }).Validate()).Message);
    }

    [Fact]
    public void Settings_equality_compares_the_channel_lists_by_value()
    {
        Assert.Equal(ToyData.SmallCnn, ToyData.SmallCnn with { Channels = [4, 8] });
        Assert.NotEqual(ToyData.SmallCnn, ToyData.SmallCnn with { Channels = [4, 16] });
        Assert.NotEqual(ToyData.SmallCnn, ToyData.SmallCnn with { Pooling = CnnPooling.MeanStd });
    }

    [Fact]
    public void Statistics_pooling_gives_each_channels_mean_and_deviation_over_time_of_its_band_means()
    {
        using var scope = NewDisposeScope();
        // [1, 2 channels, 2 bands, 4 frames]; band means over time: channel 0 → 1, 2, 3, 4; channel 1 → 5 everywhere
        var x = tensor(new float[] { 0, 1, 2, 3, 2, 3, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5 }).reshape(1, 2, 2, 4);
        var pooled = new MeanStdPool().forward(x).data<float>().ToArray();
        Assert.Equal(4, pooled.Length);
        Assert.Equal(2.5, pooled[0], 5);                                      // channel 0 mean
        Assert.Equal(5, pooled[1], 5);                                        // channel 1 mean
        Assert.Equal(Math.Sqrt(1.25 + MeanStdPool.Epsilon), pooled[2], 5);   // channel 0: population deviation of 1..4
        Assert.Equal(Math.Sqrt(MeanStdPool.Epsilon), pooled[3], 5);          // a constant channel: ε alone, finite
    }

    [Fact]
    public void Statistics_pooling_doubles_the_dense_layers_input_and_trains()
    {
        using var scope = NewDisposeScope();
        var cnn = ToyData.SmallCnn with { Pooling = CnnPooling.MeanStd };
        using var model = new SerCnn(cnn);
        var byName = model.ArchitectureSummary().Layers.ToDictionary(l => l.Name);
        Assert.Equal(new long[] { 1, 16 }, byName["flatten"].OutputShape);   // 2 x 8 channels
        Assert.Equal(16 * 16 + 16, byName["fc"].Parameters);
        Assert.Equal(16, cnn.PooledSize);
        // a constant input (zero deviation everywhere) still has finite gradients
        var loss = model.forward(zeros(2, 1, 16, 32)).sum();
        loss.backward();
        Assert.All(model.parameters(), p => Assert.False(p.grad is null || p.grad.isnan().any().item<bool>()));
        Assert.Contains("Pooling 7", Assert.Throws<ArgumentException>(() => (cnn with { Pooling = (CnnPooling)7 }).Validate()).Message);
        // the recipe carries it; a recipe with the default pooling is written (and hashed) as before the option
        string json = new Recipe { Cnn = new CnnSettings { Pooling = CnnPooling.MeanStd } }.RecipeJson();
        Assert.Contains("\"Pooling\": \"MeanStd\"", json);
        Assert.Equal(CnnPooling.MeanStd, Recipe.FromJson(json).Cnn.Pooling);
        Assert.DoesNotContain("Pooling", new Recipe().RecipeJson());
    }
}
