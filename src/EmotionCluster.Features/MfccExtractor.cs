namespace EmotionCluster.Features;

/// <summary>
/// MFCC <c>[NMfcc x Frames]</c> as torchaudio 0.13 <c>MFCC(n_mfcc, dct_type=2, norm="ortho", log_mels=False)</c>:
/// the dB log-mel spectrogram of <see cref="LogMelExtractor"/> times the orthonormal DCT-II matrix
/// <c>c[k] = s_k Σ_m mel_dB[m] cos(π k (m + ½) / NMels)</c>, <c>s_0 = √(1/NMels)</c>, <c>s_k = √(2/NMels)</c>.
/// torchaudio's MFCC always floors the dB spectrogram at 80 dB below its maximum; here the floor is
/// <see cref="MelSettings.TopDb"/>, so use TopDb = 80 (the default) to match it. Thread-safe like the mel extractor.
/// </summary>
public sealed class MfccExtractor
{
    private readonly LogMelExtractor _mel;
    private readonly float[] _dct; // [NMfcc x NMels], row-major

    public MfccExtractor(int nMfcc = 40, MelSettings? settings = null)
    {
        _mel = new LogMelExtractor(settings);
        int nMels = _mel.Settings.NMels;
        if (nMfcc < 1 || nMfcc > nMels)
            throw new ArgumentOutOfRangeException(nameof(nMfcc), nMfcc,
                $"the number of MFCCs must be in 1..NMels ({nMels}); raise MelSettings.NMels or ask for fewer coefficients");
        NMfcc = nMfcc;
        _dct = DctMatrix(nMfcc, nMels);
    }

    public int NMfcc { get; }
    public MelSettings Settings => _mel.Settings;

    /// <exception cref="ArgumentException">no samples, or a sample that is NaN or infinite.</exception>
    public Spectrogram Compute(ReadOnlySpan<float> samples)
    {
        Spectrogram logMel = _mel.Compute(samples);
        int nMels = logMel.Bins, frames = logMel.Frames;
        var output = new float[NMfcc * frames];
        var column = new float[nMels];
        for (int t = 0; t < frames; t++)
        {
            for (int m = 0; m < nMels; m++) column[m] = logMel.Data[m * frames + t];
            for (int k = 0; k < NMfcc; k++)
            {
                ReadOnlySpan<float> row = _dct.AsSpan(k * nMels, nMels);
                float sum = 0;
                for (int m = 0; m < nMels; m++) sum += row[m] * column[m];
                output[k * frames + t] = sum;
            }
        }
        return new Spectrogram(output, NMfcc, frames);
    }

    /// <summary>Orthonormal DCT-II, <c>[nMfcc x nMels]</c> row-major (torchaudio's <c>create_dct(n_mfcc, n_mels, "ortho")</c>, transposed).</summary>
    public static float[] DctMatrix(int nMfcc, int nMels)
    {
        var dct = new float[nMfcc * nMels];
        for (int k = 0; k < nMfcc; k++)
        {
            double scale = k == 0 ? Math.Sqrt(1.0 / nMels) : Math.Sqrt(2.0 / nMels);
            for (int m = 0; m < nMels; m++)
                dct[k * nMels + m] = (float)(scale * Math.Cos(Math.PI / nMels * (m + 0.5) * k));
        }
        return dct;
    }
}
