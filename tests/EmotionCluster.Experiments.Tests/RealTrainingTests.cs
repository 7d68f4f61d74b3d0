using EmotionCluster.Corpora;
using EmotionCluster.Experiments;
using EmotionCluster.Extraction;
using EmotionCluster.Hosting;
using EmotionCluster.Model;
using EmotionCluster.Testing;
using EmotionCluster.TrainingActors;
using Xunit;

namespace EmotionCluster.Experiments.Tests;

/// <summary>
/// A short real training on EMO-DB (runs in CI) through the trainer actor of an embedded node, as the CLI's jobs train:
/// the loss must fall and the held-out UAR must clear chance.
/// </summary>
public class RealTrainingTests(ITestOutputHelper output)
{
    [EmoDbFact]
    public async Task Short_training_on_EmoDb_lowers_the_loss_and_beats_chance_clearly()
    {
        var corpus = CorpusLoader.Load(Datasets.RequireEmoDb());
        string[] emotions = [Emotions.Anger, Emotions.Sadness, Emotions.Neutral];
        var clips = corpus.Clips.Where(c => emotions.Contains(c.Emotion))
            .GroupBy(c => c.Emotion).SelectMany(g => g.OrderBy(c => c.Id, StringComparer.Ordinal).Take(50)).ToList();
        var settings = new ExperimentSettings
        {
            Emotions = emotions,
            Input = new InputSettings { Frames = 200 },
            Cnn = new CnnSettings { Channels = [16, 32, 64] },
            Augmentation = new AugmentationSettings { Enabled = false },
            Training = new TrainingSettings { Epochs = 12, EarlyStoppingPatience = 0, Seed = 7, Threads = 2, WarmupEpochs = 1, LearningRate = 3e-3, LabelSmoothing = 0 },
        };
        string work = Directory.CreateTempSubdirectory("ec-real-training-").FullName;
        await using var node = await TrainingNode.StartEmbeddedAsync(new NodeSettings { FeatureStorePath = Path.Combine(work, "features") }, journal: null);
        var runner = new ExperimentRunner(settings, new ActorModelTrainer(node.System, TrainingNode.Trainer(node), Path.Combine(work, "jobs")));
        var features = await FeatureSet.ExtractAsync(clips, settings.Features, new LocalFeatureProvider(new MemoryFeatureStore(), 2));
        Assert.Equal(150, features.Clips.Count);
        string[] labels = ExperimentRunner.LabelsOf(features.Clips);
        var split = Splits.Stratified(features.Clips, seed: 7, trainFraction: 0.6, validationFraction: 0.1);

        using var trained = runner.TrainSplit(features, split, labels);
        var h = trained.Training.History;
        foreach (var e in h) output.WriteLine($"epoch {e.Epoch}: loss {e.TrainLoss:0.000} val UAR {e.ValidationUar:0.000}");
        output.WriteLine($"test ({split.Test.Count} clips): accuracy {trained.Test.Accuracy:0.000}, UAR {trained.Test.Uar:0.000}");

        Assert.Equal(12, h.Count);
        Assert.True(h.Skip(9).Average(e => e.TrainLoss) < 0.7 * h[0].TrainLoss, $"training loss did not fall: {h[0].TrainLoss:0.000} → {h[^1].TrainLoss:0.000}");
        Assert.True(split.Test.Count >= 45);
        Assert.True(trained.Test.Uar >= 1.0 / 3 + 0.25, $"test UAR {trained.Test.Uar:0.000} is not clearly above chance (1/3)");
        Assert.Matches("^train-[0-9a-f]{16}$", trained.RunId);
        // the run's epoch events flag the best epoch, and no epoch after it
        Assert.True(h.Single(e => e.Epoch == trained.Training.BestEpoch).IsBest);
        Assert.DoesNotContain(h, e => e.Epoch > trained.Training.BestEpoch && e.IsBest);
        try { Directory.Delete(work, recursive: true); } catch (IOException) { }
    }
}
