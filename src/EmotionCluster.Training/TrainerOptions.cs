using System.Text.Json;
using EmotionCluster.Model;

namespace EmotionCluster.Training;

/// <summary>
/// The trainer of a node, bound from the configuration section <c>EmotionCluster:Training</c>. Every trainer of a run
/// must have the same manifest and model/optimization settings (they define the run id); paths, device and timeouts
/// are per node.
/// </summary>
public sealed class TrainerOptions
{
    public const string Section = "EmotionCluster:Training";

    /// <summary>Training manifest JSON (<see cref="TrainingManifest"/>); empty: this node's trainer waits idle.</summary>
    public string Manifest { get; set; } = "";
    /// <summary>Where this trainer keeps its latest checkpoint (one directory per trainer).</summary>
    public string CheckpointDirectory { get; set; } = "out/checkpoints";
    /// <summary>Model file the coordinator writes when the run finishes (empty: none).</summary>
    public string ModelOutput { get; set; } = "";
    /// <summary>
    /// Model file the coordinator rewrites whenever validation UAR improves (empty: none). Each new best is announced
    /// (<c>ModelFileSaved</c> on the node's event stream) and the node publishes it to the predictors, which hot-swap to it.
    /// </summary>
    public string BestModelOutput { get; set; } = "";
    /// <summary>"cpu", "cuda" or "cuda:N".</summary>
    public string Device { get; set; } = "cpu";
    public int Threads { get; set; } = 2;
    /// <summary>Frames every example is cropped or padded to; 0 keeps the stored size (all examples must agree).</summary>
    public int InputFrames { get; set; } = 300;

    public int Epochs { get; set; } = 50;
    public int BatchSize { get; set; } = 16;
    public double LearningRate { get; set; } = 1e-3;
    public double WeightDecay { get; set; } = 1e-2;
    public LrSchedule Schedule { get; set; } = LrSchedule.Cosine;
    public double WarmupEpochs { get; set; } = 2;
    public double LabelSmoothing { get; set; } = 0.1;
    public bool BalancedClassWeights { get; set; } = true;
    public int Seed { get; set; } = 42;

    /// <summary>Channels of the convolution blocks, comma separated (a string, so configuration overrides replace it).</summary>
    public string Channels { get; set; } = "16,32,64,128";
    public int KernelSize { get; set; } = 3;
    public int DenseSize { get; set; } = 64;
    public double ConvDropout { get; set; } = 0.1;
    public double DenseDropout { get; set; } = 0.3;
    public bool BatchNorm { get; set; } = true;

    /// <summary>A replica that has not contributed this long after a step started is dropped from that step.</summary>
    public TimeSpan StepTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>The coordinator waits for this many ready replicas (itself included) before its first step ...</summary>
    public int MinReplicas { get; set; } = 1;
    /// <summary>... or this long, then starts with those that are ready.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Checkpoint every this many epochs (the last epoch always).</summary>
    public int CheckpointEveryEpochs { get; set; } = 1;

    public void Validate()
    {
        static ArgumentException Bad(string what) => new($"{Section}: {what}");
        if (string.IsNullOrWhiteSpace(CheckpointDirectory)) throw Bad("CheckpointDirectory is empty; give each trainer its own directory");
        if (Threads < 0) throw Bad($"Threads is {Threads}; use 0 (leave torch's setting) or a positive count");
        if (InputFrames < 0) throw Bad($"InputFrames is {InputFrames}; use 0 (keep stored size) or a positive frame count");
        if (StepTimeout <= TimeSpan.Zero) throw Bad("StepTimeout must be positive, e.g. 00:00:10");
        if (StartTimeout < TimeSpan.Zero) throw Bad("StartTimeout must not be negative");
        if (MinReplicas < 1) throw Bad($"MinReplicas is {MinReplicas}; at least 1 (the coordinator itself)");
        if (CheckpointEveryEpochs < 1) throw Bad($"CheckpointEveryEpochs is {CheckpointEveryEpochs}; at least 1");
        ParseChannels();
        ToTrainingSettings().Validate();
        TorchRuntime.ResolveDevice(Device); // unknown names and CUDA without CUDA fail here, before the actor starts
    }

    public TrainingSettings ToTrainingSettings() => new()
    {
        Epochs = Epochs, BatchSize = BatchSize, LearningRate = LearningRate, WeightDecay = WeightDecay, Schedule = Schedule,
        WarmupEpochs = WarmupEpochs, LabelSmoothing = LabelSmoothing, BalancedClassWeights = BalancedClassWeights, Seed = Seed,
        Threads = Threads, Device = Device, EarlyStoppingPatience = 0,
    };

    public CnnSettings ToCnnSettings(int bins, int frames, int classes) => new()
    {
        InputBins = bins, InputFrames = frames, Classes = classes, Channels = ParseChannels(), KernelSize = KernelSize,
        DenseSize = DenseSize, ConvDropout = ConvDropout, DenseDropout = DenseDropout, BatchNorm = BatchNorm,
    };

    private int[] ParseChannels()
    {
        var parts = (Channels ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var result = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out result[i]) || result[i] < 1)
                throw new ArgumentException($"{Section}: Channels '{Channels}' must list positive channel counts separated by commas, e.g. 16,32,64,128");
        if (result.Length == 0) throw new ArgumentException($"{Section}: Channels is empty; list the channel counts, e.g. 16,32,64,128");
        return result;
    }

    /// <summary>The settings that define the run (not paths, device, threads or timeouts), as canonical text.</summary>
    public string Fingerprint() => JsonSerializer.Serialize(new
    {
        InputFrames, Epochs, BatchSize, LearningRate, WeightDecay, Schedule = Schedule.ToString(), WarmupEpochs, LabelSmoothing,
        BalancedClassWeights, Seed, Channels, KernelSize, DenseSize, ConvDropout, DenseDropout, BatchNorm,
    });
}
