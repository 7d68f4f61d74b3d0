using System.Buffers;
using System.Numerics;

namespace EmotionCluster.Features;

/// <summary>
/// Log-mel spectrogram in dB, <c>[NMels x Frames]</c>, equal (within float rounding) to torchaudio 0.13
/// <c>MelSpectrogram(...)</c> followed by <c>AmplitudeToDB("power", top_db)</c> on a mono clip:
/// <list type="number">
/// <item>Padding: when <see cref="MelSettings.Center"/>, <c>NFft / 2</c> samples each side, reflected or zeros
/// (<see cref="MelSettings.PadMode"/>). torch refuses reflect padding that is not shorter than the clip; here a clip of at
/// most <c>NFft / 2</c> samples is zero-padded instead. Not centred, a clip shorter than NFft is zero-padded at the end
/// to one frame (torch refuses it).</item>
/// <item>Frame t covers padded samples <c>[t·hop, t·hop + NFft)</c>, multiplied by the periodic window zero-padded
/// to NFft and centred; one-sided FFT (<see cref="RealFft"/>), <c>|X|^Power</c>.</item>
/// <item>Mel: <see cref="MelFilterbank"/> (sparse).</item>
/// <item>dB: <c>10 log10(max(mel, 1e-10))</c>, then raised to at least (maximum over the whole spectrogram − TopDb).</item>
/// </list>
/// Float arithmetic throughout. Immutable after construction; <see cref="Compute"/> allocates only its output and rents
/// scratch buffers, so one instance may serve many threads.
/// </summary>
public sealed class LogMelExtractor
{
    /// <summary>Power floor before the logarithm (torchaudio's <c>amin</c>): −100 dB.</summary>
    public const float Amin = 1e-10f;

    private readonly RealFft _fft;
    private readonly float[] _window;
    private readonly int _windowStart, _windowEnd; // nonzero part of the padded window
    private readonly MelFilterbank _filterbank;

    public LogMelExtractor(MelSettings? settings = null)
    {
        Settings = settings ?? new MelSettings();
        Settings.Validate();
        _fft = new RealFft(Settings.NFft);
        _window = Windows.Padded(Settings.Window, Settings.WinLength, Settings.NFft);
        _windowStart = (Settings.NFft - Settings.WinLength) / 2;
        _windowEnd = _windowStart + Settings.WinLength;
        _filterbank = MelFilterbank.Create(Settings);
    }

    public MelSettings Settings { get; }

    public MelFilterbank Filterbank => _filterbank;

    /// <summary>Log-mel spectrogram (dB) of mono <paramref name="samples"/> at <see cref="MelSettings.SampleRate"/>.</summary>
    /// <exception cref="ArgumentException">no samples, or a sample that is NaN or infinite.</exception>
    public Spectrogram Compute(ReadOnlySpan<float> samples)
    {
        float[] mel = MelPower(samples, out int frames);
        ToDecibels(mel, Settings.TopDb);
        return new Spectrogram(mel, Settings.NMels, frames);
    }

    /// <summary>The mel spectrogram before the dB conversion (<c>|X|^Power</c> through the filterbank), <c>[NMels x Frames]</c>.</summary>
    public Spectrogram ComputePower(ReadOnlySpan<float> samples)
    {
        float[] mel = MelPower(samples, out int frames);
        return new Spectrogram(mel, Settings.NMels, frames);
    }

