using System.Diagnostics.Metrics;

namespace EmotionCluster.Evaluator;

/// <summary>
/// The evaluator's instruments (meter <c>EmotionCluster.Evaluator</c>, exported with every EmotionCluster* meter). Names are
/// relative to the meter: /metrics shows <c>emotioncluster_evaluator_events_persisted</c> etc.
/// </summary>
public static class EvaluatorInstruments
{
    public const string MeterName = "EmotionCluster.Evaluator";
    public static readonly Meter Meter = new(MeterName);

    /// <summary>Events written to the journal, by event (<c>event</c> tag).</summary>
    public static readonly Counter<long> EventsPersisted =
        Meter.CreateCounter<long>("events_persisted", "{event}", "Evaluator events written to the journal");

    /// <summary>Commands refused (bad input or journal failure).</summary>
    public static readonly Counter<long> CommandsRejected =
        Meter.CreateCounter<long>("commands_rejected", "{command}", "Evaluator commands refused");

    /// <summary>Time to recover a run's state from the journal.</summary>
    public static readonly Histogram<double> RecoverySeconds =
        Meter.CreateHistogram<double>("recovery.duration", "s", "Time to recover one run from the journal");
}
