using System.Buffers.Binary;
using Xunit;

namespace EmotionCluster.Testing;

/// <summary>A fresh temporary folder, removed (best effort) on dispose.</summary>
public sealed class TempDir(string prefix = "ec-test-") : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory(prefix).FullName;

    /// <summary>A path inside the folder (not created).</summary>
    public string File(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public string this[string relative] => File(relative);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}
