using System.Buffers.Binary;

namespace EmotionCluster.Audio;

/// <summary>
/// Reads RIFF/WAVE files: PCM 8/16/24/32-bit, IEEE float 32/64, plain or WAVE_FORMAT_EXTENSIBLE, any channel
/// count (downmixed to mono by averaging). Every malformed input is an <see cref="AudioFormatException"/> naming the
/// source and the reason; nothing is allocated from a size the header claims before it is checked against the real length.
/// </summary>
public static class WavReader
{
    /// <summary>Largest file accepted (bytes). Larger files are rejected, not allocated.</summary>
    public const long MaxFileBytes = 1L << 30;
    public const int MinSampleRate = 1000;
    public const int MaxSampleRate = 768_000;
    public const int MaxChannels = 64;
    /// <summary>Chunks allowed before the 'data' chunk (real files have a handful); bounds the work on garbage input.</summary>
    public const int MaxChunks = 1024;

    private const ushort FormatPcm = 1, FormatFloat = 3, FormatExtensible = 0xFFFE;

    /// <summary>Bytes 2..15 of KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT, {0000000X-0000-0010-8000-00aa00389b71}.</summary>
    private static ReadOnlySpan<byte> SubFormatGuidTail => [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71];

    public static (AudioClip Clip, WavInfo Info) Read(string path) =>
        WithFile(path, stream =>
        {
            Layout layout = ParseHeader(new StreamSource(stream), path);
            var data = new byte[layout.DataLength];
            stream.Position = layout.DataOffset;
            stream.ReadExactly(data);
            return Decode(data, layout.Info, path);
        });

    public static (AudioClip Clip, WavInfo Info) Read(ReadOnlySpan<byte> bytes, string sourceName)
    {
        Layout layout = ParseHeader(new SpanSource(bytes), sourceName);
        return Decode(bytes.Slice((int)layout.DataOffset, (int)layout.DataLength), layout.Info, sourceName);
    }

    /// <summary>
    /// Frames [<paramref name="startFrame"/>, start + <paramref name="frameCount"/>) of the file (fewer at its end, none
    /// past it), decoded to mono, reading only the header and those bytes: a long file is read window by window in
    /// bounded memory.
    /// </summary>
    public static AudioClip ReadFrames(string path, long startFrame, int frameCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(startFrame);
        ArgumentOutOfRangeException.ThrowIfNegative(frameCount);
        return WithFile(path, stream =>
        {
            Layout layout = ParseHeader(new StreamSource(stream), path);
            WavInfo info = layout.Info;
            int block = info.Channels * info.BitsPerSample / 8;
            long frames = Math.Clamp(info.Frames - startFrame, 0, frameCount);
            var data = new byte[frames * block];
            stream.Position = layout.DataOffset + startFrame * block;
            stream.ReadExactly(data);
            return Decode(data, info, path).Clip;
        });
    }

    /// <summary>Only the header: format and length, without decoding samples.</summary>
    public static WavInfo ReadInfo(ReadOnlySpan<byte> bytes, string sourceName) => ParseHeader(new SpanSource(bytes), sourceName).Info;

    /// <summary>Only the header, reading just the chunk headers from disk (cheap for long files).</summary>
    public static WavInfo ReadInfo(string path) => WithFile(path, stream => ParseHeader(new StreamSource(stream), path).Info);

    private static (AudioClip Clip, WavInfo Info) Decode(ReadOnlySpan<byte> data, WavInfo info, string name) =>
        (new AudioClip(SampleDecoder.DecodeMono(data, info.Encoding, info.Channels, name), info.SampleRate), info);

    private static T WithFile<T>(string path, Func<FileStream, T> read)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new AudioFormatException("(empty path)", "no file name was given");
        try
        {
            if (Directory.Exists(path)) throw new AudioFormatException(path, "is a directory, not a WAV file");
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (stream.Length > MaxFileBytes)
                throw new AudioFormatException(path, $"file is {stream.Length} bytes; the limit is {MaxFileBytes} bytes. Split it into shorter clips.");
            return read(stream);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new AudioFormatException(path, "file not found", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new AudioFormatException(path, $"cannot be read: {e.Message}", e);
        }
    }

    private readonly record struct Layout(WavInfo Info, long DataOffset, long DataLength);

    private interface IByteSource
    {
        long Length { get; }

        /// <summary>Fills <paramref name="dest"/> from <paramref name="offset"/>; callers check the range against <see cref="Length"/>.</summary>
        void ReadAt(long offset, scoped Span<byte> dest);
    }

