namespace EmotionCluster.Corpora;

/// <summary>A train/validation/test partition of clips. Each part is sorted by clip id.</summary>
public sealed record Split(string Name, IReadOnlyList<ClipInfo> Train, IReadOnlyList<ClipInfo> Validation, IReadOnlyList<ClipInfo> Test)
{
    public IReadOnlyList<string> TrainSpeakers => SpeakersOf(Train);
    public IReadOnlyList<string> ValidationSpeakers => SpeakersOf(Validation);
    public IReadOnlyList<string> TestSpeakers => SpeakersOf(Test);

    private static List<string> SpeakersOf(IEnumerable<ClipInfo> clips) =>
        clips.Select(c => c.Speaker).Distinct().OrderBy(s => s, StringComparer.Ordinal).ToList();
}

/// <summary>How leave-one-speaker-out picks each fold's validation set.</summary>
public enum LosoValidation
{
    /// <summary>
    /// The next speaker in sorted order (wrapping round) is the validation speaker, so validation is speaker-independent
    /// too; training gets the remaining n−2 speakers. Needs at least 3 speakers.
    /// </summary>
    NextSpeaker,

    /// <summary>A stratified slice (by emotion) of the other speakers' clips; training shares speakers with validation.</summary>
    StratifiedSlice,
}

/// <summary>
/// Deterministic splits: the same clips (in any order) and seed give the same split. Clips are sorted by id, grouped
/// by emotion and shuffled with <see cref="Random"/>(seed); per emotion, each part gets round(fraction × n) clips
/// (the last part the rest), so each part is within one clip per emotion of its fraction. Emotions a speaker lacks
/// (EMO-DB speaker 08 has no disgust) are simply absent from that speaker's fold; evaluation must average over the
/// classes present.
/// </summary>
public static class Splits
{
    public const double DefaultTrainFraction = 0.7;
    public const double DefaultValidationFraction = 0.2;

