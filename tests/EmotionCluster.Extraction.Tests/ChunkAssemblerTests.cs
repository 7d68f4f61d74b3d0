using EmotionCluster.Wire;
using Xunit;

namespace EmotionCluster.Extraction.Tests;

public class ChunkAssemblerTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(65536)]
    [InlineData(65537)]
    [InlineData(300_001)]
    public void Split_then_assemble_gives_the_payload_back(int size)
    {
        byte[] payload = new byte[size];
        new Random(size).NextBytes(payload);
        var chunks = ChunkAssembler.Split("t", payload).ToList();
        Assert.All(chunks, c => Assert.True(c.Bytes.Length <= ChunkAssembler.DefaultChunkBytes));
        Assert.Equal(Math.Max(1, (size + 65535) / 65536), chunks.Count);
        var a = new ChunkAssembler();
        for (int i = 0; i < chunks.Count - 1; i++) Assert.Null(a.Add(chunks[i]));
        Assert.Equal(payload, a.Add(chunks[^1]));
        Assert.Equal(0, a.OpenTransfers);
    }

    [Fact]
    public void Interleaved_transfers_do_not_mix()
    {
        byte[] x = Enumerable.Repeat((byte)1, 200_000).ToArray(), y = Enumerable.Repeat((byte)2, 150_000).ToArray();
        var cx = ChunkAssembler.Split("x", x).ToList();
        var cy = ChunkAssembler.Split("y", y).ToList();
        var a = new ChunkAssembler();
        var done = new List<byte[]>();
        for (int i = 0; i < Math.Max(cx.Count, cy.Count); i++)
        {
            if (i < cx.Count && a.Add(cx[i]) is { } bx) done.Add(bx);
            if (i < cy.Count && a.Add(cy[i]) is { } by) done.Add(by);
        }
        Assert.Equal(2, done.Count);
        Assert.Contains(done, d => d.SequenceEqual(x));
        Assert.Contains(done, d => d.SequenceEqual(y));
    }

    [Fact]
    public void Missing_or_inconsistent_chunks_are_errors_naming_the_transfer()
    {
        var chunks = ChunkAssembler.Split("clip-7", new byte[200_000]).ToList();
        var a = new ChunkAssembler();
        Assert.Contains("clip-7", Assert.Throws<InvalidDataException>(() => a.Add(chunks[1])).Message);
        a.Add(chunks[0]);
        Assert.Throws<InvalidDataException>(() => a.Add(chunks[2]));
        Assert.Throws<InvalidDataException>(() => new ChunkAssembler().Add(new DataChunk("t", 0, 1, -5, [])));
        Assert.Throws<InvalidDataException>(() => new ChunkAssembler().Add(new DataChunk("t", 0, 1, 4, [1, 2, 3, 4, 5])));
        Assert.Throws<InvalidDataException>(() => new ChunkAssembler().Add(new DataChunk("t", 0, 1, 4, [1, 2, 3])));
    }
}
