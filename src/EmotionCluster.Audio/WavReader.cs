using System.Buffers.Binary;

namespace EmotionCluster.Audio;

/// <summary>
/// Reads RIFF/WAVE files: PCM 8/16/24/32-bit, IEEE float 32/64, plain or WAVE_FORMAT_EXTENSIBLE, any channel
/// count (downmixed to mono by averaging). Every malformed input is an <see cref="AudioFormatException"/>.
/// </summary>
public static class WavReader
{
    /// <summary>Largest file accepted (bytes). Larger claims or files are rejected, not allocated.</summary>
    public const long MaxFileBytes = 1L << 30;
    public const int MinSampleRate = 1000;
    public const int MaxSampleRate = 768_000;
    public const int MaxChannels = 64;

    private const ushort FormatPcm = 1, FormatFloat = 3, FormatExtensible = 0xFFFE;

    public static (AudioClip Clip, WavInfo Info) Read(string path)
    {
        byte[] bytes;
        try
        {
            var fi = new FileInfo(path);
            if (!fi.Exists) throw new AudioFormatException(path, "file not found");
            if (fi.Length > MaxFileBytes)
                throw new AudioFormatException(path, $"file is {fi.Length} bytes; the limit is {MaxFileBytes} bytes. Split it into shorter clips.");
            bytes = File.ReadAllBytes(path);
        }
        catch (IOException e) { throw new AudioFormatException(path, $"cannot be read: {e.Message}", e); }
        catch (UnauthorizedAccessException e) { throw new AudioFormatException(path, $"cannot be read: {e.Message}", e); }
        return Read(bytes, path);
    }

    public static (AudioClip Clip, WavInfo Info) Read(ReadOnlySpan<byte> bytes, string sourceName)
    {
        WavInfo info = ParseHeader(bytes, sourceName, out int dataOffset, out int dataLength);
        float[] mono = DecodeMono(bytes.Slice(dataOffset, dataLength), info, sourceName);
        return (new AudioClip(mono, info.SampleRate), info);
    }

    /// <summary>Only the header: format and length, without decoding samples.</summary>
    public static WavInfo ReadInfo(ReadOnlySpan<byte> bytes, string sourceName) => ParseHeader(bytes, sourceName, out _, out _);

    public static WavInfo ReadInfo(string path)
    {
        try
        {
            using var fs = File.OpenRead(path);
            // The header normally sits in the first few KB; read up to 1 MB to find fmt and data chunks.
            var buf = new byte[(int)Math.Min(fs.Length, 1 << 20)];
            fs.ReadExactly(buf);
            return ParseHeader(buf, path, out _, out _, dataMayBeCut: fs.Length > buf.Length, fileLength: fs.Length);
        }
        catch (FileNotFoundException e) { throw new AudioFormatException(path, "file not found", e); }
        catch (IOException e) { throw new AudioFormatException(path, $"cannot be read: {e.Message}", e); }
    }

    private static WavInfo ParseHeader(ReadOnlySpan<byte> b, string name, out int dataOffset, out int dataLength,
        bool dataMayBeCut = false, long fileLength = -1)
    {
        long total = fileLength >= 0 ? fileLength : b.Length;
        if (b.Length == 0) throw new AudioFormatException(name, "file is empty");
        if (b.Length < 12) throw new AudioFormatException(name, $"truncated header ({b.Length} bytes; a WAV header needs at least 44)");
        if (!b[..4].SequenceEqual("RIFF"u8))
        {
            if (b[..4].SequenceEqual("RIFX"u8) || b[..4].SequenceEqual("RF64"u8))
                throw new AudioFormatException(name, $"{System.Text.Encoding.ASCII.GetString(b[..4])} WAV is not supported; convert to little-endian RIFF WAV (e.g. sox in.wav -b 16 out.wav)");
            throw new AudioFormatException(name, "not a RIFF/WAVE file (no 'RIFF' signature); convert it to WAV first");
        }
        if (!b.Slice(8, 4).SequenceEqual("WAVE"u8)) throw new AudioFormatException(name, "RIFF file is not WAVE");

        int pos = 12;
        bool haveFmt = false;
        ushort format = 0, channels = 0, bits = 0, blockAlign = 0;
        uint rate = 0;
        while (true)
        {
            if (pos + 8 > b.Length)
                throw new AudioFormatException(name, haveFmt ? "no 'data' chunk (truncated file?)" : "no 'fmt ' chunk (truncated header?)");
            ReadOnlySpan<byte> id = b.Slice(pos, 4);
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(b.Slice(pos + 4, 4));
            int body = pos + 8;
            if (id.SequenceEqual("fmt "u8))
            {
                if (size < 16) throw new AudioFormatException(name, $"'fmt ' chunk is {size} bytes; at least 16 expected");
                if (body + 16 > b.Length) throw new AudioFormatException(name, "truncated 'fmt ' chunk");
                format = BinaryPrimitives.ReadUInt16LittleEndian(b.Slice(body, 2));
                channels = BinaryPrimitives.ReadUInt16LittleEndian(b.Slice(body + 2, 2));
                rate = BinaryPrimitives.ReadUInt32LittleEndian(b.Slice(body + 4, 4));
                blockAlign = BinaryPrimitives.ReadUInt16LittleEndian(b.Slice(body + 12, 2));
                bits = BinaryPrimitives.ReadUInt16LittleEndian(b.Slice(body + 14, 2));
                if (format == FormatExtensible)
                {
                    if (size < 40 || body + 40 > b.Length)
                        throw new AudioFormatException(name, "WAVE_FORMAT_EXTENSIBLE header is truncated");
                    format = BinaryPrimitives.ReadUInt16LittleEndian(b.Slice(body + 24, 2)); // first two bytes of the sub-format GUID
                }
                haveFmt = true;
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (!haveFmt) throw new AudioFormatException(name, "'data' chunk comes before any 'fmt ' chunk");
                WavInfo info = Validate(name, format, channels, rate, bits, blockAlign, 0);
                long available = total - body;
                if (size > available)
                    throw new AudioFormatException(name, $"header claims {size} bytes of audio but only {available} follow (truncated or corrupt file)");
                dataOffset = body;
                dataLength = dataMayBeCut ? 0 : (int)size;
                long frames = size / blockAlign;
                if (frames == 0) throw new AudioFormatException(name, "contains no audio samples");
                return info with { Frames = frames };
            }
            long next = (long)body + size + (size & 1); // chunks are word aligned
            if (next > b.Length) throw new AudioFormatException(name, $"chunk '{Printable(id)}' claims {size} bytes past the end of the file");
            pos = (int)next;
        }
    }