    private readonly ref struct SpanSource(ReadOnlySpan<byte> bytes) : IByteSource
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        public long Length => _bytes.Length;
        public void ReadAt(long offset, scoped Span<byte> dest) => _bytes.Slice((int)offset, dest.Length).CopyTo(dest);
    }

    private sealed class StreamSource(Stream stream) : IByteSource
    {
        public long Length { get; } = stream.Length;

        public void ReadAt(long offset, scoped Span<byte> dest)
        {
            stream.Position = offset;
            stream.ReadExactly(dest);
        }
    }

    private static Layout ParseHeader<TSource>(TSource src, string name) where TSource : IByteSource, allows ref struct
    {
        long total = src.Length;
        if (total == 0) throw new AudioFormatException(name, "file is empty");
        if (total < 12) throw new AudioFormatException(name, $"truncated header ({total} bytes; a WAV header needs at least 44)");
        Span<byte> riff = stackalloc byte[12];
        src.ReadAt(0, riff);
        if (!riff[..4].SequenceEqual("RIFF"u8))
        {
            if (riff[..4].SequenceEqual("RIFX"u8) || riff[..4].SequenceEqual("RF64"u8))
                throw new AudioFormatException(name, $"{Printable(riff[..4])} WAV is not supported; convert to little-endian RIFF WAV (e.g. sox in.wav -b 16 out.wav)");
            throw new AudioFormatException(name, "not a RIFF/WAVE file (no 'RIFF' signature); convert it to WAV first");
        }
        if (!riff[8..].SequenceEqual("WAVE"u8))
            throw new AudioFormatException(name, $"RIFF file of type '{Printable(riff[8..])}', not WAVE");

        WavInfo? format = null;
        long pos = 12;
        Span<byte> header = stackalloc byte[8];
        for (int chunk = 0; ; chunk++)
        {
            if (chunk >= MaxChunks)
                throw new AudioFormatException(name, $"more than {MaxChunks} chunks before the audio data; not a usable WAV file");
            if (pos + 8 > total)
                throw new AudioFormatException(name, format is null ? "no 'fmt ' chunk (truncated header?)" : "no 'data' chunk (truncated file?)");
            src.ReadAt(pos, header);
            ReadOnlySpan<byte> id = header[..4];
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
            long body = pos + 8;
            long available = total - body;
            if (id.SequenceEqual("fmt "u8))
            {
                format = ParseFormat(src, body, size, name);
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (format is null)
                    throw new AudioFormatException(name, "the 'data' chunk comes before the 'fmt ' chunk; re-save the file with a standard tool (e.g. sox in.wav out.wav)");
                if (size > available)
                    throw new AudioFormatException(name, $"header claims {size} bytes of audio but only {available} follow (truncated or corrupt file, or a streamed header that was never finalized; re-save it with sox)");
                int blockAlign = format.Channels * format.BitsPerSample / 8;
                long frames = size / blockAlign;
                if (frames == 0) throw new AudioFormatException(name, "contains no audio samples");
                return new Layout(format with { Frames = frames }, body, frames * blockAlign);
            }
            if (size > available)
                throw new AudioFormatException(name, $"chunk '{Printable(id)}' at byte {pos} claims {size} bytes but only {available} follow (truncated or corrupt file)");
            pos = body + size + (size & 1); // chunks are word aligned: an odd-sized chunk is followed by a pad byte
        }
    }

    private static WavInfo ParseFormat<TSource>(TSource src, long body, uint size, string name) where TSource : IByteSource, allows ref struct
    {
        if (size < 16) throw new AudioFormatException(name, $"'fmt ' chunk is {size} bytes; at least 16 expected");
        long available = src.Length - body;
        if (available < 16) throw new AudioFormatException(name, $"truncated 'fmt ' chunk ({available} of 16 bytes)");
        Span<byte> f = stackalloc byte[40];
        int n = (int)Math.Min(Math.Min(size, 40u), available);
        src.ReadAt(body, f[..n]);
        ushort format = BinaryPrimitives.ReadUInt16LittleEndian(f);
        ushort channels = BinaryPrimitives.ReadUInt16LittleEndian(f[2..]);
        uint rate = BinaryPrimitives.ReadUInt32LittleEndian(f[4..]);
        ushort blockAlign = BinaryPrimitives.ReadUInt16LittleEndian(f[12..]);
        ushort bits = BinaryPrimitives.ReadUInt16LittleEndian(f[14..]);
        if (format == FormatExtensible)
        {
            if (n < 40) throw new AudioFormatException(name, $"WAVE_FORMAT_EXTENSIBLE header is truncated ({n} of 40 bytes)");
            if (!f[26..40].SequenceEqual(SubFormatGuidTail))
                throw new AudioFormatException(name, "WAVE_FORMAT_EXTENSIBLE with an unknown sub-format GUID; convert to PCM (e.g. sox in.wav -e signed -b 16 out.wav)");
            format = BinaryPrimitives.ReadUInt16LittleEndian(f[24..]); // the sub-format GUID starts with the plain format tag
        }
        return Validate(name, format, channels, rate, bits, blockAlign);
    }

    private static WavInfo Validate(string name, ushort format, ushort channels, uint rate, ushort bits, ushort blockAlign)
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
        if (blockAlign != bits / 8 * channels)
            throw new AudioFormatException(name, $"block align {blockAlign} does not match {channels} channel(s) of {bits}-bit samples");
        return new WavInfo(enc, bits, channels, (int)rate, 0);
    }

    private static string Printable(ReadOnlySpan<byte> id)
    {
        var chars = new char[id.Length];
        for (int i = 0; i < id.Length; i++) chars[i] = id[i] is >= 32 and < 127 ? (char)id[i] : '?';
        return new string(chars);
    }
}
