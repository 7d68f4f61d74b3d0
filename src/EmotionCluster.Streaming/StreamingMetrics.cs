using System.Diagnostics.Metrics;
using EmotionCluster.Extraction;
using EmotionCluster.Hosting;

namespace EmotionCluster.Streaming;

/// <summary>Meter <c>EmotionCluster.Streaming</c>: predictions, hop latency, active streams, drops, queue lengths.</summary>
public static class StreamingMetrics
{
    public const string MeterName = "EmotionCluster.Streaming";
    public static readonly Meter Meter = new(MeterName);

    /// <summary>Hop predictions made by this node's predictor actors.</summary>
    public static readonly Counter<long> Predictions = Meter.CreateCounter<long>("predictions", "{prediction}",
        "Hop predictions made by predictor actors");

    /// <summary>From the arrival of the audio that completed a window at its predictor to its probabilities (feature extraction, queueing, model).</summary>
    public static readonly Histogram<double> HopLatency = Meter.CreateHistogram<double>("hop_latency", "ms",
        "Time from a window becoming complete at its predictor to its prediction");

    /// <summary>WebSocket streams open on this node.</summary>
    public static readonly UpDownCounter<long> ActiveStreams = Meter.CreateUpDownCounter<long>("active_streams", "{stream}",
        "WebSocket streams open on this node");

    /// <summary>Windows dropped because inference fell behind a client.</summary>
    public static readonly Counter<long> DroppedHops = Meter.CreateCounter<long>("dropped_hops", "{hop}",
        "Windows dropped because inference fell behind");

    /// <summary>Audio frames dropped at the socket because too many were in flight.</summary>
    public static readonly Counter<long> DroppedFrames = Meter.CreateCounter<long>("dropped_frames", "{frame}",
        "Audio frames dropped at the socket because too many were in flight");

    /// <summary>Windows per batched forward pass (how much batching across streams happens).</summary>
    public static readonly Histogram<long> BatchSize = Meter.CreateHistogram<long>("batch_size", "{window}",
        "Windows per batched forward pass of the model");

    /// <summary>Time of one batched forward pass.</summary>
    public static readonly Histogram<double> BatchDuration = Meter.CreateHistogram<double>("batch_duration", "ms",
        "Time of one batched forward pass of the model");

    /// <summary>Time to compute one window's features (resampling, preprocessing, log-mel, shaping).</summary>
    public static readonly Histogram<double> FeatureDuration = Meter.CreateHistogram<double>("feature_duration", "ms",
        "Time to compute one window's features");

    /// <summary>Time a complete window waited for a feature thread (<see cref="FeatureWorkers"/>).</summary>
    public static readonly Histogram<double> FeatureWait = Meter.CreateHistogram<double>("feature_wait", "ms",
        "Time a complete window waited for a feature thread");

    /// <summary>Time a window's features waited in the inference queue for their batched forward pass to start.</summary>
    public static readonly Histogram<double> InferenceWait = Meter.CreateHistogram<double>("inference_wait", "ms",
        "Time a window waited for its batched forward pass to start");

    /// <summary>Streams closed because of a protocol or audio error.</summary>
    public static readonly Counter<long> Errors = Meter.CreateCounter<long>("errors", "{stream}",
        "Streams closed with an error");

    /// <summary>Windows waiting in this node's inference queues (<see cref="InferenceBatcher"/>) for a batched forward pass.</summary>
    public static readonly QueueGauge InferenceQueue = new();

    /// <summary>Messages (predictions, overload reports, the end) waiting in the outgoing queues of this node's WebSocket streams.</summary>
    public static readonly QueueGauge OutgoingQueue = new();

    /// <summary>Audio frames this node's WebSocket streams sent to their predictors and have no acknowledgement for yet.</summary>
    public static readonly QueueGauge FramesInFlight = new();

    public static readonly ObservableGauge<long> InferenceQueueGauge = Meter.CreateObservableGauge("inference_queue", () => InferenceQueue.Total,
        "{window}", "Windows waiting for a batched forward pass on this node");

    public static readonly ObservableGauge<long> OutgoingQueueGauge = Meter.CreateObservableGauge("outgoing_queue", () => OutgoingQueue.Total,
        "{message}", "Messages waiting in the outgoing queues of the WebSocket streams open on this node");

    public static readonly ObservableGauge<long> FramesInFlightGauge = Meter.CreateObservableGauge("frames_in_flight", () => FramesInFlight.Total,
        "{frame}", "Audio frames sent to predictors by this node's streams and not acknowledged yet");
}
