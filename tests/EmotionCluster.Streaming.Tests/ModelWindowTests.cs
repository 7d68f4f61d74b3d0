namespace EmotionCluster.Streaming.Tests;

/// <summary>
/// A node that sets no window scores a stream in windows of its model's input length — what the model was trained on
/// and what <c>predict</c> scores long files in (docs/accuracy.md: 2 s windows padded to a 3 s model cost 0.05 UAR).
/// </summary>
[Collection(TinyModelCollection.Name)]
public sealed class ModelWindowTests(TinyModel models)
{
    [Fact]
    public void Without_a_window_setting_a_stream_is_scored_in_windows_of_the_models_input_length()
    {
        var model = StreamingModel.Load(models.ModelA);
        Assert.Equal(model.InputFrames * (double)model.Settings.Mel.HopLength / model.Settings.Mel.SampleRate, model.InputSeconds, 9);

        float[] clip = [.. TinyModel.Clip(0, 2.0, 1), .. TinyModel.Clip(1, 2.0, 2), .. TinyModel.Clip(2, 2.0, 3)];
        var hops = StreamReplay.Run(model, clip, TinyModel.Rate, new StreamingSettings { HopSeconds = 0.5 }).Hops;
        int window = StreamingSettings.Samples(model.InputSeconds, TinyModel.Rate);
        Assert.All(hops.Where(h => !h.Window.Final), h => Assert.Equal(window, h.Window.Length));

        // a node's own window wins
        var set = StreamReplay.Run(model, clip, TinyModel.Rate, new StreamingSettings { WindowSeconds = 1, HopSeconds = 0.5 }).Hops;
        Assert.All(set.Where(h => !h.Window.Final), h => Assert.Equal(TinyModel.Rate, h.Window.Length));
    }

    [Fact]
    public void A_session_without_a_window_setting_or_a_model_length_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => new StreamSession(TinyModel.Rate, new StreamingSettings()));
        Assert.Contains("WindowSeconds", e.Message);
    }
}
