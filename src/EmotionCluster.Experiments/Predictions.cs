using System.Text.Json;
using EmotionCluster.Corpora;
using EmotionCluster.Model;

namespace EmotionCluster.Experiments;

/// <summary>One clip's scores: the true and the predicted label and every class's probability (full float precision).</summary>
public sealed record ClipPrediction(string Id, string Path, string Truth, string Predicted, IReadOnlyDictionary<string, float> Probabilities);

/// <summary>Which clips a run trained, validated and tested on (clip ids), so <c>evaluate --split test</c> scores exactly that test part.</summary>
public sealed record SplitManifest(string Name, IReadOnlyList<string> Train, IReadOnlyList<string> Validation, IReadOnlyList<string> Test)
{
    public const string FileName = "split.json";

    public static SplitManifest Of(Split split) =>
        new(split.Name, split.Train.Select(c => c.Id).ToList(), split.Validation.Select(c => c.Id).ToList(), split.Test.Select(c => c.Id).ToList());

    public string ToJson() => JsonSerializer.Serialize(this, Predictions.Json);

    /// <exception cref="InvalidDataException">the file is not a split manifest.</exception>
    public static SplitManifest Load(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<SplitManifest>(File.ReadAllText(path), Predictions.Json) is { Test: not null } m
                ? m : throw new InvalidDataException($"{path}: not a split manifest (no test list)");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a split manifest ({e.Message}); rerun train to rewrite it", e);
        }
    }
}

/// <summary>Per-clip predictions as JSON (<c>predictions_test.json</c> of a run, <c>predictions.json</c> of <c>evaluate</c>).</summary>
public static class Predictions
{
    public const string TestFile = "predictions_test.json";
    internal static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static IReadOnlyList<ClipPrediction> Of(IReadOnlyList<ClipInfo> clips, string[] labels, EvaluationOutput output)
    {
        if (clips.Count != output.Probabilities.Length)
            throw new ArgumentException($"{clips.Count} clips but {output.Probabilities.Length} predictions");
        return clips.Select((c, i) => new ClipPrediction(c.Id, c.Path, c.Emotion, labels[output.Predicted[i]],
            labels.Select((l, k) => (l, k)).ToDictionary(p => p.l, p => output.Probabilities[i][p.k]))).ToList();
    }

    public static string ToJson(IReadOnlyList<ClipPrediction> predictions) => JsonSerializer.Serialize(predictions, Json);

    public static IReadOnlyList<ClipPrediction> Load(string path) =>
        JsonSerializer.Deserialize<List<ClipPrediction>>(File.ReadAllText(path), Json)
        ?? throw new InvalidDataException($"{path}: not a predictions file");
}
