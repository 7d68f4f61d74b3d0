using System.Security.Cryptography;
using System.Text;

namespace EmotionCluster.Extraction;

/// <summary>
/// Identifies one feature tensor: the audio's content hash and the hash of the feature settings that made it.
/// Two nodes extracting the same bytes with the same settings produce the same key.
/// </summary>
public readonly record struct FeatureKey(string ContentHash, string SettingsHash)
{
    public override string ToString() => $"{SettingsHash}/{ContentHash}";

    /// <summary>SHA-256 of the audio bytes, lowercase hex.</summary>
    public static string HashContent(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Short hash (16 hex digits) of a canonical settings string, e.g. the settings' JSON.</summary>
    public static string HashSettings(string canonicalSettings) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalSettings)))[..16];
}
