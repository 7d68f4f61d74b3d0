using Akka.Actor;
using Akka.Actor.Dsl;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Configuration;
using EmotionCluster.Audio;
using EmotionCluster.Extraction;
using EmotionCluster.Features;
using EmotionCluster.Model;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Streaming.Tests;

/// <summary>
/// Streamed windows against <see cref="EmotionCluster.Model.Predictor"/> on the same audio as a WAV file: the window
/// that covers a whole clip must give that clip's probabilities, whatever the frame sizes and the client's rate.
/// </summary>
[Collection(TinyModelCollection.Name)]
public sealed class CorrectnessTests(TinyModel models, ITestOutputHelper output)
{
    private const float Tolerance = 1e-4f;

    /// <summary>
    /// Streams <paramref name="clip"/> in frames of <paramref name="frame"/> samples and returns every hop, model applied,
    /// each window normalized by the session's running statistics as the predictor actor does.
    /// </summary>
    private static List<(WindowSpan Window, float[] Probabilities)> Stream(StreamingModel model, float[] clip, int rate, int frame, StreamingSettings settings)
    {
        var session = new StreamSession(rate, settings, model.InputSeconds);
        var hops = new List<(WindowSpan, float[])>();
        void Drain()
        {
            while (session.TryTakeNext(out var w, out var samples))
                if (w.Ahead) model.GateAhead(samples, rate, session.Gate!); // the audio so far, to the stream's gate: no hop
                else hops.Add((w, model.Predict([model.Features(samples, rate, session.Normalization, session.Gate, w.Start)])[0]));
        }
        for (int at = 0; at < clip.Length; at += frame)
        {
            session.Append(clip.AsSpan(at, Math.Min(frame, clip.Length - at)));
            Drain();
        }
        session.End();
        Drain();
        Assert.Equal(0, session.DroppedHops);
        return hops;
    }

