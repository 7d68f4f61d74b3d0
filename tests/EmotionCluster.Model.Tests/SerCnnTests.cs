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
    }
}