    private static WavInfo Validate(string name, ushort format, ushort channels, uint rate, ushort bits, ushort blockAlign, long frames)
    {
        if (channels == 0) throw new AudioFormatException(name, "header says 0 channels");
        if (channels > MaxChannels) throw new AudioFormatException(name, $"header says {channels} channels; at most {MaxChannels} are supported");
        if (rate < MinSampleRate || rate > MaxSampleRate)
            throw new AudioFormatException(name, $"sample rate {rate} Hz is outside {MinSampleRate}..{MaxSampleRate} Hz");
        SampleEncoding enc = (format, bits) switch
        {
            (FormatPcm, 8) => SampleEncoding.PcmUnsigned8,
            (FormatPcm, 16) => SampleEncoding.PcmSigned16,
            (FormatPcm, 24) => SampleEncoding.PcmSigned24,
            (FormatPcm, 32) => SampleEncoding.PcmSigned32,
            (FormatFloat, 32) => SampleEncoding.Float32,
            (FormatFloat, 64) => SampleEncoding.Float64,
            (FormatPcm or FormatFloat, _) => throw new AudioFormatException(name, $"{bits}-bit {(format == FormatPcm ? "PCM" : "float")} samples are not supported (PCM 8/16/24/32, float 32/64 are)"),
            _ => throw new AudioFormatException(name, $"compressed or unknown WAV format tag 0x{format:X4}; convert to PCM (e.g. sox in.wav -e signed -b 16 out.wav)"),
        };
        int bytesPerSample = bits / 8;
        if (blockAlign != bytesPerSample * channels)
            throw new AudioFormatException(name, $"block align {blockAlign} does not match {channels} channel(s) of {bits}-bit samples");
        return new WavInfo(enc, bits, channels, (int)rate, frames);
    }

    private static float[] DecodeMono(ReadOnlySpan<byte> data, WavInfo info, string name)
    {
        int bps = info.BitsPerSample / 8;
        int ch = info.Channels;
        long frames = data.Length / (bps * ch);
        var mono = new float[frames];
        float scale = 1f / ch;
        for (long f = 0; f < frames; f++)
        {
            int offset = (int)(f * bps * ch);
            double sum = 0;
            for (int c = 0; c < ch; c++)
                sum += DecodeSample(data.Slice(offset + c * bps, bps), info.Encoding);
            float v = (float)(sum * scale);
            if (!float.IsFinite(v))
                throw new AudioFormatException(name, $"sample {f} is {(float.IsNaN(v) ? "NaN" : "infinite")}; the float data is corrupt");
            mono[f] = v;
        }
        return mono;
    }

    private static double DecodeSample(ReadOnlySpan<byte> s, SampleEncoding enc) => enc switch
    {
        SampleEncoding.PcmUnsigned8 => (s[0] - 128) / 128.0,
        SampleEncoding.PcmSigned16 => BinaryPrimitives.ReadInt16LittleEndian(s) / 32768.0,
        SampleEncoding.PcmSigned24 => ((s[0] | (s[1] << 8) | ((sbyte)s[2] << 16))) / 8388608.0,
        SampleEncoding.PcmSigned32 => BinaryPrimitives.ReadInt32LittleEndian(s) / 2147483648.0,
        SampleEncoding.Float32 => BinaryPrimitives.ReadSingleLittleEndian(s),
        SampleEncoding.Float64 => BinaryPrimitives.ReadDoubleLittleEndian(s),
        _ => throw new ArgumentOutOfRangeException(nameof(enc)),
    };

    private static string Printable(ReadOnlySpan<byte> id)
    {
        var chars = new char[id.Length];
        for (int i = 0; i < id.Length; i++) chars[i] = id[i] is >= 32 and < 127 ? (char)id[i] : '?';
        return new string(chars);
    }
}