    /// <summary>Stratified by emotion: train, validation, and test = the rest (default 70/20/10).</summary>
    public static Split Stratified(IReadOnlyList<ClipInfo> clips, int seed,
        double trainFraction = DefaultTrainFraction, double validationFraction = DefaultValidationFraction)
    {
        CheckFraction(nameof(trainFraction), trainFraction, allowZero: false);
        CheckFraction(nameof(validationFraction), validationFraction, allowZero: true);
        if (trainFraction + validationFraction > 1 + 1e-9)
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction,
                $"train {trainFraction} + validation {validationFraction} exceed 1; the test part gets what is left");
        var parts = Partition(RequireClips(clips), [trainFraction, validationFraction], new Random(seed));
        return new Split($"stratified-{seed}", parts[0], parts[1], parts[2]);
    }

    /// <summary>One fold per speaker (sorted by id): test = that speaker; validation per <paramref name="validation"/>.</summary>
    public static IReadOnlyList<Split> LeaveOneSpeakerOut(IReadOnlyList<ClipInfo> clips, int seed,
        LosoValidation validation = LosoValidation.NextSpeaker, double validationFraction = DefaultValidationFraction)
    {
        var speakers = SpeakersOf(RequireKnownSpeakers(clips));
        int needed = validation == LosoValidation.NextSpeaker ? 3 : 2;
        if (speakers.Count < needed)
            throw new ArgumentException($"leave-one-speaker-out with {validation} validation needs at least {needed} speakers; " +
                                        $"the clips have {speakers.Count} ({string.Join(", ", speakers)})", nameof(clips));
        CheckFraction(nameof(validationFraction), validationFraction, allowZero: true);
        var rng = new Random(seed);
        var folds = new List<Split>();
        for (int i = 0; i < speakers.Count; i++)
        {
            string testSpeaker = speakers[i];
            var test = clips.Where(c => c.Speaker == testSpeaker);
            var rest = clips.Where(c => c.Speaker != testSpeaker).ToList();
            if (validation == LosoValidation.NextSpeaker)
            {
                string validationSpeaker = speakers[(i + 1) % speakers.Count];
                folds.Add(new Split($"loso-{testSpeaker}", Sorted(rest.Where(c => c.Speaker != validationSpeaker)),
                    Sorted(rest.Where(c => c.Speaker == validationSpeaker)), Sorted(test)));
            }
            else
            {
                var parts = Partition(rest, [1 - validationFraction], rng);
                folds.Add(new Split($"loso-{testSpeaker}", parts[0], parts[1], Sorted(test)));
            }
        }
        return folds;
    }

    /// <summary>
    /// K speaker-grouped folds, for corpora with many speakers (CREMA-D's 91) where one fold per speaker is too many:
    /// the speakers (sorted, then shuffled by <paramref name="seed"/>) are dealt to <paramref name="k"/> groups, largest
    /// first, each to the group with the fewest clips so far, so the groups are about equally large and every speaker is
    /// in exactly one. Fold i tests group i; validation is group i+1 (wrapping round) with
    /// <see cref="LosoValidation.NextSpeaker"/> (needs k ≥ 3), or a stratified slice of the other groups' clips. Folds
    /// are named "group-1-of-5" …; their order is the groups' order.
    /// </summary>
    /// <exception cref="ArgumentException">A clip has no speaker, or k is less than 2 (3 for NextSpeaker) or more than the speakers.</exception>
    public static IReadOnlyList<Split> SpeakerGroupedFolds(IReadOnlyList<ClipInfo> clips, int k, int seed,
        LosoValidation validation = LosoValidation.NextSpeaker, double validationFraction = DefaultValidationFraction)
    {
        var groups = SpeakerGroups(clips, k, seed, validation);
        CheckFraction(nameof(validationFraction), validationFraction, allowZero: true);
        var rng = new Random(seed);
        var folds = new List<Split>();
        for (int i = 0; i < k; i++)
        {
            var testSpeakers = groups[i];
            var test = clips.Where(c => testSpeakers.Contains(c.Speaker));
            var rest = clips.Where(c => !testSpeakers.Contains(c.Speaker)).ToList();
            string name = $"group-{i + 1}-of-{k}";
            if (validation == LosoValidation.NextSpeaker)
            {
                var validationSpeakers = groups[(i + 1) % k];
                folds.Add(new Split(name, Sorted(rest.Where(c => !validationSpeakers.Contains(c.Speaker))),
                    Sorted(rest.Where(c => validationSpeakers.Contains(c.Speaker))), Sorted(test)));
            }
            else
            {
                var parts = Partition(rest, [1 - validationFraction], rng);
                folds.Add(new Split(name, parts[0], parts[1], Sorted(test)));
            }
        }
        return folds;
    }

    /// <summary>The speaker groups of <see cref="SpeakerGroupedFolds"/>: k sets, each sorted, together all speakers once.</summary>
    public static IReadOnlyList<IReadOnlySet<string>> SpeakerGroups(IReadOnlyList<ClipInfo> clips, int k, int seed,
        LosoValidation validation = LosoValidation.NextSpeaker)
    {
        var speakers = SpeakersOf(RequireKnownSpeakers(clips));
        int needed = validation == LosoValidation.NextSpeaker ? 3 : 2;
        if (k < needed || k > speakers.Count)
            throw new ArgumentOutOfRangeException(nameof(k), k,
                $"{k} speaker-grouped folds with {validation} validation: need at least {needed} folds and at most one per speaker " +
                $"(the clips have {speakers.Count} speakers)");
        var counts = clips.GroupBy(c => c.Speaker).ToDictionary(g => g.Key, g => g.Count());
        Shuffle(speakers, new Random(seed));
        var groups = Enumerable.Range(0, k).Select(_ => new SortedSet<string>(StringComparer.Ordinal)).ToArray();
        var sizes = new int[k];
        // OrderByDescending is stable: speakers of equal size keep the shuffled order
        foreach (string speaker in speakers.OrderByDescending(s => counts[s]))
        {
            int smallest = 0;
            for (int g = 1; g < k; g++)
                if (sizes[g] < sizes[smallest] || (sizes[g] == sizes[smallest] && groups[g].Count < groups[smallest].Count)) smallest = g;
            groups[smallest].Add(speaker);
            sizes[smallest] += counts[speaker];
        }
        return groups;
    }

    /// <summary>
    /// The given speakers are the test set; the validation speakers, when given, the validation set; otherwise validation
    /// is a stratified <paramref name="validationFraction"/> slice of the remaining speakers' clips.
    /// </summary>
    public static Split HeldOutSpeakers(IReadOnlyList<ClipInfo> clips, IReadOnlyCollection<string> testSpeakers,
        IReadOnlyCollection<string>? validationSpeakers, int seed, double validationFraction = DefaultValidationFraction)
    {
        var speakers = SpeakersOf(RequireKnownSpeakers(clips));
        validationSpeakers ??= [];
        foreach (string s in testSpeakers.Concat(validationSpeakers).Where(s => !speakers.Contains(s)))
            throw new ArgumentException($"speaker '{s}' is not in the clips (speakers: {string.Join(", ", speakers)})", nameof(testSpeakers));
        if (testSpeakers.Count == 0) throw new ArgumentException("at least one test speaker is needed", nameof(testSpeakers));
        string? both = testSpeakers.FirstOrDefault(validationSpeakers.Contains);
        if (both is not null) throw new ArgumentException($"speaker '{both}' cannot be both a test and a validation speaker", nameof(validationSpeakers));
        var train = clips.Where(c => !testSpeakers.Contains(c.Speaker) && !validationSpeakers.Contains(c.Speaker)).ToList();
        if (train.Count == 0) throw new ArgumentException("no speaker is left for training", nameof(testSpeakers));
        CheckFraction(nameof(validationFraction), validationFraction, allowZero: true);

        string name = $"heldout-{string.Join("+", testSpeakers.Order(StringComparer.Ordinal))}";
        var test = Sorted(clips.Where(c => testSpeakers.Contains(c.Speaker)));
        if (validationSpeakers.Count > 0)
            return new Split(name, Sorted(train), Sorted(clips.Where(c => validationSpeakers.Contains(c.Speaker))), test);
        var parts = Partition(train, [1 - validationFraction], new Random(seed));
        return new Split(name, parts[0], parts[1], test);
    }

    /// <summary>Held-out speakers drawn at random (by <paramref name="seed"/>): that many test and validation speakers.</summary>
    public static Split HeldOutSpeakers(IReadOnlyList<ClipInfo> clips, int testSpeakerCount, int validationSpeakerCount, int seed)
    {
        var speakers = SpeakersOf(RequireKnownSpeakers(clips));
        if (testSpeakerCount < 1 || validationSpeakerCount < 0 || testSpeakerCount + validationSpeakerCount >= speakers.Count)
            throw new ArgumentOutOfRangeException(nameof(testSpeakerCount), testSpeakerCount,
                $"{testSpeakerCount} test + {validationSpeakerCount} validation speakers: need at least 1 test speaker and " +
                $"at least 1 of the {speakers.Count} speakers left for training");
        Shuffle(speakers, new Random(seed));
        return HeldOutSpeakers(clips, speakers.Take(testSpeakerCount).ToList(),
            speakers.Skip(testSpeakerCount).Take(validationSpeakerCount).ToList(), seed);
    }

    /// <summary>
    /// Per emotion: sorted by id, shuffled, then cut into fractions.Length + 1 parts of round(f × n) clips, the last
    /// part taking the rest.
    /// </summary>
    private static List<ClipInfo>[] Partition(IEnumerable<ClipInfo> clips, double[] fractions, Random rng)
    {
        var parts = Enumerable.Range(0, fractions.Length + 1).Select(_ => new List<ClipInfo>()).ToArray();
        var byEmotion = clips.GroupBy(c => c.Emotion).OrderBy(g => g.Key, StringComparer.Ordinal);
        foreach (var group in byEmotion)
        {
            var items = Sorted(group);
            Shuffle(items, rng);
            int start = 0;
            for (int p = 0; p < fractions.Length; p++)
            {
                int count = Math.Min(items.Count - start, (int)Math.Round(fractions[p] * items.Count, MidpointRounding.AwayFromZero));
                parts[p].AddRange(items.GetRange(start, count));
                start += count;
            }
            parts[^1].AddRange(items.Skip(start));
        }
        return parts.Select(Sorted).ToArray();
    }

    private static void Shuffle<T>(List<T> items, Random rng)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static List<ClipInfo> Sorted(IEnumerable<ClipInfo> clips) => clips.OrderBy(c => c.Id, StringComparer.Ordinal).ToList();

    private static List<string> SpeakersOf(IEnumerable<ClipInfo> clips) =>
        clips.Select(c => c.Speaker).Distinct().OrderBy(s => s, StringComparer.Ordinal).ToList();

    private static IReadOnlyList<ClipInfo> RequireClips(IReadOnlyList<ClipInfo> clips)
    {
        ArgumentNullException.ThrowIfNull(clips);
        if (clips.Count == 0) throw new ArgumentException("there are no clips to split", nameof(clips));
        var duplicate = clips.GroupBy(c => c.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"clip id '{duplicate.Key}' occurs {duplicate.Count()} times; ids must be unique", nameof(clips));
        return clips;
    }

    /// <summary>
    /// Speaker splits promise that no speaker is on both sides; clips whose speaker is unknown (a folder corpus without a
    /// speaker pattern) would silently form one "speaker" made of many, so they are refused.
    /// </summary>
    private static IReadOnlyList<ClipInfo> RequireKnownSpeakers(IReadOnlyList<ClipInfo> clips)
    {
        RequireClips(clips);
        var unknown = clips.Where(c => c.Speaker == ClipInfo.UnknownSpeaker).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException(
                $"{unknown.Count} of {clips.Count} clips have no known speaker (e.g. {string.Join(", ", unknown.Take(3).Select(c => c.Id))}); " +
                "a speaker-independent split needs the speaker of every clip: give a speaker pattern (--speaker-pattern REGEX, a regex with a " +
                "(?<speaker>...) group matched against the file's relative path or name) or a manifest with a speaker column, " +
                "remove those clips, or use the stratified split",
                nameof(clips));
        return clips;
    }

    private static void CheckFraction(string name, double value, bool allowZero)
    {
        if (!(allowZero ? value is >= 0 and <= 1 : value is > 0 and <= 1))
            throw new ArgumentOutOfRangeException(name, value, $"{name} = {value} must be in {(allowZero ? "[0, 1]" : "(0, 1]")}");
    }
}
