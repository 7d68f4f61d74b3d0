using EmotionCluster.Testing;
using FsCheck;
using Xunit;

namespace EmotionCluster.Audio.Tests;

/// <summary>Whatever the bytes, the reader returns finite audio or an <see cref="AudioFormatException"/>, nothing else.</summary>
public class WavPropertyTests
{
    private static readonly SampleEncoding[] Encodings = Enum.GetValues<SampleEncoding>();

    /// <summary>Fails (by letting any other exception escape) unless the bytes read cleanly or are rejected cleanly.</summary>
    private static bool ReadsOrRejects(byte[] bytes)
    {
        try
        {
            var (clip, info) = WavReader.Read(bytes, "fuzz.wav");
            return info.Frames > 0 && clip.Samples.Length == info.Frames && clip.Samples.All(float.IsFinite)
                && WavReader.ReadInfo(bytes, "fuzz.wav") == info;
        }
        catch (AudioFormatException e)
        {
            return e.SourceName == "fuzz.wav" && e.Reason.Length > 0;
        }
    }

    [Fact]
    public void Random_bytes() => Properties.Hold(500, (byte[] bytes) =>
        ReadsOrRejects(bytes));

    [Fact]
    public void Random_bytes_after_a_RIFF_WAVE_signature() => Properties.Hold(500, (byte[] tail, uint riffSize) =>
        ReadsOrRejects([.. "RIFF"u8, .. BitConverter.GetBytes(riffSize), .. "WAVE"u8, .. tail]));

    [Fact]
    public void Random_format_fields_and_data() => Properties.Hold(500, (ushort tag, ushort channels, uint rate, ushort bits, ushort blockAlign, uint dataSize, byte[] data) =>
        {
            byte[] fmt = WavBytes.FmtBody(tag, channels, rate, bits).WithUInt16(12, blockAlign);
            byte[] dataChunk = WavBytes.Chunk("data", data).WithUInt32(4, dataSize);
            return ReadsOrRejects(WavBytes.Riff(WavBytes.Chunk("fmt ", fmt), dataChunk));
        });

    /// <summary>
    /// A valid file of some encoding, then at most two header bytes overwritten and, half the time, the end cut off
    /// somewhere (a point in the header or in the audio alike).
    /// </summary>
    private static byte[] Mutated(int encodingSeed, bool extensible, int channelsSeed, (byte Position, byte Value)[] mutations, bool truncate, byte cutAt)
    {
        SampleEncoding encoding = Encodings[Math.Abs(encodingSeed % Encodings.Length)];
        int channels = 1 + Math.Abs(channelsSeed % 3);
        float[] samples = Signals.Sine(100, 8000, 0.002 * channels, amplitude: 0.8);
        byte[] wav = WavWriter.ToBytes(samples, 8000, channels, encoding, extensible);
        int header = extensible ? 68 : 44;
        foreach (var (position, value) in (mutations ?? []).Take(2)) wav[position % header] = value;
        return truncate ? wav[..(wav.Length * cutAt / 256)] : wav;
    }

    [Fact]
    public void Valid_files_with_mutated_headers_and_truncation() => Properties.Hold(500, (int encodingSeed, bool extensible, int channelsSeed, (byte, byte)[] mutations, bool truncate, byte cutAt) =>
        ReadsOrRejects(Mutated(encodingSeed, extensible, channelsSeed, mutations, truncate, cutAt)));

    [Fact]
    public void Reading_from_a_file_agrees_with_reading_from_bytes() => Properties.Hold(100, (int encodingSeed, bool extensible, int channelsSeed, (byte, byte)[] mutations, bool truncate, byte cutAt) =>
        {
            byte[] wav = Mutated(encodingSeed, extensible, channelsSeed, mutations, truncate, cutAt);
            string path = Path.Combine(Path.GetTempPath(), $"wavprop-{Guid.NewGuid():N}.wav");
            File.WriteAllBytes(path, wav);
            try
            {
                return Outcome(() => WavReader.Read(wav, path)) == Outcome(() => WavReader.Read(path));
            }
            finally
            {
                File.Delete(path);
            }
        });

    private static string Outcome(Func<(AudioClip Clip, WavInfo Info)> read)
    {
        try
        {
            var (clip, info) = read();
            return $"{info} {Convert.ToBase64String(clip.Samples.SelectMany(BitConverter.GetBytes).ToArray())}";
        }
        catch (AudioFormatException e)
        {
            return e.Message;
        }
    }

    [Fact]
    public void Pcm16_write_read_round_trip_is_exact() => Properties.Hold(500, (NonEmptyArray<short> values, PositiveInt channelsSeed) =>
        {
            short[] s = values.Get;
            int channels = 1 + channelsSeed.Get % 4;
            if (s.Length < channels) channels = 1;
            s = s[..(s.Length / channels * channels)];

            var (clip, info) = WavReader.Read(WavWriter.ToBytes(s.Select(v => v / 32768f).ToArray(), 16000, channels), "rt.wav");

            var expected = Enumerable.Range(0, s.Length / channels)
                .Select(f => (float)(Enumerable.Range(0, channels).Sum(c => s[f * channels + c] / 32768.0) * (1.0 / channels)));
            return info.Channels == channels && clip.Samples.SequenceEqual(expected);
        });

    [Fact]
    public void Raw_pcm16_decodes_or_rejects() => Properties.Hold(500, (byte[] bytes, PositiveInt channelsSeed) =>
        {
            int channels = 1 + channelsSeed.Get % 3;
            try
            {
                float[] mono = RawPcm.DecodePcm16(bytes, channels);
                return bytes.Length % (2 * channels) == 0 && mono.Length == bytes.Length / (2 * channels);
            }
            catch (AudioFormatException)
            {
                return bytes.Length % (2 * channels) != 0;
            }
        });

    [Fact]
    public void Raw_float32_decodes_or_rejects() => Properties.Hold(500, (byte[] bytes) =>
        ReadsOrRejectsRaw(() => RawPcm.DecodeFloat32(bytes, 1)));

    private static bool ReadsOrRejectsRaw(Func<float[]> decode)
    {
        try { return decode().All(v => float.IsFinite(v) && Math.Abs(v) <= 1000); }
        catch (AudioFormatException) { return true; }
    }
}
