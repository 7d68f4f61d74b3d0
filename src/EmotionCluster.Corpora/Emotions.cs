namespace EmotionCluster.Corpora;

/// <summary>Canonical English emotion labels shared by every corpus loader.</summary>
public static class Emotions
{
    public const string Anger = "anger";
    public const string Boredom = "boredom";
    public const string Disgust = "disgust";
    public const string Fear = "fear";
    public const string Happiness = "happiness";
    public const string Sadness = "sadness";
    public const string Neutral = "neutral";

    /// <summary>The seven EMO-DB emotions in a fixed order.</summary>
    public static IReadOnlyList<string> All => Order;

    private static readonly string[] Order = [Anger, Boredom, Disgust, Fear, Happiness, Sadness, Neutral];

    private static readonly Dictionary<string, string> Synonyms = new(StringComparer.OrdinalIgnoreCase)
    {
        ["anger"] = Anger, ["angry"] = Anger,
        ["boredom"] = Boredom, ["bored"] = Boredom,
        ["disgust"] = Disgust, ["disgusted"] = Disgust,
        ["fear"] = Fear, ["fearful"] = Fear, ["afraid"] = Fear,
        ["happiness"] = Happiness, ["happy"] = Happiness, ["joy"] = Happiness,
        ["sadness"] = Sadness, ["sad"] = Sadness,
        ["neutral"] = Neutral,
    };

    /// <summary>
    /// The canonical label for a common spelling ("Angry" → "anger", "happy" → "happiness"); any other label is
    /// returned trimmed and lower-cased, so folder-per-label corpora may use labels outside the seven.
    /// </summary>
    public static string Canonical(string label) =>
        Synonyms.TryGetValue(label.Trim(), out string? canonical) ? canonical : label.Trim().ToLowerInvariant();

    /// <summary>Sort key: the seven in <see cref="All"/> order first, any other label after them alphabetically.</summary>
    public static IEnumerable<string> InOrder(IEnumerable<string> labels) =>
        labels.Distinct().OrderBy(Rank).ThenBy(l => l, StringComparer.Ordinal);

    private static int Rank(string label)
    {
        int i = Array.IndexOf(Order, label);
        return i >= 0 ? i : Order.Length;
    }
}
