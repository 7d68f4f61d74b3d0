using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using EmotionCluster.Features;

namespace EmotionCluster.Cli;

/// <summary>NumPy's .npy format (version 1.0, little-endian float32, C order), for model inputs read by Python (<c>numpy.load</c>).</summary>
public static class Npy
{
    /// <summary>Writes equally sized spectrograms as one float32 array [count, 1, bins, frames].</summary>
    public static void Write(string path, IReadOnlyList<Spectrogram> items)
    {
        if (items.Count == 0) throw new ArgumentException("no spectrograms to write", nameof(items));
        int bins = items[0].Bins, frames = items[0].Frames;
        if (items.Any(i => i.Bins != bins || i.Frames != frames)) throw new ArgumentException("the spectrograms differ in size", nameof(items));
        string header = string.Create(CultureInfo.InvariantCulture, $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({items.Count}, 1, {bins}, {frames}), }}");
        // magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64, ending in a newline
        int total = (10 + header.Length + 1 + 63) / 64 * 64;
        header = header.PadRight(total - 10 - 1) + "\n";
        using var file = File.Create(path);
        file.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        file.Write(length);
        file.Write(Encoding.ASCII.GetBytes(header));
        var buffer = new byte[bins * frames * 4];
        foreach (var item in items)
        {
            for (int i = 0; i < bins * frames; i++) BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(i * 4), item.Data[i]);
            file.Write(buffer);
        }
    }
}
