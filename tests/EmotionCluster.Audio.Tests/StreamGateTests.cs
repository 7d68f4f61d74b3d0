using Xunit;

namespace EmotionCluster.Audio.Tests;

/// <summary>
/// <see cref="StreamGate"/>: a live stream's windows gated as one signal, every frame once. Its windows are the stream's
/// gated samples (exact reconstruction when nothing is reduced), agree with the clip gate where the noise profile is the
/// same, keep a sample's value once its frames are committed, and start afresh after a gap.
/// </summary>
public class StreamGateTests
{
    private const int Rate = 16000, Window = 3 * Rate, Hop = Rate / 2;

    /// <summary>Syllables of a buzzy tone over steady noise: what a stream of speech in a quiet room looks like to the gate.</summary>
    private static float[] Speech(double seconds, int seed = 1)
    {
        var random = new Random(seed);
        var x = new float[(int)(seconds * Rate)];
        for (int i = 0; i < x.Length; i++)
        {
            double t = (double)i / Rate;
            double envelope = Math.Max(0, Math.Sin(2 * Math.PI * 1.3 * t)) * Math.Max(0, Math.Sin(2 * Math.PI * 4.1 * t));
            x[i] = (float)(0.3 * envelope * (Math.Sin(2 * Math.PI * 160 * t) + 0.5 * Math.Sin(2 * Math.PI * 320 * t) + 0.25 * Math.Sin(2 * Math.PI * 640 * t))
                + 0.01 * (random.NextDouble() * 2 - 1));
        }
        return x;
    }

    /// <summary>The stream's windows as a node schedules them: every hop, then the last one ending with the stream.</summary>
    private static List<(long Start, float[] Samples)> Windows(float[] stream)
    {
        var windows = new List<(long, float[])>();
        for (long start = 0; start + Window <= stream.Length; start += Hop) windows.Add((start, stream.AsSpan((int)start, Window).ToArray()));
        if ((stream.Length - Window) % Hop != 0) windows.Add((stream.Length - Window, stream.AsSpan(stream.Length - Window).ToArray()));
        return windows;
    }

    private static float[] Gate(StreamGate gate, PreprocessSettings settings, long start, float[] samples)
    {
        var into = new float[samples.Length];
        gate.Reduce(settings, Rate, start, samples, into);
        return into;
    }

    [Fact]
    public void With_nothing_reduced_every_window_of_a_stream_is_the_streams_audio()
    {
        // gains of 1 everywhere: the overlap-add of the committed and the pending frames must give back every sample
        var settings = new PreprocessSettings { NoisePropDecrease = 0 };
        float[] stream = Speech(7.3);
        var gate = new StreamGate();
        foreach (var (start, samples) in Windows(stream))
        {
            float[] gated = Gate(gate, settings, start, samples);
            for (int i = 0; i < samples.Length; i++)
                Assert.True(Math.Abs(gated[i] - samples[i]) < 1e-5, $"window at {start}: sample {i} is {gated[i]}, the stream's is {samples[i]}");
        }
        Assert.Equal(1, gate.Restarts);
    }

