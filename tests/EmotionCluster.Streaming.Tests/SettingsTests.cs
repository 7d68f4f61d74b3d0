using System.Net.WebSockets;
using System.Text;
using Akka.Actor;
using EmotionCluster.Audio;

namespace EmotionCluster.Streaming.Tests;

public sealed class SettingsTests
{
    [Fact]
    public void Defaults_are_valid()
    {
        var s = new StreamingSettings();
        s.Validate();
        Assert.Null(s.WindowSeconds); // the model's input length
        Assert.Equal(0.5, s.HopSeconds);
    }

    [Fact]
    public void A_node_without_a_loadable_model_keeps_every_other_setting()
    {
        // every settable property gets a value other than its default, so a copy that forgets one is caught
        var s = new StreamingSettings();
        foreach (var p in typeof(StreamingSettings).GetProperties().Where(p => p.CanWrite))
            p.SetValue(s, p.PropertyType == typeof(string) ? "x-" + p.Name
                : Nullable.GetUnderlyingType(p.PropertyType) == typeof(double) || p.PropertyType == typeof(double) ? 0.123
                : p.PropertyType == typeof(int) ? 7
                : p.PropertyType == typeof(bool) ? true
                : throw new InvalidOperationException($"add a value for {p.PropertyType} ({p.Name}) to this spec"));

        var copy = s.WithoutModel();

        Assert.Null(copy.ModelPath);
        Assert.Equal("x-ModelPath", s.ModelPath); // the node's own settings are untouched
        foreach (var p in typeof(StreamingSettings).GetProperties().Where(p => p.CanWrite && p.Name != nameof(StreamingSettings.ModelPath)))
            Assert.True(Equals(p.GetValue(s), p.GetValue(copy)), $"{p.Name} was not carried over");
    }

    [Theory]
    [InlineData(nameof(StreamingSettings.HopSeconds), "HopSeconds")]
    [InlineData(nameof(StreamingSettings.MaxBufferedSeconds), "MaxBufferedSeconds")]
    [InlineData(nameof(StreamingSettings.Smoothing), "Smoothing")]
    [InlineData(nameof(StreamingSettings.MaxFrameBytes), "MaxFrameBytes")]
    [InlineData(nameof(StreamingSettings.FeatureThreads), "FeatureThreads")]
    [InlineData(nameof(StreamingSettings.InferenceWorkers), "InferenceWorkers")]
    public void Bad_settings_name_the_setting(string which, string expected)
    {
        var s = new StreamingSettings();
        switch (which)
        {
            case nameof(StreamingSettings.HopSeconds): s.WindowSeconds = 2; s.HopSeconds = 3; break;
            case nameof(StreamingSettings.MaxBufferedSeconds): s.WindowSeconds = 2; s.MaxBufferedSeconds = 1; break;
            case nameof(StreamingSettings.Smoothing): s.Smoothing = "mean"; break;
            case nameof(StreamingSettings.MaxFrameBytes): s.MaxFrameBytes = 10; break;
            case nameof(StreamingSettings.FeatureThreads): s.FeatureThreads = -1; break;
            case nameof(StreamingSettings.InferenceWorkers): s.InferenceWorkers = 0; break;
        }
        var e = Assert.Throws<ArgumentException>(s.Validate);
        Assert.Contains(StreamingSettings.Section, e.Message);
        Assert.Contains(expected, e.Message);
    }
}
