using System.Text.RegularExpressions;

namespace EmotionCluster.Corpora;

/// <summary>
/// SAVEE, Surrey Audio-Visual Expressed Emotion (Haq &amp; Jackson 2009). Four male speakers DC, JE, JK, KL; per speaker
/// 120 sentences: neutral n01–n30 and 15 each of anger a, disgust d, fear f, happiness h, sadness sa, surprise su
/// (480 files). The release's layout is <c>AudioData/DC/a01.wav</c>; the common flat copy names files <c>DC_a01.wav</c>.
/// Both are read.
/// </summary>
public static partial class SaveeCorpus
{
    public const string Name = "savee";

    public static IReadOnlyList<string> SpeakerIds { get; } = ["DC", "JE", "JK", "KL"];

    public static IReadOnlyDictionary<string, string> EmotionCodes { get; } = new Dictionary<string, string>
    {
        ["a"] = Emotions.Anger, ["d"] = Emotions.Disgust, ["f"] = Emotions.Fear, ["h"] = Emotions.Happiness,
        ["n"] = Emotions.Neutral, ["sa"] = Emotions.Sadness, ["su"] = Emotions.Surprise,
    };

    [GeneratedRegex(@"^(?:(?<speaker>DC|JE|JK|KL)_)?(?<emotion>sa|su|a|d|f|h|n)(?<number>\d{2})$")]
    private static partial Regex FileName();

    public static ClipInfo? Parse(string relativePath, string fullPath, out string? problem)
    {
        string stem = Path.GetFileNameWithoutExtension(relativePath);
        Match m = FileName().Match(stem);
        string folder = NamedFiles.ParentName(relativePath);
        string? speaker = m.Success && m.Groups["speaker"].Success ? m.Groups["speaker"].Value
            : SpeakerIds.Contains(folder) ? folder : null;
        if (!m.Success || speaker is null)
        {
            problem = "name does not follow the SAVEE pattern SP_eNN.wav or SP/eNN.wav (e.g. DC_a01.wav or DC/sa03.wav: " +
                      "speaker DC/JE/JK/KL, emotion a/d/f/h/n/sa/su, number); file skipped";
            return null;
        }
        string emotion = m.Groups["emotion"].Value;
        int number = int.Parse(m.Groups["number"].Value);
        int max = emotion == "n" ? 30 : 15;
        if (number is < 1 || number > max)
        {
            problem = $"sentence number {number} is outside 01..{max} for '{emotion}'; file skipped";
            return null;
        }
        problem = null;
        return new ClipInfo($"{speaker}_{emotion}{number:D2}", fullPath, EmotionCodes[emotion], speaker, Name)
        {
            Gender = "male",
            Text = $"{emotion}{number:D2}",
        };
    }

    public static bool Looks(string dir) => Looks(NamedFiles.RelativeWavs(dir));

    internal static bool Looks(IReadOnlyList<string> relativeWavs) => NamedFiles.Looks(relativeWavs, f => Parse(f, f, out _) is not null);

    public static Corpus Load(string dir) =>
        NamedFiles.Load(dir, Name, CorpusLayout.Savee, Parse, "no .wav files; expected DC/ JE/ JK/ KL/ with files like a01.wav, or files like DC_a01.wav");
}
