using System.Security.Cryptography;
using System.Text.Json;
using EmotionCluster.Extraction;
using EmotionCluster.Features;

namespace EmotionCluster.Training;

/// <summary>One example of a <see cref="TrainingManifest"/>: the clip, its features' key in the feature store, its class index.</summary>
public sealed record ManifestExample(string ClipId, string ContentHash, string SettingsHash, int Label)
{
    public FeatureKey Key => new(ContentHash, SettingsHash);
}

/// <summary>
/// What to train on: class names, the feature settings that made the features (kept in the model file), and the
/// training and validation examples by feature key. JSON (camelCase), e.g. written by the extraction step:
/// <code>{"labels":["anger","neutral"],"featureSettingsJson":"{}","train":[{"clipId":"a","contentHash":"…","settingsHash":"…","label":0}],"validation":[]}</code>
/// </summary>
public sealed record TrainingManifest(string[] Labels, string FeatureSettingsJson, ManifestExample[] Train, ManifestExample[] Validation)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static TrainingManifest Load(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"training manifest {path} does not exist; set EmotionCluster:Training:Manifest to a manifest JSON file", path);
        TrainingManifest? manifest;
        try { manifest = JsonSerializer.Deserialize<TrainingManifest>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new InvalidDataException($"training manifest {path}: not valid JSON ({e.Message})", e); }
        if (manifest is null) throw new InvalidDataException($"training manifest {path} is empty");
        manifest.Validate(path);
        return manifest;
    }

    public void Save(string path)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string tmp = full + $".{Environment.ProcessId}.tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(this, Json));
        File.Move(tmp, full, overwrite: true);
    }

    public void Validate(string name)
    {
        if (Labels is not { Length: >= 2 }) throw new InvalidDataException($"training manifest {name}: 'labels' needs at least two class names");
        if (Train is not { Length: > 0 }) throw new InvalidDataException($"training manifest {name}: 'train' lists no examples");
        foreach (var (set, list) in new[] { ("train", Train), ("validation", Validation ?? []) })
            for (int i = 0; i < list.Length; i++)
            {
                var e = list[i];
                if (e is null || string.IsNullOrEmpty(e.ContentHash) || string.IsNullOrEmpty(e.SettingsHash))
                    throw new InvalidDataException($"training manifest {name}: {set}[{i}] has no contentHash/settingsHash");
                if (e.Label < 0 || e.Label >= Labels.Length)
                    throw new InvalidDataException($"training manifest {name}: {set}[{i}] ({e.ClipId}) has label {e.Label}; use a class index 0..{Labels.Length - 1}");
            }
    }
}

/// <summary>Training and validation tensors of a run, cropped or padded to one frame count.</summary>
public sealed record TrainingData(
    string[] Labels,
    string FeatureSettingsJson,
    Spectrogram[] TrainX,
    int[] TrainY,
    Spectrogram[] ValidationX,
    int[] ValidationY)
{
    public int Bins => TrainX[0].Bins;
    public int Frames => TrainX[0].Frames;

    /// <summary>
    /// Reads every example's features from <paramref name="store"/>. <paramref name="frames"/> &gt; 0 crops or pads
    /// (centre) to that many frames; 0 requires all examples to have the first one's size.
    /// </summary>
    public static TrainingData Load(TrainingManifest manifest, IFeatureStore store, int frames)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(store);
        Spectrogram[] Read(ManifestExample[] list, string set) => list.Select((e, i) =>
        {
            var s = store.TryGet(e.Key) ?? throw new InvalidDataException(
                $"{set}[{i}] (clip '{e.ClipId}'): features {e.Key} are not in the feature store{(store is DirectoryFeatureStore d ? " at " + d.Root : "")}; run the extraction first or point FeatureStorePath at the store that has them");
            return frames > 0 && s.Frames != frames ? FixedLength.CropOrPad(s, frames) : s;
        }).ToArray();
        var trainX = Read(manifest.Train, "train");
        var valX = Read(manifest.Validation ?? [], "validation");
        int bins = trainX[0].Bins, width = trainX[0].Frames;
        foreach (var (x, i) in trainX.Concat(valX).Select((x, i) => (x, i)))
            if (x.Bins != bins || x.Frames != width)
                throw new InvalidDataException(
                    $"example {i} is {x.Bins} x {x.Frames} (bins x frames) but the first is {bins} x {width}; set EmotionCluster:Training:InputFrames to crop or pad them to one length");
        return new TrainingData(manifest.Labels, manifest.FeatureSettingsJson ?? "{}", trainX, manifest.Train.Select(e => e.Label).ToArray(),
            valX, (manifest.Validation ?? []).Select(e => e.Label).ToArray());
    }
}

public static class RunIdentity
{
    /// <summary>"train-" and 16 hex digits of SHA-256 over the manifest and the settings: equal on every replica of a run.</summary>
    public static string Of(TrainingManifest manifest, string settingsFingerprint)
    {
        string text = JsonSerializer.Serialize(manifest, TrainingManifest.Json) + "\n" + settingsFingerprint;
        return "train-" + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))[..16];
    }
}
