using System.Text.RegularExpressions;

namespace EmotionCluster.Corpora;

/// <summary>
/// EMOVO, Italian emotional speech (Costantini et al. 2014). Six actors f1 f2 f3 m1 m2 m3, 14 sentences (b1–b3, d1–d2,
/// l1–l4, n1–n5) in 7 emotions: 588 files named <c>emo-SP-SS.wav</c> (<c>dis-f1-b1.wav</c>), in one folder per actor.
/// Emotions: dis disgusto, gio gioia (happiness), neu neutro, pau paura (fear), rab rabbia (anger), sor sorpresa
/// (surprise), tri tristezza (sadness).
/// </summary>
public static partial class EmovoCorpus
{
    public const string Name = "emovo";

    public static IReadOnlyDictionary<string, string> EmotionCodes { get; } = new Dictionary<string, string>
    {
        ["dis"] = Emotions.Disgust, ["gio"] = Emotions.Happiness, ["neu"] = Emotions.Neutral, ["pau"] = Emotions.Fear,
        ["rab"] = Emotions.Anger, ["sor"] = Emotions.Surprise, ["tri"] = Emotions.Sadness,
    };

    /// <summary>The 14 sentence codes.</summary>
    public static IReadOnlyList<string> Sentences { get; } = ["b1", "b2", "b3", "d1", "d2", "l1", "l2", "l3", "l4", "n1", "n2", "n3", "n4", "n5"];

    [GeneratedRegex(@"^(?<emotion>dis|gio|neu|pau|rab|sor|tri)-(?<speaker>[fm][1-3])-(?<sentence>b[1-3]|d[12]|l[1-4]|n[1-5])$", RegexOptions.IgnoreCase)]
    private static partial Regex FileName();

    public static ClipInfo? Parse(string relativePath, string fullPath, out string? problem)
    {
        string stem = Path.GetFileNameWithoutExtension(relativePath);
        Match m = FileName().Match(stem);
        if (!m.Success)
        {
            problem = "name does not follow the EMOVO pattern emo-SP-SS.wav (e.g. dis-f1-b1.wav: emotion dis/gio/neu/pau/" +
                      "rab/sor/tri, speaker f1-f3 or m1-m3, sentence b1-b3, d1-d2, l1-l4, n1-n5); file skipped";
            return null;
        }
        string speaker = m.Groups["speaker"].Value.ToLowerInvariant();
        problem = null;
        return new ClipInfo(stem.ToLowerInvariant(), fullPath, EmotionCodes[m.Groups["emotion"].Value.ToLowerInvariant()], speaker, Name)
        {
            Gender = speaker[0] == 'f' ? "female" : "male",
            Text = m.Groups["sentence"].Value.ToLowerInvariant(),
        };
    }

    public static bool Looks(string dir) => Looks(NamedFiles.RelativeWavs(dir));

    internal static bool Looks(IReadOnlyList<string> relativeWavs) =>
        NamedFiles.Looks(relativeWavs, f => FileName().IsMatch(Path.GetFileNameWithoutExtension(f)));

    public static Corpus Load(string dir) =>
        NamedFiles.Load(dir, Name, CorpusLayout.Emovo, Parse, "no .wav files; expected f1/ … m3/ with files like dis-f1-b1.wav");
}
