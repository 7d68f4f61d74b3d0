using EmotionCluster.Audio;
using EmotionCluster.Corpora;
using EmotionCluster.Metrics;
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
    /// <summary>The protocol's name in a run's protocol means: a clip labelled by the mean of its windows.</summary>
    public const string Name = "streamed";

    /// <summary>The same streams, a clip labelled by its last smoothed hop.</summary>
    public const string LastSmoothedName = "streamed, last smoothed hop";

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

    /// <summary>
    /// The streamed protocol on a cross-validation run's kept fold models (<see cref="KeptFolds"/>), without training:
    /// the figures <c>crossval</c> gives for the same models and <paramref name="settings"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">the run has no fold models, or a fold's clip is not in the corpus.</exception>
    public static StreamedRun ScoreRun(string runRoot, IReadOnlyList<ClipInfo> clips, StreamingSettings? settings = null, Action<string>? line = null)
    {
        var folds = new List<StreamedFold>();
        foreach (var fold in KeptFolds.Load(runRoot, clips))
        {
            var scores = Score(fold.ModelPath, fold.Test, fold.Labels, settings);
            line?.Invoke($"fold {fold.Name} (speaker {fold.Speakers}, {fold.Test.Count} clips, {scores.Hops} hops): streamed UAR {scores.Mean.Uar:0.000}, " +
                         $"last smoothed hop {scores.LastSmoothed.Uar:0.000}");
            folds.Add(new StreamedFold(fold.Name, fold.Speakers, scores));
        }
        return new StreamedRun(folds, CrossValidationSummary.Create(folds.Select(f => f.Scores.Mean).ToList()),
            CrossValidationSummary.Create(folds.Select(f => f.Scores.LastSmoothed).ToList()));
    }
}

/// <summary>One kept fold streamed again: its name, held-out speaker(s) and scores.</summary>
public sealed record StreamedFold(string Fold, string Speakers, StreamedScores Scores);

/// <summary>
/// The streamed protocol on a cross-validation run's kept fold models: each fold's scores, and over the folds the
/// summary of the protocol's figure (the mean of a clip's windows) and of the last smoothed hop — mean ± population std
/// of the fold UARs and the pooled report, as <c>crossval</c> gives the lone clip's.
/// </summary>
public sealed record StreamedRun(IReadOnlyList<StreamedFold> Folds, CrossValidationSummary Mean, CrossValidationSummary LastSmoothed)
{
    public const string FileName = "crossval_streamed.json";

    /// <summary>The two protocols' means as <c>crossval</c> lists them (<c>crossval_protocols.json</c>, the report's protocol table).</summary>
    public IReadOnlyList<ProtocolMean> ProtocolMeans =>
    [
        new(StreamedProtocol.Name, Mean.MeanUar, Mean.StdUar, Mean.Folds),
        new(StreamedProtocol.LastSmoothedName, LastSmoothed.MeanUar, LastSmoothed.StdUar, LastSmoothed.Folds),
    ];

    /// <summary>
    /// <paramref name="means"/> (a run's protocol means, lone clip first) with this run's streamed figures in place of
    /// any there were, right after the lone clip, as <c>crossval</c> orders them.
    /// </summary>
    public IReadOnlyList<ProtocolMean> MergeInto(IReadOnlyList<ProtocolMean> means)
    {
        var others = means.Where(m => m.Protocol is not (StreamedProtocol.Name or StreamedProtocol.LastSmoothedName)).ToList();
        int at = others.FindIndex(m => m.Protocol == ProtocolScores.LoneClipName) + 1;
        others.InsertRange(at, ProtocolMeans);
        return others;
    }

    /// <summary>Each fold's figures, then each summary as <c>crossval.json</c> writes the lone clip's.</summary>
    public string ToJson() => $$"""
        {
          "folds": {{System.Text.Json.JsonSerializer.Serialize(Folds.Select(f => new
          {
              f.Fold, f.Speakers, Clips = f.Scores.Mean.Count, f.Scores.Hops, Uar = f.Scores.Mean.Uar, LastSmoothedUar = f.Scores.LastSmoothed.Uar,
          }))}},
          "mean": {{Mean.ToJson()}},
          "lastSmoothed": {{LastSmoothed.ToJson()}}
        }
        """;
}
