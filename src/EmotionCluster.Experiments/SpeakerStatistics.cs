using EmotionCluster.Corpora;
using EmotionCluster.Features;
using EmotionCluster.Model;

namespace EmotionCluster.Experiments;

/// <summary>The per-speaker <see cref="BandStatistics"/> that <see cref="InputSettings.SpeakerNorm"/> normalizes by.</summary>
public static class SpeakerStatistics
{
    /// <summary>
    /// Statistics per speaker over the given clips' features. A clip of <see cref="ClipInfo.UnknownSpeaker"/> gets no
    /// entry (it is normalized by its own statistics, as a speaker of one clip).
    /// </summary>
    public static IReadOnlyDictionary<string, BandStatistics> Of(FeatureSet features, IEnumerable<ClipInfo> clips) =>
        Of(clips.DistinctBy(c => c.Id).Select(c => (c, features[c])));

    /// <summary>Statistics per speaker over the given clips' features (each clip once); unknown speakers get no entry.</summary>
    public static IReadOnlyDictionary<string, BandStatistics> Of(IEnumerable<(ClipInfo Clip, Spectrogram X)> clips) =>
        ModelInput.SpeakerStatistics(clips.Select(c => (c.Clip.Id, SpeakerOf(c.Clip), c.X)));

    /// <summary>The clip's speaker for speaker normalization; null for <see cref="ClipInfo.UnknownSpeaker"/> (its own group).</summary>
    public static string? SpeakerOf(ClipInfo clip) => clip.Speaker == ClipInfo.UnknownSpeaker ? null : clip.Speaker;
}
