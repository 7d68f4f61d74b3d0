using System.Globalization;

namespace EmotionCluster.Reporting;

/// <summary>
/// One colour per emotion, everywhere: the report's charts (<see cref="Charts"/>) and the live page
/// (<c>src/EmotionCluster.Streaming/wwwroot/live.js</c> holds a copy between <c>palette:begin</c> and <c>palette:end</c>;
/// a test checks it equals this). Colours follow common associations (anger red, sadness blue, happiness orange,
/// neutral grey) from the Tableau 10 set, which stays distinguishable for the common colour-vision deficiencies better
/// than a rainbow. A label outside <see cref="Known"/> gets a colour of <see cref="Fallback"/> chosen by a hash of its
/// name (FNV-1a over its UTF-16 code units), so it too has one colour in every chart and on the page.
/// </summary>
public static class EmotionColors
{
    /// <summary>Emotion (canonical, lower case) → colour as <c>#rrggbb</c>.</summary>
    public static IReadOnlyDictionary<string, string> Known { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["anger"] = "#d62728",
        ["boredom"] = "#8c564b",
        ["disgust"] = "#2ca02c",
        ["fear"] = "#9467bd",
        ["happiness"] = "#ff7f0e",
        ["sadness"] = "#1f77b4",
        ["neutral"] = "#7f7f7f",
        ["surprise"] = "#e377c2",
        ["calm"] = "#17becf",
    };

    /// <summary>Colours for other labels, none of them in <see cref="Known"/>.</summary>
    public static IReadOnlyList<string> Fallback { get; } = ["#bcbd22", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d"];

    /// <summary>The colour of <paramref name="label"/> as <c>#rrggbb</c> (trimmed and lower-cased first).</summary>
    public static string Hex(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        string key = label.Trim().ToLowerInvariant();
        return Known.TryGetValue(key, out string? hex) ? hex : Fallback[(int)(Fnv1a(key) % (uint)Fallback.Count)];
    }

    /// <summary>The colour of <paramref name="label"/> for ScottPlot.</summary>
    public static ScottPlot.Color Of(string label)
    {
        string hex = Hex(label);
        return new ScottPlot.Color(Byte(hex, 1), Byte(hex, 3), Byte(hex, 5));
    }

    /// <summary>FNV-1a (32 bit) over UTF-16 code units; live.js computes the same.</summary>
    public static uint Fnv1a(string text)
    {
        uint h = 2166136261;
        foreach (char c in text)
        {
            h ^= c;
            h *= 16777619;
        }
        return h;
    }

    private static byte Byte(string hex, int at) => byte.Parse(hex.AsSpan(at, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
