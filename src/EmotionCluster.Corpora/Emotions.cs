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
    /// <summary>RAVDESS "surprised", TESS "pleasant surprise" (ps), SAVEE su, EMOVO sorpresa.</summary>
    public const string Surprise = "surprise";
    /// <summary>RAVDESS "calm".</summary>
    public const string Calm = "calm";

    /// <summary>The seven EMO-DB emotions in a fixed order (unchanged as the label set grew).</summary>
    public static IReadOnlyList<string> All => Order[..7];

    /// <summary>
    /// Every canonical label the loaders produce, in sort order: the seven EMO-DB emotions, then surprise and calm.
    /// Any other label sorts after these, alphabetically.
    /// </summary>
    public static IReadOnlyList<string> Known => Order;

    /// <summary>True for one of <see cref="Known"/>.</summary>
    public static bool IsKnown(string label) => Array.IndexOf(Order, label) >= 0;

    private static readonly string[] Order = [Anger, Boredom, Disgust, Fear, Happiness, Sadness, Neutral, Surprise, Calm];

    private static readonly Dictionary<string, string> Synonyms = new(StringComparer.OrdinalIgnoreCase)
    {
        ["anger"] = Anger, ["angry"] = Anger,
        ["boredom"] = Boredom, ["bored"] = Boredom,
        ["disgust"] = Disgust, ["disgusted"] = Disgust,
        ["fear"] = Fear, ["fearful"] = Fear, ["afraid"] = Fear,
        ["happiness"] = Happiness, ["happy"] = Happiness, ["joy"] = Happiness,
        ["sadness"] = Sadness, ["sad"] = Sadness,
        ["neutral"] = Neutral,
        ["surprise"] = Surprise, ["surprised"] = Surprise, ["pleasant surprise"] = Surprise, ["pleasant_surprise"] = Surprise,
        ["pleasant_surprised"] = Surprise,
        ["calm"] = Calm,
        // the three-letter codes of SpeechBrain's IEMOCAP recipe, EmoBox and CREMA-D
        ["ang"] = Anger, ["dis"] = Disgust, ["fea"] = Fear, ["hap"] = Happiness, ["neu"] = Neutral, ["sur"] = Surprise,
    };

    /// <summary>
    /// The canonical label for a common spelling ("Angry" → "anger", "happy" → "happiness"); any other label is
    /// returned trimmed and lower-cased, so folder-per-label corpora may use labels outside the seven.
    /// </summary>
    public static string Canonical(string label) =>
        Synonyms.TryGetValue(label.Trim(), out string? canonical) ? canonical : label.Trim().ToLowerInvariant();

    /// <summary>Sort key: the labels in <see cref="Known"/> order first, any other label after them alphabetically.</summary>
    public static IEnumerable<string> InOrder(IEnumerable<string> labels) =>
        labels.Distinct().OrderBy(Rank).ThenBy(l => l, StringComparer.Ordinal);

    private static int Rank(string label)
    {
        int i = Array.IndexOf(Order, label);
        return i >= 0 ? i : Order.Length;
    }
}
