using System.Text.RegularExpressions;

namespace EmotionCluster.Corpora;

/// <summary>
/// TESS, the Toronto emotional speech set (Pichora-Fuller &amp; Dupuis 2020). Two actresses, OAF (older, 64) and YAF
/// (younger, 26), say "Say the word …" with 200 target words in 7 emotions: 2800 files named
/// <c>SPK_word_emotion.wav</c> (<c>OAF_back_angry.wav</c>; emotion angry, disgust, fear, happy, neutral, ps = pleasant
/// surprise, sad), in folders such as <c>OAF_angry/</c> and <c>YAF_pleasant_surprised/</c>. Pleasant surprise becomes
/// <see cref="Emotions.Surprise"/>.
/// </summary>
public static partial class TessCorpus
{
    public const string Name = "tess";

    public static IReadOnlyDictionary<string, string> EmotionWords { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["angry"] = Emotions.Anger, ["disgust"] = Emotions.Disgust, ["fear"] = Emotions.Fear, ["happy"] = Emotions.Happiness,
        ["neutral"] = Emotions.Neutral, ["ps"] = Emotions.Surprise, ["sad"] = Emotions.Sadness,
    };

    [GeneratedRegex(@"^(?<speaker>OAF|YAF)_(?<word>[A-Za-z]+)_(?<emotion>angry|disgust|fear|happy|neutral|ps|sad)$", RegexOptions.IgnoreCase)]
    private static partial Regex FileName();

    public static ClipInfo? Parse(string relativePath, string fullPath, out string? problem)
    {
        string stem = Path.GetFileNameWithoutExtension(relativePath);
        Match m = FileName().Match(stem);
        if (!m.Success)
        {
            problem = "name does not follow the TESS pattern SPK_word_emotion.wav (e.g. OAF_back_angry.wav: OAF or YAF, " +
                      "the target word, angry/disgust/fear/happy/neutral/ps/sad); file skipped";
            return null;
        }
        string speaker = m.Groups["speaker"].Value.ToUpperInvariant();
        string folder = NamedFiles.ParentName(relativePath);
        if (folder.Length >= 4 && folder[3] == '_' && (folder.StartsWith("OAF", StringComparison.OrdinalIgnoreCase) || folder.StartsWith("YAF", StringComparison.OrdinalIgnoreCase))
            && !folder.StartsWith(speaker, StringComparison.OrdinalIgnoreCase))
        {
            problem = $"speaker {speaker} in the name but the file is in {folder}; file skipped";
            return null;
        }
        problem = null;
        return new ClipInfo(stem, fullPath, EmotionWords[m.Groups["emotion"].Value], speaker, Name)
        {
            Gender = "female",
            Text = m.Groups["word"].Value.ToLowerInvariant(),
        };
    }

    public static bool Looks(string dir) => Looks(NamedFiles.RelativeWavs(dir));

    internal static bool Looks(IReadOnlyList<string> relativeWavs) =>
        NamedFiles.Looks(relativeWavs, f => FileName().IsMatch(Path.GetFileNameWithoutExtension(f)));

    public static Corpus Load(string dir) =>
        NamedFiles.Load(dir, Name, CorpusLayout.Tess, Parse, "no .wav files; expected folders like OAF_angry/ with files like OAF_back_angry.wav");
}
