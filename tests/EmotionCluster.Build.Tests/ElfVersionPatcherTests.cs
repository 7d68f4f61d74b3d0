using EmotionCluster.Build;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Build.Tests;

public class ElfVersionPatcherTests
{
    private static string TorchSharpNativeInPackageCache()
    {
        string home = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                      ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string path = Path.Combine(home, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(path), $"TorchSharp native library not in the package cache at {path}; run dotnet restore.");
        return path;
    }

    [Fact]
    public void Marks_glibcxx_3_4_32_weak_once_and_is_idempotent()
    {
        byte[] original = File.ReadAllBytes(TorchSharpNativeInPackageCache());
        byte[] copy = (byte[])original.Clone();

        Assert.Equal(PatchOutcome.Patched, ElfVersionPatcher.MarkVersionWeak(copy, "GLIBCXX_3.4.32"));
        int changed = original.Zip(copy).Count(p => p.First != p.Second);
        Assert.Equal(1, changed); // exactly one byte: the flags of one Vernaux entry
        byte[] once = (byte[])copy.Clone();
        Assert.Equal(PatchOutcome.AlreadyWeak, ElfVersionPatcher.MarkVersionWeak(copy, "GLIBCXX_3.4.32"));
        Assert.Equal(once, copy);
    }

    [Fact]
    public void A_version_that_is_not_required_changes_nothing()
    {
        byte[] original = File.ReadAllBytes(TorchSharpNativeInPackageCache());
        byte[] copy = (byte[])original.Clone();
        Assert.Equal(PatchOutcome.NotRequired, ElfVersionPatcher.MarkVersionWeak(copy, "GLIBCXX_9.9.99"));
        Assert.Equal(original, copy);
    }

    [Fact]
    public void Build_output_copy_is_patched()
    {
        // This project references the Model project, so its own build output holds a copy of the native library.
        string dir = AppContext.BaseDirectory;
        var copies = Directory.GetFiles(dir, "libLibTorchSharp.so", SearchOption.AllDirectories);
        Assert.True(copies.Length > 0, $"no libLibTorchSharp.so under {dir}: the TorchSharp-cpu native assets were not copied");
        foreach (string copy in copies)
            Assert.Equal(PatchOutcome.AlreadyWeak, ElfVersionPatcher.MarkVersionWeak(File.ReadAllBytes(copy), "GLIBCXX_3.4.32"));
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 1, 2, 3 })]
    [InlineData(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, 0, 0 })]
    public void Non_elf_or_truncated_input_is_a_clear_error(byte[] bytes)
    {
        byte[] padded = bytes.Length > 4 ? bytes.Concat(new byte[60]).ToArray() : bytes;
        var e = Assert.Throws<InvalidDataException>(() => ElfVersionPatcher.MarkVersionWeak(padded, "X", "lib.so"));
        Assert.StartsWith("lib.so:", e.Message);
    }
}
