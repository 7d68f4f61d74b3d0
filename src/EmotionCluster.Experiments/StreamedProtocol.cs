using EmotionCluster.Audio;
using EmotionCluster.Corpora;
using EmotionCluster.Evaluation;
using EmotionCluster.Streaming;

namespace EmotionCluster.Experiments;

/// <summary>A model's test clips streamed: the clip's label from the mean of its windows' probabilities (the protocol's figure) and from the last smoothed hop.</summary>
public sealed record StreamedScores(ClassificationReport Mean, ClassificationReport LastSmoothed, int Hops);

/// <summary>
/// The streamed protocol (docs/accuracy.md): each test clip's WAV samples, at the file's own rate, sent through the live
/// stream's path in-process (<see cref="StreamReplay"/>: the node's window, hop, smoothing and the model file's feature
/// pipeline), the clip labelled by the mean of its windows' probabilities (<see cref="StreamedClip.MeanLabel"/>); UAR over clips.
/// </summary>
public static class StreamedProtocol
{
    /// <param name="modelPath">The model file, loaded as a predictor node loads it (<see cref="StreamingModel.Load(string)"/>).</param>
    /// <param name="settings">Window, hop and smoothing (a node's defaults when null).</param>
    public static StreamedScores Score(string modelPath, IReadOnlyList<(ClipInfo Clip, int Y)> clips, string[] labels, StreamingSettings? settings = null)
    {
        settings ??= new StreamingSettings();
        using var holder = new ModelHolder();
        holder.Swap(StreamingModel.Load(modelPath));
        using var lease = holder.Acquire()!;
        StreamingModel model = lease.Model;
        if (!model.Labels.SequenceEqual(labels))
            throw new ArgumentException($"{modelPath}: the model's labels ({string.Join(", ", model.Labels)}) are not the run's ({string.Join(", ", labels)})");
        var mean = new int[clips.Count];
        var last = new int[clips.Count];
        int hops = 0;
        for (int i = 0; i < clips.Count; i++)
        {
            AudioClip audio = WavReader.Read(clips[i].Clip.Path).Clip;
            StreamedClip streamed = StreamReplay.Run(model, audio.Samples, audio.SampleRate, settings);
            mean[i] = streamed.MeanLabel;
            last[i] = streamed.LastSmoothedLabel;
            hops += streamed.Hops.Count;
        }
        int[] truth = clips.Select(c => c.Y).ToArray();
        return new StreamedScores(ClassificationMetrics.Compute(truth, mean, labels), ClassificationMetrics.Compute(truth, last, labels), hops);
    }
}
