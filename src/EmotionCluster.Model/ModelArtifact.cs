using System.IO.Compression;
using System.Text.Json;
using EmotionCluster.Features;
using TorchSharp;
using static TorchSharp.torch;

namespace EmotionCluster.Model;

/// <summary>A model file is missing, unreadable or not what it should be; names the file and what to do.</summary>
public sealed class ModelArtifactException(string path, string reason, Exception? inner = null)
    : Exception($"Model file '{path}': {reason}", inner)
{
    public string Path { get; } = path;
    public string Reason { get; } = reason;
}

/// <summary>
/// What a model file says about its model: the CNN, its labels, the training run that made it (version 2) and the
/// <see cref="Recipe"/> it was trained with (version 2, <c>recipe.json</c>); version 1 files carry
/// <see cref="FeatureSettings"/> instead. <see cref="Input"/> is the input contract either way.
/// </summary>
public sealed record ModelManifest(string Format, int Version, CnnSettings Cnn, string[] Labels, string? FeatureSettings = null, string? RunId = null)
{
    /// <summary>The recipe the model was trained with (version 2 files); null for version 1 files.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Recipe? Recipe { get; init; }

    /// <summary>
    /// The training set's band statistics that lone clips and streams are normalized toward
    /// (<see cref="ModelInput.Prior"/>, <see cref="InputSettings.PriorFrames"/>); null for models without it.
    /// </summary>
    public BandStatistics? InputPrior { get; init; }

    /// <summary>How features become this model's input (<see cref="ModelInput.Of"/>), read once when the file is loaded.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public ModelInput Input { get; init; } = null!;
}

/// <summary>
/// One zip file per model: <c>manifest.json</c> (<see cref="ModelManifest"/>), <c>recipe.json</c> (the
/// <see cref="Recipe"/>'s one JSON form) and <c>weights.bin</c> (the module's parameters and BatchNorm buffers in
/// TorchSharp's <c>Module.save</c> format). Version 1 files (no recipe, feature settings in the manifest) still load.
/// </summary>
public static class ModelArtifact
{
    public const string FormatName = "emotioncluster-ser-cnn";
    public const int FormatVersion = 2;
    internal const string ManifestEntry = "manifest.json";
    internal const string RecipeEntry = "recipe.json";
    internal const string WeightsEntry = "weights.bin";
    /// <summary>The largest weights entry read (decompressed): far above any model this CNN makes, far below what a crafted archive could claim.</summary>
    public const long MaxWeightsBytes = 1L << 30;
    /// <summary>The largest manifest or recipe entry read (decompressed).</summary>
    internal const long MaxJsonBytes = 1L << 20;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Writes the file atomically (a temporary file next to it, then a rename).</summary>
    /// <param name="runId">The training run that made the model (kept in the manifest); null when unknown.</param>
    /// <param name="inputPrior">The training set's band statistics (<see cref="ModelInput.Prior"/>); null: none.</param>
    public static void Save(string path, SerCnn model, string[] labels, Recipe recipe, string? runId = null, BandStatistics? inputPrior = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(recipe);
        if (labels.Length != model.Settings.Classes)
            throw new ArgumentException($"{labels.Length} labels given for a model of {model.Settings.Classes} classes.", nameof(labels));
        var input = recipe.ModelInput;
        if (input.Input.Frames != model.Settings.InputFrames || input.Features.Bins != model.Settings.InputBins)
            throw new ArgumentException($"the recipe gives {input.Features.Bins} x {input.Input.Frames} inputs but the model takes {model.Settings.InputBins} x {model.Settings.InputFrames}.", nameof(recipe));

        string full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        string temporary = full + ".tmp";
        using (var file = File.Create(temporary))
        using (var zip = new ZipArchive(file, ZipArchiveMode.Create))
        {
            var manifest = new ModelManifest(FormatName, FormatVersion, model.Settings, labels, RunId: runId) { InputPrior = inputPrior };
            using (var entry = zip.CreateEntry(ManifestEntry).Open())
                JsonSerializer.Serialize(entry, manifest, Json);
            using (var entry = zip.CreateEntry(RecipeEntry).Open())
                entry.Write(System.Text.Encoding.UTF8.GetBytes(recipe.RecipeJson()));
            using (var entry = zip.CreateEntry(WeightsEntry).Open())
                model.save(entry);
        }
        File.Move(temporary, full, overwrite: true);
    }

