using Xunit.Abstractions;

namespace EmotionCluster.Management.Tests;

/// <summary>
/// Node processes a test starts: a scratch folder, the processes (killed and disposed at the end) and the test's
/// output for their lines.
/// </summary>
public abstract class NodeProcessTest(ITestOutputHelper output, string prefix) : IDisposable
{
    protected readonly string _dir = Directory.CreateTempSubdirectory(prefix).FullName;
    protected readonly List<EmotionCluster.Testing.NodeProcess> _processes = new();

    protected void Log(string line)
    {
        try { output.WriteLine(line); } catch (InvalidOperationException) { }
    }

    public void Dispose()
    {
        foreach (var p in _processes)
        {
            p.Kill();
            p.Dispose();
        }
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
        GC.SuppressFinalize(this);
    }
}
