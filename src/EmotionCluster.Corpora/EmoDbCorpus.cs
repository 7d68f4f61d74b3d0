using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace EmotionCluster.Corpora;

/// <summary>
/// Berlin Database of Emotional Speech. Files are named <c>SSTTTEV.wav</c>: SS speaker, TTT text (a01–a05, b01–b10),
/// E emotion letter (W anger, L boredom, E disgust, A fear, F happiness, T sadness, N neutral), V take letter.
/// The listening test <c>erkennung.txt</c> (ISO-8859-1, tab-separated: Nr, Satz, erkannt %, natuerlich %), when
/// present beside <c>wav/</c>, gives each file's human recognition and naturalness rates.
/// </summary>
public static partial class EmoDbCorpus
{
    public const string Name = "emodb";
    public const string RecognitionFile = "erkennung.txt";

    public static IReadOnlyDictionary<char, string> EmotionLetters { get; } = new Dictionary<char, string>
    {
        ['W'] = Emotions.Anger, ['L'] = Emotions.Boredom, ['E'] = Emotions.Disgust, ['A'] = Emotions.Fear,
        ['F'] = Emotions.Happiness, ['T'] = Emotions.Sadness, ['N'] = Emotions.Neutral,
    };

    [GeneratedRegex(@"^(?<speaker>\d{2})(?<text>[ab]\d{2})(?<emotion>[WLEAFTN])(?<take>[a-z])$")]
    private static partial Regex FileName();

    /// <summary>The clip a file name describes, or null with the reason.</summary>
    public static ClipInfo? Parse(string path, out string? problem)
    {
        string stem = System.IO.Path.GetFileNameWithoutExtension(path);
        Match m = FileName().Match(stem);
        if (!m.Success)
        {
            problem = "name does not follow the EMO-DB pattern SSTTTEV.wav (e.g. 03a01Fa.wav: speaker 03, text a01, " +
                      "emotion letter W/L/E/A/F/T/N, take letter); file skipped";
            return null;
        }
        problem = null;
        return new ClipInfo(stem, System.IO.Path.GetFullPath(path), EmotionLetters[m.Groups["emotion"].Value[0]],
            m.Groups["speaker"].Value, Name)
        {
            Text = m.Groups["text"].Value,
            Take = m.Groups["take"].Value,
        };
    }

    /// <summary>True when the folder looks like EMO-DB: it is, or has, a wav folder whose files mostly follow SSTTTEV.wav.</summary>
    public static bool Looks(string dir)
    {
        var wavs = CorpusFiles.Wavs(WavDir(dir), SearchOption.TopDirectoryOnly);
        return wavs.Count > 0 && wavs.Count(f => FileName().IsMatch(System.IO.Path.GetFileNameWithoutExtension(f))) * 2 > wavs.Count;
    }

    /// <summary>Loads the corpus folder (with <c>wav/</c> inside) or the wav folder itself.</summary>
    /// <exception cref="CorpusException">The folder is missing or holds no WAV files.</exception>
    public static Corpus Load(string dir)
    {
        CorpusFiles.RequireDirectory(dir);
        string wavDir = WavDir(dir);
        var files = CorpusFiles.Wavs(wavDir, SearchOption.TopDirectoryOnly);
        if (files.Count == 0)
            throw new CorpusException(dir, "no .wav files here or in a wav/ subfolder; point --data at the EMO-DB folder (the one holding wav/)");

        var issues = new List<CorpusIssue>();
        Dictionary<string, (double Recognised, double Natural)> rates = ReadRecognition(wavDir, issues);
        var clips = new List<ClipInfo>();
        foreach (string file in files)
        {
            ClipInfo? clip = Parse(file, out string? problem);
            if (clip is null)
            {
                issues.Add(new CorpusIssue(file, problem!));
                continue;
            }
            if (rates.TryGetValue(clip.Id, out var r))
                clip = clip with { HumanRecognition = r.Recognised, HumanNaturalness = r.Natural };
            clips.Add(clip);
        }
        return Corpus.Create(Name, CorpusLayout.EmoDb, System.IO.Path.GetFullPath(dir), clips, issues) with
        {
            RatedRecognitionMean = rates.Count > 0 ? rates.Values.Average(r => r.Recognised) : null,
        };
    }

    /// <summary>
    /// Parses <c>erkennung.txt</c> content: rows "Nr TAB file TAB recognised% TAB natural%", decimal comma, padded with
    /// (no-break) spaces. Returns file stem → (recognised, natural) as shares 0..1. Bad rows become issues.
    /// </summary>
    public static Dictionary<string, (double Recognised, double Natural)> ParseRecognition(IEnumerable<string> lines, string source, List<CorpusIssue> issues)
    {
        var result = new Dictionary<string, (double, double)>(StringComparer.Ordinal);
        int lineNo = 0;
        foreach (string line in lines)
        {
            lineNo++;
            if (lineNo == 1 || string.IsNullOrWhiteSpace(line)) continue; // header "Nr. Satz erkannt natuerlich"
            string[] cols = line.Split('\t').Select(c => c.Trim()).ToArray();
            if (cols.Length < 4 || !TryPercent(cols[2], out double recognised) || !TryPercent(cols[3], out double natural))
            {
                issues.Add(new CorpusIssue(source, $"line {lineNo} is not 'Nr<TAB>file<TAB>recognised %<TAB>natural %'; ignored"));
                continue;
            }
            result[System.IO.Path.GetFileNameWithoutExtension(cols[1])] = (recognised / 100, natural / 100);
        }
        return result;
    }

    private static bool TryPercent(string text, out double value) =>
        double.TryParse(text.Replace(',', '.'), NumberStyles.Float, CultureInfo.InvariantCulture, out value) && value is >= 0 and <= 100;

    private static Dictionary<string, (double, double)> ReadRecognition(string wavDir, List<CorpusIssue> issues)
    {
        string? file = new[] { wavDir, System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(wavDir)) }
            .Where(d => d != null)
            .Select(d => System.IO.Path.Combine(d!, RecognitionFile))
            .FirstOrDefault(File.Exists);
        if (file is null) return new(StringComparer.Ordinal);
        try
        {
            return ParseRecognition(File.ReadLines(file, Encoding.Latin1), file, issues);
        }
        catch (IOException e)
        {
            issues.Add(new CorpusIssue(file, $"cannot be read ({e.Message}); human recognition rates unknown"));
            return new(StringComparer.Ordinal);
        }
    }

    private static string WavDir(string dir)
    {
        string sub = System.IO.Path.Combine(dir, "wav");
        return Directory.Exists(sub) ? sub : dir;
    }
}
