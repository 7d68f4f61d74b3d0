using System.IO.Compression;
using System.Security.Cryptography;
using EmotionCluster.Audio;

namespace EmotionCluster.Acquisition.Tests;

/// <summary>A small corpus of generated WAV files, its manifest, and zip archives of it.</summary>
public static class TestCorpus
{
    public static readonly string[] Files = ["wav/01a.wav", "wav/02b.wav", "wav/03c.wav"];

    /// <summary>A short tone per file, each different.</summary>
    public static byte[] Wav(int index) =>
        WavWriter.ToBytes(Enumerable.Range(0, 800 + 100 * index).Select(i => 0.3f * MathF.Sin(i * 0.05f * (index + 1))).ToArray(), 16000);

    public static CorpusManifest Manifest() => new("testdb", Files.Select((f, i) => Entry(f, Wav(i))));

    public static ManifestEntry Entry(string path, byte[] bytes) => new(path, bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes)));

    public static CorpusSource Source(Uri? url, string? archiveSha256 = null) => new()
    {
        Name = "testdb",
        Title = "TestDB",
        HomePage = new Uri("http://example.invalid/testdb"),
        ArchiveUrl = url,
        ArchiveSha256 = archiveSha256,
        Manifest = Manifest(),
        AlsoCopy = ["erkennung.txt"],
    };

    /// <summary>
    /// The corpus laid out like a release: under <c>release-1.0/</c> with a notes file and a folder that is not unpacked.
    /// <paramref name="change"/> edits the entries (name → bytes) before zipping.
    /// </summary>
    public static byte[] Zip(Action<Dictionary<string, byte[]>>? change = null)
    {
        var entries = Files.Select((f, i) => (Name: "release-1.0/" + f, Bytes: Wav(i))).ToDictionary(e => e.Name, e => e.Bytes);
        entries["release-1.0/erkennung.txt"] = "notes"u8.ToArray();
        entries["release-1.0/lablaut/01a.lab"] = "labels"u8.ToArray();
        change?.Invoke(entries);
        return ZipOf(entries);
    }

    public static byte[] ZipOf(IReadOnlyDictionary<string, byte[]> entries)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, bytes) in entries)
            {
                using Stream stream = zip.CreateEntry(name, CompressionLevel.Fastest).Open();
                stream.Write(bytes);
            }
        return memory.ToArray();
    }

    /// <summary>Writes the corpus itself (no archive) under <paramref name="dir"/>.</summary>
    public static void WriteTo(string dir)
    {
        for (int i = 0; i < Files.Length; i++)
        {
            string path = Path.Combine(dir, Files[i]);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, Wav(i));
        }
    }
}
