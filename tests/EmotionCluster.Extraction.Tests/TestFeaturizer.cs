using EmotionCluster.Audio;
using EmotionCluster.Extraction;
using EmotionCluster.Features;

namespace EmotionCluster.Extraction.Tests;

/// <summary>A tiny featurizer for actor tests: mean absolute amplitude per 100 samples, one bin.</summary>
/// <remarks><see cref="Delay"/> makes each call take at least that long (CPU-bound work stand-in); <see cref="MaxConcurrent"/> is the most calls seen running at once.</remarks>
public sealed class TestFeaturizer(string settingsJson, TimeSpan delay = default) : IClipFeaturizer
{
    public int Calls;
    private int _running, _maxConcurrent;
    public string SettingsHash { get; } = FeatureKey.HashSettings(settingsJson);
    public TimeSpan Delay { get; } = delay;
    public int MaxConcurrent => Volatile.Read(ref _maxConcurrent);

    public Spectrogram Extract(byte[] wavBytes, string clipName)
    {
        Interlocked.Increment(ref Calls);
        int running = Interlocked.Increment(ref _running);
        int seen;
        while (running > (seen = Volatile.Read(ref _maxConcurrent)) && Interlocked.CompareExchange(ref _maxConcurrent, running, seen) != seen) { }
        try
        {
            if (Delay > TimeSpan.Zero) Thread.Sleep(Delay);
            return Compute(wavBytes, clipName);
        }
        finally { Interlocked.Decrement(ref _running); }
    }

    private static Spectrogram Compute(byte[] wavBytes, string clipName)
    {
        var (clip, _) = WavReader.Read(wavBytes, clipName);
        int frames = Math.Max(1, clip.Samples.Length / 100);
        var data = new float[frames];
        for (int f = 0; f < frames; f++)
            data[f] = clip.Samples.Skip(f * 100).Take(100).Select(Math.Abs).DefaultIfEmpty().Average();
        return new Spectrogram(data, 1, frames);
    }
}
