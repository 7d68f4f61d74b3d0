using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace EmotionCluster.Extraction;

/// <summary>
/// Instruments of clip extraction on an extractor node (meter <see cref="MeterName"/>; the node's /metrics exports
/// every EmotionCluster* meter as <c>{meter}_{instrument}</c>, e.g. <c>emotioncluster_extraction_clips</c>): clips by
/// outcome, time to extract one clip, clips being worked on now; and the backlog of the extraction coordinators
/// running in this process (clips waiting to be sent, clips sent and not answered yet).
/// </summary>
public static class ExtractionMetrics
{
    public const string MeterName = "EmotionCluster.Extraction";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Clips = Meter.CreateCounter<long>(
        "clips", "{clip}", "Clips this node's extractor entities finished, by outcome (extracted, cached, failed).");

    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>(
        "duration", "s", "Time to decode, preprocess and extract the features of one clip (store lookups included).");

    private static readonly UpDownCounter<long> Active = Meter.CreateUpDownCounter<long>(
        "active", "{clip}", "Clips whose features are being computed on this node now.");

    /// <summary>Clips of running extractions that the coordinators of this process have not sent yet (<see cref="ExtractionCoordinator"/>).</summary>
    public static readonly QueueGauge Waiting = new();

    /// <summary>Clips the coordinators of this process sent to the extractors and have no answer for yet.</summary>
    public static readonly QueueGauge InFlight = new();

    public static readonly ObservableGauge<long> WaitingGauge = Meter.CreateObservableGauge(
        "waiting", () => Waiting.Total, "{clip}", "Clips of running extractions waiting at their coordinator in this process (not sent yet).");

    public static readonly ObservableGauge<long> InFlightGauge = Meter.CreateObservableGauge(
        "in_flight", () => InFlight.Total, "{clip}", "Clips sent by the coordinators in this process and not answered yet.");

    /// <summary>Marks the start of one clip's feature computation; pass the result to <see cref="Finished"/>.</summary>
    public static long Start()
    {
        Active.Add(1);
        return Stopwatch.GetTimestamp();
    }

    /// <summary>The feature computation started at <paramref name="started"/> ended (successfully or not).</summary>
    public static void Finished(long started, bool succeeded, bool cached)
    {
        Active.Add(-1);
        Duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, Outcome(succeeded ? cached ? "cached" : "extracted" : "failed"));
    }

    /// <summary>A clip was answered with features (<paramref name="cached"/>: found in the store).</summary>
    public static void CountExtracted(bool cached) => Clips.Add(1, Outcome(cached ? "cached" : "extracted"));

    /// <summary>A clip was answered with an error (unreadable audio, broken transfer, bad settings, extraction error).</summary>
    public static void CountFailed() => Clips.Add(1, Outcome("failed"));

    private static KeyValuePair<string, object?> Outcome(string outcome) => new("outcome", outcome);
}
