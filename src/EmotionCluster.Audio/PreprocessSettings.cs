namespace EmotionCluster.Audio;

/// <summary>How a constant offset is removed.</summary>
public enum DcRemoval
{
    None,
    /// <summary>Subtract the clip's mean. Removes a constant offset exactly, no phase change.</summary>
    SubtractMean,
    /// <summary>One-pole DC blocker y[n] = x[n] - x[n-1] + R y[n-1], R = exp(-2π fc / fs); also removes slow drift and rumble.</summary>
    HighPass,
}

/// <summary>Level normalization applied as the last step.</summary>
public enum Normalization { None, Peak, Rms }

/// <summary>
/// Settings of <see cref="Preprocessor"/>; the steps run in this order: DC removal, noise reduction, silence
/// trimming, normalization. Each can be switched off; <see cref="Off"/> switches all off (identity).
/// Defaults suit speech emotion recognition at 16 kHz; docs/audio-preprocessing.md explains each parameter.
/// </summary>
public sealed record PreprocessSettings
{
    public DcRemoval DcRemoval { get; init; } = DcRemoval.SubtractMean;
    /// <summary>Corner frequency of <see cref="DcRemoval.HighPass"/>.</summary>
    public double HighPassCutoffHz { get; init; } = 20;

    /// <summary>Spectral gating (see <see cref="SpectralGate"/>).</summary>
    public bool ReduceNoise { get; init; } = true;
    /// <summary>STFT size (power of two, samples).</summary>
    public int NoiseFftSize { get; init; } = 512;
    /// <summary>STFT hop (samples, at most half the FFT size).</summary>
    public int NoiseHop { get; init; } = 128;
    /// <summary>Fraction of the quietest STFT frames (by energy) that form the noise profile.</summary>
    public double NoiseFrameFraction { get; init; } = 0.1;
    /// <summary>k: a bin is signal when its level exceeds the noise mean + k standard deviations (dB).</summary>
    public double NoiseStdThreshold { get; init; } = 1.5;
    /// <summary>How much of the gated energy is removed: 1 removes it all, 0 leaves the clip unchanged.</summary>
    public double NoisePropDecrease { get; init; } = 0.8;
    /// <summary>
    /// Half-width of the triangular mask smoothing across frequency. Off by default: smoothing across frequency
    /// pulls the mask of narrow components (voice harmonics, tones) down and cost SNR on EMO-DB with added noise.
    /// </summary>
    public double NoiseSmoothingHz { get; init; } = 0;
    /// <summary>Half-width of the triangular mask smoothing across time (suppresses isolated "musical noise" bins).</summary>
    public double NoiseSmoothingMs { get; init; } = 30;

    /// <summary>Cut leading and trailing silence.</summary>
    public bool TrimSilence { get; init; } = true;
    /// <summary>A frame is sound when its RMS is within this many dB of the loudest frame's (negative).</summary>
    public double TrimThresholdDb { get; init; } = -40;
    public double TrimFrameMs { get; init; } = 20;
    /// <summary>Kept before the first and after the last sounding frame.</summary>
    public double TrimMarginMs { get; init; } = 50;

    public Normalization Normalization { get; init; } = Normalization.Peak;
    /// <summary>Peak amplitude after <see cref="Normalization.Peak"/>.</summary>
    public double PeakTarget { get; init; } = 0.95;
    /// <summary>RMS level after <see cref="Normalization.Rms"/> (dB re full scale), unless that would clip.</summary>
    public double RmsTargetDbfs { get; init; } = -20;
    /// <summary>Normalization never amplifies by more than this (so near-silence is not blown up into noise).</summary>
    public double MaxGainDb { get; init; } = 40;

    /// <summary>Every step off: <see cref="Preprocessor.Apply"/> returns the clip unchanged.</summary>
    public static PreprocessSettings Off { get; } = new()
    {
        DcRemoval = DcRemoval.None,
        ReduceNoise = false,
        TrimSilence = false,
        Normalization = Normalization.None,
    };

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        Check(nameof(DcRemoval), DcRemoval, Enum.IsDefined(DcRemoval), "None, SubtractMean or HighPass");
        Check(nameof(HighPassCutoffHz), HighPassCutoffHz, HighPassCutoffHz is > 0 and <= 500, "in (0, 500] Hz");
        Check(nameof(NoiseFftSize), NoiseFftSize, NoiseFftSize is >= 64 and <= 16384 && (NoiseFftSize & (NoiseFftSize - 1)) == 0,
            "a power of two in 64..16384");
        Check(nameof(NoiseHop), NoiseHop, NoiseHop >= 1 && NoiseHop <= NoiseFftSize / 2, $"in 1..{NoiseFftSize / 2} (half of NoiseFftSize)");
        Check(nameof(NoiseFrameFraction), NoiseFrameFraction, NoiseFrameFraction is > 0 and <= 1, "in (0, 1]");
        Check(nameof(NoiseStdThreshold), NoiseStdThreshold, NoiseStdThreshold is >= 0 and <= 10, "in [0, 10]");
        Check(nameof(NoisePropDecrease), NoisePropDecrease, NoisePropDecrease is >= 0 and <= 1, "in [0, 1]");
        Check(nameof(NoiseSmoothingHz), NoiseSmoothingHz, NoiseSmoothingHz is >= 0 and <= 4000, "in [0, 4000] Hz");
        Check(nameof(NoiseSmoothingMs), NoiseSmoothingMs, NoiseSmoothingMs is >= 0 and <= 1000, "in [0, 1000] ms");
        Check(nameof(TrimThresholdDb), TrimThresholdDb, TrimThresholdDb is < 0 and >= -120, "in [-120, 0) dB");
        Check(nameof(TrimFrameMs), TrimFrameMs, TrimFrameMs is >= 1 and <= 1000, "in [1, 1000] ms");
        Check(nameof(TrimMarginMs), TrimMarginMs, TrimMarginMs is >= 0 and <= 5000, "in [0, 5000] ms");
        Check(nameof(Normalization), Normalization, Enum.IsDefined(Normalization), "None, Peak or Rms");
        Check(nameof(PeakTarget), PeakTarget, PeakTarget is > 0 and <= 1, "in (0, 1]");
        Check(nameof(RmsTargetDbfs), RmsTargetDbfs, RmsTargetDbfs is >= -80 and < 0, "in [-80, 0) dBFS");
        Check(nameof(MaxGainDb), MaxGainDb, MaxGainDb is >= 0 and <= 120, "in [0, 120] dB");
    }

    private static void Check(string setting, object value, bool ok, string expected)
    {
        if (!ok)
            throw new ArgumentOutOfRangeException($"{nameof(PreprocessSettings)}.{setting}", value,
                $"{nameof(PreprocessSettings)}.{setting} = {value} is invalid; it must be {expected}.");
    }
}