    [Fact]
    public void A_window_is_gated_as_the_clip_gate_gates_it_where_the_noise_profile_is_the_same()
    {
        var settings = new PreprocessSettings();
        float[] stream = Speech(8);
        var gate = new StreamGate();
        var windows = Windows(stream);
        foreach (var (start, samples) in windows)
        {
            float[] streamed = Gate(gate, settings, start, samples);
            float[] alone = SpectralGate.Reduce(samples, Rate, settings);
            // away from the window's edges (where the clip gate pads with zeros and the stream gate has the stream),
            // the two differ only by the profile each frame was gated with: the window's, or the one it was committed in
            var diff = new float[Window - 2 * 1024];
            for (int i = 0; i < diff.Length; i++) diff[i] = streamed[i + 1024] - alone[i + 1024];
            double relative = Signals.Rms(diff) / Signals.Rms(alone.AsSpan(1024, diff.Length));
            Assert.True(relative < 0.02, $"window at {start}: the stream gate differs from the clip gate by {relative:P2} of the signal");
        }
        // and it does reduce the noise: the pauses (envelope 0) keep about 1 − NoisePropDecrease of their level
        var (first, firstSamples) = windows[2];
        float[] gated = Gate(new StreamGate(), settings, first, firstSamples);
        int pause = (int)(Rate * (1.5 / 1.3 - first / (double)Rate)) + 500; // the slow envelope's pause from 1.15 s to 1.54 s
        double before = Signals.Rms(firstSamples.AsSpan(pause, 2000)), after = Signals.Rms(gated.AsSpan(pause, 2000));
        Assert.InRange(after / before, 0.1, 0.35);
    }

    [Fact]
    public void A_samples_gated_value_does_not_change_once_its_frames_are_committed()
    {
        var settings = new PreprocessSettings();
        float[] stream = Speech(6);
        var gate = new StreamGate();
        float[]? previous = null;
        long previousStart = 0;
        // the last samples of a window are gated by frames still waiting for audio (at most N + (half + 1)·hop samples)
        int pending = settings.NoiseFftSize + ((int)Math.Round(settings.NoiseSmoothingMs / 1000.0 * Rate / settings.NoiseHop) + 1) * settings.NoiseHop;
        int compared = 0;
        foreach (var (start, samples) in Windows(stream))
        {
            float[] gated = Gate(gate, settings, start, samples);
            if (previous is not null)
                for (long i = start; i < previousStart + Window - pending; i++)
                {
                    Assert.True(gated[i - start] == previous[i - previousStart], $"sample {i}: {gated[i - start]:R} in the window at {start}, {previous[i - previousStart]:R} in the one before");
                    compared++;
                }
            (previous, previousStart) = (gated, start);
        }
        Assert.True(compared > 5 * 2 * Rate, $"only {compared} samples compared");
    }

    [Fact]
    public void The_audio_given_ahead_of_the_first_window_is_gated_once_and_kept()
    {
        float[] stream = Speech(5);
        // nothing reduced: the stream's audio back, with the audio so far given at every hop before the first window
        var exact = new PreprocessSettings { NoisePropDecrease = 0 };
        var gate = new StreamGate(Window);
        for (int end = Hop; end < Window; end += Hop) Gate(gate, exact, 0, stream[..end]);
        foreach (var (start, samples) in Windows(stream))
        {
            float[] gated = Gate(gate, exact, start, samples);
            for (int i = 0; i < samples.Length; i++)
                Assert.True(Math.Abs(gated[i] - samples[i]) < 1e-5, $"window at {start}: sample {i} is {gated[i]}, the stream's is {samples[i]}");
        }
        Assert.Equal(1, gate.Restarts); // the growing calls continue one stream: no restart, nothing gated twice

        // with the defaults, what the calls ahead committed stays as it was in the first window
        var settings = new PreprocessSettings();
        var ahead = new StreamGate(Window);
        float[] early = Gate(ahead, settings, 0, stream[..(2 * Hop)]);
        Gate(ahead, settings, 0, stream[..(4 * Hop)]);
        float[] first = Gate(ahead, settings, 0, stream[..Window]);
        Assert.Equal(early[..Hop], first[..Hop]);
        Assert.NotEqual(Gate(new StreamGate(Window), settings, 0, stream[..Window]), first); // those frames had the early profile
    }

