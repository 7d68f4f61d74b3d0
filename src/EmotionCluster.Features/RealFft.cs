using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EmotionCluster.Features;

/// <summary>
/// One-sided DFT of a real signal of any length N ≥ 1: bins <c>0..N/2</c> (<see cref="Bins"/> values).
/// Even N: the N reals are packed as N/2 complex values <c>z[n] = x[2n] + i x[2n+1]</c>, transformed with a
/// <see cref="ComplexFft"/> of size N/2 and split into the real spectrum (the standard "two for one" trick).
/// Odd N: a complex FFT of size N with zero imaginary part. Immutable, so one instance may serve many threads.
/// </summary>
public sealed class RealFft
{
    private readonly ComplexFft _fft;
    private readonly float[]? _splitRe, _splitIm; // e^{-2πi k/N}, k = 0..N/4, for the even-N split

    public RealFft(int size)
    {
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, "FFT size must be at least 1");
        Size = size;
        if (size % 2 == 1)
        {
            _fft = new ComplexFft(size);
            return;
        }
        int half = size / 2;
        _fft = new ComplexFft(half);
        _splitRe = new float[half / 2 + 1];
        _splitIm = new float[half / 2 + 1];
        for (int k = 0; k <= half / 2; k++)
        {
            double angle = -2 * Math.PI * k / size;
            _splitRe[k] = (float)Math.Cos(angle);
            _splitIm[k] = (float)Math.Sin(angle);
        }
    }

    public int Size { get; }

    /// <summary>Output bins: <c>Size / 2 + 1</c>.</summary>
    public int Bins => Size / 2 + 1;

    /// <summary>
    /// Spectrum of <paramref name="input"/> (exactly <see cref="Size"/> samples) into <paramref name="re"/> and
    /// <paramref name="im"/> (each at least <see cref="Bins"/> long). No allocation for power-of-two sizes.
    /// </summary>
    public void Forward(ReadOnlySpan<float> input, Span<float> re, Span<float> im)
    {
        if (input.Length != Size)
            throw new ArgumentException($"RealFft of size {Size} needs exactly {Size} input samples; got {input.Length}", nameof(input));
        if (re.Length < Bins || im.Length < Bins)
            throw new ArgumentException($"RealFft of size {Size} writes {Bins} bins; the output spans hold {re.Length} and {im.Length}");
        if (_splitRe is null) ForwardOdd(input, re, im);
        else ForwardEven(input, re, im);
    }

    private void ForwardEven(ReadOnlySpan<float> input, Span<float> re, Span<float> im)
    {
        int half = Size / 2;
        if (_fft.BitReverse is { } rev)
        {
            for (int n = 0; n < half; n++)
            {
                int j = rev[n];
                re[j] = input[2 * n];
                im[j] = input[2 * n + 1];
            }
            _fft.Butterflies(re, im);
        }
        else
        {
            for (int n = 0; n < half; n++)
            {
                re[n] = input[2 * n];
                im[n] = input[2 * n + 1];
            }
            _fft.Forward(re, im);
        }
        Split(re, im, half);
    }

    /// <summary>
    /// From Z = FFT(z) to the real spectrum, in place: with E = (Z[k] + conj Z[h−k]) / 2 and
    /// O = (Z[k] − conj Z[h−k]) / 2i, X[k] = E + W^k O and X[h−k] = conj(E − W^k O), W = e^{-2πi/N}.
    /// </summary>
    private void Split(Span<float> re, Span<float> im, int half)
    {
        ref float r = ref MemoryMarshal.GetReference(re);
        ref float m = ref MemoryMarshal.GetReference(im);
        ref float wr = ref MemoryMarshal.GetArrayDataReference(_splitRe!);
        ref float wi = ref MemoryMarshal.GetArrayDataReference(_splitIm!);
        float z0r = r, z0i = m;
        r = z0r + z0i;
        m = 0;
        Unsafe.Add(ref r, half) = z0r - z0i;
        Unsafe.Add(ref m, half) = 0;
        for (int k = 1, j = half - 1; k <= j; k++, j--)
        {
            float kr = Unsafe.Add(ref r, k), ki = Unsafe.Add(ref m, k);
            float jr = Unsafe.Add(ref r, j), ji = Unsafe.Add(ref m, j);
            float er = 0.5f * (kr + jr), ei = 0.5f * (ki - ji);
            float or = 0.5f * (ki + ji), oi = -0.5f * (kr - jr);
            float cr = Unsafe.Add(ref wr, k), ci = Unsafe.Add(ref wi, k);
            float tr = cr * or - ci * oi, ti = cr * oi + ci * or;
            Unsafe.Add(ref r, k) = er + tr;
            Unsafe.Add(ref m, k) = ei + ti;
            if (j != k)
            {
                Unsafe.Add(ref r, j) = er - tr;
                Unsafe.Add(ref m, j) = ti - ei;
            }
        }
    }

    private void ForwardOdd(ReadOnlySpan<float> input, Span<float> re, Span<float> im)
    {
        float[] br = ArrayPool<float>.Shared.Rent(Size), bi = ArrayPool<float>.Shared.Rent(Size);
        try
        {
            input.CopyTo(br);
            Array.Clear(bi, 0, Size);
            _fft.Forward(br, bi);
            br.AsSpan(0, Bins).CopyTo(re);
            bi.AsSpan(0, Bins).CopyTo(im);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(br);
            ArrayPool<float>.Shared.Return(bi);
        }
    }
}
