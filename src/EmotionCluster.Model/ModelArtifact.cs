using System.IO.Compression;
using System.Text.Json;
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

/// <summary>What a model file says about its model. <see cref="FeatureSettings"/> is the caller's JSON, kept verbatim.</summary>
public sealed record ModelManifest(string Format, int Version, CnnSettings Cnn, string[] Labels, string FeatureSettings);

/// <summary>
/// One zip file per model: <c>manifest.json</c> (<see cref="ModelManifest"/>) and <c>weights.bin</c> (the module's
/// parameters and BatchNorm buffers in TorchSharp's <c>Module.save</c> format).
/// </summary>
public static class ModelArtifact
{
    public const string FormatName = "emotioncluster-ser-cnn";
    public const int FormatVersion = 1;
    private const string ManifestEntry = "manifest.json";
    private const string WeightsEntry = "weights.bin";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Writes the file atomically (a temporary file next to it, then a rename).</summary>
    public static void Save(string path, SerCnn model, string[] labels, string featureSettingsJson)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(featureSettingsJson);
        if (labels.Length != model.Settings.Classes)
            throw new ArgumentException($"{labels.Length} labels given for a model of {model.Settings.Classes} classes.", nameof(labels));

        string full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        string temporary = full + ".tmp";
        using (var file = File.Create(temporary))
        using (var zip = new ZipArchive(file, ZipArchiveMode.Create))
        {
            var manifest = new ModelManifest(FormatName, FormatVersion, model.Settings, labels, featureSettingsJson);
            using (var entry = zip.CreateEntry(ManifestEntry).Open())
                JsonSerializer.Serialize(entry, manifest, Json);
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
                using (var entry = Entry(path, zip, WeightsEntry).Open()) entry.CopyTo(weights);
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

    private static ModelManifest ReadManifest(string path, ZipArchive zip)
    {
        ModelManifest? manifest;
        try
        {
            using var stream = Entry(path, zip, ManifestEntry).Open();
            manifest = JsonSerializer.Deserialize<ModelManifest>(stream, Json);
        }
        catch (JsonException e)
        {
            throw new ModelArtifactException(path, $"{ManifestEntry} is not valid JSON ({e.Message}).", e);
        }
        if (manifest is null || manifest.Format != FormatName)
            throw new ModelArtifactException(path, $"is not a {FormatName} model (format '{manifest?.Format}').");
        if (manifest.Version != FormatVersion)
            throw new ModelArtifactException(path, $"has format version {manifest.Version}; this build reads version {FormatVersion}. Retrain or use a matching build.");
        if (manifest.Cnn is null || manifest.Labels is null || manifest.FeatureSettings is null)
            throw new ModelArtifactException(path, $"{ManifestEntry} lacks cnn, labels or featureSettings.");
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

    private static ZipArchiveEntry Entry(string path, ZipArchive zip, string name) =>
        zip.GetEntry(name) ?? throw new ModelArtifactException(path, $"has no {name}; it is not a complete model file.");
}
