using System.Buffers.Binary;
using Xunit;

namespace EmotionCluster.Testing;

public static class Png
{
    private static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Asserts a PNG file: signature, IHDR first, and returns its (width, height).</summary>
    public static (int Width, int Height) AssertValid(string path)
    {
        Assert.True(System.IO.File.Exists(path), $"{path} was not written");
        byte[] bytes = System.IO.File.ReadAllBytes(path);
        Assert.True(bytes.Length > 1000, $"{path} has only {bytes.Length} bytes");
        Assert.Equal(Signature, bytes[..8]);
        Assert.Equal("IHDR"u8.ToArray(), bytes[12..16]);
        return (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }
}