    [Fact]
    public void After_a_gap_the_gate_starts_afresh_as_for_a_new_stream()
    {
        var settings = new PreprocessSettings();
        float[] stream = Speech(12);
        var gate = new StreamGate();
        foreach (var (start, samples) in Windows(stream).Take(4)) Gate(gate, settings, start, samples);
        // windows dropped: the next one starts 8 s in, after the last one's end
        long late = 8 * Rate;
        float[] window = stream.AsSpan((int)late, Window).ToArray();
        float[] afterGap = Gate(gate, settings, late, window);
        float[] fresh = Gate(new StreamGate(), settings, late, window);
        Assert.Equal(fresh, afterGap);
        Assert.Equal(2, gate.Restarts);
        // going back (a window earlier than the last) starts afresh too
        Gate(gate, settings, 0, stream.AsSpan(0, Window).ToArray());
        Assert.Equal(3, gate.Restarts);
    }

    [Fact]
    public void A_window_too_short_to_gate_is_passed_on_unchanged_as_the_clip_gate_does()
    {
        var settings = new PreprocessSettings();
        float[] tiny = Speech(0.03);
        Assert.Equal(SpectralGate.Reduce(tiny, Rate, settings), Gate(new StreamGate(), settings, 0, tiny));
        Assert.Equal(tiny, Gate(new StreamGate(), settings, 0, tiny));
    }

    [Fact]
    public void Settings_a_stream_gate_cannot_follow_leave_the_windows_to_the_clip_gate()
    {
        var smoothedAcrossFrequency = new PreprocessSettings { NoiseSmoothingHz = 200 };
        Assert.False(StreamGate.Supports(smoothedAcrossFrequency, Rate));
        Assert.True(StreamGate.Supports(new PreprocessSettings(), Rate));
        var error = Assert.Throws<ArgumentException>(() => Gate(new StreamGate(), smoothedAcrossFrequency, 0, Speech(3)));
        Assert.Contains("NoiseSmoothingHz", error.Message);

        // the preprocessor gates such windows each on its own, exactly as without a stream gate
        var preprocessor = new Preprocessor(smoothedAcrossFrequency);
        float[] window = Speech(3);
        float[] withGate = preprocessor.ApplyRented(window, Rate, out int n1, new StreamGate(), 0);
        float[] without = preprocessor.ApplyRented(window, Rate, out int n2);
        Assert.Equal(without.AsSpan(0, n2).ToArray(), withGate.AsSpan(0, n1).ToArray());
    }

    [Fact]
    public void A_stream_at_another_rate_is_resampled_and_gated_window_by_window()
    {
        var loader = new AudioLoader(new AudioSettings());
        float[] window = Signals.Add(Signals.Sine(300, 44100, 3), Signals.Noise(3 * 44100, 0.01, 3));
        float[] withGate = loader.PrepareRented(window, 44100, out int n1, new StreamGate(), 44100 * 5);
        float[] without = loader.PrepareRented(window, 44100, out int n2);
        Assert.Equal(without.AsSpan(0, n2).ToArray(), withGate.AsSpan(0, n1).ToArray());
    }

    [Fact]
    public void The_preprocessor_gates_a_streams_window_first_then_removes_its_offset()
    {
        // a constant offset: the window gate removes it before gating, the stream gate after; either way the result is mean-free
        var preprocessor = new Preprocessor(new PreprocessSettings { TrimSilence = false, Normalization = Normalization.None });
        float[] stream = Speech(4).Select(v => v + 0.05f).ToArray();
        float[] window = stream.AsSpan(Hop, Window).ToArray();
        var gate = new StreamGate();
        System.Buffers.ArrayPool<float>.Shared.Return(preprocessor.ApplyRented(stream.AsSpan(0, Window), Rate, out _, gate, 0));
        float[] result = preprocessor.ApplyRented(window, Rate, out int n, gate, Hop);
        Assert.Equal(Window, n);
        Assert.True(Math.Abs(result.AsSpan(0, n).ToArray().Average()) < 1e-5);
        double alone = Signals.Rms(preprocessor.ApplyRented(window, Rate, out _).AsSpan(0, n)), streamed = Signals.Rms(result.AsSpan(0, n));
        Assert.InRange(streamed / alone, 0.9, 1.1);
    }
}
