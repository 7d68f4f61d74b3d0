using System.Runtime.InteropServices;

namespace EmotionCluster.Wire;

/// <summary>
/// The binary primitives every message layout is built from (the one copy of them): length-prefixed UTF-8 strings
/// (<see cref="BinaryWriter.Write(string)"/>), little-endian numbers, and here the composites: counted arrays, raw
/// byte and float arrays, optional values behind a presence flag, timestamps. Readers check every count against the
/// bytes left before they allocate, and throw <see cref="FormatException"/> naming the count (the serializer turns it
/// into a <see cref="System.Runtime.Serialization.SerializationException"/> naming the manifest).
/// </summary>
public static class WireFormat
{
    /// <summary>A count of items that take at least <paramref name="minBytes"/> each: more than the bytes left is malformed.</summary>
    public static int ReadCount(this BinaryReader r, int minBytes)
    {
        int n = r.ReadInt32();
        long left = r.BaseStream.Length - r.BaseStream.Position;
        if (n < 0 || (long)n * minBytes > left) throw new FormatException($"count {n} exceeds the {left} bytes left");
        return n;
    }

    /// <summary>Raw bytes after their count.</summary>
    public static void WriteBytes(this BinaryWriter w, byte[] bytes)
    {
        w.Write(bytes.Length);
        w.Write(bytes);
    }

    public static byte[] ReadBytes(this BinaryReader r) => r.ReadBytes(r.ReadCount(1));

    /// <summary>Floats as raw little-endian bytes after their count (feature tensors, audio, probabilities).</summary>
    public static void WriteFloats(this BinaryWriter w, float[] values)
    {
        w.Write(values.Length);
        w.Write(MemoryMarshal.AsBytes(values.AsSpan()));
    }

    public static float[] ReadFloats(this BinaryReader r)
    {
        var values = new float[r.ReadCount(sizeof(float))];
        r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    public static void WriteInts(this BinaryWriter w, int[] values)
    {
        w.Write(values.Length);
        foreach (int v in values) w.Write(v);
    }

    public static int[] ReadInts(this BinaryReader r)
    {
        var values = new int[r.ReadCount(sizeof(int))];
        for (int i = 0; i < values.Length; i++) values[i] = r.ReadInt32();
        return values;
    }

    public static void WriteStrings(this BinaryWriter w, string[] values) => w.WriteArray(values, static (w, s) => w.Write(s));

    public static string[] ReadStrings(this BinaryReader r) => r.ReadArray(1, static r => r.ReadString());

    /// <summary>Any items after their count.</summary>
    public static void WriteArray<T>(this BinaryWriter w, IReadOnlyCollection<T> items, Action<BinaryWriter, T> write)
    {
        w.Write(items.Count);
        foreach (var item in items) write(w, item);
    }

    /// <param name="minBytes">the fewest bytes one item takes (bounds the count by the bytes left).</param>
    public static T[] ReadArray<T>(this BinaryReader r, int minBytes, Func<BinaryReader, T> read)
    {
        var items = new T[r.ReadCount(minBytes)];
        for (int i = 0; i < items.Length; i++) items[i] = read(r);
        return items;
    }

    /// <summary>A presence flag, then the value if there is one.</summary>
    public static void WriteOptional<T>(this BinaryWriter w, T? value, Action<BinaryWriter, T> write) where T : class
    {
        w.Write(value is not null);
        if (value is not null) write(w, value);
    }

    public static T? ReadOptional<T>(this BinaryReader r, Func<BinaryReader, T> read) where T : class => r.ReadBoolean() ? read(r) : null;

    public static void WriteOptional(this BinaryWriter w, string? value) => w.WriteOptional(value, static (w, s) => w.Write(s));

    public static string? ReadOptionalString(this BinaryReader r) => r.ReadOptional(static r => r.ReadString());

    public static void WriteNullable(this BinaryWriter w, double? value)
    {
        w.Write(value.HasValue);
        if (value is { } v) w.Write(v);
    }

    public static double? ReadNullableDouble(this BinaryReader r) => r.ReadBoolean() ? r.ReadDouble() : null;

    public static void WriteNullable(this BinaryWriter w, int? value)
    {
        w.Write(value.HasValue);
        if (value is { } v) w.Write(v);
    }

    public static int? ReadNullableInt32(this BinaryReader r) => r.ReadBoolean() ? r.ReadInt32() : null;

    /// <summary>A timestamp with its offset: UTC ticks, then the offset in minutes (16 bits).</summary>
    public static void WriteTime(this BinaryWriter w, DateTimeOffset t)
    {
        w.Write(t.UtcTicks);
        w.Write((short)t.Offset.TotalMinutes);
    }

    public static DateTimeOffset ReadTime(this BinaryReader r)
    {
        long utcTicks = r.ReadInt64();
        var offset = TimeSpan.FromMinutes(r.ReadInt16());
        return new DateTimeOffset(utcTicks, TimeSpan.Zero).ToOffset(offset);
    }
}
