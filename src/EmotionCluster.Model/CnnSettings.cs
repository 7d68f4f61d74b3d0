namespace EmotionCluster.Model;

/// <summary>
/// Shape of <see cref="SerCnn"/>: one convolution block per entry of <see cref="Channels"/>
/// (Conv2d k x k "same" padding without bias, BatchNorm2d, MaxPool2d 2 x 2, ReLU, Dropout), a pooling over the
/// remaining bands and frames (<see cref="Pooling"/>), a dense ReLU layer with dropout, and <see cref="Classes"/> output
/// logits.
/// <para>
/// The defaults (16-32-64-128 channels, dense 64) are sized for 2 CPU cores and EMO-DB-sized corpora (~535 clips of
/// 64 mel bands x ~300 frames): about 0.1 M parameters and ~70 M multiply-adds per example and forward pass, so an epoch
/// takes seconds to tens of seconds; a wider network over-fits 500 clips without helping.
/// </para>
/// </summary>
public sealed record CnnSettings
{
    public int InputBins { get; init; } = 64;
    public int InputFrames { get; init; } = 300;
    public int Classes { get; init; } = 7;
    public IReadOnlyList<int> Channels { get; init; } = [16, 32, 64, 128];
    public int KernelSize { get; init; } = 3;
    public double ConvDropout { get; init; } = 0.1;
    public int DenseSize { get; init; } = 64;
    public double DenseDropout { get; init; } = 0.3;

    /// <summary>
    /// BatchNorm2d after each convolution (the default). Off gives a network whose gradient over a batch is exactly the
    /// weighted mean of the gradients over its parts (no batch statistics), e.g. to check data-parallel training.
    /// </summary>
    public bool BatchNorm { get; init; } = true;

    /// <summary>
    /// How the last block's map becomes one vector per example: <see cref="CnnPooling.Average"/> (the default; global
    /// average over bands and frames, <c>C</c> values) or <see cref="CnnPooling.MeanStd"/> (the mean over bands, then the
    /// mean and the standard deviation of each channel over time, <c>2C</c> values: how much a channel moves within the
    /// utterance, not only its level). Written only when not Average, so the recipes (and their hashes) of every model
    /// file before the option stay as they were; a recipe without the key means Average.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public CnnPooling Pooling { get; init; } = CnnPooling.Average;

    /// <summary>Values per example after the pooling: the dense layer's input.</summary>
    public int PooledSize => Channels[^1] * (Pooling == CnnPooling.MeanStd ? 2 : 1);

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first bad setting and what to do.</summary>
    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok) throw new ArgumentException($"Invalid CNN settings: {message}");
        }
        Require(Classes >= 2, $"Classes is {Classes}; at least 2 classes are needed.");
        Require(Channels is { Count: > 0 } && Channels.All(c => c > 0), "Channels must list at least one positive channel count, e.g. [16, 32, 64, 128].");
        Require(KernelSize > 0 && KernelSize % 2 == 1, $"KernelSize is {KernelSize}; use an odd positive size (3, 5, ...) so padding keeps the shape.");
        Require(DenseSize > 0, $"DenseSize is {DenseSize}; it must be positive.");
        Require(ConvDropout is >= 0 and < 1, $"ConvDropout is {ConvDropout}; use a probability in [0, 1).");
        Require(DenseDropout is >= 0 and < 1, $"DenseDropout is {DenseDropout}; use a probability in [0, 1).");
        Require(Enum.IsDefined(Pooling), $"Pooling {Pooling} is unknown; use Average or MeanStd.");
        int shrink = 1 << Channels.Count;
        Require(InputBins >= shrink && InputFrames >= shrink,
            $"the input is {InputBins} x {InputFrames} (bins x frames) but {Channels.Count} blocks halve it {Channels.Count} times; " +
            $"each side needs at least {shrink}: use fewer blocks or larger inputs.");
    }

    public bool Equals(CnnSettings? other) =>
        other is not null && InputBins == other.InputBins && InputFrames == other.InputFrames && Classes == other.Classes
        && Channels.SequenceEqual(other.Channels) && KernelSize == other.KernelSize && ConvDropout == other.ConvDropout
        && DenseSize == other.DenseSize && DenseDropout == other.DenseDropout && BatchNorm == other.BatchNorm
        && Pooling == other.Pooling;

    public override int GetHashCode() =>
        HashCode.Combine(HashCode.Combine(InputBins, InputFrames, Classes, string.Join(",", Channels), KernelSize, ConvDropout, DenseSize, DenseDropout), BatchNorm, Pooling);
}

/// <summary>The pooling between <see cref="SerCnn"/>'s last block and its dense layer (<see cref="CnnSettings.Pooling"/>).</summary>
public enum CnnPooling
{
    /// <summary>Global average over bands and frames.</summary>
    Average,
    /// <summary>Mean over bands, then each channel's mean and standard deviation over frames (statistics pooling).</summary>
    MeanStd,
}
