using System.Text.RegularExpressions;

namespace EmotionCluster.Corpora;

/// <summary>
/// CREMA-D (Cao et al. 2014). Files <c>AAAA_SSS_EEE_LL.wav</c> (usually in <c>AudioWAV/</c>): actor 1001–1091, sentence
/// (IEO, TIE, IOM, IWW, TAI, MTI, IWL, ITH, DFA, ITS, TSI, WSI), emotion (ANG, DIS, FEA, HAP, NEU, SAD), level (LO, MD,
/// HI, XX unspecified; X in a few names). 7442 files of 91 actors. The actors' sex comes from
/// <c>VideoDemographics.csv</c> (ActorID, Age, Sex, …) when it is in the folder or its parent.
/// </summary>
public static partial class CremaDCorpus
{
    public const string Name = "cremad";
    public const string DemographicsFile = "VideoDemographics.csv";
    public const int FirstActor = 1001, LastActor = 1091;

    public static IReadOnlyDictionary<string, string> EmotionCodes { get; } = new Dictionary<string, string>
    {
        ["ANG"] = Emotions.Anger, ["DIS"] = Emotions.Disgust, ["FEA"] = Emotions.Fear, ["HAP"] = Emotions.Happiness,
        ["NEU"] = Emotions.Neutral, ["SAD"] = Emotions.Sadness,
    };

    /// <summary>The twelve sentence codes.</summary>
    public static IReadOnlyList<string> Sentences { get; } = ["IEO", "TIE", "IOM", "IWW", "TAI", "MTI", "IWL", "ITH", "DFA", "ITS", "TSI", "WSI"];

    [GeneratedRegex(@"^(?<actor>\d{4})_(?<sentence>[A-Z]{3})_(?<emotion>ANG|DIS|FEA|HAP|NEU|SAD)_(?<level>LO|MD|HI|XX|X)$")]
    private static partial Regex FileName();

    public static ClipInfo? Parse(string relativePath, string fullPath, out string? problem)
    {
        string stem = Path.GetFileNameWithoutExtension(relativePath);
        Match m = FileName().Match(stem);
        if (!m.Success)
        {
            problem = "name does not follow the CREMA-D pattern AAAA_SSS_EEE_LL.wav (e.g. 1001_DFA_ANG_XX.wav: actor, " +
                      "sentence, emotion ANG/DIS/FEA/HAP/NEU/SAD, level LO/MD/HI/XX); file skipped";
            return null;
        }
        int actor = int.Parse(m.Groups["actor"].Value);
        if (actor is < FirstActor or > LastActor)
        {
            problem = $"actor {actor} is outside {FirstActor}..{LastActor}; file skipped";
            return null;
        }
        if (!Sentences.Contains(m.Groups["sentence"].Value))
        {
            problem = $"sentence {m.Groups["sentence"].Value} is not one of {string.Join(", ", Sentences)}; file skipped";
            return null;
        }
        problem = null;
        return new ClipInfo(stem, fullPath, EmotionCodes[m.Groups["emotion"].Value], m.Groups["actor"].Value, Name)
        {
            Text = m.Groups["sentence"].Value,
            Take = m.Groups["level"].Value,
        };
    }

    public static bool Looks(string dir) => Looks(NamedFiles.RelativeWavs(dir));

    internal static bool Looks(IReadOnlyList<string> relativeWavs) =>
        NamedFiles.Looks(relativeWavs, f => FileName().IsMatch(Path.GetFileNameWithoutExtension(f)));

    public static Corpus Load(string dir)
    {
        Corpus corpus = NamedFiles.Load(dir, Name, CorpusLayout.CremaD, Parse, "no .wav files; expected AudioWAV/ with files like 1001_DFA_ANG_XX.wav");
        var issues = new List<CorpusIssue>(corpus.Issues);
        var sexes = ReadDemographics(dir, issues);
        if (sexes.Count == 0) return corpus with { Issues = issues };
        return corpus with
        {
            Clips = corpus.Clips.Select(c => sexes.TryGetValue(c.Speaker, out string? g) ? c with { Gender = g } : c).ToList(),
            Issues = issues.OrderBy(i => i.Path, StringComparer.Ordinal).ToList(),
        };
    }

    private static Dictionary<string, string> ReadDemographics(string dir, List<CorpusIssue> issues)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        string full = Path.GetFullPath(dir);
        string? file = new[] { full, Path.GetDirectoryName(full) }.Where(d => d is not null)
            .Select(d => Path.Combine(d!, DemographicsFile)).FirstOrDefault(File.Exists);
        if (file is null) return result;
        try
        {
            var rows = CsvReader.Read(File.ReadAllText(file));
            if (rows.Count == 0) return result;
            int id = Array.FindIndex(rows[0].Fields, h => h.Equals("ActorID", StringComparison.OrdinalIgnoreCase));
            int sex = Array.FindIndex(rows[0].Fields, h => h.Equals("Sex", StringComparison.OrdinalIgnoreCase));
            if (id < 0 || sex < 0)
            {
                issues.Add(new CorpusIssue(file, "has no ActorID and Sex columns; genders unknown"));
                return result;
            }
            foreach (var row in rows.Skip(1))
                if (row.Fields.Length > Math.Max(id, sex) && Genders.Normalize(row.Fields[sex]) is { } g)
                    result[row.Fields[id].Trim()] = g;
        }
        catch (IOException e)
        {
            issues.Add(new CorpusIssue(file, $"cannot be read ({e.Message}); genders unknown"));
        }
        return result;
    }
}
