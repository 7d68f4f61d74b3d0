using EmotionCluster.Wire;
using Xunit;

namespace EmotionCluster.Extraction.Tests;

/// <summary>The one chunking transport: what it gives back, and what it refuses (naming the transfer).</summary>
public class ChunkTransportTests
{
    private static ChunkTransport<string, byte> Bytes(long max = 1 << 20) => new(max, id => $"transfer '{id}'");

    private static byte[] Payload(int size)
    {
        var payload = new byte[size];
        new Random(size).NextBytes(payload);
        return payload;
    }

    private static byte[]? Add(ChunkTransport<string, byte> t, string id, Chunk c, long? total) => t.Add(id, c.Index, c.Count, total, c.Bytes);

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(1000, 1)]
    [InlineData(1001, 2)]
    [InlineData(5500, 6)]
    public void Chunks_in_order_give_the_payload_back(int size, int expectedChunks)
    {
        byte[] payload = Payload(size);
        var chunks = ChunkTransport.Split(payload, chunkBytes: 1000).ToList();
        Assert.Equal(expectedChunks, chunks.Count);
        Assert.All(chunks, c => Assert.True(c.Bytes.Length <= 1000));
        Assert.All(chunks, c => Assert.Equal(expectedChunks, c.Count));
        var t = Bytes();
        for (int i = 0; i < chunks.Count - 1; i++) Assert.Null(Add(t, "x", chunks[i], size));
        Assert.Equal(payload, Add(t, "x", chunks[^1], size));
        Assert.Equal(0, t.OpenTransfers);
    }

    [Fact]
    public void Floats_travel_as_whole_values_and_come_back_bit_identical()
    {
        float[] values = Enumerable.Range(0, 1003).Select(i => MathF.Sin(i) * 1e-3f).ToArray();
        values[7] = float.NaN;
        values[8] = -0f;
        var chunks = ChunkTransport.Split(values, chunkBytes: 402).ToList(); // 100 floats a chunk: never half a value
        Assert.Equal(11, chunks.Count);
        Assert.All(chunks, c => Assert.Equal(0, c.Bytes.Length % sizeof(float)));
        var t = new ChunkTransport<(long, int), float>(1 << 20, k => $"step {k.Item1}");
        float[]? back = null;
        foreach (var c in chunks) back = t.Add((1, 0), c.Index, c.Count, values.Length * sizeof(float), c.Bytes);
        Assert.NotNull(back);
        Assert.True(values.AsSpan().SequenceEqual(back));
        Assert.Throws<ArgumentOutOfRangeException>(() => ChunkTransport.Split(values, chunkBytes: 3).ToList());
    }

    [Fact]
    public void Transfers_under_different_keys_interleave_without_mixing()
    {
        byte[] x = Payload(2500), y = Payload(1800);
        var cx = ChunkTransport.Split(x, 1000).ToList();
        var cy = ChunkTransport.Split(y, 1000).ToList();
        var t = Bytes();
        var done = new Dictionary<string, byte[]>();
        for (int i = 0; i < 3; i++)
        {
            if (i < cx.Count && Add(t, "x", cx[i], x.Length) is { } bx) done["x"] = bx;
            if (i < cy.Count && Add(t, "y", cy[i], y.Length) is { } by) done["y"] = by;
        }
        Assert.Equal(x, done["x"]);
        Assert.Equal(y, done["y"]);
    }

    [Fact]
    public void A_duplicate_chunk_is_ignored_and_the_transfer_completes()
    {
        byte[] payload = Payload(3000);
        var chunks = ChunkTransport.Split(payload, 1000).ToList();
        var t = Bytes();
        Assert.Null(Add(t, "x", chunks[0], payload.Length));
        Assert.Null(Add(t, "x", chunks[1], payload.Length));
        Assert.Null(Add(t, "x", chunks[1], payload.Length)); // delivered twice
        Assert.Equal(payload, Add(t, "x", chunks[2], payload.Length));
    }

    [Fact]
    public void Chunk_zero_again_starts_the_transfer_over()
    {
        byte[] first = Payload(3000), second = Payload(2000);
        var a = ChunkTransport.Split(first, 1000).ToList();
        var b = ChunkTransport.Split(second, 1000).ToList();
        var t = Bytes();
        Add(t, "m", a[0], null);
        Add(t, "m", a[1], null); // the sender went away here, and started again
        Assert.Null(Add(t, "m", b[0], null));
        Assert.Equal(second, Add(t, "m", b[1], null));
        Assert.Equal(0, t.OpenTransfers);
    }

    [Fact]
    public void A_missing_chunk_ends_the_transfer_with_an_error_naming_it()
    {
        var chunks = ChunkTransport.Split(Payload(3000), 1000).ToList();
        var t = Bytes();
        var early = Assert.Throws<InvalidDataException>(() => Add(t, "clip-7", chunks[1], 3000));
        Assert.Contains("transfer 'clip-7'", early.Message);
        Assert.Contains("before chunk 0", early.Message);
        Add(t, "clip-7", chunks[0], 3000);
        var gap = Assert.Throws<InvalidDataException>(() => Add(t, "clip-7", chunks[2], 3000));
        Assert.Contains("chunk 1 is missing", gap.Message);
        Assert.Equal(0, t.OpenTransfers); // the transfer is gone: its late chunk 1 is an error too
        Assert.Throws<InvalidDataException>(() => Add(t, "clip-7", chunks[1], 3000));
    }

    [Fact]
    public void Chunks_that_disagree_with_the_first_are_errors()
    {
        var chunks = ChunkTransport.Split(Payload(3000), 1000).ToList();
        var t = Bytes();
        Add(t, "x", chunks[0], 3000);
        Assert.Throws<InvalidDataException>(() => t.Add("x", 1, 4, 3000, chunks[1].Bytes)); // another count
        Add(t, "x", chunks[0], 3000);
        Assert.Throws<InvalidDataException>(() => Add(t, "x", chunks[1], 3001)); // another total
        Assert.Throws<InvalidDataException>(() => t.Add("x", 0, 0, 0, [])); // no chunks at all
        Assert.Throws<InvalidDataException>(() => t.Add("x", 2, 2, 0, [])); // index past the count
        Assert.Throws<InvalidDataException>(() => t.Add("x", 0, 1, -5, [])); // negative size
    }

    [Fact]
    public void Payloads_larger_than_declared_or_than_the_limit_are_refused()
    {
        var t = Bytes(max: 2500);
        Assert.Contains("more than the 4 bytes declared", Assert.Throws<InvalidDataException>(() => t.Add("a", 0, 1, 4, [1, 2, 3, 4, 5])).Message);
        Assert.Contains("ended with 3 of 4 bytes", Assert.Throws<InvalidDataException>(() => t.Add("b", 0, 1, 4, [1, 2, 3])).Message);
        Assert.Throws<InvalidDataException>(() => t.Add("c", 0, 3, 3000, new byte[1000])); // declares more than the limit
        var undeclared = ChunkTransport.Split(Payload(3000), 1000).ToList();
        Add(t, "d", undeclared[0], null);
        Add(t, "d", undeclared[1], null);
        Assert.Contains("more than the 2500 bytes allowed", Assert.Throws<InvalidDataException>(() => Add(t, "d", undeclared[2], null)).Message);
        Assert.Equal(0, t.OpenTransfers);
        var floats = new ChunkTransport<int, float>(100, k => $"#{k}");
        Assert.Throws<InvalidDataException>(() => floats.Add(1, 0, 1, 6, new byte[6])); // not a whole number of floats
        Assert.Throws<InvalidDataException>(() => floats.Add(1, 0, 1, null, new byte[6]));
    }

    [Fact]
    public void Abandoned_transfers_are_forgotten()
    {
        var t = Bytes();
        foreach (string id in new[] { "a", "b", "c" }) t.Add(id, 0, 2, 2, [1]);
        t.Abandon("a");
        Assert.Equal(2, t.OpenTransfers);
        Assert.Equal(1, t.AbandonWhere(id => id == "b"));
        Assert.Equal(1, t.OpenTransfers);
        Assert.Throws<InvalidDataException>(() => t.Add("a", 1, 2, 2, [2]));
    }
}
