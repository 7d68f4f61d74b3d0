using System.Security.Cryptography;
using TorchSharp;
using static TorchSharp.torch;

namespace EmotionCluster.Model;

/// <summary>
/// State beyond the trainable parameters, for data-parallel replicas and checkpoints: the floating-point buffers
/// (BatchNorm running mean and variance), the optimizer's state, torch's random generator and a weight checksum.
/// </summary>
public sealed partial class Trainer
{
    private Tensor[]? _floatBuffers;

    private Tensor[] FloatBuffers => _floatBuffers ??= Model.buffers()
        .Where(b => b.dtype is ScalarType.Float32)
        .ToArray();

    /// <summary>Length of <see cref="GetBuffers"/>: the float buffers (BatchNorm running statistics; 0 without BatchNorm).</summary>
    public long BufferCount => FloatBuffers.Sum(b => b.numel());

    /// <summary>The float buffers flattened in <see cref="Module.buffers"/> order (integer buffers such as BatchNorm's batch counter are left out).</summary>
    public float[] GetBuffers()
    {
        var result = new float[BufferCount];
        CopyBuffers(result);
        return result;
    }

    public void SetBuffers(ReadOnlySpan<float> values)
    {
        if (values.Length != BufferCount)
            throw new ArgumentException($"The buffer vector has {values.Length} values; the model has {BufferCount} float buffer values.");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        int offset = 0;
        foreach (var b in FloatBuffers)
        {
            int n = (int)b.numel();
            Batches.CopyFrom(values.Slice(offset, n), b);
            offset += n;
        }
    }

    /// <summary>Writes the gradients (as <see cref="GetGradients"/>) into <paramref name="target"/> without allocating.</summary>
    public void CopyGradients(Span<float> target)
    {
        if (target.Length != ParameterCount)
            throw new ArgumentException($"The target has {target.Length} values; the model has {ParameterCount} parameters.", nameof(target));
        using var scope = NewDisposeScope();
        int offset = 0;
        foreach (var p in _parameters)
        {
            int n = (int)p.numel();
            if (p.grad is { } g) Batches.CopyTo(g, target.Slice(offset, n));
            else target.Slice(offset, n).Clear();
            offset += n;
        }
    }

    /// <summary>Writes the float buffers (as <see cref="GetBuffers"/>) into <paramref name="target"/> without allocating.</summary>
    public void CopyBuffers(Span<float> target)
    {
        if (target.Length != BufferCount)
            throw new ArgumentException($"The target has {target.Length} values; the model has {BufferCount} float buffer values.", nameof(target));
        using var scope = NewDisposeScope();
        int offset = 0;
        foreach (var b in FloatBuffers)
        {
            int n = (int)b.numel();
            Batches.CopyTo(b, target.Slice(offset, n));
            offset += n;
        }
    }

    /// <summary>The optimizer's state (AdamW moments and step counts, learning rates) in TorchSharp's state-dict format.</summary>
    public byte[] SaveOptimizerState()
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
            _optimizer.save_state_dict(writer);
        return stream.ToArray();
    }

    public void LoadOptimizerState(byte[] state)
    {
        ArgumentNullException.ThrowIfNull(state);
        using var stream = new MemoryStream(state, writable: false);
        using var reader = new BinaryReader(stream);
        _optimizer.load_state_dict(reader);
    }

    /// <summary>Torch's global (CPU) random generator state: dropout masks continue where they left off after <see cref="SetRandomState"/>.</summary>
    public static byte[] GetRandomState()
    {
        using var state = torch.random.get_rng_state();
        return state.bytes.ToArray();
    }

    public static void SetRandomState(byte[] state)
    {
        ArgumentNullException.ThrowIfNull(state);
        using var t = tensor(state, ScalarType.Byte);
        torch.random.set_rng_state(t);
    }

    /// <summary>SHA-256 (hex, first 16 digits) of the parameters and float buffers: equal on replicas with identical weights.</summary>
    public string WeightChecksum()
    {
        var p = GetParameters();
        var b = GetBuffers();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(p.AsSpan()));
        hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(b.AsSpan()));
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }
}