    private float[] MelPower(ReadOnlySpan<float> samples, out int frames)
    {
        if (samples.IsEmpty)
            throw new ArgumentException("the clip has no samples; a log-mel spectrogram needs at least one (skip empty clips before extraction)", nameof(samples));
        MelSettings s = Settings;
        int nFft = s.NFft, bins = s.FrequencyBins, hop = s.HopLength, nMels = s.NMels;
        frames = s.FrameCount(samples.Length);
        var output = new float[nMels * frames];

        int pad = s.Center ? nFft / 2 : 0;
        int paddedLength = s.Center ? samples.Length + 2 * pad : Math.Max(samples.Length, nFft);
        float[] padded = ArrayPool<float>.Shared.Rent(paddedLength);
        float[] scratch = ArrayPool<float>.Shared.Rent(nFft + 3 * bins + nMels);
        try
        {
            Pad(samples, padded.AsSpan(0, paddedLength), pad, s.PadMode);
            Span<float> frame = scratch.AsSpan(0, nFft);
            Span<float> re = scratch.AsSpan(nFft, bins);
            Span<float> im = scratch.AsSpan(nFft + bins, bins);
            Span<float> power = scratch.AsSpan(nFft + 2 * bins, bins);
            Span<float> melFrame = scratch.AsSpan(nFft + 3 * bins, nMels);
            frame.Clear(); // outside the window's nonzero part the frame stays zero
            ReadOnlySpan<float> window = _window.AsSpan(_windowStart, _windowEnd - _windowStart);
            Span<float> windowed = frame[_windowStart.._windowEnd];
            for (int t = 0; t < frames; t++)
            {
                Multiply(padded.AsSpan(t * hop + _windowStart, window.Length), window, windowed);
                _fft.Forward(frame, re, im);
                Magnitude(re, im, power, s.Power);
                _filterbank.Apply(power, melFrame);
                for (int m = 0; m < nMels; m++) output[m * frames + t] = melFrame[m];
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(padded);
            ArrayPool<float>.Shared.Return(scratch);
        }
        return output;
    }

    /// <summary>The clip with <paramref name="pad"/> samples added on each side (then zeros up to the span's end).</summary>
    private static void Pad(ReadOnlySpan<float> x, Span<float> padded, int pad, PadMode mode)
    {
        if (!AllFinite(x))
            throw new ArgumentException("the clip contains NaN or infinite samples; fix or drop it before extraction", nameof(x));
        padded.Clear();
        x.CopyTo(padded[pad..]);
        // torch's reflect padding needs pad < length; shorter clips fall back to zeros (documented on the class)
        if (mode == PadMode.Reflect && pad > 0 && pad < x.Length)
            for (int i = 1; i <= pad; i++)
            {
                padded[pad - i] = x[i];
                padded[pad + x.Length - 1 + i] = x[x.Length - 1 - i];
            }
    }

    /// <summary>NaN × 0 and ±∞ × 0 are NaN, so the sum of x·0 is NaN exactly when some sample is not finite.</summary>
    private static bool AllFinite(ReadOnlySpan<float> x)
    {
        var acc = Vector<float>.Zero;
        int i = 0;
        for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count) acc += new Vector<float>(x[i..]) * Vector<float>.Zero;
        float tail = Vector.Sum(acc);
        for (; i < x.Length; i++) tail += x[i] * 0f;
        return !float.IsNaN(tail);
    }

    private static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> product)
    {
        int i = 0;
        for (; i <= a.Length - Vector<float>.Count; i += Vector<float>.Count)
            (new Vector<float>(a[i..]) * new Vector<float>(b[i..])).CopyTo(product[i..]);
        for (; i < a.Length; i++) product[i] = a[i] * b[i];
    }

    private static void Magnitude(ReadOnlySpan<float> re, ReadOnlySpan<float> im, Span<float> power, double exponent)
    {
        int k = 0;
        for (; k <= power.Length - Vector<float>.Count; k += Vector<float>.Count)
        {
            Vector<float> r = new(re[k..]), i = new(im[k..]);
            (r * r + i * i).CopyTo(power[k..]);
        }
        for (; k < power.Length; k++) power[k] = re[k] * re[k] + im[k] * im[k];
        if (exponent == 2.0) return;
        if (exponent == 1.0)
            for (k = 0; k < power.Length; k++) power[k] = MathF.Sqrt(power[k]);
        else
            for (k = 0; k < power.Length; k++) power[k] = MathF.Pow(MathF.Sqrt(power[k]), (float)exponent);
    }

    /// <summary><c>10 log10(max(x, 1e-10))</c> in place, then floored at (maximum − <paramref name="topDb"/>) when given.</summary>
    public static void ToDecibels(Span<float> values, double? topDb)
    {
        const float dbPerLog2 = 3.0102999566398120f; // 10 log10(2): 10 log10(x) = 10 log10(2) · log2(x)
        var amin = new Vector<float>(Amin);
        var maxVector = new Vector<float>(float.NegativeInfinity);
        int i = 0;
        for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            Vector<float> db = Vector.Log2(Vector.Max(new Vector<float>(values[i..]), amin)) * dbPerLog2;
            db.CopyTo(values[i..]);
            maxVector = Vector.Max(maxVector, db);
        }
        float max = float.NegativeInfinity;
        for (int j = 0; j < Vector<float>.Count; j++) max = MathF.Max(max, maxVector[j]);
        for (; i < values.Length; i++)
        {
            values[i] = MathF.Log2(MathF.Max(values[i], Amin)) * dbPerLog2;
            max = MathF.Max(max, values[i]);
        }
        if (topDb is not { } top) return;
        var floor = new Vector<float>(max - (float)top);
        for (i = 0; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
            Vector.Max(new Vector<float>(values[i..]), floor).CopyTo(values[i..]);
        for (; i < values.Length; i++) values[i] = MathF.Max(values[i], floor[0]);
    }
}
