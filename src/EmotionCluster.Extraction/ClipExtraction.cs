using EmotionCluster.Features;

namespace EmotionCluster.Extraction;

/// <summary>Turns one clip's WAV bytes into features. Implementations are thread-safe.</summary>
public interface IClipFeaturizer
{
    /// <summary>Hash of every setting that affects the output (see <see cref="FeatureKey.HashSettings"/>).</summary>
    string SettingsHash { get; }

    /// <summary>Features of the clip; throws <c>AudioFormatException</c> (or ArgumentException) for unusable audio.</summary>
    Spectrogram Extract(byte[] wavBytes, string clipName);
}

/// <summary>Builds the extraction service for a settings JSON (cached: one featurizer per distinct settings).</summary>
public interface IExtractionServiceFactory
{
    /// <exception cref="ArgumentException">the settings are malformed or invalid.</exception>
    ClipExtractionService ForSettings(string settingsJson);
}

/// <summary>Result of extracting one clip: features (stored under <see cref="Key"/>) or an error.</summary>
public sealed record ExtractionOutcome(string ClipId, FeatureKey? Key, Spectrogram? Features, bool Cached, string? Error)
{
    public bool Succeeded => Error is null;
}

/// <summary>
/// The work an extractor does for one clip, without actors: hash the bytes, reuse the stored features when the
/// store has them, otherwise compute and store them. Bad audio becomes an outcome with an error, never an exception.
/// </summary>
public sealed class ClipExtractionService(IClipFeaturizer featurizer, IFeatureStore store)
{
    public IClipFeaturizer Featurizer => featurizer;
    public IFeatureStore Store => store;

    public ExtractionOutcome Extract(string clipId, byte[] wavBytes, bool loadCached = true)
    {
        var key = new FeatureKey(FeatureKey.HashContent(wavBytes), featurizer.SettingsHash);
        try
        {
            Spectrogram? cached = loadCached ? store.TryGet(key) : null;
            if (cached is not null) return new ExtractionOutcome(clipId, key, cached, Cached: true, Error: null);
            if (!loadCached && store.Contains(key)) return new ExtractionOutcome(clipId, key, null, Cached: true, Error: null);
        }
        catch (InvalidDataException)
        {
            // A damaged store entry is recomputed and overwritten below.
        }

        try
        {
            Spectrogram features = featurizer.Extract(wavBytes, clipId);
            store.Put(key, features);
            return new ExtractionOutcome(clipId, key, features, Cached: false, Error: null);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new ExtractionOutcome(clipId, key, null, Cached: false, Error: e.Message);
        }
    }

    /// <summary>Reads the clip from <paramref name="path"/> and extracts it; an unreadable file is an error outcome.</summary>
    public ExtractionOutcome ExtractFile(string clipId, string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new ExtractionOutcome(clipId, null, null, false, $"{path}: cannot be read: {e.Message}");
        }
        return Extract(clipId, bytes);
    }
}
