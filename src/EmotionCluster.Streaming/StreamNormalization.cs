using EmotionCluster.Features;

namespace EmotionCluster.Streaming;

/// <summary>
/// A stream's running speaker statistics: the band statistics of the audio heard so far, which each window is
/// normalized by (shrunk toward the model's training-set prior by <see cref="EmotionCluster.Model.ModelInput.NormalizationOf"/>,
/// so the first seconds are sane). Overlapping windows count only their new part (a window's statistics weigh
/// <c>hop / window</c> of its frames after the first); the past weighs at most <see cref="MaxFrames"/> frames, so a stream
/// follows a change of speaker or room within about that long. A model swap (another model id) starts afresh.
/// Not thread-safe: a stream computes one window at a time.
/// </summary>
public sealed class StreamNormalization
{
    private readonly double _newFraction;
    private BandStatistics? _seen;
    private string? _modelId;

    /// <param name="newFraction">The part of each window after the first that is new audio (hop / window length), in (0, 1].</param>
    /// <param name="maxFrames">The most frames the past weighs (default 6000: a minute at a 10 ms hop).</param>
    public StreamNormalization(double newFraction, long maxFrames = 6_000)
    {
        if (!(newFraction is > 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(newFraction), newFraction, "the new part of a window is in (0, 1]");
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFrames, 1);
        _newFraction = newFraction;
        MaxFrames = maxFrames;
    }

    public long MaxFrames { get; }

    /// <summary>The statistics so far (null before the first window).</summary>
    public BandStatistics? Seen => _seen;

    /// <summary>Adds a window's features (as extracted, before shaping) for model <paramref name="modelId"/>; returns the statistics so far, this window included.</summary>
    public BandStatistics Add(string modelId, Spectrogram features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (_modelId != modelId || (_seen is not null && _seen.Bins != features.Bins))
        {
            _seen = null;
            _modelId = modelId;
        }
        var window = BandStatistics.Of([features]);
        if (_seen is null) return _seen = window;
        window = window with { Frames = Math.Max(1, (long)Math.Round(window.Frames * _newFraction)) };
        var past = _seen.Frames + window.Frames > MaxFrames ? _seen with { Frames = Math.Max(1, MaxFrames - window.Frames) } : _seen;
        return _seen = BandStatistics.Pool([past, window]);
    }
}
