using System.Buffers.Binary;
using System.Runtime.InteropServices;
using EmotionCluster.Features;

namespace EmotionCluster.Extraction;

/// <summary>Where extracted features are kept, keyed by <see cref="FeatureKey"/>.</summary>
public interface IFeatureStore
{
    bool Contains(FeatureKey key);
    Spectrogram? TryGet(FeatureKey key);
    /// <summary>Stores atomically; storing the same key twice is harmless (last write wins, same content).</summary>
    void Put(FeatureKey key, Spectrogram features);
}

/// <summary>
/// A feature store in a local directory: <c>root/SETTINGS/ab/abcdef….feat</c>. Files are written to a temporary
/// name and renamed, so a process killed mid-write never leaves a partial entry behind. Safe to share between
/// processes on one machine (or a shared volume).
/// </summary>
public sealed class DirectoryFeatureStore : IFeatureStore
{
    private static ReadOnlySpan<byte> Magic => "ECFS"u8;
    private const int Version = 1, HeaderBytes = 16;

    public DirectoryFeatureStore(string root)
    {
        if (string.IsNullOrWhiteSpace(root)) throw new ArgumentException("feature store directory is empty", nameof(root));
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string PathOf(FeatureKey key)
    {
        if (key.ContentHash.Length < 8 || key.SettingsHash.Length < 8 || !IsHex(key.ContentHash) || !IsHex(key.SettingsHash))
            throw new ArgumentException($"malformed feature key '{key}'", nameof(key));
        return Path.Combine(Root, key.SettingsHash, key.ContentHash[..2], key.ContentHash + ".feat");
    }

    public bool Contains(FeatureKey key) => File.Exists(PathOf(key));

    public Spectrogram? TryGet(FeatureKey key)
    {
        string path = PathOf(key);
        if (!File.Exists(path)) return null;
        byte[] bytes = File.ReadAllBytes(path);
        return Decode(bytes, path);
    }

    public void Put(FeatureKey key, Spectrogram features)
    {
        string path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string tmp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(tmp, Encode(features));
        File.Move(tmp, path, overwrite: true);
    }

    public static byte[] Encode(Spectrogram s)
    {
        var bytes = new byte[HeaderBytes + s.Data.Length * sizeof(float)];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), Version);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), s.Bins);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(12), s.Frames);
        MemoryMarshal.AsBytes(s.Data.AsSpan()).CopyTo(bytes.AsSpan(HeaderBytes));
        return bytes;
    }

    public static Spectrogram Decode(ReadOnlySpan<byte> bytes, string name)
    {
        if (bytes.Length < HeaderBytes || !bytes[..4].SequenceEqual(Magic))
            throw new InvalidDataException($"{name}: not a feature file (bad header); delete it to have it recomputed");
        int version = BinaryPrimitives.ReadInt32LittleEndian(bytes[4..]);
        int bins = BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]);
        int frames = BinaryPrimitives.ReadInt32LittleEndian(bytes[12..]);
        if (version != Version || bins <= 0 || frames <= 0 || (long)bins * frames * sizeof(float) != bytes.Length - HeaderBytes)
            throw new InvalidDataException($"{name}: corrupt feature file (version {version}, {bins}x{frames}, {bytes.Length} bytes); delete it to have it recomputed");
        var data = new float[bins * frames];
        bytes[HeaderBytes..].CopyTo(MemoryMarshal.AsBytes(data.AsSpan()));
        return new Spectrogram(data, bins, frames);
    }

    private static bool IsHex(string s) => s.All(char.IsAsciiHexDigit);
}

/// <summary>A feature store in memory (one-off evaluations and tests); nothing outlives the process.</summary>
public sealed class MemoryFeatureStore : IFeatureStore
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<FeatureKey, Spectrogram> _items = new();

    public bool Contains(FeatureKey key) => _items.ContainsKey(key);
    public Spectrogram? TryGet(FeatureKey key) => _items.TryGetValue(key, out var s) ? s : null;
    public void Put(FeatureKey key, Spectrogram features) => _items[key] = features;
}
