using System.Text;

namespace EmotionCluster.Model.Onnx;

/// <summary>
/// The few Protocol Buffers encodings an ONNX model file needs (varints, length-delimited fields, packed int64s, fixed32
/// floats): enough to write <c>ModelProto</c> from onnx.proto without a code generator or a package. Field numbers are
/// those of onnx.proto (IR version 8); <see cref="OnnxGraph"/> names them.
/// </summary>
internal sealed class ProtoWriter
{
    private readonly MemoryStream _buffer = new();

    public byte[] ToArray() => _buffer.ToArray();

    private void Varint(ulong value)
    {
        while (value >= 0x80)
        {
            _buffer.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        _buffer.WriteByte((byte)value);
    }

    private void Tag(int field, int wireType) => Varint((ulong)((field << 3) | wireType));

    /// <summary>An int32/int64/enum field (wire type 0; negative values as ten-byte two's complement, as protobuf does).</summary>
    public ProtoWriter Int(int field, long value)
    {
        Tag(field, 0);
        Varint(unchecked((ulong)value));
        return this;
    }

    public ProtoWriter Float(int field, float value)
    {
        Tag(field, 5);
        Span<byte> bytes = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        _buffer.Write(bytes);
        return this;
    }

    public ProtoWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, 2);
        Varint((ulong)value.Length);
        _buffer.Write(value);
        return this;
    }

    public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>An embedded message, written by <paramref name="write"/>.</summary>
    public ProtoWriter Message(int field, Action<ProtoWriter> write)
    {
        var inner = new ProtoWriter();
        write(inner);
        return Bytes(field, inner._buffer.GetBuffer().AsSpan(0, (int)inner._buffer.Length));
    }

    /// <summary>A repeated int64 field, packed (one length-delimited run of varints).</summary>
    public ProtoWriter PackedInts(int field, IEnumerable<long> values)
    {
        var inner = new ProtoWriter();
        foreach (long v in values) inner.Varint(unchecked((ulong)v));
        return Bytes(field, inner._buffer.GetBuffer().AsSpan(0, (int)inner._buffer.Length));
    }
}

/// <summary>A named float tensor (an initializer: weights, biases, batch-norm statistics).</summary>
public sealed record OnnxTensor(string Name, long[] Dims, float[] Values);

/// <summary>One graph node: operator, inputs, outputs and attributes (int, ints or float values).</summary>
public sealed record OnnxNode(string OpType, string[] Inputs, string[] Outputs, IReadOnlyDictionary<string, object>? Attributes = null)
{
    public string Name { get; init; } = "";
}

/// <summary>
/// A whole ONNX model: one graph of <see cref="OnnxNode"/>s over one float input and one float output (dimensions are
/// numbers, or names for symbolic ones such as the batch), initializers, and string metadata (<c>metadata_props</c>).
/// </summary>
public sealed record OnnxGraph(
    string Name, IReadOnlyList<OnnxNode> Nodes, IReadOnlyList<OnnxTensor> Initializers,
    string Input, object[] InputShape, string Output, object[] OutputShape, IReadOnlyList<KeyValuePair<string, string>> Metadata)
{
    /// <summary>ONNX IR version 8 (ONNX 1.10+; ONNX Runtime 1.10+ and Debian 12's python3-onnx 1.12 read it).</summary>
    public const long IrVersion = 8;

    /// <summary>Operator set 13 of the default domain: Softmax over one axis, every operator the CNN needs.</summary>
    public const long OpsetVersion = 13;

    private const int TensorFloat = 1; // TensorProto.DataType.FLOAT

    public byte[] ToBytes(string producerVersion, string docString)
    {
        var model = new ProtoWriter();
        model.Int(1, IrVersion)                                   // ModelProto.ir_version
             .String(2, "emotioncluster")                         // producer_name
             .String(3, producerVersion)                          // producer_version
             .Int(5, 1)                                           // model_version
             .String(6, docString)                                // doc_string
             .Message(7, WriteGraph)                              // graph
             .Message(8, o => o.String(1, "").Int(2, OpsetVersion)); // opset_import: default domain
        foreach (var (key, value) in Metadata)
            model.Message(14, e => e.String(1, key).String(2, value)); // metadata_props: StringStringEntryProto
        return model.ToArray();
    }

    private void WriteGraph(ProtoWriter g)
    {
        foreach (var node in Nodes) g.Message(1, n => WriteNode(n, node)); // GraphProto.node
        g.String(2, Name);                                                 // name
        foreach (var t in Initializers) g.Message(5, w => WriteTensor(w, t)); // initializer
        g.Message(11, v => WriteValueInfo(v, Input, InputShape));          // input
        g.Message(12, v => WriteValueInfo(v, Output, OutputShape));        // output
    }

    private static void WriteNode(ProtoWriter n, OnnxNode node)
    {
        foreach (var i in node.Inputs) n.String(1, i);   // NodeProto.input
        foreach (var o in node.Outputs) n.String(2, o);  // output
        if (node.Name.Length > 0) n.String(3, node.Name); // name
        n.String(4, node.OpType);                         // op_type
        foreach (var (name, value) in node.Attributes ?? new Dictionary<string, object>())
            n.Message(5, a =>                              // attribute: AttributeProto
            {
                a.String(1, name);
                switch (value)
                {
                    case float f: a.Float(2, f).Int(20, 1); break;        // f, type FLOAT
                    case int i: a.Int(3, i).Int(20, 2); break;            // i, type INT
                    case long l: a.Int(3, l).Int(20, 2); break;
                    case long[] ints: a.PackedInts(8, ints).Int(20, 7); break; // ints, type INTS
                    default: throw new ArgumentException($"attribute {name} of {node.OpType}: unsupported value {value.GetType().Name}");
                }
            });
    }

    private static void WriteTensor(ProtoWriter w, OnnxTensor t)
    {
        long expected = t.Dims.Aggregate(1L, (a, d) => a * d);
        if (expected != t.Values.Length) throw new ArgumentException($"tensor {t.Name}: {t.Values.Length} values for dimensions [{string.Join(", ", t.Dims)}]");
        w.PackedInts(1, t.Dims);   // TensorProto.dims
        w.Int(2, TensorFloat);     // data_type
        w.String(8, t.Name);       // name
        var raw = new byte[t.Values.Length * 4]; // raw_data: little-endian IEEE 754, as ONNX specifies
        for (int i = 0; i < t.Values.Length; i++)
            System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * 4), t.Values[i]);
        w.Bytes(9, raw);
    }

    private static void WriteValueInfo(ProtoWriter v, string name, object[] shape)
    {
        v.String(1, name); // ValueInfoProto.name
        v.Message(2, type => type.Message(1, tensor =>   // TypeProto.tensor_type
        {
            tensor.Int(1, TensorFloat);                  // elem_type
            tensor.Message(2, s =>                       // shape: TensorShapeProto
            {
                foreach (var d in shape)
                    s.Message(1, dim =>                  // dim
                    {
                        if (d is string param) dim.String(2, param); // dim_param
                        else dim.Int(1, Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture)); // dim_value
                    });
            });
        }));
    }
}
