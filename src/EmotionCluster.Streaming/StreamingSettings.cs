using System.Globalization;

namespace EmotionCluster.Streaming;

/// <summary>
/// Live streaming to predictor actors, section <c>EmotionCluster:Streaming</c> (appsettings.json, environment
/// variables such as <c>EmotionCluster__Streaming__ModelPath</c>, or a <c>--config</c> file).
/// </summary>
public sealed class StreamingSettings
{
    public const string Section = "EmotionCluster:Streaming";

    /// <summary>Model file loaded at start (<c>.ecm</c>, see <c>EmotionCluster.Model.ModelArtifact</c>, or its ONNX export <c>.onnx</c>); a model published on the <c>models</c> topic replaces it.</summary>
    public string? ModelPath { get; set; }
    /// <summary>
    /// What runs the models: <c>auto</c> (default: ONNX Runtime for an ONNX file, TorchSharp for a <c>.ecm</c>), <c>torch</c>,
    /// or <c>onnx</c> (ONNX Runtime for everything: a <c>.ecm</c>, loaded or published, is exported to ONNX in memory,
    /// which reads its weights with TorchSharp). A node given only <c>.onnx</c> models never loads libtorch.
    /// </summary>
    public string Runtime { get; set; } = "auto";

    /// <summary><see cref="Runtime"/> parsed (throws <see cref="ArgumentException"/> for another word).</summary>
    public EmotionCluster.Model.ModelRuntime ParsedRuntime => EmotionCluster.Model.Predictors.ParseRuntime(Runtime, $"{Section}:Runtime");
    /// <summary>
    /// The node's model folder. A model published on the <c>models</c> topic <em>by path</em> is loaded only when the
    /// path is inside this folder (anyone who can publish could otherwise make the predictors open any file); a model
    /// published as bytes is kept here as <see cref="PublishedModelName"/>, and loaded from here at start when
    /// <see cref="ModelPath"/> is not set. Empty: the folder of <see cref="ModelPath"/>, else <c>$XDG_DATA_HOME/emotioncluster/models</c> (<see cref="EmotionCluster.Hosting.UserPaths"/>).
    /// </summary>
    public string ModelDirectory { get; set; } = "";
    /// <summary>
    /// A predictor node is ready (<c>/healthz/ready</c>) only once a model is loaded (Kubernetes: no traffic to a predictor
    /// without a model). Off by default, so a node of every role is ready as a cluster member.
    /// </summary>
    public bool RequireModelForReadiness { get; set; }
    /// <summary>
    /// Every this many seconds, a node that has a best model (the trainer's <c>EmotionCluster:Training:BestModelOutput</c>,
    /// also one left from before a restart) publishes it again, so predictors that started since get it; predictors that
    /// have it already ignore it. 0 (default): only when a new best model is saved.
    /// </summary>
    public double RepublishSeconds { get; set; }
    /// <summary>
    /// Audio per prediction (seconds of the stream). Unset (default): the model's input length
    /// (<see cref="EmotionCluster.Model.ModelInput.InputSeconds"/>, 3 s for the default recipe), the length it was trained on
    /// and <c>predict</c> scores long files in; shorter windows are padded and lose accuracy (docs/accuracy.md, streamed).
    /// </summary>
    public double? WindowSeconds { get; set; }
    /// <summary>A prediction every this many seconds of stream audio.</summary>
    public double HopSeconds { get; set; } = 0.5;
    /// <summary>
    /// Noise reduction (for models trained with it) of each window on its own, exactly as <c>predict</c> gates a file.
    /// False (default): a stream at the model's sample rate is gated once as it arrives (<see cref="EmotionCluster.Audio.StreamGate"/>),
    /// each frame with its window's noise profile: about a quarter of the gate's work at the default window and hop, and the
    /// same streamed accuracy on EMO-DB (docs/streaming.md, docs/accuracy.md). Streams at another rate are always gated
    /// per window.
    /// </summary>
    public bool GateEachWindow { get; set; }
    /// <summary><c>ema:ALPHA</c> (exponential moving average of the probabilities), <c>majority:K</c> (most frequent label of the last K hops) or <c>none</c>.</summary>
    public string Smoothing { get; set; } = "ema:0.5";
    /// <summary>
    /// A hop whose smoothed top probability is below this is reported as uncertain (<c>"uncertain":true</c>; the page shows
    /// "uncertain" instead of an emotion). 0.4 by default: with 7 emotions chance is 0.14, and below 0.4 more than 60 % of
    /// the probability sits on the other emotions, i.e. the model cannot tell (the issue-15 anger clip showed happiness at
    /// 31–36 % throughout). 0 turns it off.
    /// </summary>
    public double UncertainBelow { get; set; } = 0.4;
    /// <summary>Audio a stream may hold (ring buffer); windows whose audio was overwritten before inference are dropped and reported.</summary>
    public double MaxBufferedSeconds { get; set; } = 10.0;
    /// <summary>
    /// A window that has waited this long for inference is dropped (and reported) when a newer one of the same stream is
    /// due: a live client gets current predictions rather than ever later ones. 0 keeps every window its audio allows.
    /// </summary>
    public double MaxLagSeconds { get; set; } = 2.0;
    /// <summary>Largest WebSocket message accepted (bytes); bigger ones are an error.</summary>
    public int MaxFrameBytes { get; set; } = 64 * 1024;
    /// <summary>Concurrent streams one node accepts on its WebSocket endpoint.</summary>
    public int MaxStreams { get; set; } = 256;
    /// <summary>Frames sent to the predictor actor and not yet acknowledged, per stream; more are dropped and reported.</summary>
    public int MaxFramesInFlight { get; set; } = 64;
    /// <summary>Windows of all streams run through the model together, at most this many in one call (16: the cheapest per window on 2 cores, docs/streaming.md).</summary>
    public int MaxBatch { get; set; } = 16;
    /// <summary>Fixed shard count of the predictor region (all nodes must agree).</summary>
    public int ShardCount { get; set; } = 60;
    /// <summary>
    /// Intra-op threads of the model runtime: torch's (process-wide, set when a torch model is loaded; a training run
    /// sets its own) or each ONNX Runtime session's; 0 leaves the runtime's default. 1 by default: the
    /// other core computes the next windows' features meanwhile, and on 2 busy cores two intra-op threads cost 3-9x the
    /// CPU per window (docs/streaming.md).
    /// </summary>
    public int TorchThreads { get; set; } = 1;
    /// <summary>
    /// Dedicated threads computing the windows' features (<see cref="FeatureWorkers"/>); 0 (default): half the
    /// processors, at least one, leaving the rest to inference, sockets and actors.
    /// </summary>
    public int FeatureThreads { get; set; }
    /// <summary>
    /// Workers of the <see cref="InferenceBatcher"/>. Passes of one model do not overlap (the model's
    /// <see cref="EmotionCluster.Model.Predictor"/> serializes them with a lock), so a second worker only collects the next
    /// batch while a pass runs, and overlaps passes only of two models around a hot swap. Default 1: on 2 cores a second
    /// worker lowered p99 at 50 streams (83 ms against 233) but raised it at 100 (2.1 s against 0.5 s; docs/streaming.md).
    /// </summary>
    public int InferenceWorkers { get; set; } = 1;

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad setting and what to do.</summary>
    public void Validate()
    {
        static ArgumentException Bad(string what) => new($"{Section}: {what}");
        if (WindowSeconds is { } window && !(window is >= 0.1 and <= 60)) throw Bad($"WindowSeconds {window} is outside 0.1..60 (leave it unset for the model's input length)");
        if (!(HopSeconds is > 0 and <= 60)) throw Bad($"HopSeconds {HopSeconds} must be positive and at most 60");
        if (WindowSeconds is { } w && HopSeconds > w) throw Bad($"HopSeconds {HopSeconds} must be at most WindowSeconds ({w})");
        if (!(MaxBufferedSeconds >= (WindowSeconds ?? 0.1) && MaxBufferedSeconds <= 600))
            throw Bad($"MaxBufferedSeconds {MaxBufferedSeconds} must be at least WindowSeconds ({WindowSeconds}) and at most 600");
        if (!(MaxLagSeconds is >= 0 and <= 600)) throw Bad($"MaxLagSeconds {MaxLagSeconds} is outside 0..600 (0 turns the limit off)");
        if (MaxFrameBytes is < 1024 or > 16 * 1024 * 1024) throw Bad($"MaxFrameBytes {MaxFrameBytes} is outside 1024..16777216");
        if (MaxStreams is < 1 or > 100_000) throw Bad($"MaxStreams {MaxStreams} is outside 1..100000");
        if (MaxFramesInFlight is < 1 or > 100_000) throw Bad($"MaxFramesInFlight {MaxFramesInFlight} is outside 1..100000");
        if (MaxBatch is < 1 or > 1024) throw Bad($"MaxBatch {MaxBatch} is outside 1..1024");
        if (ShardCount is < 1 or > 10_000) throw Bad($"ShardCount {ShardCount} is outside 1..10000");
        if (TorchThreads is < 0 or > 256) throw Bad($"TorchThreads {TorchThreads} is outside 0..256");
        if (FeatureThreads is < 0 or > 256) throw Bad($"FeatureThreads {FeatureThreads} is outside 0..256 (0: half the processors)");
        if (!(RepublishSeconds is >= 0 and <= 86_400)) throw Bad($"RepublishSeconds {RepublishSeconds} is outside 0..86400 (0: off)");
        if (InferenceWorkers is < 1 or > 256) throw Bad($"InferenceWorkers {InferenceWorkers} is outside 1..256");
        _ = ParsedRuntime;
        if (!(UncertainBelow is >= 0 and < 1)) throw Bad($"UncertainBelow {UncertainBelow} is outside [0, 1): the smoothed top probability under which a hop is 'uncertain' (0 turns it off)");
        try { SmoothingSpec.Parse(Smoothing); }
        catch (ArgumentException e) { throw Bad(e.Message); }
    }

