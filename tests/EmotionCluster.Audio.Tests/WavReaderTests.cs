using System.Buffers.Binary;
using Xunit;

namespace EmotionCluster.Audio.Tests;

public class WavReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wavreader-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Save(byte[] bytes, string name = "clip.wav")
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Rejects through the byte, file and header-only entry points alike, naming the source; returns the reason.</summary>
    private string Rejects(byte[] bytes)
    {
        var fromBytes = Assert.Throws<AudioFormatException>(() => WavReader.Read(bytes, "bad.wav"));
        Assert.Equal("bad.wav", fromBytes.SourceName);
        Assert.StartsWith("bad.wav: ", fromBytes.Message);
        string path = Save(bytes);
        var fromFile = Assert.Throws<AudioFormatException>(() => WavReader.Read(path));
        Assert.Equal(path, fromFile.SourceName);
        Assert.Equal(fromBytes.Reason, fromFile.Reason);
        return fromBytes.Reason;
    }

    private static byte[] Float32Wav(params float[] samples) => WavWriter.ToBytes(samples, 16000, 1, SampleEncoding.Float32);

    [Fact]
    public void Empty_file() => Assert.Contains("empty", Rejects([]));

    [Fact]
    public void Truncated_header() => Assert.Contains("truncated", Rejects(WavBytes.Pcm16()[..10]));

    [Theory]
    [InlineData(20)]
    [InlineData(30)]
    [InlineData(40)]
    public void Header_cut_inside_the_fmt_or_data_chunk_header(int length) => Rejects(WavBytes.Pcm16()[..length]);

    [Fact]
    public void Non_riff_bytes() => Assert.Contains("not a RIFF/WAVE", Rejects("ID3\u0004 this is an mp3, honest"u8.ToArray()));

    [Fact]
    public void Big_endian_rifx_is_named() => Assert.Contains("RIFX", Rejects(WavBytes.Pcm16().With(0, "RIFX"u8.ToArray())));

    [Fact]
    public void Riff_that_is_not_wave() => Assert.Contains("AVI ", Rejects(WavBytes.Pcm16().With(8, "AVI "u8.ToArray())));

    [Fact]
    public void Zero_channels() => Assert.Contains("0 channels", Rejects(WavBytes.Pcm16().WithUInt16(WavBytes.Channels, 0)));

    [Fact]
    public void Too_many_channels() => Assert.Contains("channels", Rejects(WavBytes.Pcm16().WithUInt16(WavBytes.Channels, 1000)));

    [Theory]
    [InlineData(0u)]
    [InlineData(999u)]
    [InlineData(1_000_000_000u)]
    [InlineData(uint.MaxValue)]
    public void Absurd_sample_rate(uint rate) =>
        Assert.Contains($"sample rate {rate} Hz", Rejects(WavBytes.Pcm16().WithUInt32(WavBytes.SampleRate, rate)));

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    [InlineData(1e30f)]
    public void Non_finite_or_absurd_float32_samples(float bad)
    {
        byte[] wav = Float32Wav(0.1f, 0.2f, 0.3f);
        BinaryPrimitives.WriteSingleLittleEndian(wav.AsSpan(WavBytes.Data + 4), bad);
        Assert.Contains("frame 1", Rejects(wav));
    }

    [Fact]
    public void Nan_float64_sample()
    {
        byte[] wav = WavWriter.ToBytes([0.1f, 0.2f], 16000, 1, SampleEncoding.Float64);
        BinaryPrimitives.WriteDoubleLittleEndian(wav.AsSpan(WavBytes.Data), double.NaN);
        Assert.Contains("frame 0", Rejects(wav));
    }

    [Fact]
    public void Opposite_infinities_in_two_channels_are_caught_before_averaging()
    {
        byte[] wav = WavWriter.ToBytes([0.1f, 0.1f, 0.2f, 0.2f], 16000, 2, SampleEncoding.Float32);
        BinaryPrimitives.WriteSingleLittleEndian(wav.AsSpan(WavBytes.Data + 8), float.PositiveInfinity);
        BinaryPrimitives.WriteSingleLittleEndian(wav.AsSpan(WavBytes.Data + 12), float.NegativeInfinity);
        Rejects(wav);
    }

    [Theory]
    [InlineData(0x8000_0000u)] // 2 GB
    [InlineData(0xFFFF_FFFFu)] // a streamed header never finalized
    [InlineData(201u)]         // one byte past the end
    public void Data_chunk_claiming_more_than_the_file_holds(uint claimed)
    {
        string reason = Rejects(WavBytes.Pcm16(100).WithUInt32(WavBytes.DataSize, claimed));
        Assert.Contains($"claims {claimed} bytes", reason);
        string path = Save(WavBytes.Pcm16(100).WithUInt32(WavBytes.DataSize, claimed), "info.wav");
        Assert.Throws<AudioFormatException>(() => WavReader.ReadInfo(path));
    }

    [Fact]
    public void Other_chunk_claiming_2_GB() =>
        Assert.Contains("'LIST'", Rejects(WavBytes.Riff(WavBytes.Chunk("fmt ", WavBytes.FmtBody(1, 1, 16000, 16)),
            WavBytes.Chunk("LIST", new byte[10]).WithUInt32(4, 0x8000_0000u), WavBytes.Chunk("data", new byte[20]))));

    [Fact]
    public void Empty_data_chunk() => Assert.Contains("no audio", Rejects(WavBytes.Pcm16(0)));

    [Fact]
    public void Odd_sized_chunk_with_its_pad_byte_is_skipped()
    {
        byte[] data = WavBytes.Pcm16(10)[WavBytes.Data..];
        byte[] wav = WavBytes.Riff(WavBytes.Chunk("fmt ", WavBytes.FmtBody(1, 1, 16000, 16)),
            WavBytes.Chunk("note", "odd"u8), WavBytes.Chunk("data", data));

        var (clip, info) = WavReader.Read(wav, "odd.wav");

        Assert.Equal(10, info.Frames);
        Assert.Equal(WavReader.Read(WavBytes.Pcm16(10), "even.wav").Clip.Samples, clip.Samples);
    }

    [Fact]
    public void Odd_sized_chunk_without_its_pad_byte_is_rejected() =>
        Rejects(WavBytes.Riff(WavBytes.Chunk("fmt ", WavBytes.FmtBody(1, 1, 16000, 16)),
            WavBytes.Chunk("note", "odd"u8, pad: false), WavBytes.Chunk("data", new byte[20])));

    [Fact]
    public void Odd_sized_data_chunk_reads_the_whole_frames()
    {
        byte[] wav = WavBytes.Riff(WavBytes.Chunk("fmt ", WavBytes.FmtBody(1, 1, 16000, 16)), WavBytes.Chunk("data", new byte[21]));

        var (clip, info) = WavReader.Read(wav, "odd-data.wav");

        Assert.Equal(10, info.Frames);
        Assert.Equal(10, clip.Samples.Length);
    }

    [Fact]
    public void Fmt_chunk_after_data() =>
        Assert.Contains("before the 'fmt ' chunk", Rejects(WavBytes.Riff(WavBytes.Chunk("data", new byte[20]),
            WavBytes.Chunk("fmt ", WavBytes.FmtBody(1, 1, 16000, 16)))));

    [Fact]
    public void No_data_chunk() =>
        Assert.Contains("no 'data' chunk", Rejects(WavBytes.Riff(WavBytes.Chunk("fmt ", WavBytes.FmtBody(1, 1, 16000, 16)))));

    [Fact]
    public void Fmt_chunk_too_small() =>
        Assert.Contains("at least 16", Rejects(WavBytes.Riff(WavBytes.Chunk("fmt ", new byte[12]), WavBytes.Chunk("data", new byte[20]))));

    [Fact]
    public void Extensible_header_truncated_by_its_size() =>
        Assert.Contains("EXTENSIBLE", Rejects(WavBytes.Riff(WavBytes.Chunk("fmt ", WavBytes.FmtBody(0xFFFE, 1, 16000, 16)), WavBytes.Chunk("data", new byte[20]))));

    [Fact]
    public void Extensible_header_truncated_by_the_end_of_the_file()
    {
        byte[] wav = WavWriter.ToBytes([0.5f, 0.25f], 16000, 1, SampleEncoding.PcmSigned16, extensible: true);
        Assert.Contains("EXTENSIBLE", Rejects(wav[..50]));
    }

    [Fact]
    public void Extensible_header_with_an_unknown_sub_format()
    {
        byte[] wav = WavWriter.ToBytes([0.5f, 0.25f], 16000, 1, SampleEncoding.PcmSigned16, extensible: true);
        Assert.Contains("sub-format", Rejects(wav.With(50, 0x42)));
    }

    [Fact]
    public void Compressed_format_names_the_tag() =>
        Assert.Contains("0x0055", Rejects(WavBytes.Pcm16().WithUInt16(20, 0x0055)));

    [Fact]
    public void Unsupported_bit_depth() => Assert.Contains("12-bit", Rejects(WavBytes.Pcm16().WithUInt16(WavBytes.Bits, 12)));

    [Fact]
    public void Block_align_mismatch() => Assert.Contains("block align", Rejects(WavBytes.Pcm16().WithUInt16(WavBytes.BlockAlign, 3)));

    [Fact]
    public void Thousands_of_empty_chunks_are_refused_without_walking_them_all()
    {
        byte[][] junk = Enumerable.Repeat(WavBytes.Chunk("junk", []), 5000).ToArray();
        Assert.Contains("chunks", Rejects(WavBytes.Riff([WavBytes.Chunk("fmt ", WavBytes.FmtBody(1, 1, 16000, 16)), .. junk, WavBytes.Chunk("data", new byte[20])])));
    }

    [Fact]
    public void Missing_file_directory_and_empty_path_are_named()
    {
        string missing = Path.Combine(_dir, "nope.wav");
        Assert.Equal(missing, Assert.Throws<AudioFormatException>(() => WavReader.Read(missing)).SourceName);
        Assert.Contains("not found", Assert.Throws<AudioFormatException>(() => WavReader.ReadInfo(Path.Combine(_dir, "no", "such.wav"))).Reason);
        Assert.Contains("directory", Assert.Throws<AudioFormatException>(() => WavReader.Read(_dir)).Reason);
        Assert.Throws<AudioFormatException>(() => WavReader.Read(""));
    }

    [Theory]
    [InlineData(SampleEncoding.PcmUnsigned8, 1 / 128.0)]
    [InlineData(SampleEncoding.PcmSigned16, 1 / 32768.0)]
    [InlineData(SampleEncoding.PcmSigned24, 1 / 8388608.0)]
    [InlineData(SampleEncoding.PcmSigned32, 1e-7)]
    [InlineData(SampleEncoding.Float32, 0)]
    [InlineData(SampleEncoding.Float64, 0)]
    public void Every_encoding_round_trips_plain_and_extensible(SampleEncoding encoding, double tolerance)
    {
        float[] x = Signals.Sine(440, 22050, 0.05, amplitude: 0.9).Append(-1f).Append(0.99f).ToArray();
        foreach (bool extensible in new[] { false, true })
        {
            byte[] wav = WavWriter.ToBytes(x, 22050, 1, encoding, extensible);

            var (clip, info) = WavReader.Read(wav, "rt.wav");

            Assert.Equal(encoding, info.Encoding);
            Assert.Equal((1, 22050, x.Length), (info.Channels, info.SampleRate, (int)info.Frames));
            Assert.Equal(22050, clip.SampleRate);
            for (int i = 0; i < x.Length; i++) Assert.True(Math.Abs(x[i] - clip.Samples[i]) <= tolerance / 2 + 1e-9, $"{encoding} sample {i}");
            Assert.Equal(info, WavReader.ReadInfo(wav, "rt.wav"));
        }
    }

    [Fact]
    public void Eight_bit_odd_length_data_gets_a_pad_byte_and_reads_back()
    {
        byte[] wav = WavWriter.ToBytes([0.5f, -0.5f, 0f], 8000, 1, SampleEncoding.PcmUnsigned8);

        Assert.Equal(0, wav.Length % 2);
        Assert.Equal([0.5f, -0.5f, 0f], WavReader.Read(wav, "u8.wav").Clip.Samples);
    }

    [Fact]
    public void Stereo_is_downmixed_to_the_mean_of_the_channels()
    {
        float[] left = Signals.Sine(300, 16000, 0.1, amplitude: 0.5), right = Signals.Sine(700, 16000, 0.1, amplitude: 0.25, phase: 1);
        float[] interleaved = left.Zip(right, (l, r) => new[] { l, r }).SelectMany(p => p).ToArray();

        var (clip, info) = WavReader.Read(WavWriter.ToBytes(interleaved, 16000, 2, SampleEncoding.Float32), "stereo.wav");

        Assert.Equal(2, info.Channels);
        Assert.Equal(left.Length, info.Frames);
        for (int i = 0; i < left.Length; i++) Assert.Equal((left[i] + right[i]) / 2, clip.Samples[i], 1e-7);
    }

    [Fact]
    public void Six_channels_are_averaged()
    {
        float[] interleaved = Enumerable.Range(0, 60).Select(i => (i % 6) / 10f).ToArray(); // channels 0, .1, ..., .5

        var (clip, _) = WavReader.Read(WavWriter.ToBytes(interleaved, 48000, 6, SampleEncoding.PcmSigned24, extensible: true), "5.1.wav");

        Assert.Equal(10, clip.Samples.Length);
        Assert.All(clip.Samples, v => Assert.Equal(0.25, v, 1e-6));
    }

    [Fact]
    public void Read_info_from_a_file_skips_large_chunks_before_the_data()
    {
        // A 2 MB metadata chunk before 'data': the header walk must seek past it, not give up after the first MB.
        byte[] audio = WavBytes.Pcm16(48000)[WavBytes.Data..];
        byte[] wav = WavBytes.Riff(WavBytes.Chunk("fmt ", WavBytes.FmtBody(1, 1, 48000, 16)),
            WavBytes.Chunk("LIST", new byte[2_000_001]), WavBytes.Chunk("data", audio));
        string path = Save(wav);

        WavInfo info = WavReader.ReadInfo(path);

        Assert.Equal(new WavInfo(SampleEncoding.PcmSigned16, 16, 1, 48000, 48000), info);
        Assert.Equal(1.0, info.DurationSeconds);
        Assert.Equal(WavReader.Read(wav, "mem").Clip.Samples, WavReader.Read(path).Clip.Samples);
    }
}
