using EmotionCluster.Audio;
using EmotionCluster.Extraction;
using EmotionCluster.Features;

namespace EmotionCluster.Extraction.Tests;

public sealed class TestServiceFactory(IFeatureStore store, TimeSpan delay = default) : IExtractionServiceFactory
{
    public readonly Dictionary<string, TestFeaturizer> Featurizers = new();

    public ClipExtractionService ForSettings(string settingsJson)
    {
        if (!settingsJson.StartsWith('{')) throw new ArgumentException($"settings are not JSON: '{settingsJson}'");
        lock (Featurizers)
        {
            if (!Featurizers.TryGetValue(settingsJson, out var f)) Featurizers[settingsJson] = f = new TestFeaturizer(settingsJson, delay);
            return new ClipExtractionService(f, store);
        }
    }

    public int Calls => Featurizers.Values.Sum(f => f.Calls);
    public int MaxConcurrent => Featurizers.Values.Select(f => f.MaxConcurrent).DefaultIfEmpty().Max();
}
