using System.Text.RegularExpressions;

namespace EmotionCluster.Corpora;

/// <summary>
/// RAVDESS, speech part (Livingstone &amp; Russo 2018). Files <c>Actor_NN/MM-VV-EE-II-SS-RR-AA.wav</c>: modality (03 audio
/// only), vocal channel (01 speech, 02 song), emotion (01 neutral, 02 calm, 03 happy, 04 sad, 05 angry, 06 fearful,
/// 07 disgust, 08 surprised), intensity (01 normal, 02 strong), statement (01 "Kids are talking by the door", 02 "Dogs
/// are sitting by the door"), repetition (01, 02), actor (01–24; odd male, even female). 24 actors × 60 = 1440 files.
/// Song files (vocal channel 02) are reported and skipped.
/// </summary>
public static partial class RavdessCorpus
{
    public const string Name = "ravdess";
    public const int Actors = 24;

    /// <summary>Emotion code → canonical emotion.</summary>
    public static IReadOnlyDictionary<string, string> EmotionCodes { get; } = new Dictionary<string, string>
    {
        ["01"] = Emotions.Neutral, ["02"] = Emotions.Calm, ["03"] = Emotions.Happiness, ["04"] = Emotions.Sadness,
        ["05"] = Emotions.Anger, ["06"] = Emotions.Fear, ["07"] = Emotions.Disgust, ["08"] = Emotions.Surprise,
    };

    [GeneratedRegex(@"^(?<modality>0[1-3])-(?<channel>0[12])-(?<emotion>0[1-8])-(?<intensity>0[12])-(?<statement>0[12])-(?<repetition>0[12])-(?<actor>\d{2})$")]
    private static partial Regex FileName();

    [GeneratedRegex(@"^Actor_(?<actor>\d{1,2})$", RegexOptions.IgnoreCase)]
    private static partial Regex ActorFolder();

    /// <summary>The clip a path (relative to the corpus folder) describes, or null with the reason.</summary>
    public static ClipInfo? Parse(string relativePath, string fullPath, out string? problem)
    {
        Match m = FileName().Match(Path.GetFileNameWithoutExtension(relativePath));
        if (!m.Success)
        {
            problem = "name does not follow the RAVDESS pattern MM-VV-EE-II-SS-RR-AA.wav (e.g. 03-01-05-02-01-01-12.wav: " +
                      "audio-only, speech, emotion 01-08, intensity, statement, repetition, actor 01-24); file skipped";
            return null;
        }
        int actor = int.Parse(m.Groups["actor"].Value);
        if (actor is < 1 or > Actors)
        {
            problem = $"actor {actor} is outside 01..{Actors}; file skipped";
            return null;
        }
        if (m.Groups["channel"].Value == "02")
        {
            problem = "a song (vocal channel 02); only RAVDESS speech is loaded; file skipped";
            return null;
        }
        Match folder = ActorFolder().Match(NamedFiles.ParentName(relativePath));
        if (folder.Success && int.Parse(folder.Groups["actor"].Value) != actor)
        {
            problem = $"actor {actor:D2} in the name but the file is in {NamedFiles.ParentName(relativePath)}; file skipped";
            return null;
        }
        problem = null;
        return new ClipInfo(Path.GetFileNameWithoutExtension(relativePath), fullPath, EmotionCodes[m.Groups["emotion"].Value],
            m.Groups["actor"].Value, Name)
        {
            Gender = actor % 2 == 1 ? "male" : "female",
            Text = m.Groups["statement"].Value,
            Take = $"{m.Groups["intensity"].Value}-{m.Groups["repetition"].Value}",
        };
    }

    public static bool Looks(string dir) => Looks(NamedFiles.RelativeWavs(dir));

    internal static bool Looks(IReadOnlyList<string> relativeWavs) =>
        NamedFiles.Looks(relativeWavs, f => FileName().IsMatch(Path.GetFileNameWithoutExtension(f)));

    /// <exception cref="CorpusException">The folder is missing or has no RAVDESS files.</exception>
    public static Corpus Load(string dir) =>
        NamedFiles.Load(dir, Name, CorpusLayout.Ravdess, Parse, "no .wav files; expected Actor_01/ … Actor_24/ with files like 03-01-05-02-01-01-01.wav");
}
