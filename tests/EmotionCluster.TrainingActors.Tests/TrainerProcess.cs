using System.Globalization;
using EmotionCluster.Testing;

namespace EmotionCluster.TrainingActors.Tests;

/// <summary>A trainer node (tests/EmotionCluster.TrainingActors.TestHost) as its own OS process on loopback, output captured.</summary>
public static class TrainerProcess
{
    public static string HostDll => BuildOutput.Require(Path.Combine("tests", "EmotionCluster.TrainingActors.TestHost"), "EmotionCluster.TrainingActors.TestHost.dll");

    /// <summary>Starts a trainer; <paramref name="settings"/> are configuration keys below EmotionCluster (e.g. "Training:Epochs").</summary>
    public static NodeProcess Start(string name, int port, string? seed, IReadOnlyDictionary<string, string> settings)
    {
        var all = new Dictionary<string, string>
        {
            ["Node:Port"] = port.ToString(CultureInfo.InvariantCulture),
            ["Node:Roles:0"] = "trainer",
            ["Node:SplitBrainStableAfter"] = "00:00:03",
            ["Node:AcceptableHeartbeatPause"] = "00:00:02",
        };
        foreach (var (k, v) in settings) all[k] = v;
        if (seed is not null) all["Node:SeedNodes:0"] = seed;
        return NodeProcess.Start(name, port, all.Select(kv => $"--EmotionCluster:{kv.Key}={kv.Value}"), dll: HostDll);
    }

    /// <summary>The value of <c>key=</c> in a trainer output line.</summary>
    public static string Field(string line, string key)
    {
        int i = line.IndexOf(key + "=", StringComparison.Ordinal);
        if (i < 0) throw new FormatException($"no '{key}=' in: {line}");
        int start = i + key.Length + 1;
        int end = line.IndexOf(' ', start);
        return end < 0 ? line[start..] : line[start..end];
    }

    /// <summary>The step number of a "step N …" line, also of the coordinator's "step N: rank … dropped/is at step …" lines.</summary>
    public static long StepOf(string line) => long.Parse(line.Split(' ')[1].TrimEnd(':'), CultureInfo.InvariantCulture);
}
