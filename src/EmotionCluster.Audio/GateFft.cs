using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EmotionCluster.Audio;

/// <summary>
/// Real FFT of a power-of-two size for <see cref="SpectralGate"/>, computing bit for bit what NWaves 0.9.6
/// <c>RealFft.Direct</c> / <c>RealFft.Inverse</c> compute (the spectral gate used them until it was rewritten, and
/// the models were trained with their results): a complex radix-2 decimation-in-frequency FFT of size N/2 on the
/// packed even/odd samples, then NWaves' split step, with the same float operations in the same order. What differs
/// is only how the work is scheduled, none of which changes a float result:
/// <list type="bullet">
/// <item>the twiddle factors of each stage are precomputed with NWaves' own recurrence (u ← u·e^{∓iθ}) instead of
/// being recomputed in every call;</item>
/// <item>the butterflies of a stage run block by block (contiguous j) instead of j by j, vectorized where a block has
/// at least <see cref="Vector{T}.Count"/> butterflies (lane-wise IEEE float operations, no fused multiply-add);</item>
/// <item>the bit-reversal permutation is a precomputed list of swaps;</item>
/// <item>no bounds checks in the inner loops.</item>
/// </list>
/// Not thread-safe (internal buffers); <see cref="SpectralGate"/> keeps one per thread.
/// </summary>
internal sealed class GateFft
{
    private readonly int _half; // NWaves' _fftSize: the complex FFT size
    private readonly float[] _ar, _ai, _br, _bi;
    private readonly float[][] _forwardU1, _forwardU2, _inverseU1, _inverseU2; // per stage, per j < l
    private readonly int[] _swaps; // pairs (i, j), i > j, in NWaves' order
    private readonly float[] _re, _im;

