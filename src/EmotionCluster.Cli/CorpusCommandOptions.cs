using System.CommandLine;
using EmotionCluster.Corpora;

namespace EmotionCluster.Cli;

/// <summary>
/// The options that say how to read a corpus given with <c>--data</c> (manifest columns, data root, label map, speaker
/// pattern), defined once for every command that loads one: <c>new CorpusCommandOptions().AddTo(command)</c>, then
/// <c>ToOptions(parseResult)</c> in the action. Each command needs its own instance (an option belongs to one command).
/// </summary>
public sealed class CorpusCommandOptions
{
    /// <summary>The help text for a <c>--data</c> option that accepts any corpus.</summary>
    public const string DataDescription =
        "Corpus folder (EMO-DB, AESDD, RAVDESS, CREMA-D, TESS, SAVEE, EMOVO or one subfolder per label) or manifest file " +
        "(.csv with file,emotion,speaker[,gender]; SpeechBrain .json; EmoBox .jsonl).";

    public Option<string?> LabelColumn { get; } = new("--label-column")
    {
        Description = "Manifest column/field with the label (default: emotion, emo or label).",
    };

    public Option<string?> SpeakerColumn { get; } = new("--speaker-column")
    {
        Description = "Manifest column/field with the speaker (default: speaker, spk_id or speaker_id when present).",
    };

    public Option<string?> PathColumn { get; } = new("--path-column")
    {
        Description = "Manifest column/field with the audio path (default: file, wav or path).",
    };

    public Option<string?> GenderColumn { get; } = new("--gender-column")
    {
        Description = "Manifest column/field with the speaker's gender, f/m/female/male (default: gender or sex when present).",
    };

    public Option<string?> DataRoot { get; } = new("--data-root")
    {
        Description = "Folder that relative manifest paths and {data_root} resolve against (default: the manifest's folder).",
    };

    public Option<string[]> Map { get; } = new("--map")
    {
        Description = "Label mapping LABEL=NEW[,…] or a JSON file of them; NEW 'drop' removes the clips, e.g. " +
                      "surprised=surprise,calm=neutral,ps=surprise. Repeatable.",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string?> SpeakerPattern { get; } = new("--speaker-pattern")
    {
        Description = "Regex giving the speaker of clips without one (folder-per-label, manifests without a speaker column): " +
                      "its (?<speaker>…) or first group, over the file's path relative to the corpus (then its name), " +
                      "e.g. '^(?<speaker>[^_/]+)_' for 'angry/spk01_003.wav'.",
    };

    public IEnumerable<Option> All => [LabelColumn, SpeakerColumn, PathColumn, GenderColumn, DataRoot, Map, SpeakerPattern];

    /// <summary>Adds the options to <paramref name="command"/>; returns this.</summary>
    public CorpusCommandOptions AddTo(Command command)
    {
        foreach (Option option in All) command.Options.Add(option);
        return this;
    }

    /// <summary>The <see cref="CorpusOptions"/> the user asked for.</summary>
    /// <exception cref="ArgumentException">A bad --map or --speaker-pattern (reported by <see cref="CliErrors"/> as one line).</exception>
    public CorpusOptions ToOptions(ParseResult parseResult)
    {
        string? pattern = parseResult.GetValue(SpeakerPattern);
        if (pattern is not null) CorpusOptions.CompileSpeakerPattern(pattern); // a bad regex fails before any loading
        string[] maps = parseResult.GetValue(Map) ?? [];
        return new CorpusOptions
        {
            LabelColumn = parseResult.GetValue(LabelColumn),
            SpeakerColumn = parseResult.GetValue(SpeakerColumn),
            PathColumn = parseResult.GetValue(PathColumn),
            GenderColumn = parseResult.GetValue(GenderColumn),
            DataRoot = parseResult.GetValue(DataRoot),
            LabelMap = maps.Length == 0 ? LabelMap.Empty : LabelMap.Combine(maps.Select(LabelMap.Parse)),
            SpeakerPattern = pattern,
        };
    }
}
