using System.Collections.Concurrent;
using EmotionCluster.Hosting;
using EmotionCluster.Metrics;
using EmotionCluster.Model;
using EmotionCluster.TrainingActors;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace EmotionCluster.TrainingActors.Tests;

/// <summary>The trainer actor on a one-node cluster in this process.</summary>
public class ActorTests
{
    private sealed class RecordingSink : IEvaluationSink
    {
        public ConcurrentQueue<string> Calls { get; } = new();
        public ConcurrentQueue<EmotionCluster.Evaluator.RunDescription?> Descriptions { get; } = new();
        public void RunStarted(string runId, string settingsJson, string[] labels, EmotionCluster.Evaluator.RunDescription? description)
        {
            Descriptions.Enqueue(description);
            Calls.Enqueue($"start {runId} {string.Join(',', labels)}");
        }
        public void EpochEvaluated(EpochMetrics metrics, ClassificationReport? validation) => Calls.Enqueue($"epoch {metrics.Epoch} {validation?.Count}");
        public void RunCompleted(string runId, int? bestEpoch, ClassificationReport? test) => Calls.Enqueue($"done {runId} {bestEpoch}");
    }

    [Fact]
    public async Task A_single_trainer_trains_every_epoch_reports_and_writes_the_model()
    {
        using var data = new Synthetic();
        var recipe = Synthetic.Recipe(epochs: 3);
        string manifestPath = Path.Combine(data.Root, "three-epochs.json");
        (data.ManifestFor(recipe) with { Corpus = "synthetic", CorpusPath = data.Root, Split = "fixed-3" }).Save(manifestPath);
        var options = new TrainerOptions
        {
            Manifest = manifestPath,
            CheckpointDirectory = Path.Combine(data.Root, "ckpt"),
            ModelOutput = Path.Combine(data.Root, "model.ecm"),
            BestModelOutput = Path.Combine(data.Root, "best", "best.ecm"),
        };
        var lines = new ConcurrentQueue<string>();
        var finished = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Output(string line)
        {
            lines.Enqueue(line);
            if (line.StartsWith("training finished") || line.StartsWith("training failed")) finished.TrySetResult(line);
        }
        var board = new TrainingStatusBoard();
        var sink = new RecordingSink();
        var node = new NodeSettings { Roles = [ClusterRoles.Trainer], FeatureStorePath = data.Store.Root };
        using var host = await TrainingNode.StartAsync(node, options, Output, board, sink);
        try
        {
            var last = await finished.Task.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.StartsWith("training finished steps=9 epochs=3", last);
            Assert.Contains(lines, l => l.StartsWith("trainer ready") && l.Contains("pool-thread=false"));
            Assert.Equal(3, lines.Count(l => l.StartsWith("epoch ")));

            string runId = RunIdentity.Of(data.ManifestFor(recipe));
            var calls = sink.Calls.ToArray();
            Assert.Equal([$"start {runId} a,b,c", "epoch 1 6", "epoch 2 6", "epoch 3 6"], calls[..4]);
            Assert.StartsWith($"done {runId} ", calls[4]);
            Assert.Equal(5, calls.Length);

            var status = board.Current;
            Assert.Equal("finished", status.State);
            Assert.Equal(runId, status.RunId);
            Assert.Equal(3, status.Epoch);
            Assert.NotNull(status.ValidationUar);

            var (model, manifest) = ModelArtifact.Load(options.ModelOutput);
            using (model) Assert.Equal(["a", "b", "c"], manifest.Labels);
            // the model file carries the recipe it was trained with and its run: predict, evaluate and streaming read it
            Assert.Equal(recipe.RecipeJson(), manifest.Recipe!.RecipeJson());
            Assert.Equal(runId, manifest.RunId);
            // the run's start says what it is: the hash of the recipe in the model file, the manifest's corpus and split, the seed, one node and replica
            var description = Assert.Single(sink.Descriptions);
            Assert.Equal(new EmotionCluster.Evaluator.RunDescription(manifest.Recipe.Hash(), "synthetic", data.Root, "fixed-3", 7, 1, 1), description);
            using (var predictor = Predictor.Load(options.ModelOutput)) Assert.Equal(recipe.ModelInput, predictor.Input);
            // every new best validation UAR rewrote the best model and announced it (the node publishes it to predictors)
            var best = lines.Where(l => l.StartsWith("best model epoch ")).ToArray();
            Assert.NotEmpty(best);
            string bestEpoch = calls[4].Split(' ')[^1]; // "done RUN BEST"
            Assert.StartsWith($"best model epoch {bestEpoch} ", best[^1]);
            var (bestModel, bestManifest) = ModelArtifact.Load(options.BestModelOutput);
            using (bestModel) Assert.Equal(["a", "b", "c"], bestManifest.Labels);
            Assert.Equal(3, new CheckpointStore(options.CheckpointDirectory).TryLoad()!.Epoch);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }
}
