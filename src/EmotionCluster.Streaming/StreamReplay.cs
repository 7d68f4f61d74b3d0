using EmotionCluster.Audio;

namespace EmotionCluster.Streaming;

/// <summary>
/// A recording's hops as a live stream gets them (<see cref="StreamReplay"/>), and the clip's label from them.
/// <see cref="MeanLabel"/> — the arg-max of the mean of the hops' own probabilities, every window counted once — is the
/// clip's label of the streamed protocol (docs/accuracy.md): the whole utterance's evidence, not only what the page
/// shows last. <see cref="LastSmoothedLabel"/> is what the page shows when the clip ends (the last hop's smoothed emotion).
/// </summary>
public sealed record StreamedClip(IReadOnlyList<HopResult> Hops)
{
    /// <summary>Mean of the hops' probabilities (each window's own, before smoothing).</summary>
    public float[] MeanProbabilities
    {
        get
        {
            var mean = new float[Hops[0].Probabilities.Length];
            foreach (var hop in Hops)
                for (int i = 0; i < mean.Length; i++) mean[i] += hop.Probabilities[i] / Hops.Count;
            return mean;
        }
    }

    /// <summary>The clip's label: arg-max of <see cref="MeanProbabilities"/>.</summary>
    public int MeanLabel => EmotionSmoother.ArgMax(MeanProbabilities);

    /// <summary>The smoothed emotion of the last hop (what the live page shows at the end of the clip).</summary>
    public int LastSmoothedLabel => Hops[^1].Smoothed.Label;
}

/// <summary>
/// Sends a recording through one stream's path in-process, as the predictor actor does for a live client, without the
/// actors: the samples go in frames into a <see cref="StreamSession"/> (ring buffer, <see cref="WindowScheduler"/>
/// windows and hop, the final window at the end), each window's features come from <see cref="StreamingModel.Features"/>,
/// its probabilities from <see cref="StreamingModel.Predict"/>, and <see cref="StreamSession.Complete"/> smooths them and
/// marks uncertain hops. What is left out is only what depends on load: lag limits (no window is dropped here) and
/// batching across streams (a batch gives the same probabilities within float rounding).
/// </summary>
public static class StreamReplay
{
    /// <summary>Audio per frame the client sends (0.1 s, as the live page's recorder does at most).</summary>
    public const double FrameSeconds = 0.1;

    /// <summary>The hops of <paramref name="samples"/> (mono, at <paramref name="sampleRate"/>) streamed to <paramref name="model"/> with <paramref name="settings"/>.</summary>
    /// <exception cref="ArgumentException">no samples (a stream of nothing has no hops).</exception>
    public static StreamedClip Run(StreamingModel model, float[] samples, int sampleRate, StreamingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Length == 0) throw new ArgumentException("a stream needs audio; the recording has no samples", nameof(samples));
        settings.Validate();
        using var session = new StreamSession(sampleRate, settings, model.InputSeconds);
        var windows = new List<(WindowSpan Window, float[] Samples)>();
        int frame = StreamingSettings.Samples(FrameSeconds, sampleRate);
        for (int at = 0; at < samples.Length; at += frame)
        {
            session.Append(samples.AsSpan(at, Math.Min(frame, samples.Length - at)));
            Take(session, windows); // before the ring overwrites them, as the actor pumps after every frame
        }
        session.End();
        Take(session, windows);
        // in stream order: the audio ahead of the first window to the stream's gate, then each window normalized by what
        // the stream has heard so far, as the predictor actor does
        var features = new List<EmotionCluster.Features.Spectrogram>();
        foreach (var w in windows)
            if (w.Window.Ahead) model.GateAhead(w.Samples, sampleRate, session.Gate!);
            else features.Add(model.Features(w.Samples, sampleRate, session.Normalization, session.Gate, w.Window.Start));
        windows.RemoveAll(w => w.Window.Ahead);
        float[][] probabilities = model.Predict(features);
        var hops = new List<HopResult>(windows.Count);
        for (int i = 0; i < windows.Count; i++)
            hops.Add(session.Complete(windows[i].Window, probabilities[i], InputLevel.Measure(windows[i].Samples, sampleRate)));
        return new StreamedClip(hops);
    }

    private static void Take(StreamSession session, List<(WindowSpan, float[])> windows)
    {
        while (session.TryTakeNext(out WindowSpan window, out float[] samples)) windows.Add((window, samples));
    }
}
