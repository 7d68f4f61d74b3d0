using EmotionCluster.Wire;
using Xunit;

namespace EmotionCluster.Extraction.Tests;

/// <summary>The table of a wire protocol is closed and checked when it is built.</summary>
public class WireProtocolTableTests
{
    private interface ISample;

    private sealed record Sample(string Text) : ISample;

    private sealed record Stranger(string Text);

    private static WireProtocol.Builder Define() => WireProtocol.Define("sample", 9999, typeof(ISample)).Serializer(_ => null!);

    [Fact]
    public void Every_extraction_message_type_is_in_the_table_under_a_versioned_manifest()
    {
        var protocol = ExtractionWire.Protocol;
        Assert.Empty(protocol.TypesMissingFrom(typeof(IEmotionClusterMessage).Assembly));
        Assert.Equal(5, protocol.MessageTypes.Count);
        Assert.All(protocol.MessageTypes, t => Assert.Equal($"{t.Name}.1", protocol.ManifestOf(t)));
        Assert.Equal(["AR", "CE", "CF", "DC", "XC"], protocol.LegacyManifests.Order());
        Assert.Equal(EmotionClusterSerializer.SerializerId, protocol.SerializerId);
    }

    [Fact]
    public void A_manifest_or_a_type_twice_is_refused_when_the_table_is_built()
    {
        var twice = Assert.Throws<InvalidOperationException>(() => Define()
            .Message<Sample>("Sample", 1, (w, m) => w.Write(m.Text), r => new Sample(r.ReadString()))
            .Reads("Sample.1", r => new Sample(r.ReadString())));
        Assert.Contains("manifest 'Sample.1' is in the table twice", twice.Message);
        Assert.Throws<InvalidOperationException>(() => Define()
            .Message<Sample>("Sample", 1, (w, m) => w.Write(m.Text), r => new Sample(r.ReadString()))
            .Message<Sample>("Sample", 2, (w, m) => w.Write(m.Text), r => new Sample(r.ReadString())));
    }

    [Fact]
    public void A_type_outside_the_marker_interfaces_and_version_zero_are_refused()
    {
        var stranger = Assert.Throws<ArgumentException>(() => Define().Message<Stranger>("Stranger", 1, (w, m) => w.Write(m.Text), r => new Stranger(r.ReadString())));
        Assert.Contains("implements none of the marker interfaces", stranger.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Define().Message<Sample>("Sample", 0, (w, m) => w.Write(m.Text), r => new Sample(r.ReadString())));
        Assert.Throws<ArgumentException>(() => WireProtocol.Define("none", 1));
    }

    [Fact]
    public void Counts_past_the_end_of_the_payload_are_format_errors_before_anything_is_allocated()
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write(int.MaxValue); // a claimed count
            w.Write(1);
        }
        foreach (Func<BinaryReader, object> read in new Func<BinaryReader, object>[] { r => r.ReadBytes(), r => r.ReadFloats(), r => r.ReadInts(), r => r.ReadStrings() })
        {
            using var r = new BinaryReader(new MemoryStream(ms.ToArray()));
            Assert.Contains("exceeds the 4 bytes left", Assert.Throws<FormatException>(() => read(r)).Message);
        }
    }
}
