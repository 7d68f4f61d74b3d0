namespace EmotionCluster.Features;

/// <summary>
/// Triangular mel filters over one-sided FFT bins, defined as torchaudio 0.13 <c>melscale_fbanks</c>:
/// bin frequencies <c>linspace(0, sampleRate / 2, bins)</c> (integer Nyquist), <c>nMels + 2</c> points equally spaced
/// in mel between fMin and fMax, filter m rising from point m to m+1 and falling to m+2, optionally divided by
/// (f[m+2] − f[m]) / 2 (Slaney area norm). Stored sparsely: each band keeps only its nonzero bin range.
/// Computed in double, stored as float. Immutable.
/// </summary>
public sealed class MelFilterbank
{
    private readonly int[] _start, _offset, _length;
    private readonly float[] _weights;

    public MelFilterbank(int frequencyBins, int nMels, double fMin, double fMax, int sampleRate, MelScale scale, MelNorm norm)
    {
        if (frequencyBins < 2) throw new ArgumentOutOfRangeException(nameof(frequencyBins), frequencyBins, "at least 2 frequency bins are needed");
        if (nMels < 1) throw new ArgumentOutOfRangeException(nameof(nMels), nMels, "at least 1 mel band is needed");
        if (!(fMin >= 0 && fMin < fMax)) throw new ArgumentException($"mel filterbank needs 0 <= fMin < fMax; got fMin = {fMin}, fMax = {fMax}");
        FrequencyBins = frequencyBins;
        Bands = nMels;

        double nyquist = sampleRate / 2;
        double melMin = HzToMel(fMin, scale), melMax = HzToMel(fMax, scale);
        var points = new double[nMels + 2];
        for (int i = 0; i < points.Length; i++)
            points[i] = MelToHz(melMin + (melMax - melMin) * i / (nMels + 1), scale);

        _start = new int[nMels];
        _offset = new int[nMels];
        _length = new int[nMels];
        var weights = new List<float>();
        var band = new double[frequencyBins];
        for (int m = 0; m < nMels; m++)
        {
            double lower = points[m], center = points[m + 1], upper = points[m + 2];
            double scaleFactor = norm == MelNorm.Slaney ? 2.0 / (upper - lower) : 1.0;
            int first = -1, last = -1;
            for (int k = 0; k < frequencyBins; k++)
            {
                double f = nyquist * k / (frequencyBins - 1);
                double w = Math.Max(0, Math.Min((f - lower) / (center - lower), (upper - f) / (upper - center)));
                band[k] = w * scaleFactor;
                if (band[k] > 0)
                {
                    if (first < 0) first = k;
                    last = k;
                }
            }
            _start[m] = Math.Max(first, 0);
            _offset[m] = weights.Count;
            _length[m] = first < 0 ? 0 : last - first + 1;
            for (int k = 0; k < _length[m]; k++) weights.Add((float)band[first + k]);
        }
        _weights = weights.ToArray();
    }

    public static MelFilterbank Create(MelSettings settings)
    {
        settings.Validate();
        return new MelFilterbank(settings.FrequencyBins, settings.NMels, settings.FMin, settings.EffectiveFMax,
            settings.SampleRate, settings.Scale, settings.Norm);
    }

    public int FrequencyBins { get; }
    public int Bands { get; }

    /// <summary>Bands whose filter covers no FFT bin (all zero; too many mels for the FFT size). torchaudio warns about these.</summary>
    public int EmptyBands => _length.Count(l => l == 0);

    /// <summary>First bin of band <paramref name="band"/> with a nonzero weight.</summary>
    public int BandStart(int band) => _start[band];

    /// <summary>Nonzero weights of band <paramref name="band"/>, starting at <see cref="BandStart"/>.</summary>
    public ReadOnlySpan<float> BandWeights(int band) => _weights.AsSpan(_offset[band], _length[band]);

    /// <summary>Dense matrix <c>[FrequencyBins x Bands]</c>, row-major, the layout of torchaudio's <c>melscale_fbanks</c>.</summary>
    public float[] ToDense()
    {
        var dense = new float[FrequencyBins * Bands];
        for (int m = 0; m < Bands; m++)
        {
            ReadOnlySpan<float> w = BandWeights(m);
            for (int k = 0; k < w.Length; k++) dense[(_start[m] + k) * Bands + m] = w[k];
        }
        return dense;
    }

    /// <summary><c>mel[m] = Σ_k weight[m, k] · spectrum[k]</c> over each band's nonzero range.</summary>
    public void Apply(ReadOnlySpan<float> spectrum, Span<float> mel)
    {
        for (int m = 0; m < Bands; m++)
        {
            ReadOnlySpan<float> w = _weights.AsSpan(_offset[m], _length[m]);
            ReadOnlySpan<float> s = spectrum.Slice(_start[m], w.Length);
            float sum = 0;
            for (int k = 0; k < w.Length; k++) sum += w[k] * s[k];
            mel[m] = sum;
        }
    }

    public static double HzToMel(double hz, MelScale scale)
    {
        if (scale == MelScale.Htk) return 2595.0 * Math.Log10(1.0 + hz / 700.0);
        const double fSp = 200.0 / 3, minLogHz = 1000.0, minLogMel = minLogHz / fSp;
        double logStep = Math.Log(6.4) / 27.0;
        return hz >= minLogHz ? minLogMel + Math.Log(hz / minLogHz) / logStep : hz / fSp;
    }

    public static double MelToHz(double mel, MelScale scale)
    {
        if (scale == MelScale.Htk) return 700.0 * (Math.Pow(10.0, mel / 2595.0) - 1.0);
        const double fSp = 200.0 / 3, minLogHz = 1000.0, minLogMel = minLogHz / fSp;
        double logStep = Math.Log(6.4) / 27.0;
        return mel >= minLogMel ? minLogHz * Math.Exp(logStep * (mel - minLogMel)) : fSp * mel;
    }
}
