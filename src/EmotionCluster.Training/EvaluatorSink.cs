using Akka.Actor;
using Akka.Hosting;
using EmotionCluster.Evaluation;
using EmotionCluster.Evaluator;

namespace EmotionCluster.Training;

/// <summary>
/// Sends the run's evaluation to the evaluator shard region (<see cref="EvaluatorRegion"/>, a proxy on nodes without
/// the evaluator role): <see cref="StartRun"/>, <see cref="RecordEpoch"/> per epoch with a validation set,
/// <see cref="CompleteRun"/>. Fire-and-forget: called on the trainer's thread, the evaluator's acknowledgements come
/// back to the trainer, which only logs rejections. The region is looked up on first use.
/// </summary>
public sealed class EvaluatorRegionSink(IReadOnlyActorRegistry registry) : IEvaluationSink
{
    private IActorRef? region;

    private IActorRef? Region => region ??= registry.TryGet<EvaluatorRegion>(out var r) ? r : null;

    public void RunStarted(string runId, string settingsJson, string[] labels) => Region?.Tell(new StartRun(runId, settingsJson, labels));

    public void EpochEvaluated(EpochMetrics metrics, ClassificationReport? validation)
    {
        if (validation is null) return; // the evaluator records validation metrics; without a validation set there are none
        Region?.Tell(RecordEpoch.FromReport(metrics.RunId, metrics.Epoch, metrics.TrainLoss, metrics.ValidationLoss, validation));
    }

    public void RunCompleted(string runId, int? bestEpoch, ClassificationReport? test) => Region?.Tell(CompleteRun.FromReport(runId, bestEpoch, test));
}
