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
