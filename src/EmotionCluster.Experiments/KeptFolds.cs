using EmotionCluster.Corpora;
using EmotionCluster.Model;

namespace EmotionCluster.Experiments;

/// <summary>
/// One fold of a cross-validation run kept on disk by <c>crossval</c> (<c>RUN/folds/FOLD/model.ecm</c> with the fold's
/// <c>split.json</c>): its model, the model's labels and recipe seed, its test clips with their label indices and its
/// training clips, found among the corpus the run was made from.
/// </summary>
public sealed record KeptFold(string Name, string ModelPath, string[] Labels, int Seed, IReadOnlyList<(ClipInfo Clip, int Y)> Test,
    IReadOnlyList<ClipInfo> Train)
{
    /// <summary>The held-out speaker(s), e.g. "03", or "03+08" for a fold that holds out two.</summary>
    public string Speakers => string.Join("+", Test.Select(t => t.Clip.Speaker).Distinct().Order(StringComparer.Ordinal));
}

/// <summary>The folds a cross-validation run kept, for the protocols that score them again without training (<c>robustness</c>, <c>streamed</c>).</summary>
public static class KeptFolds
{
    /// <exception cref="InvalidDataException">the run has no fold models, or a fold's clip is not in <paramref name="clips"/>.</exception>
    public static IReadOnlyList<KeptFold> Load(string runRoot, IReadOnlyList<ClipInfo> clips)
    {
        string folds = Path.Combine(runRoot, CrossValidationOptions.FoldsFolder);
        var dirs = Directory.Exists(folds)
            ? Directory.GetDirectories(folds).Where(d => File.Exists(Path.Combine(d, "model.ecm")) && File.Exists(Path.Combine(d, SplitManifest.FileName)))
                .Order(StringComparer.Ordinal).ToList()
            : [];
        if (dirs.Count == 0)
            throw new InvalidDataException($"{runRoot}: no fold models (folds/FOLD/model.ecm with split.json); run 'emotioncluster crossval --out {runRoot}' first, which keeps them");
        var byId = clips.GroupBy(c => c.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var kept = new List<KeptFold>(dirs.Count);
        foreach (string dir in dirs)
        {
            string name = Path.GetFileName(dir), modelPath = Path.Combine(dir, "model.ecm");
            ClipInfo Find(string id) => byId.TryGetValue(id, out var c) ? c
                : throw new InvalidDataException($"{name}: clip {id} of the fold's split is not in the corpus given; give the --data (and --map, --emotions) the run was made from");
            var split = SplitManifest.Load(Path.Combine(dir, SplitManifest.FileName));
            string[] labels;
            int seed;
            using (var predictor = Predictor.Load(modelPath))
            {
                labels = predictor.Labels;
                seed = predictor.Recipe?.Training.Seed ?? new TrainingSettings().Seed;
            }
            var test = split.Test.Select(Find).ToList();
            kept.Add(new KeptFold(name, modelPath, labels, seed, test.Zip(ExperimentRunner.LabelIndices(test, labels), (c, y) => (c, y)).ToList(),
                split.Train.Select(Find).ToList()));
        }
        return kept;
    }
}
