using EmotionCluster.Audio;
using EmotionCluster.Extraction;
using EmotionCluster.Features;
using EmotionCluster.Model;

namespace EmotionCluster.Cli;

/// <summary>One window of a long file: its place in the file (seconds) and the model's probabilities for it.</summary>
public sealed record TimelineWindow(double Start, double End, float[] Probabilities);

/// <summary>A long file scored window by window: the timeline and the mean of its windows' probabilities.</summary>
public sealed record WindowedResult(double WindowSeconds, IReadOnlyList<TimelineWindow> Timeline, float[] Mean, int QuietWindows, int ClippedWindows);

/// <summary>
/// <c>predict</c> on a file longer than <see cref="LongFileSeconds"/>: as the live stream does, the file is read,
/// decoded and featurized one window at a time (the model's input length, one after another), each window normalized by
/// its own statistics and scored; memory stays bounded by a window whatever the file's length (a 1 h file used to be
/// decoded and featurized whole: 3.9 GB).
/// </summary>
public sealed class WindowedPrediction(IPredictor predictor, FeaturePipelineSettings? features = null)
{
    /// <summary>Files longer than this (seconds) are scored window by window; shorter ones whole, as before.</summary>
    public const double LongFileSeconds = 60;
    /// <summary>Windows run through the model together.</summary>
    public const int Batch = 16;

    private readonly ModelInput _input = predictor.Input;
    private readonly AudioLoader _loader = new(predictor.Input.Features.Audio);
    // the model's feature pipeline (features: the same with the encoder file given by --encoder)
    private readonly PipelineFeaturizer _features = new(features ?? predictor.Input.Features);

    /// <summary>The model's input length in seconds (<see cref="ModelInput.InputSeconds"/>).</summary>
    public double WindowSeconds => _input.InputSeconds;

    /// <summary>Whether <paramref name="info"/>'s file is scored window by window.</summary>
    public static bool IsLong(WavInfo info) => info.DurationSeconds > LongFileSeconds;

    /// <summary>Scores <paramref name="path"/> window by window (see the class).</summary>
    public WindowedResult Score(string path, WavInfo info)
    {
        int windowFrames = Math.Max(1, (int)Math.Round(WindowSeconds * info.SampleRate));
        var timeline = new List<TimelineWindow>();
        var pending = new List<(double Start, double End, Spectrogram X)>();
        int quiet = 0, clipped = 0;
        void Flush()
        {
            if (pending.Count == 0) return;
            float[][] p = predictor.PredictBatched(pending.Select(w => w.X).ToList(), Batch);
            for (int i = 0; i < pending.Count; i++) timeline.Add(new TimelineWindow(pending[i].Start, pending[i].End, p[i]));
            pending.Clear();
        }
        for (long start = 0; start < info.Frames; start += windowFrames)
        {
            AudioClip window = WavReader.ReadFrames(path, start, windowFrames);
            // a last piece shorter than half a window is part of the window before it, scored already
            if (start > 0 && window.Samples.Length < windowFrames / 2) break;
            var level = InputLevel.Measure(window);
            if (level.TooQuiet) quiet++;
            if (level.Clipped) clipped++;
            AudioClip prepared = _loader.Prepare(window);
            if (prepared.Samples.Length == 0) continue;
            Spectrogram features = _features.Compute(prepared.Samples);
            pending.Add(((double)start / info.SampleRate, (double)(start + window.Samples.Length) / info.SampleRate, _input.Shape(features)));
            if (pending.Count == Batch) Flush();
        }
        Flush();
        if (timeline.Count == 0) throw new AudioFormatException(path, "no audio left after preprocessing");
        var mean = new float[predictor.Labels.Length];
        foreach (var w in timeline)
            for (int c = 0; c < mean.Length; c++) mean[c] += w.Probabilities[c] / timeline.Count;
        return new WindowedResult(WindowSeconds, timeline, mean, quiet, clipped);
    }
}