    public GateFft(int size)
    {
        if (size < 4 || (size & (size - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(size), size, "FFT size must be a power of two ≥ 4");
        Size = size;
        int h = size / 2;
        _half = h;
        _re = new float[h];
        _im = new float[h];

        // exactly NWaves' tables
        int tblSize = (int)Math.Log(h, 2);
        var cosTbl = new float[tblSize];
        var sinTbl = new float[tblSize];
        for (int i = 1, pos = 0; i < h; i *= 2, pos++)
        {
            cosTbl[pos] = (float)Math.Cos(2 * Math.PI * i / h);
            sinTbl[pos] = (float)Math.Sin(2 * Math.PI * i / h);
        }
        _ar = new float[h];
        _br = new float[h];
        _ai = new float[h];
        _bi = new float[h];
        var f = Math.PI / h;
        for (var i = 0; i < h; i++)
        {
            _ar[i] = (float)(0.5 * (1 - Math.Sin(f * i)));
            _ai[i] = (float)(-0.5 * Math.Cos(f * i));
            _br[i] = (float)(0.5 * (1 + Math.Sin(f * i)));
            _bi[i] = (float)(0.5 * Math.Cos(f * i));
        }

        var f1 = new List<float[]>(); var f2 = new List<float[]>(); var i1 = new List<float[]>(); var i2 = new List<float[]>();
        for (int L = h, ti = 0; L >= 2; L >>= 1, ti++)
        {
            int l = L >> 1;
            (float[] a, float[] b) Twiddles(float c, float s)
            {
                var u1s = new float[l];
                var u2s = new float[l];
                float u1 = 1.0f, u2 = 0.0f;
                for (int j = 0; j < l; j++)
                {
                    u1s[j] = u1;
                    u2s[j] = u2;
                    float u3 = u1 * c - u2 * s;
                    u2 = u2 * c + u1 * s;
                    u1 = u3;
                }
                return (u1s, u2s);
            }
            var (fa, fb) = Twiddles(cosTbl[ti], -sinTbl[ti]);
            var (ia, ib) = Twiddles(cosTbl[ti], sinTbl[ti]);
            f1.Add(fa); f2.Add(fb); i1.Add(ia); i2.Add(ib);
        }
        _forwardU1 = f1.ToArray(); _forwardU2 = f2.ToArray(); _inverseU1 = i1.ToArray(); _inverseU2 = i2.ToArray();

        var swaps = new List<int>();
        for (int i = 0, j = 0, m = h >> 1; i < h - 1; i++)
        {
            if (i > j) { swaps.Add(i); swaps.Add(j); }
            int k = m;
            while (j >= k)
            {
                j -= k;
                k >>= 1;
            }
            j += k;
        }
        _swaps = swaps.ToArray();
    }

    public int Size { get; }

    /// <summary>Bins 0..N/2 of <paramref name="input"/> (N samples) into <paramref name="re"/> and <paramref name="im"/> (N/2 + 1 each).</summary>
    public void Direct(ReadOnlySpan<float> input, Span<float> re, Span<float> im)
    {
        int h = _half;
        if (input.Length < 2 * h || re.Length < h + 1 || im.Length < h + 1) throw new ArgumentException("spans too short for the FFT size");
        ref float xr = ref MemoryMarshal.GetArrayDataReference(_re);
        ref float xi = ref MemoryMarshal.GetArrayDataReference(_im);
        ref float src = ref MemoryMarshal.GetReference(input);
        for (int i = 0; i < h; i++)
        {
            Unsafe.Add(ref xr, i) = Unsafe.Add(ref src, 2 * i);
            Unsafe.Add(ref xi, i) = Unsafe.Add(ref src, 2 * i + 1);
        }
        Butterflies(_forwardU1, _forwardU2);
        Permute();

        ref float ar = ref MemoryMarshal.GetArrayDataReference(_ar);
        ref float ai = ref MemoryMarshal.GetArrayDataReference(_ai);
        ref float br = ref MemoryMarshal.GetArrayDataReference(_br);
        ref float bi = ref MemoryMarshal.GetArrayDataReference(_bi);
        ref float outRe = ref MemoryMarshal.GetReference(re);
        ref float outIm = ref MemoryMarshal.GetReference(im);
        outRe = xr * ar - xi * ai + xr * br + xi * bi;
        outIm = xi * ar + xr * ai + xr * bi - xi * br;
        for (int k = 1; k < h; k++)
        {
            float rk = Unsafe.Add(ref xr, k), ik = Unsafe.Add(ref xi, k), rn = Unsafe.Add(ref xr, h - k), inn = Unsafe.Add(ref xi, h - k);
            float a = Unsafe.Add(ref ar, k), b = Unsafe.Add(ref ai, k), c = Unsafe.Add(ref br, k), d = Unsafe.Add(ref bi, k);
            Unsafe.Add(ref outRe, k) = rk * a - ik * b + rn * c + inn * d;
            Unsafe.Add(ref outIm, k) = ik * a + rk * b + rn * d - inn * c;
        }
        Unsafe.Add(ref outRe, h) = xr - xi;
        Unsafe.Add(ref outIm, h) = 0;
    }

    /// <summary>NWaves' (unnormalized, ×2) inverse of bins 0..N/2 into <paramref name="output"/> (N samples).</summary>
    public void Inverse(ReadOnlySpan<float> re, ReadOnlySpan<float> im, Span<float> output)
    {
        int h = _half;
        if (output.Length < 2 * h || re.Length < h + 1 || im.Length < h + 1) throw new ArgumentException("spans too short for the FFT size");
        ref float xr = ref MemoryMarshal.GetArrayDataReference(_re);
        ref float xi = ref MemoryMarshal.GetArrayDataReference(_im);
        ref float ar = ref MemoryMarshal.GetArrayDataReference(_ar);
        ref float ai = ref MemoryMarshal.GetArrayDataReference(_ai);
        ref float br = ref MemoryMarshal.GetArrayDataReference(_br);
        ref float bi = ref MemoryMarshal.GetArrayDataReference(_bi);
        ref float inRe = ref MemoryMarshal.GetReference(re);
        ref float inIm = ref MemoryMarshal.GetReference(im);
        for (int k = 0; k < h; k++)
        {
            float rk = Unsafe.Add(ref inRe, k), ik = Unsafe.Add(ref inIm, k), rn = Unsafe.Add(ref inRe, h - k), inn = Unsafe.Add(ref inIm, h - k);
            float a = Unsafe.Add(ref ar, k), b = Unsafe.Add(ref ai, k), c = Unsafe.Add(ref br, k), d = Unsafe.Add(ref bi, k);
            Unsafe.Add(ref xr, k) = rk * a + ik * b + rn * c - inn * d;
            Unsafe.Add(ref xi, k) = ik * a - rk * b - rn * d - inn * c;
        }
        Butterflies(_inverseU1, _inverseU2);
        Permute();
        ref float dst = ref MemoryMarshal.GetReference(output);
        for (int i = 0; i < h; i++)
        {
            Unsafe.Add(ref dst, 2 * i) = Unsafe.Add(ref xr, i) * 2;
            Unsafe.Add(ref dst, 2 * i + 1) = Unsafe.Add(ref xi, i) * 2;
        }
    }

    private void Butterflies(float[][] u1s, float[][] u2s)
    {
        int h = _half;
        ref float xr = ref MemoryMarshal.GetArrayDataReference(_re);
        ref float xi = ref MemoryMarshal.GetArrayDataReference(_im);
        int width = Vector<float>.Count;
        for (int stage = 0, L = h; L >= 2; stage++, L >>= 1)
        {
            int l = L >> 1;
            ref float w1 = ref MemoryMarshal.GetArrayDataReference(u1s[stage]);
            ref float w2 = ref MemoryMarshal.GetArrayDataReference(u2s[stage]);
            for (int block = 0; block < h; block += L)
            {
                int j = 0;
                if (Vector.IsHardwareAccelerated && l >= width)
                {
                    for (; j <= l - width; j += width)
                    {
                        int i = block + j, p = i + l;
                        var ri = Vector.LoadUnsafe(ref xr, (nuint)i);
                        var rp = Vector.LoadUnsafe(ref xr, (nuint)p);
                        var ii = Vector.LoadUnsafe(ref xi, (nuint)i);
                        var ip = Vector.LoadUnsafe(ref xi, (nuint)p);
                        var u1 = Vector.LoadUnsafe(ref w1, (nuint)j);
                        var u2 = Vector.LoadUnsafe(ref w2, (nuint)j);
                        var t3 = ri - rp;
                        var t4 = ii - ip;
                        (t3 * u1 - t4 * u2).StoreUnsafe(ref xr, (nuint)p);
                        (t4 * u1 + t3 * u2).StoreUnsafe(ref xi, (nuint)p);
                        (ri + rp).StoreUnsafe(ref xr, (nuint)i);
                        (ii + ip).StoreUnsafe(ref xi, (nuint)i);
                    }
                }
                for (; j < l; j++)
                {
                    int i = block + j, p = i + l;
                    float u1 = Unsafe.Add(ref w1, j), u2 = Unsafe.Add(ref w2, j);
                    float ri = Unsafe.Add(ref xr, i), rp = Unsafe.Add(ref xr, p), ii = Unsafe.Add(ref xi, i), ip = Unsafe.Add(ref xi, p);
                    float t1 = ri + rp, t2 = ii + ip, t3 = ri - rp, t4 = ii - ip;
                    Unsafe.Add(ref xr, p) = t3 * u1 - t4 * u2;
                    Unsafe.Add(ref xi, p) = t4 * u1 + t3 * u2;
                    Unsafe.Add(ref xr, i) = t1;
                    Unsafe.Add(ref xi, i) = t2;
                }
            }
        }
    }

    private void Permute()
    {
        ref float xr = ref MemoryMarshal.GetArrayDataReference(_re);
        ref float xi = ref MemoryMarshal.GetArrayDataReference(_im);
        int[] swaps = _swaps;
        for (int s = 0; s < swaps.Length; s += 2)
        {
            int i = swaps[s], j = swaps[s + 1];
            (Unsafe.Add(ref xr, i), Unsafe.Add(ref xr, j)) = (Unsafe.Add(ref xr, j), Unsafe.Add(ref xr, i));
            (Unsafe.Add(ref xi, i), Unsafe.Add(ref xi, j)) = (Unsafe.Add(ref xi, j), Unsafe.Add(ref xi, i));
        }
    }
}
