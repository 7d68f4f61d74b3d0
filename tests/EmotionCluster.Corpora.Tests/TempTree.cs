using EmotionCluster.Audio;

namespace EmotionCluster.Corpora.Tests;

/// <summary>A temporary folder of generated files, deleted on dispose.</summary>
public sealed class TempTree : IDisposable
{
    public TempTree() => Directory.CreateDirectory(Root);

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "ec-corpora-" + Guid.NewGuid().ToString("N"));

    /// <summary>A tiny valid 16 kHz mono PCM16 WAV of <paramref name="samples"/> samples (a quiet ramp).</summary>
    public static byte[] TinyWav(int samples = 160, int sampleRate = 16000) =>
        WavWriter.ToBytes(Enumerable.Range(0, samples).Select(i => (float)(0.01 * Math.Sin(i * 0.3))).ToArray(), sampleRate);

    public string Write(string relativePath, byte[] content)
    {
        string path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return path;
    }

    public string Wav(string relativePath, int samples = 160) => Write(relativePath, TinyWav(samples));

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}
