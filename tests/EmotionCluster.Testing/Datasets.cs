using System.Runtime.CompilerServices;
using Xunit;

namespace EmotionCluster.Testing;

/// <summary>
/// Where the test corpora live. One setting: the environment variable <c>EMOTIONCLUSTER_DATASETS</c>;
/// when unset, <c>../shared/datasets</c> next to the repository root; a relative value is taken from the repository root. Corpora are never copied into the repo.
/// </summary>
public static class Datasets
{
    public const string EnvVar = "EMOTIONCLUSTER_DATASETS";

    public static bool IsCi =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Root
    {
        get
        {
            string? configured = Environment.GetEnvironmentVariable(EnvVar);
            // a relative setting means relative to the repository root (as in the README), not to the test's bin folder
            return Path.GetFullPath(string.IsNullOrWhiteSpace(configured) ? Path.Combine("..", "shared", "datasets") : configured, RepoRoot);
        }
    }

    public static string EmoDbDir => Path.Combine(Root, "emodb");
    public static string AesddFileList => Path.Combine(Root, "aesdd-filelist", "AESDD_GT.csv");

    public static bool HasEmoDb => Directory.Exists(Path.Combine(EmoDbDir, "wav"));
    public static bool HasAesddFileList => File.Exists(AesddFileList);

    /// <summary>The EMO-DB folder, or a failure naming where it was looked for.</summary>
    public static string RequireEmoDb() => HasEmoDb
        ? EmoDbDir
        : throw new InvalidOperationException(MissingReason("EMO-DB", Path.Combine(EmoDbDir, "wav")));

    public static string RequireAesddFileList() => HasAesddFileList
        ? AesddFileList
        : throw new InvalidOperationException(MissingReason("AESDD file list", AesddFileList));

    public static string MissingReason(string corpus, string path) =>
        $"{corpus} not found at {path}. Put the corpora in ../shared/datasets beside the repo or set {EnvVar}.";

    /// <summary>Skip reason when a corpus is missing, or null. Under CI=true missing data is never a skip.</summary>
    internal static string? SkipReason(bool present, string corpus, string path) =>
        present || IsCi ? null : MissingReason(corpus, path) + " (skipped; under CI=true this fails)";

    public static string TestData(params string[] parts) =>
        Path.Combine(new[] { RepoRoot, "tests", "data" }.Concat(parts).ToArray());

    private static string FindRepoRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "EmotionCluster.sln"))) return d.FullName;
        throw new InvalidOperationException($"EmotionCluster.sln not found above {AppContext.BaseDirectory}");
    }
}
