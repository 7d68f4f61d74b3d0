using System.Runtime.InteropServices;
using EmotionCluster.Features;
using TorchSharp;
using static TorchSharp.torch;

namespace EmotionCluster.Model;

/// <summary>Copies between managed arrays and CPU tensors without per-element overhead.</summary>
public static class Batches
{
    /// <summary>
    /// A [N, 1, bins, frames] float tensor of the examples, filled with one copy per example straight into the
    /// tensor's memory, then moved to <paramref name="device"/> (a no-op on the CPU).
    /// </summary>
    public static Tensor ToTensor(IReadOnlyList<Spectrogram> examples, int bins, int frames, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0) throw new ArgumentException("A batch needs at least one example.", nameof(examples));
        int size = bins * frames;
        var batch = empty([examples.Count, 1, bins, frames], ScalarType.Float32);
        var target = MemoryMarshal.Cast<byte, float>(batch.bytes);
        for (int i = 0; i < examples.Count; i++)
        {
            var x = examples[i];
            if (x.Bins != bins || x.Frames != frames || x.Data.Length != size)
                throw new ArgumentException(
                    $"Example {i} of the batch is {x.Bins} x {x.Frames} (bins x frames) but the model expects {bins} x {frames}; " +
                    "crop or pad the features to the configured size.", nameof(examples));
            x.Data.AsSpan().CopyTo(target.Slice(i * size, size));
        }
        return device is null || device.type == DeviceType.CPU ? batch : batch.to(device);
    }

    public static Tensor Labels(IReadOnlyList<int> labels, Device? device = null)
    {
        var longs = new long[labels.Count];
        for (int i = 0; i < longs.Length; i++) longs[i] = labels[i];
        var t = tensor(longs, ScalarType.Int64);
        return device is null || device.type == DeviceType.CPU ? t : t.to(device);
    }

    /// <summary>Copies a float tensor (any device, any layout) into <paramref name="target"/>, which must match its size.</summary>
    public static void CopyTo(Tensor source, Span<float> target)
    {
        CheckFloat(source, target.Length);
        if (source.device_type == DeviceType.CPU && source.is_contiguous())
        {
            MemoryMarshal.Cast<byte, float>(source.bytes).CopyTo(target);
            return;
        }
        using var scope = NewDisposeScope();
        MemoryMarshal.Cast<byte, float>(source.to(DeviceType.CPU).contiguous().bytes).CopyTo(target);
    }

    /// <summary>Overwrites a float tensor in place, without recording it for autograd, with <paramref name="source"/>.</summary>
    public static void CopyFrom(ReadOnlySpan<float> source, Tensor target)
    {
        CheckFloat(target, source.Length);
        if (target.device_type == DeviceType.CPU && target.is_contiguous())
        {
            source.CopyTo(MemoryMarshal.Cast<byte, float>(target.bytes));
            return;
        }
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        target.copy_(tensor(source.ToArray(), target.shape, ScalarType.Float32));
    }

    private static void CheckFloat(Tensor t, int length)
    {
        if (t.dtype != ScalarType.Float32)
            throw new ArgumentException($"The tensor holds {t.dtype}; only Float32 tensors are copied.", nameof(t));
        if (t.numel() != length)
            throw new ArgumentException($"The tensor has {t.numel()} values but the array holds {length}.", nameof(length));
    }
}
