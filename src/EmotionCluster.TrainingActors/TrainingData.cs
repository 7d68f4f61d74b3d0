using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using EmotionCluster.Extraction;
using EmotionCluster.Features;
using EmotionCluster.Model;

namespace EmotionCluster.TrainingActors;

/// <summary>
/// One example of a <see cref="TrainingManifest"/>: the clip, its features' key in the feature store, its class index
/// and its speaker (for the recipe's speaker normalization; null or empty: the clip is its own group).
/// </summary>
public sealed record ManifestExample(string ClipId, string ContentHash, string SettingsHash, int Label, string? Speaker = null)
{
    public FeatureKey Key => new(ContentHash, SettingsHash);

    /// <summary>
    /// A training example's recorded variants (the recipe's <c>Augmentation.RecordedVariants</c>): the content hashes of
    /// the clip recorded again under random conditions, extracted with the same settings; null or empty: none.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string[]? Variants { get; init; }

    /// <summary>The variants' keys in the feature store.</summary>
    [JsonIgnore]
    public IEnumerable<FeatureKey> VariantKeys => (Variants ?? []).Select(h => new FeatureKey(h, SettingsHash));
}

/// <summary>
/// What to train on: class names, the <see cref="Model.Recipe"/> (its one JSON form, embedded as an object), and the
/// training, validation and (optional) held-out test examples by feature key. Test examples are never trained on: they
/// add their audio to their speakers' statistics and are scored with the final model. JSON (camelCase keys, the
/// recipe's own keys inside it), e.g. written by <c>emotioncluster manifest</c>:
/// <code>{"labels":["anger","neutral"],"recipe":{"Features":{…},"Input":{…},…},"train":[{"clipId":"a","contentHash":"…","settingsHash":"…","label":0,"speaker":"03"}],"validation":[],"test":[]}</code>
/// </summary>
public sealed record TrainingManifest(string[] Labels, JsonElement? Recipe, ManifestExample[] Train, ManifestExample[] Validation, ManifestExample[]? Test = null)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Written by manifests from before the one recipe (feature settings only); read to refuse them clearly.</summary>
    public string? FeatureSettingsJson { get; init; }

    /// <summary>The corpus the examples come from (its name; optional, for the journal's record of the run).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Corpus { get; init; }

    /// <summary>The corpus' path, as the command that wrote the manifest had it (optional, for the journal).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CorpusPath { get; init; }

    /// <summary>The split the parts are (e.g. <c>stratified-42</c>, <c>loso-03</c>; optional, for the journal).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Split { get; init; }

    /// <summary>Where the examples come from, as the manifest says (empty where it does not).</summary>
    [JsonIgnore]
    public DataOrigin Origin => new(Corpus ?? "", CorpusPath ?? "", Split ?? "");

    public static TrainingManifest Create(string[] labels, Recipe recipe, ManifestExample[] train, ManifestExample[] validation, ManifestExample[]? test = null)
    {
        using var doc = JsonDocument.Parse(recipe.RecipeJson());
        return new TrainingManifest(labels, doc.RootElement.Clone(), train, validation, test ?? []);
    }

    /// <summary>The manifest's recipe.</summary>
    /// <exception cref="InvalidDataException">there is none (a manifest from an older build) or it is invalid.</exception>
    public Recipe GetRecipe(string name = "training manifest")
    {
        if (Recipe is not { ValueKind: JsonValueKind.Object } recipe)
            throw new InvalidDataException(FeatureSettingsJson is not null
                ? $"{name} was written by an older build (feature settings only, no recipe); write it again with 'emotioncluster manifest'"
                : $"{name}: 'recipe' is missing; write the manifest with 'emotioncluster manifest'");
        try { return Model.Recipe.FromJson(recipe.GetRawText(), $"{name}: recipe"); }
        catch (ArgumentException e) { throw new InvalidDataException(e.Message, e); }
    }

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
        File.WriteAllText(tmp, ToJson());
        File.Move(tmp, full, overwrite: true);
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public void Validate(string name)
    {
        if (Labels is not { Length: >= 2 }) throw new InvalidDataException($"training manifest {name}: 'labels' needs at least two class names");
        if (Train is not { Length: > 0 }) throw new InvalidDataException($"training manifest {name}: 'train' lists no examples");
        GetRecipe($"training manifest {name}");
        foreach (var (set, list) in new[] { ("train", Train), ("validation", Validation ?? []), ("test", Test ?? []) })
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

/// <summary>
/// Where a run's examples come from: the corpus' name and path and the split's name (empty strings where unknown). The
/// journal records it with the run (<see cref="EmotionCluster.Evaluator.RunDescription"/>).
/// </summary>
public sealed record DataOrigin(string Corpus, string CorpusPath, string Split)
{
    public static readonly DataOrigin Unknown = new("", "", "");
}

/// <summary>A clip's raw features (as extracted), its class index and speaker, before the recipe shapes them.</summary>
public sealed record LabelledFeatures(string ClipId, Spectrogram Features, int Label, string? Speaker)
{
    /// <summary>The features of the clip's recorded variants (multi-condition training; training examples only), as extracted.</summary>
    public IReadOnlyList<Spectrogram> Variants { get; init; } = [];
}

/// <summary>
/// A run's examples shaped by its <see cref="Model.Recipe"/> (<see cref="ModelInput"/>: speaker normalization,
/// standardization, crop or pad), the training-time augmentation, and the held-out test clips' scoring windows.
/// Built the same way from a manifest and a feature store (trainer nodes) or from features in memory (the CLI).
/// </summary>
public sealed record TrainingData(
    string[] Labels,
    Recipe Recipe,
    Spectrogram[] TrainX,
    int[] TrainY,
    Spectrogram[] ValidationX,
    int[] ValidationY)
{
    public int Bins => TrainX[0].Bins;
    public int Frames => TrainX[0].Frames;

    /// <summary>The recipe's augmentation as a per-example transform (null: off), speaker contexts and long-clip windows included.</summary>
    public Func<Spectrogram, Random, Spectrogram>? Augment { get; init; }

    /// <summary>
    /// How features become this run's model input: the recipe's <see cref="ModelInput"/> with the training set's
    /// <see cref="ModelInput.Prior"/> (when <see cref="InputSettings.PriorFrames"/> asks for one), as the model file keeps it.
    /// </summary>
    public ModelInput Input { get; init; } = null!;

    /// <summary>The corpus and split the examples come from (recorded with the run in the journal).</summary>
    public DataOrigin Origin { get; init; } = DataOrigin.Unknown;

    /// <summary>Held-out test clips (never trained on): ids, scoring windows (<see cref="ModelInput.Crops"/>) and labels.</summary>
    public string[] TestIds { get; init; } = [];
    public IReadOnlyList<Spectrogram>[] TestCrops { get; init; } = [];
    public int[] TestY { get; init; } = [];

    /// <summary>
    /// Shapes the examples as <paramref name="recipe"/> says. Speaker statistics (<see cref="InputSettings.SpeakerNorm"/>)
    /// are taken per speaker over every clip given (train, validation and test audio; never labels); a clip with no
    /// speaker is normalized by its own statistics. With <see cref="InputSettings.PriorFrames"/> the prior is the training
    /// clips' statistics, validation clips are shaped as lone clips (what <c>predict FILE</c> does, so the model is
    /// selected for it) and, with <see cref="AugmentationSettings.SpeakerContexts"/>, each training example's
    /// statistics are drawn afresh from a random context of its speaker's training clips (<see cref="SpeakerContexts"/>).
    /// The test clips' windows use all of their speaker's clips (the journal's test metrics).
    /// </summary>
    public static TrainingData Build(Recipe recipe, string[] labels, IReadOnlyList<LabelledFeatures> train,
        IReadOnlyList<LabelledFeatures> validation, IReadOnlyList<LabelledFeatures>? test = null)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        test ??= [];
        if (train.Count == 0) throw new ArgumentException("The training set is empty.", nameof(train));
        foreach (var c in train.Concat(validation).Concat(test))
        {
            if (c.Features.Bins != recipe.Features.Bins)
                throw new InvalidDataException($"clip '{c.ClipId}' has {c.Features.Bins} bands but the recipe's features have {recipe.Features.Bins}; extract with the recipe's feature settings");
            if (c.Label < 0 || c.Label >= labels.Length)
                throw new InvalidDataException($"clip '{c.ClipId}' has label {c.Label}; use a class index 0..{labels.Length - 1}");
        }
        bool speakerNorm = recipe.Input.SpeakerNorm != SpeakerNormalization.None;
        var input = recipe.ModelInput;
        if (speakerNorm && recipe.Input.PriorFrames > 0)
            input = input with { Prior = BandStatistics.Of(train.Select(c => c.Features)) };
        var speakers = !speakerNorm ? null
            : ModelInput.SpeakerStatistics(train.Concat(validation).Concat(test).Select(c => (c.ClipId, c.Speaker, c.Features)));
        BandStatistics? SpeakerOf(LabelledFeatures c) =>
            speakers is not null && !string.IsNullOrEmpty(c.Speaker) && speakers.TryGetValue(c.Speaker, out var s) ? s : null;

        var trainX = train.Select(c => input.Shape(c.Features, SpeakerOf(c))).ToArray();
        var sources = new Dictionary<Spectrogram, Func<Random, Spectrogram>>(ReferenceEqualityComparer.Instance);
        var augmentation = recipe.Augmentation;
        bool contexts = augmentation.Enabled && input.Prior is not null && augmentation.SpeakerContexts;
        var conditions = augmentation.Enabled && augmentation.RecordingConditions ? new RecordingConditions(recipe.Features.Mel) : null;
        bool variants = augmentation.Enabled && augmentation.RecordedVariants > 0 && train.Any(c => c.Variants.Count > 0);
        if (contexts || conditions is not null || variants)
        {
            var raw = train.Select(c => c.Features).ToArray();
            var own = contexts ? raw.Select(x => BandStatistics.Of([x])).ToArray() : [];
            var groups = Enumerable.Range(0, train.Count)
                .GroupBy(i => string.IsNullOrEmpty(train[i].Speaker) ? "\0" + train[i].ClipId : train[i].Speaker!, StringComparer.Ordinal);
            foreach (var group in groups)
            {
                int[] members = group.ToArray();
                int[] classes = members.Select(i => train[i].Label).ToArray();
                for (int self = 0; self < members.Length; self++)
                {
                    int at = self, index = members[self];
                    var speaker = SpeakerOf(train[index]);
                    var recorded = variants ? train[index].Variants : [];
                    sources[trainX[index]] = random =>
                    {
                        // the recording as this draw hears it (one of its recorded variants, a simulated condition), then its
                        // statistics: a context of its speaker's clips (itself as heard: its precomputed statistics unless
                        // the draw changed it)
                        var x = raw[index];
                        bool changed = false;
                        if (recorded.Count > 0 && random.NextDouble() < augmentation.VariantShare)
                            (x, changed) = (recorded[random.Next(recorded.Count)], true);
                        if (conditions is not null) (x, changed) = (conditions.Apply(x, random, raw), true);
                        BandStatistics? context = !contexts ? speaker
                            : BandStatistics.Pool(SpeakerContexts.Draw(at, classes, random).Select(j => j == at && changed ? BandStatistics.Of([x]) : own[members[j]]));
                        return input.TrainingWindow(x, context, random);
                    };
                }
            }
        }
        else if (recipe.Input.LongClips == LongClipMode.Crops)
        {
            for (int i = 0; i < train.Count; i++)
                if (train[i].Features.Frames > recipe.Input.Frames)
                {
                    var clip = train[i].Features;
                    var context = SpeakerOf(train[i]);
                    sources[trainX[i]] = random => input.TrainingWindow(clip, context, random);
                }
        }
        BandStatistics? ValidationContext(LabelledFeatures c) => input.Prior is not null ? null : SpeakerOf(c);
        return new TrainingData(labels, recipe, trainX, train.Select(c => c.Label).ToArray(),
            validation.Select(c => input.Shape(c.Features, ValidationContext(c))).ToArray(), validation.Select(c => c.Label).ToArray())
        {
            Augment = recipe.Augmenter(sources.Count > 0 ? sources : null),
            Input = input,
            TestIds = test.Select(c => c.ClipId).ToArray(),
            TestCrops = test.Select(c => input.Crops(c.Features, SpeakerOf(c))).ToArray(),
            TestY = test.Select(c => c.Label).ToArray(),
        };
    }

    /// <summary>Reads every example's features from <paramref name="store"/> and shapes them by the manifest's recipe.</summary>
    /// <param name="recipe">Overrides the manifest's recipe (e.g. the node's device and threads); null: the manifest's.</param>
    public static TrainingData Load(TrainingManifest manifest, IFeatureStore store, Recipe? recipe = null)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(store);
        recipe ??= manifest.GetRecipe();
        Spectrogram Get(FeatureKey key, string what) => store.TryGet(key) ?? throw new InvalidDataException(
            $"{what}: features {key} are not in the feature store{(store is DirectoryFeatureStore d ? " at " + d.Root : "")}; run the extraction first or point FeatureStorePath at the store that has them");
        LabelledFeatures[] Read(ManifestExample[] list, string set) => list.Select((e, i) =>
            new LabelledFeatures(e.ClipId, Get(e.Key, $"{set}[{i}] (clip '{e.ClipId}')"), e.Label, e.Speaker)
            {
                Variants = e.VariantKeys.Select((k, n) => Get(k, $"{set}[{i}] (clip '{e.ClipId}'), recorded variant {n}")).ToArray(),
            }).ToArray();
        return Build(recipe, manifest.Labels, Read(manifest.Train, "train"), Read(manifest.Validation ?? [], "validation"), Read(manifest.Test ?? [], "test"))
            with { Origin = manifest.Origin };
    }
}

public static class RunIdentity
{
    /// <summary>
    /// "train-" and 16 hex digits of SHA-256 over one invocation's job: the recipe, the labels, the clips of each part
    /// and <paramref name="invocation"/> (e.g. the command's start time and fold), so every run the CLI starts is a new
    /// run in the journal.
    /// </summary>
    public static string ForJob(Recipe recipe, IEnumerable<string> labels, IEnumerable<string> train, IEnumerable<string> validation,
        IEnumerable<string> test, string invocation)
    {
        string text = string.Join('\n', recipe.Hash(), string.Join(',', labels), string.Join(',', train), string.Join(',', validation),
            string.Join(',', test), invocation);
        return "train-" + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))[..16];
    }

    /// <summary>"train-" and 16 hex digits of SHA-256 over the manifest (labels, recipe, examples): equal on every replica of a run.</summary>
    public static string Of(TrainingManifest manifest)
    {
        var recipe = manifest.GetRecipe();
        // the examples and the recipe: what the corpus and split are called does not change the run
        string text = JsonSerializer.Serialize(manifest with { Recipe = null, Corpus = null, CorpusPath = null, Split = null }, TrainingManifest.Json) + "\n" + recipe.Hash();
        return "train-" + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))[..16];
    }
}
