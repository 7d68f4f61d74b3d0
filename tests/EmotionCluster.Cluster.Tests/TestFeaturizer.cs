using EmotionCluster.Audio;
using EmotionCluster.Extraction;
using EmotionCluster.Features;

namespace EmotionCluster.Cluster.Tests;

/// <summary>A tiny featurizer for actor tests: mean absolute amplitude per 100 samples, one bin.</summary>
public sealed class TestFeaturizer(string settingsJson) : IClipFeaturizer
{
    public int Calls;
    public string SettingsHash { get; } = FeatureKey.HashSettings(settingsJson);

    public Spectrogram Extract(byte[] wavBytes, string clipName)
    {
        Interlocked.Increment(ref Calls);
        var (clip, _) = WavReader.Read(wavBytes, clipName);
        int frames = Math.Max(1, clip.Samples.Length / 100);
        var data = new float[frames];
        for (int f = 0; f < frames; f++)
            data[f] = clip.Samples.Skip(f * 100).Take(100).Select(Math.Abs).DefaultIfEmpty().Average();
        return new Spectrogram(data, 1, frames);
    }
}

public sealed class TestServiceFactory(IFeatureStore store) : IExtractionServiceFactory
{
    public readonly Dictionary<string, TestFeaturizer> Featurizers = new();

    public ClipExtractionService ForSettings(string settingsJson)
    {
        if (!settingsJson.StartsWith('{')) throw new ArgumentException($"settings are not JSON: '{settingsJson}'");
        lock (Featurizers)
        {
            if (!Featurizers.TryGetValue(settingsJson, out var f)) Featurizers[settingsJson] = f = new TestFeaturizer(settingsJson);
            return new ClipExtractionService(f, store);
        }
    }

    public int Calls => Featurizers.Values.Sum(f => f.Calls);
}