    private void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        float worst = expected.Zip(actual, (a, b) => Math.Abs(a - b)).Max();
        output.WriteLine($"{what}: max |Δp| = {worst:E2} (expected [{string.Join(", ", expected.Select(p => p.ToString("F5")))}])");
        Assert.True(worst <= Tolerance, $"{what}: max |Δp| = {worst} > {Tolerance}");
    }

    [Theory]
    [InlineData(16000, 1600)]
    [InlineData(16000, 333)]
    [InlineData(44100, 4410)]
    [InlineData(8000, 800)]
    public void Window_covering_a_whole_clip_equals_the_predictor_on_that_clip(int rate, int frame)
    {
        var model = StreamingModel.Load(models.ModelA);
        float[] clip = TinyModel.Clip(0, 1.7, seed: 99, rate: rate);
        // the PCM16 round trip the client makes, so both sides see the same samples
        float[] sent = RawPcm.DecodePcm16(StreamClient.Pcm16(clip), 1);
        // each window gated on its own, as predict gates a file (a stream gated once is the next tests')
        var settings = new StreamingSettings { WindowSeconds = 2, HopSeconds = 0.5, GateEachWindow = true };
        var hops = Stream(model, sent, rate, frame, settings);
        var whole = Assert.Single(hops); // shorter than a window: one final window, the whole clip
        Assert.True(whole.Window.Final);
        Assert.Equal(new WindowSpan(0, sent.Length, true), whole.Window);
        AssertClose(TinyModel.Reference(models.ModelA, WavWriter.ToBytes(sent, rate)), whole.Probabilities, $"{rate} Hz, frames of {frame}");
    }

    [Fact]
    public void Every_hop_of_a_long_stream_equals_the_predictor_on_that_window_as_a_clip()
    {
        var model = StreamingModel.Load(models.ModelA);
        float[] clip = [.. TinyModel.Clip(0, 1.5, 1), .. TinyModel.Clip(1, 1.5, 2), .. TinyModel.Clip(2, 1.0, 3)];
        float[] sent = RawPcm.DecodePcm16(StreamClient.Pcm16(clip), 1);
        var hops = Stream(model, sent, 16000, 1600, new StreamingSettings { WindowSeconds = 2, HopSeconds = 0.5, GateEachWindow = true });
        Assert.Equal(new[] { 2.0, 2.5, 3.0, 3.5, 4.0 }, hops.Select(h => h.Window.End / 16000.0));
        foreach (var (w, p) in hops)
            AssertClose(TinyModel.Reference(models.ModelA, WavWriter.ToBytes(sent.AsSpan((int)w.Start, w.Length), 16000)), p, $"window {w.Start}..{w.End}");
    }

    [Fact]
    public void A_replayed_recording_gets_the_streams_hops_and_its_label_is_the_mean_of_their_probabilities()
    {
        var model = StreamingModel.Load(models.ModelA);
        float[] clip = [.. TinyModel.Clip(0, 1.5, 1), .. TinyModel.Clip(1, 1.5, 2), .. TinyModel.Clip(2, 1.0, 3)];
        var settings = new StreamingSettings { WindowSeconds = 2, HopSeconds = 0.5, Smoothing = "ema:0.5" };
        StreamedClip replay = StreamReplay.Run(model, clip, 16000, settings);
        var manual = Stream(model, clip, 16000, 1600, settings);
        Assert.Equal(manual.Select(h => h.Window), replay.Hops.Select(h => h.Window));
        var smoother = SmoothingSpec.Parse(settings.Smoothing).Create();
        var mean = new float[TinyModel.Labels.Length];
        for (int i = 0; i < manual.Count; i++)
        {
            AssertClose(manual[i].Probabilities, replay.Hops[i].Probabilities, $"hop {i}");
            Assert.Equal(smoother.Update(manual[i].Probabilities).Label, replay.Hops[i].Smoothed.Label);
            for (int k = 0; k < mean.Length; k++) mean[k] += manual[i].Probabilities[k] / manual.Count;
        }
        AssertClose(mean, replay.MeanProbabilities, "mean of the hops");
        Assert.Equal(EmotionSmoother.ArgMax(mean), replay.MeanLabel);
        Assert.Equal(replay.Hops[^1].Smoothed.Label, replay.LastSmoothedLabel);

        // a recording shorter than a window is one hop: the whole clip
        var shortClip = StreamReplay.Run(model, TinyModel.Clip(2, 1.2, 4), 16000, settings);
        Assert.True(Assert.Single(shortClip.Hops).Window.Final);
        Assert.Throws<ArgumentException>(() => StreamReplay.Run(model, [], 16000, settings));
    }

    [Fact]
    public void Models_saved_with_the_experiments_model_input_are_shaped_like_the_experiments_do()
    {
        foreach (string path in new[] { models.ModelStandardized, models.ModelPerBand, models.ModelSpeakerNorm })
        {
            var model = StreamingModel.Load(path);
            float[] clip = RawPcm.DecodePcm16(StreamClient.Pcm16(TinyModel.Clip(2, 1.2, 5)), 1);
            var whole = Assert.Single(Stream(model, clip, 16000, 1000, new StreamingSettings { GateEachWindow = true }));
            AssertClose(TinyModel.Reference(path, WavWriter.ToBytes(clip, 16000)), whole.Probabilities, Path.GetFileName(path));
        }
        // an input shaping this build does not know is refused, not ignored
        var e = Assert.Throws<EmotionCluster.Model.ModelArtifactException>(() => StreamingModel.Load(models.ModelUnknownInput));
        Assert.Contains("Whiten", e.Message);
    }

    [Fact]
    public void A_stream_is_normalized_by_what_it_has_heard_so_far_and_its_first_window_as_predict_scores_it()
    {
        var model = StreamingModel.Load(models.ModelPrior);
        float[] clip = [.. TinyModel.Clip(0, 1.5, 1), .. TinyModel.Clip(1, 1.5, 2), .. TinyModel.Clip(2, 1.0, 3)];
        float[] sent = RawPcm.DecodePcm16(StreamClient.Pcm16(clip), 1);
        // the model's input for every window, as the predictor actor computes it
        var session = new StreamSession(16000, new StreamingSettings { WindowSeconds = 2, HopSeconds = 0.5 });
        session.Append(sent);
        session.End();
        var windows = new List<(WindowSpan Window, Spectrogram Input)>();
        while (session.TryTakeNext(out var w, out var samples))
            if (!w.Ahead) windows.Add((w, model.Features(samples, 16000, session.Normalization)));
        Assert.Equal(5, windows.Count);

        using var predictor = Predictor.Load(models.ModelPrior);
        var input = predictor.Input;
        Assert.NotNull(input.Prior);
        var featurizer = new PipelineFeaturizer(input.Features);
        Spectrogram Raw(WindowSpan w) => featurizer.Extract(WavWriter.ToBytes(sent.AsSpan((int)w.Start, w.Length), 16000), "window");
        // the first window has heard only itself: exactly what predict does with that audio as a file
        Assert.Equal(input.Shape(Raw(windows[0].Window)).Data, windows[0].Input.Data);
        // every window: normalized by the statistics of the stream so far (each window's new quarter after the first)
        var heard = new StreamNormalization(0.25);
        foreach (var (w, x) in windows)
        {
            var raw = Raw(w);
            Assert.Equal(input.Shape(raw, heard.Add(model.Id, raw)).Data, x.Data);
        }
        // which is not how a lone clip of the last window's audio is shaped
        var last = windows[^1];
        float worst = input.Shape(Raw(last.Window)).Data.Zip(last.Input.Data, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst > 0.05f, $"the last window was shaped as a lone clip (max difference {worst})");
    }

    [Fact]
    public void Running_statistics_weigh_each_windows_new_part_forget_beyond_their_limit_and_restart_for_another_model()
    {
        var first = new Spectrogram([0, 0, 0, 0], 1, 4);
        var second = new Spectrogram([8, 8, 8, 8], 1, 4);
        var n = new StreamNormalization(0.5, maxFrames: 8);
        Assert.Null(n.Seen);
        Assert.Equal(0, n.Add("m", first).Mean[0]); // the first window: its own
        var after = n.Add("m", second); // half of the second window is new: 2 frames of 8 against 4 of 0
        Assert.Equal(8.0 * 2 / 6, after.Mean[0], 9);
        Assert.Equal(6, after.Frames);
        for (int i = 0; i < 20; i++) after = n.Add("m", second);
        Assert.True(after.Frames <= 8);
        Assert.True(after.Mean[0] > 7.9, $"the past should be forgotten beyond 8 frames, mean {after.Mean[0]}");
        Assert.Equal(0, n.Add("other", first).Mean[0]); // another model: a fresh start
        Assert.Throws<ArgumentOutOfRangeException>(() => new StreamNormalization(0));
    }

    [EmoDbFact]
    public void An_emodb_clip_streamed_equals_the_predictor_on_the_file()
    {
        string wav = Path.Combine(Datasets.RequireEmoDb(), "wav", "03a01Wa.wav");
        var model = StreamingModel.Load(models.ModelA);
        var (clip, _) = WavReader.Read(wav);
        var hops = Stream(model, clip.Samples, clip.SampleRate, 1600, new StreamingSettings { WindowSeconds = 3, HopSeconds = 0.5, GateEachWindow = true });
        AssertClose(TinyModel.Reference(models.ModelA, File.ReadAllBytes(wav)), Assert.Single(hops).Probabilities, "03a01Wa");
    }

    [EmoDbFact]
    public void A_stream_gated_once_gives_its_windows_the_features_of_each_window_gated_alone_within_the_gates_profile()
    {
        // long EMO-DB recordings: several overlapping windows each
        string dir = Path.Combine(Datasets.RequireEmoDb(), "wav");
        var model = StreamingModel.Load(models.ModelA);
        var loader = new AudioLoader(model.Settings.Audio);
        int windows = 0, sameTrim = 0;
        foreach (string name in new[] { "08b03Tc.wav", "16b10Td.wav", "11b03Wb.wav" })
        {
            var (clip, _) = WavReader.Read(Path.Combine(dir, name));
            var session = new StreamSession(clip.SampleRate, new StreamingSettings { WindowSeconds = 3, HopSeconds = 0.5 }, model.InputSeconds);
            Assert.NotNull(session.Gate);
            session.Append(clip.Samples);
            session.End();
            var trims = new StreamGate(); // the same stream's gate again, to see what the window's trimming kept
            while (session.TryTakeNext(out var w, out var samples))
            {
                if (w.Ahead)
                {
                    model.GateAhead(samples, clip.SampleRate, session.Gate!);
                    model.GateAhead(samples, clip.SampleRate, trims);
                    continue;
                }
                windows++;
                var once = model.Features(samples, clip.SampleRate, null, session.Gate, w.Start).Data;
                var alone = model.Features(samples, clip.SampleRate).Data;
                System.Buffers.ArrayPool<float>.Shared.Return(loader.PrepareRented(samples, clip.SampleRate, out int keptOnce, trims, w.Start));
                System.Buffers.ArrayPool<float>.Shared.Return(loader.PrepareRented(samples, clip.SampleRate, out int keptAlone));
                double meanAbs = once.Zip(alone, (a, b) => Math.Abs(a - b)).Average();
                double spread = Math.Sqrt(alone.Select(v => (double)v * v).Average() - Math.Pow(alone.Average(v => (double)v), 2));
                output.WriteLine($"{name} window {w.Start}..{w.End}: trimmed to {keptOnce} / {keptAlone} samples, mean |Δ| {meanAbs:F4} of a spread of {spread:F3}");
                Assert.True(meanAbs > 0, $"{name} window at {w.Start}: the stream gate gave exactly the window's features");
                // where the window's silence trimming kept the same samples the frames line up: they differ by the gate's
                // profile only (a window whose quiet end is gated a little differently may be trimmed elsewhere)
                if (keptOnce != keptAlone) continue;
                sameTrim++;
                Assert.True(meanAbs < 0.15 * spread, $"{name} window at {w.Start}: mean |Δ| {meanAbs} against a spread of {spread}");
            }
        }
        Assert.True(windows >= 15 && sameTrim >= 0.8 * windows, $"{sameTrim} of {windows} windows trimmed alike");
    }
}
