using EmotionCluster.Model;
using Microsoft.Extensions.Configuration;

namespace EmotionCluster.TrainingActors;

/// <summary>
/// The trainer of a node, bound from the configuration section <c>EmotionCluster:Training</c>: where this node reads and
/// writes, its device and threads, and the data-parallel timeouts. What is trained — features, input shaping,
/// augmentation, CNN, optimization — is the manifest's <see cref="Recipe"/>, the same on every trainer of a run and the
/// same recipe the CLI's jobs train.
/// </summary>
public sealed class TrainerOptions
{
    public const string Section = "EmotionCluster:Training";

    /// <summary>Training manifest JSON (<see cref="TrainingManifest"/>); empty: this node's trainer waits for a job.</summary>
    public string Manifest { get; set; } = "";
    /// <summary>
    /// Where this trainer keeps its latest checkpoint (one directory per trainer); default under the user's data folder
    /// (<see cref="EmotionCluster.Hosting.UserPaths.Data"/>), never the current folder.
    /// </summary>
    public string CheckpointDirectory { get; set; } = EmotionCluster.Hosting.UserPaths.Data("checkpoints");
    /// <summary>Model file the coordinator writes when the run finishes: the best validation epoch's weights (empty: none).</summary>
    public string ModelOutput { get; set; } = "";
    /// <summary>
    /// Model file the coordinator rewrites whenever validation UAR improves (empty: none). Each new best is announced
    /// (<c>ModelFileSaved</c> on the node's event stream) and the node publishes it to the predictors, which hot-swap to it.
    /// </summary>
    public string BestModelOutput { get; set; } = "";
    /// <summary>"cpu", "cuda" or "cuda:N"; empty: the recipe's <c>Training.Device</c>.</summary>
    public string Device { get; set; } = "";
    /// <summary>Torch intra-op threads on this node; 0: the recipe's <c>Training.Threads</c>.</summary>
    public int Threads { get; set; }

    /// <summary>A replica that has not contributed this long after a step started is dropped from that step.</summary>
    public TimeSpan StepTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>The coordinator waits for this many ready replicas (itself included) before its first step ...</summary>
    public int MinReplicas { get; set; } = 1;
    /// <summary>... or this long, then starts with those that are ready.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>
    /// The training coordinator (on the oldest trainer node) fails a data-parallel run — cancelling it on the other
    /// participants — when one of its trainer nodes has not taken the job this long after it was sent (unreachable,
    /// or busy with another run).
    /// </summary>
    public TimeSpan DispatchTimeout { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Checkpoint every this many epochs (the last epoch always).</summary>
    public int CheckpointEveryEpochs { get; set; } = 1;
    /// <summary>
    /// The CLI's jobs (<c>run</c>, <c>train</c>, <c>crossval</c>): train each run data-parallel across this many trainer
    /// nodes of the cluster they join (the default of <c>--trainers</c>); a node ignores it (its runs' replicas are
    /// <see cref="MinReplicas"/> or the job's).
    /// </summary>
    public int Trainers { get; set; } = 1;

    public void Validate()
    {
        static ArgumentException Bad(string what) => new($"{Section}: {what}");
        if (string.IsNullOrWhiteSpace(CheckpointDirectory)) throw Bad("CheckpointDirectory is empty; give each trainer its own directory");
        if (Threads < 0) throw Bad($"Threads is {Threads}; use 0 (the recipe's) or a positive count");
        if (StepTimeout <= TimeSpan.Zero) throw Bad("StepTimeout must be positive, e.g. 00:00:10");
        if (StartTimeout < TimeSpan.Zero) throw Bad("StartTimeout must not be negative");
        if (DispatchTimeout <= TimeSpan.Zero) throw Bad("DispatchTimeout must be positive, e.g. 00:00:30");
        if (MinReplicas < 1) throw Bad($"MinReplicas is {MinReplicas}; at least 1 (the coordinator itself)");
        if (CheckpointEveryEpochs < 1) throw Bad($"CheckpointEveryEpochs is {CheckpointEveryEpochs}; at least 1");
        if (Trainers < 1) throw Bad($"Trainers is {Trainers}; at least 1");
        if (!string.IsNullOrWhiteSpace(Device)) TorchRuntime.ResolveDevice(Device); // unknown names and CUDA without CUDA fail here, before the actor starts
    }

    /// <summary>
    /// The section <see cref="Section"/> of <paramref name="configuration"/>. A key this class does not have is refused
    /// with the fix: the training settings that trainer nodes once took one by one (Epochs, BatchSize, Channels, …) are
    /// the manifest's recipe now, and silently ignoring them would train something else than the user asked for.
    /// </summary>
    /// <exception cref="ArgumentException">an unknown key (named, with the fix).</exception>
    public static TrainerOptions From(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var known = typeof(TrainerOptions).GetProperties().Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var unknown = section.GetChildren().Select(c => c.Key).Where(k => !known.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"{Section}: {string.Join(", ", unknown)} {(unknown.Count == 1 ? "is not a setting" : "are not settings")} of a trainer node; " +
                                        "what a node trains (epochs, batch size, CNN, input frames, ...) is the training manifest's recipe: write the manifest with " +
                                        "'emotioncluster manifest --config recipe.json' or its flags (--epochs, --batch-size, ...). A node sets only " +
                                        string.Join(", ", known.Order()) + ".");
        var options = new TrainerOptions();
        section.Bind(options);
        return options;
    }

    /// <summary><paramref name="recipe"/> with this node's device and threads where they are set.</summary>
    public Recipe ForThisNode(Recipe recipe) => recipe with
    {
        Training = recipe.Training with
        {
            Device = string.IsNullOrWhiteSpace(Device) ? recipe.Training.Device : Device,
            Threads = Threads > 0 ? Threads : recipe.Training.Threads,
        },
    };
}
