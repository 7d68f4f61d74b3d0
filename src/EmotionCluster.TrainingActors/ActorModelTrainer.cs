using System.Security.Cryptography;
using System.Text;
using Akka.Actor;
using EmotionCluster.Model;

namespace EmotionCluster.TrainingActors;

/// <summary>Trains a model on shaped examples and returns it with its history (the best validation epoch's weights).</summary>
public interface IModelTrainer
{
    /// <param name="runId">The run's id, as the journal records it (see <see cref="RunIdentity.ForJob"/>).</param>
    TrainingResult Train(TrainingData data, string runId, IProgress<EpochReport>? progress = null, CancellationToken cancellationToken = default);
}

/// <summary>
/// The CLI's jobs on the trainer actor of a node (<see cref="TrainerActor"/>, normally the command's embedded node):
/// sends a <see cref="StartTraining"/> job with the examples in memory, turns the run's <see cref="EpochMetrics"/> from
/// the <see cref="TrainingTopics.Evaluation"/> topic into progress, waits for <see cref="TrainingCompleted"/> and loads the
/// model the run wrote. The same actor, replica arithmetic, checkpoints and evaluator records as trainer nodes.
/// </summary>
public sealed class ActorModelTrainer(ActorSystem system, IActorRef trainer, string workDirectory) : IModelTrainer
{
    public TrainingResult Train(TrainingData data, string runId, IProgress<EpochReport>? progress = null, CancellationToken cancellationToken = default) =>
        TrainAsync(data, runId, progress, cancellationToken).GetAwaiter().GetResult();

    public async Task<TrainingResult> TrainAsync(TrainingData data, string runId, IProgress<EpochReport>? progress = null, CancellationToken cancellationToken = default)
    {
        string dir = Path.Combine(Path.GetFullPath(workDirectory), runId);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); // a run id is one invocation's: nothing to resume
        using var epochs = new RunEpochs(system, runId, progress);
        try
        {
            await epochs.Subscribed.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            var job = new TrainingJob(Data: data, RunId: runId, ModelOutput: Path.Combine(dir, "model.ecm"), CheckpointDirectory: Path.Combine(dir, "checkpoint"));
            TrainingCompleted done;
            try
            {
                done = await trainer.Ask<TrainingCompleted>(new StartTraining(job), Timeout.InfiniteTimeSpan, cancellationToken);
            }
            catch (InvalidOperationException e) // the trainer's Status.Failure
            {
                throw new InvalidOperationException($"run {runId}: {e.Message}", e);
            }
            var history = await epochs.AfterAsync(done.EpochsRun, cancellationToken);
            var (model, _) = ModelArtifact.Load(done.ModelPath ?? throw new InvalidOperationException($"run {runId} wrote no model"),
                TorchRuntime.ResolveDevice(data.Recipe.Training.Device));
            return new TrainingResult(model, history, done.BestEpoch, done.StoppedEarly, null);
        }
        finally
        {
            try
            {
                // a job's folder goes with it, unless the journal still lacks some of its records (they are in the outbox)
                if (!File.Exists(Path.Combine(dir, "checkpoint", EvaluatorOutbox.FileName)) && Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
                string parent = Path.GetFullPath(workDirectory);
                if (Directory.Exists(parent) && !Directory.EnumerateFileSystemEntries(parent).Any()) Directory.Delete(parent);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }
}
