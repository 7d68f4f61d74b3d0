using System.Diagnostics.Metrics;

namespace EmotionCluster.Evaluator;

/// <summary>The evaluator's instruments (meter <c>EmotionCluster.Evaluator</c>, exported with every EmotionCluster* meter).</summary>
public static class EvaluatorInstruments
{
    public static readonly Meter Meter = new("EmotionCluster.Evaluator");

    /// <summary>Events written to the journal, by event (<c>event</c> tag).</summary>
    public static readonly Counter<long> EventsPersisted =
        Meter.CreateCounter<long>("emotioncluster_evaluator_events_persisted", description: "Evaluator events written to the journal");

    /// <summary>Commands refused (bad input or journal failure).</summary>
    public static readonly Counter<long> CommandsRejected =
        Meter.CreateCounter<long>("emotioncluster_evaluator_commands_rejected", description: "Evaluator commands refused");

    /// <summary>Time to recover a run's state from the journal.</summary>
    public static readonly Histogram<double> RecoverySeconds =
        Meter.CreateHistogram<double>("emotioncluster_evaluator_recovery_seconds", "s", "Time to recover one run from the journal");
}
