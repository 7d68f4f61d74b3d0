using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EmotionCluster.Features;

/// <summary>
/// In-place forward DFT <c>X[k] = Σ x[n] e^{-2πi kn/N}</c> on split real/imaginary float arrays, any size N ≥ 1.
/// Powers of two: iterative radix-2 decimation in time (bit-reversal, then log2 N butterfly stages; stages at least
/// one SIMD vector wide use <see cref="Vector{T}"/>). Other sizes: Bluestein's chirp-z algorithm over a power-of-two
/// FFT of size ≥ 2N − 1. Twiddles are computed in double and stored as float.
/// Immutable after construction, so one instance may serve many threads.
/// </summary>
public sealed class ComplexFft
{
    private readonly int[]? _bitReverse;
    // Twiddles of the stage with half-size h sit at [h, 2h): e^{-2πi j / 2h}, j < h.
    private readonly float[]? _twiddleRe, _twiddleIm;
    private readonly Bluestein? _bluestein;

    public ComplexFft(int size)
    {
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, "FFT size must be at least 1");
        Size = size;
        if (!BitOperations.IsPow2(size))
        {
            _bluestein = new Bluestein(size);
            return;
        }
        int bits = BitOperations.Log2((uint)size);
        _bitReverse = new int[size];
        for (int i = 0; i < size; i++)
            _bitReverse[i] = bits == 0 ? 0 : (int)(ReverseBits((uint)i) >> (32 - bits));
        _twiddleRe = new float[Math.Max(size, 1)];
        _twiddleIm = new float[Math.Max(size, 1)];
        for (int h = 1; h < size; h <<= 1)
            for (int j = 0; j < h; j++)
            {
                double angle = -Math.PI * j / h;
                _twiddleRe[h + j] = (float)Math.Cos(angle);
                _twiddleIm[h + j] = (float)Math.Sin(angle);
            }
    }

    public int Size { get; }

    public bool IsPowerOfTwo => _bluestein is null;

    /// <summary>Bit-reversal permutation of a power-of-two size (null otherwise); lets callers load input pre-permuted.</summary>
    internal int[]? BitReverse => _bitReverse;

    /// <summary>Transforms <paramref name="re"/> + i <paramref name="im"/> (each at least <see cref="Size"/> long) in place.</summary>
    public void Forward(Span<float> re, Span<float> im)
    {
        if (re.Length < Size || im.Length < Size)
            throw new ArgumentException($"FFT of size {Size} needs spans of at least {Size} values; got {re.Length} and {im.Length}");
        if (_bluestein is not null)
        {
            _bluestein.Forward(re[..Size], im[..Size]);
            return;
        }
        int[] rev = _bitReverse!;
        for (int i = 0; i < Size; i++)
        {
            int j = rev[i];
            if (j > i)
            {
                (re[i], re[j]) = (re[j], re[i]);
                (im[i], im[j]) = (im[j], im[i]);
            }
        }
        Butterflies(re, im);
    }

    /// <summary>The butterfly stages of a power-of-two FFT whose input is already in bit-reversed order.</summary>
    internal void Butterflies(Span<float> re, Span<float> im)
    {
        int n = Size;
        ref float r = ref MemoryMarshal.GetReference(re);
        ref float m = ref MemoryMarshal.GetReference(im);
        int h = 1;
        if (n >= 4)
        {
            FirstTwoStages(ref r, ref m, n);
            h = 4;
        }
        int width = Vector<float>.Count;
        for (; h < n; h <<= 1)
        {
            if (h >= width && Vector.IsHardwareAccelerated) VectorStage(ref r, ref m, n, h);
            else ScalarStage(ref r, ref m, n, h);
        }
    }

    /// <summary>Stages h = 1 and h = 2 fused: a radix-4 butterfly on each group of four (twiddles 1 and −i).</summary>
    private static void FirstTwoStages(ref float r, ref float m, int n)
    {
        for (int s = 0; s < n; s += 4)
        {
            float r0 = Unsafe.Add(ref r, s), r1 = Unsafe.Add(ref r, s + 1), r2 = Unsafe.Add(ref r, s + 2), r3 = Unsafe.Add(ref r, s + 3);
            float i0 = Unsafe.Add(ref m, s), i1 = Unsafe.Add(ref m, s + 1), i2 = Unsafe.Add(ref m, s + 2), i3 = Unsafe.Add(ref m, s + 3);
            float ar0 = r0 + r1, ai0 = i0 + i1, ar1 = r0 - r1, ai1 = i0 - i1;
            float ar2 = r2 + r3, ai2 = i2 + i3, ar3 = r2 - r3, ai3 = i2 - i3;
            // second stage: (a0, a2) with twiddle 1, (a1, a3) with twiddle -i: -i (x + iy) = y - ix
            Unsafe.Add(ref r, s) = ar0 + ar2; Unsafe.Add(ref m, s) = ai0 + ai2;
            Unsafe.Add(ref r, s + 2) = ar0 - ar2; Unsafe.Add(ref m, s + 2) = ai0 - ai2;
            Unsafe.Add(ref r, s + 1) = ar1 + ai3; Unsafe.Add(ref m, s + 1) = ai1 - ar3;
            Unsafe.Add(ref r, s + 3) = ar1 - ai3; Unsafe.Add(ref m, s + 3) = ai1 + ar3;
        }
    }

    private void ScalarStage(ref float r, ref float m, int n, int h)
    {
        ref float wr = ref MemoryMarshal.GetArrayDataReference(_twiddleRe!);
        ref float wi = ref MemoryMarshal.GetArrayDataReference(_twiddleIm!);
        for (int s = 0; s < n; s += 2 * h)
            for (int j = 0; j < h; j++)
            {
                int a = s + j, b = a + h;
                float cr = Unsafe.Add(ref wr, h + j), ci = Unsafe.Add(ref wi, h + j);
                float br = Unsafe.Add(ref r, b), bi = Unsafe.Add(ref m, b);
                float tr = cr * br - ci * bi, ti = cr * bi + ci * br;
                float xr = Unsafe.Add(ref r, a), xi = Unsafe.Add(ref m, a);
                Unsafe.Add(ref r, b) = xr - tr; Unsafe.Add(ref m, b) = xi - ti;
                Unsafe.Add(ref r, a) = xr + tr; Unsafe.Add(ref m, a) = xi + ti;
            }
    }

    private void VectorStage(ref float r, ref float m, int n, int h)
    {
        ref float wr = ref MemoryMarshal.GetArrayDataReference(_twiddleRe!);
        ref float wi = ref MemoryMarshal.GetArrayDataReference(_twiddleIm!);
        int width = Vector<float>.Count;
        for (int s = 0; s < n; s += 2 * h)
            for (int j = 0; j < h; j += width)
            {
                nuint a = (nuint)(s + j), b = a + (nuint)h, w = (nuint)(h + j);
                var cr = Vector.LoadUnsafe(ref wr, w);
                var ci = Vector.LoadUnsafe(ref wi, w);
                var br = Vector.LoadUnsafe(ref r, b);
                var bi = Vector.LoadUnsafe(ref m, b);
                var tr = cr * br - ci * bi;
                var ti = cr * bi + ci * br;
                var xr = Vector.LoadUnsafe(ref r, a);
                var xi = Vector.LoadUnsafe(ref m, a);
                (xr - tr).StoreUnsafe(ref r, b);
                (xi - ti).StoreUnsafe(ref m, b);
                (xr + tr).StoreUnsafe(ref r, a);
                (xi + ti).StoreUnsafe(ref m, a);
            }
    }

    private static uint ReverseBits(uint v)
    {
        v = ((v >> 1) & 0x55555555u) | ((v & 0x55555555u) << 1);
        v = ((v >> 2) & 0x33333333u) | ((v & 0x33333333u) << 2);
        v = ((v >> 4) & 0x0F0F0F0Fu) | ((v & 0x0F0F0F0Fu) << 4);
        v = ((v >> 8) & 0x00FF00FFu) | ((v & 0x00FF00FFu) << 8);
        return (v >> 16) | (v << 16);
    }

    /// <summary>
    /// Chirp-z: with w[n] = e^{-iπ n²/N}, X[k] = w[k] Σ (x[n] w[n]) conj(w[k−n]), a circular convolution of length
    /// M ≥ 2N − 1 (power of two) done with three FFTs of size M (one precomputed).
    /// </summary>
    private sealed class Bluestein
    {
        private readonly int _n;
        private readonly ComplexFft _inner;
        private readonly float[] _chirpRe, _chirpIm, _kernelRe, _kernelIm;

        public Bluestein(int n)
        {
            _n = n;
            int m = (int)BitOperations.RoundUpToPowerOf2((uint)(2 * n - 1));
            _inner = new ComplexFft(m);
            _chirpRe = new float[n];
            _chirpIm = new float[n];
            _kernelRe = new float[m];
            _kernelIm = new float[m];
            for (int i = 0; i < n; i++)
            {
                long sq = (long)i * i % (2L * n); // exact phase: e^{-iπ i²/N} has period 2N in i²
                double angle = -Math.PI * sq / n;
                _chirpRe[i] = (float)Math.Cos(angle);
                _chirpIm[i] = (float)Math.Sin(angle);
                _kernelRe[i] = _chirpRe[i];
                _kernelIm[i] = -_chirpIm[i];
                if (i > 0)
                {
                    _kernelRe[m - i] = _chirpRe[i];
                    _kernelIm[m - i] = -_chirpIm[i];
                }
            }
            _inner.Forward(_kernelRe, _kernelIm);
        }

        public void Forward(Span<float> re, Span<float> im)
        {
            int m = _inner.Size;
            float[] ar = ArrayPool<float>.Shared.Rent(m), ai = ArrayPool<float>.Shared.Rent(m);
            try
            {
                for (int i = 0; i < _n; i++)
                {
                    float cr = _chirpRe[i], ci = _chirpIm[i];
                    ar[i] = re[i] * cr - im[i] * ci;
                    ai[i] = re[i] * ci + im[i] * cr;
                }
                Array.Clear(ar, _n, m - _n);
                Array.Clear(ai, _n, m - _n);
                _inner.Forward(ar, ai);
                // multiply by the kernel spectrum, conjugated so the forward FFT computes the inverse
                for (int i = 0; i < m; i++)
                {
                    float xr = ar[i], xi = ai[i], kr = _kernelRe[i], ki = _kernelIm[i];
                    ar[i] = xr * kr - xi * ki;
                    ai[i] = -(xr * ki + xi * kr);
                }
                _inner.Forward(ar, ai);
                float scale = 1f / m;
                for (int k = 0; k < _n; k++)
                {
                    float cr = ar[k] * scale, ci = -ai[k] * scale, wr = _chirpRe[k], wi = _chirpIm[k];
                    re[k] = cr * wr - ci * wi;
                    im[k] = cr * wi + ci * wr;
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(ar);
                ArrayPool<float>.Shared.Return(ai);
            }
        }
    }
}
