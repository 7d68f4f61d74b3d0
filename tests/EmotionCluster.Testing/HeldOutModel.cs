using System.Security.Cryptography;
using Xunit;

namespace EmotionCluster.Testing;

/// <summary>
/// A model that never heard EMO-DB speaker <see cref="Speaker"/>: one leave-one-speaker-out fold,
/// <c>emotioncluster crossval --speakers 14 --epochs 15</c> — the main job's path, the default recipe with fewer
/// epochs, a few minutes on 2 cores. Speaker 14 has the most even emotions of EMO-DB's ten (7 to 16 clips each), so
/// every class's recall is measured on several files. Trained once per build of the CLI and shared by every test project (cached
/// under the temp folder by the hash of the build's EmotionCluster assemblies; a lock file makes concurrent test
/// processes wait for the first one's training instead of training twice).
/// </summary>
public static class HeldOutModel
{
    public const string Speaker = "14";
    public const int Epochs = 15;

    /// <summary>The model file, the held-out speakers and the run folder.</summary>
    public sealed record Trained(string ModelPath, IReadOnlyList<string> TestSpeakers, string RunDirectory)
    {
        /// <summary>The held-out speakers' EMO-DB files (names <c>SSTTTEV.wav</c>), sorted.</summary>
        public IReadOnlyList<string> TestFiles(string emoDb) =>
            Directory.GetFiles(Path.Combine(emoDb, "wav"), "*.wav").Where(f => TestSpeakers.Contains(Path.GetFileName(f)[..2])).Order(StringComparer.Ordinal).ToList();
    }

    private static readonly Lazy<Trained> Shared = new(Train);

    /// <summary>The trained model (training it on first use).</summary>
    public static Trained Get() => Shared.Value;

    private static Trained Train()
    {
        string emoDb = Datasets.RequireEmoDb();
        string cli = BuildOutput.Require("src/EmotionCluster.Cli", "emotioncluster.dll");
        string build = BuildHash(Path.GetDirectoryName(cli)!);
        string dir = Path.Combine(Path.GetTempPath(), "emotioncluster-tests", $"heldout-{Speaker}-{Epochs}-{build}");
        Directory.CreateDirectory(dir);
        using var gate = Lock(Path.Combine(dir, "lock"), TimeSpan.FromMinutes(40));
        string run = Path.Combine(dir, "run");
        string model = Path.Combine(run, "folds");
        if (!File.Exists(Path.Combine(dir, "done")))
        {
            if (Directory.Exists(run)) Directory.Delete(run, recursive: true);
            var result = Shell.Run("dotnet", [cli, "crossval", "--data", emoDb, "--speakers", Speaker, "--epochs", Epochs.ToString(),
                "--out", run, "--store", Path.Combine(dir, "store")], new Dictionary<string, string?> { ["OMP_WAIT_POLICY"] = "PASSIVE" },
                timeout: TimeSpan.FromMinutes(40), workingDirectory: dir);
            if (result.ExitCode != 0) throw new InvalidOperationException($"training the held-out model failed:\n{result}");
            File.WriteAllText(Path.Combine(dir, "done"), result.StdOut);
        }
        string fold = Assert.Single(Directory.GetDirectories(model));
        // the fold's held-out speakers: of its split's test clips (EMO-DB names begin with the speaker)
        using var split = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(fold, "split.json")));
        var speakers = split.RootElement.GetProperty("Test").EnumerateArray().Select(e => e.GetString()![..2]).Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.Equal([Speaker], speakers);
        return new Trained(Path.Combine(fold, "model.ecm"), speakers, run);
    }

    /// <summary>SHA-256 over the EmotionCluster assemblies of the CLI's build output (another build: another model).</summary>
    private static string BuildHash(string binDir)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (string file in Directory.GetFiles(binDir, "EmotionCluster.*.dll").Append(Path.Combine(binDir, "emotioncluster.dll")).Distinct().Order(StringComparer.Ordinal))
            sha.AppendData(File.ReadAllBytes(file));
        return Convert.ToHexStringLower(sha.GetHashAndReset())[..12];
    }

    /// <summary>An exclusive lock on <paramref name="path"/> across processes, waiting up to <paramref name="timeout"/>.</summary>
    private static FileStream Lock(string path, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (DateTime.UtcNow < deadline) { Thread.Sleep(1000); }
        }
    }
}
