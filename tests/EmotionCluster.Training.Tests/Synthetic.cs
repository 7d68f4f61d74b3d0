using EmotionCluster.Extraction;
using EmotionCluster.Features;
using EmotionCluster.Model;
using EmotionCluster.Training;

[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)] // torch's generator and thread count are process-wide

namespace EmotionCluster.Training.Tests;

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
        Manifest = new TrainingManifest(["a", "b", "c"], "{}",
            Enumerable.Range(0, trainCount).Select(i => Make(i, "train")).ToArray(),
            Enumerable.Range(0, validationCount).Select(i => Make(i, "val")).ToArray());
        ManifestPath = Path.Combine(Root, "manifest.json");
        Manifest.Save(ManifestPath);
        Data = TrainingData.Load(Manifest, Store, Frames);
    }

    public string Root { get; }
    public DirectoryFeatureStore Store { get; }
    public TrainingManifest Manifest { get; }
    public string ManifestPath { get; }
    public TrainingData Data { get; }

    public static TrainerOptions Options(bool batchNorm = true, double dropout = 0.2, int epochs = 4, int batchSize = 8) => new()
    {
        Epochs = epochs, BatchSize = batchSize, LearningRate = 1e-2, Channels = "4,8", DenseSize = 8, KernelSize = 3,
        ConvDropout = dropout, DenseDropout = dropout, BatchNorm = batchNorm, InputFrames = Frames, Threads = 1, Seed = 7,
        WarmupEpochs = 1, Schedule = LrSchedule.Cosine,
    };

    public DataParallelReplica Replica(TrainerOptions options) =>
        new(RunIdentity.Of(Manifest, options.Fingerprint()), options.ToCnnSettings(Bins, Frames, Classes), options.ToTrainingSettings(), Data);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