    /// <summary>The file in <see cref="ModelDirectory"/> that keeps the last model published as bytes.</summary>
    public const string PublishedModelName = "published.model";

    /// <summary><see cref="ModelDirectory"/> resolved (absolute).</summary>
    public string EffectiveModelDirectory => Path.GetFullPath(
        !string.IsNullOrWhiteSpace(ModelDirectory) ? ModelDirectory
        : !string.IsNullOrWhiteSpace(ModelPath) ? Path.GetDirectoryName(Path.GetFullPath(ModelPath))!
        : EmotionCluster.Hosting.UserPaths.Data("models"));

    /// <summary>The model loaded at start: <see cref="ModelPath"/>, else the last published one in <see cref="ModelDirectory"/> if any.</summary>
    public string? StartModelPath =>
        !string.IsNullOrWhiteSpace(ModelPath) ? ModelPath
        : File.Exists(Path.Combine(EffectiveModelDirectory, PublishedModelName)) ? Path.Combine(EffectiveModelDirectory, PublishedModelName)
        : null;

    /// <summary>
    /// Whether <paramref name="path"/> lies inside <paramref name="directory"/>, after resolving <c>..</c> and a symbolic
    /// link at the file itself (a link inside the folder pointing outside is outside).
    /// </summary>
    public static bool IsInside(string directory, string path)
    {
        string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)) + Path.DirectorySeparatorChar;
        string full = Path.GetFullPath(path);
        try
        {
            var file = new FileInfo(full);
            if (file.LinkTarget is not null) full = Path.GetFullPath(file.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full);
        }
        catch (IOException) { return false; } // a link loop
        return full.StartsWith(root, StringComparison.Ordinal);
    }

    /// <summary>Samples of <paramref name="seconds"/> at <paramref name="rate"/>, at least 1.</summary>
    public static int Samples(double seconds, int rate) => Math.Max(1, (int)Math.Round(seconds * rate, MidpointRounding.AwayFromZero));

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"window {(WindowSeconds is { } w ? $"{w}s" : "the model's input")} hop {HopSeconds}s smoothing {Smoothing} uncertain below {UncertainBelow} buffer {MaxBufferedSeconds}s");

    /// <summary>These settings with no <see cref="ModelPath"/>: a node whose model cannot be loaded waits for a published one.</summary>
    public StreamingSettings WithoutModel()
    {
        var copy = (StreamingSettings)MemberwiseClone();
        copy.ModelPath = null;
        return copy;
    }
}
