using System.Text.Json;
using EmotionCluster.Model;

namespace EmotionCluster.Experiments;

/// <summary>
/// An experiment: the <see cref="Recipe"/> (features, input, augmentation, CNN, training) and what the experiment
/// selects on top of it (emotions, the cross-validation's early-stopping set). Loadable from a JSON file
/// (<c>--config</c>) and overridden by command-line flags; the recipe part (<see cref="Recipe.RecipeJson"/>) is what
/// model files and training manifests carry.
/// </summary>
public sealed record ExperimentSettings : Recipe
{
    /// <summary>
    /// How each leave-one-speaker-out fold picks its early-stopping set: a stratified 20% slice of the training speakers'
    /// clips (the default: larger, steadier model selection; the test speaker stays unseen) or the next speaker
    /// (speaker-independent but small). On EMO-DB folds 03 and 10 the slice gave UAR 0.773 / 0.557 against 0.755 / 0.511
    /// (docs/accuracy.md).
    /// </summary>
    public EmotionCluster.Corpora.LosoValidation LosoValidation { get; init; } = EmotionCluster.Corpora.LosoValidation.StratifiedSlice;
    /// <summary>Keep only these emotions (e.g. the five AESDD ones); null keeps every emotion of the corpus.</summary>
    public IReadOnlyList<string>? Emotions { get; init; }

    public override void Validate()
    {
        base.Validate();
        EmotionCluster.TrainingActors.DataParallelReplica.CheckSupported(Training); // every job trains on the trainer actor: refused before extraction
        if (Emotions is { Count: < 2 }) throw new ArgumentException("Emotions must name at least two emotions (or be null for all).");
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <exception cref="ArgumentException">the JSON is malformed, has unknown keys or invalid values (the message says which).</exception>
    public static new ExperimentSettings FromJson(string json, string source = "settings") => Parse<ExperimentSettings>(json, source, "experiment settings");

    public static ExperimentSettings Load(string path)
    {
        if (!File.Exists(path)) throw new ArgumentException($"{path}: settings file not found");
        return FromJson(File.ReadAllText(path), path);
    }
}
