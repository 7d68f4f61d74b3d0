using Akka.Actor;
using Akka.Hosting;
using EmotionCluster.Evaluator;
using EmotionCluster.Metrics;

namespace EmotionCluster.TrainingActors;

/// <summary>
/// Sends the run's evaluation to the evaluator shard region (<see cref="EvaluatorRegion"/>, a proxy on nodes without
/// the evaluator role): <see cref="StartRun"/>, <see cref="RecordEpoch"/> per epoch with a validation set,
/// <see cref="CompleteRun"/>. For a run (<see cref="ForRun"/>) every command goes through the run's
/// <see cref="EvaluatorOutbox"/>: written to disk before the trainer goes on, delivered in order, each acknowledged by
/// the journal before the next, re-sent after a crash. The region is looked up on first use.
/// </summary>
public sealed class EvaluatorRegionSink(IReadOnlyActorRegistry registry) : IEvaluationSink
{
    private IActorRef? _region;

    private IActorRef? Region => _region ??= registry.TryGet<EvaluatorRegion>(out var r) ? r : null;

    public void RunStarted(string runId, string settingsJson, string[] labels, RunDescription? description) =>
        Region?.Tell(new StartRun(runId, settingsJson, labels) { Description = description });

    public void EpochEvaluated(EpochMetrics metrics, ClassificationReport? validation)
    {
        if (Command(metrics, validation) is { } c) Region?.Tell(c);
    }

    public void RunCompleted(string runId, int? bestEpoch, ClassificationReport? test) => Region?.Tell(CompleteRun.FromReport(runId, bestEpoch, test));

    /// <summary>The evaluator records validation metrics; an epoch without a validation set has none (null).</summary>
    internal static IEvaluatorCommand? Command(EpochMetrics metrics, ClassificationReport? validation) =>
        validation is null ? null : RecordEpoch.FromReport(metrics.RunId, metrics.Epoch, metrics.TrainLoss, metrics.ValidationLoss, validation)
            with { LearningRate = metrics.LearningRate, Seconds = metrics.Seconds };

    /// <exception cref="InvalidDataException">the run's outbox file is damaged (the message names it and the fix).</exception>
    public IEvaluationSink ForRun(IUntypedActorContext context, string directory)
    {
        var outbox = new EvaluatorOutbox(directory, context.System.Serialization);
        return new OutboxSink(outbox, context.ActorOf(EvaluatorOutboxActor.PropsFor(() => Region, outbox), "evaluator-outbox"));
    }

    /// <summary>A run's sink: every command written to the run's outbox (on the caller's thread), then delivered by its actor.</summary>
    private sealed class OutboxSink(EvaluatorOutbox outbox, IActorRef delivery) : IEvaluationSink
    {
        public void RunStarted(string runId, string settingsJson, string[] labels, RunDescription? description) =>
            Add(new StartRun(runId, settingsJson, labels) { Description = description });

        public void EpochEvaluated(EpochMetrics metrics, ClassificationReport? validation)
        {
            if (Command(metrics, validation) is { } c) Add(c);
        }

        public void RunCompleted(string runId, int? bestEpoch, ClassificationReport? test) => Add(CompleteRun.FromReport(runId, bestEpoch, test));

        public int PendingRecords => outbox.Count;

        private void Add(IEvaluatorCommand command)
        {
            outbox.Add(command);
            delivery.Tell(EvaluatorOutboxActor.Added.Instance);
        }
    }
}
