using System.Text.Json;
using EmotionCluster.Audio;

namespace EmotionCluster.Streaming;

/// <summary>
/// Fields of the WebSocket <c>prediction</c> message that tell a client how far to trust it (docs/streaming.md). They
/// are added after the earlier fields, so clients that do not know them go on working.
/// </summary>
public static class StreamJson
{
    /// <summary>Names of <see cref="LevelWarning"/> flags in <c>"warnings"</c>.</summary>
    public const string Quiet = "quiet";
    public const string Clipped = "clipped";

    /// <summary>
    /// <c>"uncertain":bool,"confidence":p,"warnings":["quiet","clipped"],"warning":"one line"</c> (the line only when there
    /// is a warning) and <c>"level":{"activeDbfs":..,"rmsDbfs":..,"peakDbfs":..,"clippedFraction":..}</c> when measured.
    /// </summary>
    public static void WriteHonesty(Utf8JsonWriter w, StreamPrediction p)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(p);
        w.WriteBoolean("uncertain", p.Uncertain);
        w.WriteNumber("confidence", Math.Round(p.Confidence, 4));
        w.WriteStartArray("warnings");
        foreach (string name in WarningNames(p.Level?.Warnings ?? LevelWarning.None)) w.WriteStringValue(name);
        w.WriteEndArray();
        if (p.Level is not { } level) return;
        if (level.Warnings != LevelWarning.None) w.WriteString("warning", level.Describe());
        w.WriteStartObject("level");
        w.WriteNumber("activeDbfs", Math.Round(level.ActiveDbfs, 2));
        w.WriteNumber("rmsDbfs", Math.Round(level.RmsDbfs, 2));
        w.WriteNumber("peakDbfs", Math.Round(level.PeakDbfs, 2));
        w.WriteNumber("clippedFraction", Math.Round(level.ClippedFraction, 6));
        w.WriteEndObject();
    }

    public static IEnumerable<string> WarningNames(LevelWarning warnings)
    {
        if (warnings.HasFlag(LevelWarning.TooQuiet)) yield return Quiet;
        if (warnings.HasFlag(LevelWarning.Clipped)) yield return Clipped;
    }
}
