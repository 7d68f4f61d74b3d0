using EmotionCluster.Extraction;
using EmotionCluster.Features;
using EmotionCluster.Model;
using EmotionCluster.TrainingActors;

[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)] // torch's generator and thread count are process-wide

namespace EmotionCluster.TrainingActors.Tests;

/// <summary>Tiny synthetic features: each class lights up its own band of bins, plus noise.</summary>
public sealed class Synthetic : IDisposable
{
    public const int Bins = 8, Frames = 16, Classes = 3;

    public Synthetic(int trainCount = 24, int validationCount = 6, int seed = 1)
    {
        Root = Path.Combine(Path.GetTempPath(), "ec-training-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
        Store = new DirectoryFeatureStore(Path.Combine(Root, "features"));
        var random = new Random(seed);
        ManifestExample Make(int i, string set)
        {
            int label = i % Classes;
            var data = new float[Bins * Frames];
            for (int b = 0; b < Bins; b++)
                for (int f = 0; f < Frames; f++)
                    data[b * Frames + f] = (float)(random.NextDouble() - 0.5) + (b / (Bins / Classes) == label ? 1.5f : 0f);
            var content = FeatureKey.HashContent(System.Text.Encoding.UTF8.GetBytes($"{set}-{i}-{seed}"));
            var key = new FeatureKey(content, "0123456789abcdef");
            Store.Put(key, new Spectrogram(data, Bins, Frames));
            return new ManifestExample($"{set}{i}", key.ContentHash, key.SettingsHash, label);
        }
        Manifest = TrainingManifest.Create(["a", "b", "c"], Recipe(),
            Enumerable.Range(0, trainCount).Select(i => Make(i, "train")).ToArray(),
            Enumerable.Range(0, validationCount).Select(i => Make(i, "val")).ToArray());
        ManifestPath = Path.Combine(Root, "manifest.json");
        Manifest.Save(ManifestPath);
        Data = TrainingData.Load(Manifest, Store);
    }

    public string Root { get; }
    public DirectoryFeatureStore Store { get; }
    public TrainingManifest Manifest { get; }
    public string ManifestPath { get; }
    public TrainingData Data { get; }

    /// <summary>
    /// A small recipe for the synthetic features: taken as they are (no standardization, speaker normalization or
    /// augmentation, no early stopping or BatchNorm recalibration), so replicas can be compared step by step.
    /// </summary>
    public static Recipe Recipe(bool batchNorm = true, double dropout = 0.2, int epochs = 4, int batchSize = 8) => new()
    {
        Features = new FeaturePipelineSettings { Mel = new MelSettings { NMels = Bins } },
        Input = new InputSettings { Frames = Frames, Standardize = false, SpeakerNorm = SpeakerNormalization.None },
        Augmentation = new AugmentationSettings { Enabled = false },
        Cnn = new CnnSettings { Channels = [4, 8], DenseSize = 8, KernelSize = 3, ConvDropout = dropout, DenseDropout = dropout, BatchNorm = batchNorm },
        Training = new TrainingSettings
        {
            Epochs = epochs, BatchSize = batchSize, LearningRate = 1e-2, Threads = 1, Seed = 7, WarmupEpochs = 1, Schedule = LrSchedule.Cosine,
            EarlyStoppingPatience = 0, PreciseBatchNorm = false,
        },
    };

    /// <summary>This data's manifest with <paramref name="recipe"/>.</summary>
    public TrainingManifest ManifestFor(Recipe recipe) => TrainingManifest.Create(Manifest.Labels, recipe, Manifest.Train, Manifest.Validation, Manifest.Test);

    /// <summary>Writes this data's manifest with <paramref name="recipe"/>; returns its path.</summary>
    public string WriteManifest(Recipe recipe, string name = "manifest.json")
    {
        string path = Path.Combine(Root, name);
        ManifestFor(recipe).Save(path);
        return path;
    }

    public DataParallelReplica Replica(Recipe recipe) => new(RunIdentity.Of(ManifestFor(recipe)), Data with { Recipe = recipe });

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
