using System.Text.Json;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Build.Tests;

/// <summary>
/// The garbage collector settings of Directory.Build.targets reach the runtime: a 4 MiB large-object threshold
/// everywhere (so extraction's short-lived 100 kB–2 MB arrays do not force full collections), the server collector
/// for the programs.
/// </summary>
public class GcSettingsTests
{
    private const long LohThreshold = 4 * 1024 * 1024;

    [Fact]
    public void This_process_runs_with_the_raised_large_object_threshold()
    {
        IReadOnlyDictionary<string, object> gc = GC.GetConfigurationVariables();
        // The runtime reports the threshold less an object header's worth of bytes (4194216 for 4194304).
        Assert.InRange(Convert.ToInt64(gc["LOHThreshold"]), LohThreshold - 1024, LohThreshold);
        Assert.False(System.Runtime.GCSettings.IsServerGC, "test projects keep the workstation collector");
    }

    [Theory]
    [InlineData("EmotionCluster.Cli", "emotioncluster")]
    [InlineData("EmotionCluster.Node", "emotioncluster-node")]
    public void Programs_use_the_server_collector_and_the_threshold(string project, string assembly)
    {
        string path = BuildOutput.Require(Path.Combine("src", project), assembly + ".runtimeconfig.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        JsonElement props = doc.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
        Assert.True(props.GetProperty("System.GC.Server").GetBoolean(), $"{assembly}: System.GC.Server");
        Assert.Equal(LohThreshold, props.GetProperty("System.GC.LOHThreshold").GetInt64());
    }
}