    /// <summary>The model (in evaluation mode, on <paramref name="device"/>) and its manifest.</summary>
    public static (SerCnn Model, ModelManifest Manifest) Load(string path, Device? device = null)
    {
        if (!File.Exists(path))
            throw new ModelArtifactException(path, "does not exist; train a model first or check the path.");
        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException e)
        {
            throw new ModelArtifactException(path, $"is not a model file (not a zip archive: {e.Message}).", e);
        }
        using (zip)
        {
            var manifest = ReadManifest(path, zip);
            var model = new SerCnn(manifest.Cnn);
            try
            {
                using var weights = new MemoryStream();
                using (var entry = Bounded(path, Entry(path, zip, WeightsEntry), MaxWeightsBytes).Open()) CopyBounded(path, entry, weights, MaxWeightsBytes);
                weights.Position = 0;
                model.load(weights);
                if (device is not null) model.to(device);
                model.eval();
                return (model, manifest);
            }
            catch (Exception e) when (e is not ModelArtifactException)
            {
                model.Dispose();
                throw new ModelArtifactException(path, $"its weights do not fit the model its manifest describes ({e.Message}); the file is damaged.", e);
            }
        }
    }

    internal static ModelManifest ReadManifest(string path, ZipArchive zip)
    {
        ModelManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<ModelManifest>(ReadText(path, zip, ManifestEntry), Json);
        }
        catch (JsonException e)
        {
            throw new ModelArtifactException(path, $"{ManifestEntry} is not valid JSON ({e.Message}).", e);
        }
        if (manifest is null || manifest.Format != FormatName)
            throw new ModelArtifactException(path, $"is not a {FormatName} model (format '{manifest?.Format}').");
        if (manifest.Version is < 1 or > FormatVersion)
            throw new ModelArtifactException(path, $"has format version {manifest.Version}; this build reads versions 1 to {FormatVersion}. Use a newer build of emotioncluster.");
        if (manifest.Cnn is null || manifest.Labels is null || (manifest.Version == 1 && manifest.FeatureSettings is null))
            throw new ModelArtifactException(path, $"{ManifestEntry} lacks cnn, labels or featureSettings.");
        if (manifest.Version >= 2)
        {
            try { manifest = manifest with { Recipe = Recipe.FromJson(ReadText(path, zip, RecipeEntry), RecipeEntry) }; }
            catch (ArgumentException e)
            {
                throw new ModelArtifactException(path, $"{e.Message}; the file was written by another build of emotioncluster: use that build or retrain.", e);
            }
        }
        try
        {
            var input = ModelInput.Of(manifest);
            manifest = manifest with { Input = input };
            if (input.Input.Frames != manifest.Cnn.InputFrames || input.Features.Bins != manifest.Cnn.InputBins)
                throw new ArgumentException($"its input settings give {input.Features.Bins} x {input.Input.Frames} inputs but the CNN takes {manifest.Cnn.InputBins} x {manifest.Cnn.InputFrames}");
            if (manifest.InputPrior is { } prior && (prior.Mean is null || prior.Std is null || prior.Mean.Length != manifest.Cnn.InputBins
                || prior.Std.Length != manifest.Cnn.InputBins || prior.Mean.Concat(prior.Std).Any(v => !double.IsFinite(v)) || prior.Std.Any(v => v < 0)))
                throw new ArgumentException($"its inputPrior is not {manifest.Cnn.InputBins} finite band means and deviations");
        }
        catch (ArgumentException e)
        {
            throw new ModelArtifactException(path, $"{e.Message}; retrain the model with this build.", e);
        }
        try
        {
            manifest.Cnn.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ModelArtifactException(path, e.Message, e);
        }
        if (manifest.Labels.Length != manifest.Cnn.Classes)
            throw new ModelArtifactException(path, $"lists {manifest.Labels.Length} labels for {manifest.Cnn.Classes} classes.");
        return manifest;
    }

    private static string ReadText(string path, ZipArchive zip, string name)
    {
        using var stream = Bounded(path, Entry(path, zip, name), MaxJsonBytes).Open();
        using var buffer = new MemoryStream();
        CopyBounded(path, stream, buffer, MaxJsonBytes);
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static ZipArchiveEntry Bounded(string path, ZipArchiveEntry entry, long max) =>
        entry.Length <= max ? entry
            : throw new ModelArtifactException(path, $"{entry.FullName} claims {entry.Length} bytes, more than the {max} this build reads; the file is damaged or not a model.");

    /// <summary>Copies at most <paramref name="max"/> bytes (a zip entry's stated length is not trusted).</summary>
    private static void CopyBounded(string path, Stream from, Stream to, long max)
    {
        var buffer = new byte[81920];
        long total = 0;
        int n;
        while ((n = from.Read(buffer, 0, buffer.Length)) > 0)
        {
            total += n;
            if (total > max) throw new ModelArtifactException(path, $"an entry decompresses to more than {max} bytes; the file is damaged or not a model.");
            to.Write(buffer, 0, n);
        }
    }

    private static ZipArchiveEntry Entry(string path, ZipArchive zip, string name) =>
        zip.GetEntry(name) ?? throw new ModelArtifactException(path, $"has no {name}; it is not a complete model file.");
}
