using System.Security.Cryptography;
using System.Text;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using EmotionCluster.Model;

namespace EmotionCluster.Training;

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
        var history = new List<EpochReport>();
        var subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnEpoch(EpochMetrics m)
        {
            var report = new EpochReport(m.Epoch, m.LearningRate, m.TrainLoss, m.TrainAccuracy, m.ValidationLoss, m.ValidationAccuracy,
                m.ValidationUar, m.IsBest, TimeSpan.FromSeconds(m.Seconds));
            lock (history)
            {
                history.RemoveAll(e => e.Epoch == report.Epoch); // a restarted run reports an epoch again
                history.Add(report);
            }
            progress?.Report(report);
        }
        Action<EpochMetrics> onEpoch = OnEpoch;
        var listener = system.ActorOf(Props.Create(() => new EpochListener(runId, subscribed, onEpoch)));
        try
        {
            await subscribed.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
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
            // the last epoch's event may still be on its way through the topic
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (Count(history) < done.EpochsRun && DateTime.UtcNow < deadline) await Task.Delay(20, cancellationToken);
            var (model, _) = ModelArtifact.Load(done.ModelPath ?? throw new InvalidOperationException($"run {runId} wrote no model"),
                TorchRuntime.ResolveDevice(data.Recipe.Training.Device));
            List<EpochReport> epochs;
            lock (history) epochs = history.OrderBy(e => e.Epoch).ToList();
            return new TrainingResult(model, epochs, done.BestEpoch, done.StoppedEarly, null);
        }
        finally
        {
            system.Stop(listener);
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

    private static int Count(List<EpochReport> history)
    {
        lock (history) return history.Count;
    }

    /// <summary>Subscribes to the epoch topic and hands one run's events to a callback.</summary>
    internal sealed class EpochListener : ReceiveActor
    {
        public EpochListener(string runId, TaskCompletionSource subscribed, Action<EpochMetrics> onEpoch)
        {
            DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(TrainingTopics.Evaluation, Self));
            Receive<SubscribeAck>(_ => subscribed.TrySetResult());
            Receive<EpochMetrics>(m => m.RunId == runId, onEpoch);
            Receive<EpochMetrics>(_ => { });
        }
    }
}

