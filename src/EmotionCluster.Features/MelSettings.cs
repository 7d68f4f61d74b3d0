using System.Text.Json.Serialization;

namespace EmotionCluster.Features;

/// <summary>Analysis window, periodic like torch's <c>*_window(n)</c> defaults (<c>periodic=True</c>).</summary>
public enum WindowType { Hann, Hamming, Blackman, Rectangular }

/// <summary>Hz↔mel conversion: HTK (<c>2595 log10(1 + f/700)</c>) or Slaney (linear below 1 kHz, logarithmic above).</summary>
public enum MelScale { Htk, Slaney }

/// <summary>Filter normalization: none (peak 1) or Slaney area normalization (<c>2 / (f[m+2] - f[m])</c>).</summary>
public enum MelNorm { None, Slaney }

/// <summary>How the signal is extended by <c>NFft / 2</c> samples on each side when <see cref="MelSettings.Center"/> is on.</summary>
public enum PadMode { Reflect, Constant }

/// <summary>
/// Log-mel spectrogram parameters, with the meaning of torchaudio 0.13
/// <c>MelSpectrogram(sample_rate, n_fft, win_length, hop_length, f_min, f_max, n_mels, window_fn, power, center, pad_mode, norm, mel_scale)</c>
/// followed by <c>AmplitudeToDB("power", top_db)</c>.
/// <para>
/// Defaults suit speech emotion recognition at 16 kHz: 25 ms Hann window (400 samples) zero-padded to a 512-point FFT,
/// 10 ms hop (100 frames/s), 64 HTK mel bands over 0–8 kHz, power spectrum, centred frames with reflect padding, and an
/// 80 dB floor below the clip's loudest value. Scale, norm and power are torchaudio's defaults.
/// </para>
/// </summary>
public sealed record MelSettings
{
    public int SampleRate { get; init; } = 16000;
    /// <summary>FFT size; any value ≥ 2 (powers of two are fastest).</summary>
    public int NFft { get; init; } = 512;
    /// <summary>Window length in samples, ≤ <see cref="NFft"/>; the window is zero-padded to <see cref="NFft"/>, centred.</summary>
    public int WinLength { get; init; } = 400;
    public int HopLength { get; init; } = 160;
    public WindowType Window { get; init; } = WindowType.Hann;
    public int NMels { get; init; } = 64;
    public double FMin { get; init; }
    /// <summary>Upper edge of the filterbank in Hz; null means the Nyquist frequency <c>SampleRate / 2</c>.</summary>
    public double? FMax { get; init; }
    public MelScale Scale { get; init; } = MelScale.Htk;
    public MelNorm Norm { get; init; } = MelNorm.None;
    /// <summary>Exponent of the magnitude: 2 for power, 1 for magnitude.</summary>
    public double Power { get; init; } = 2.0;
    /// <summary>Pad <c>NFft / 2</c> samples on each side so frame <c>t</c> is centred at sample <c>t * HopLength</c>.</summary>
    public bool Center { get; init; } = true;
    public PadMode PadMode { get; init; } = PadMode.Reflect;
    /// <summary>Values below (clip maximum − TopDb) dB are raised to it; null disables the floor.</summary>
    public double? TopDb { get; init; } = 80;

    /// <summary><see cref="FMax"/>, or the Nyquist frequency (<c>SampleRate / 2</c>, integer division as torchaudio) when unset.</summary>
    [JsonIgnore]
    public double EffectiveFMax => FMax ?? SampleRate / 2;

    /// <summary>Number of FFT bins kept (one-sided): <c>NFft / 2 + 1</c>.</summary>
    [JsonIgnore]
    public int FrequencyBins => NFft / 2 + 1;

    /// <summary>
    /// Frames produced for a clip of <paramref name="samples"/> samples, as torch.stft: <c>1 + (L − NFft) / HopLength</c>
    /// where L is the length after padding, <c>samples + 2 (NFft / 2)</c> when centred (so <c>1 + samples / HopLength</c>
    /// for even NFft), else <c>samples</c>. Not centred, a clip shorter than NFft is zero-padded to one frame.
    /// </summary>
    public int FrameCount(int samples)
    {
        if (samples < 1) throw new ArgumentOutOfRangeException(nameof(samples), samples, "a clip needs at least one sample");
        long padded = Center ? samples + 2L * (NFft / 2) : Math.Max(samples, NFft);
        return (int)(1 + (padded - NFft) / HopLength);
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting and the allowed range.</summary>
    public void Validate()
    {
        Check(SampleRate >= 1000 && SampleRate <= 768_000, nameof(SampleRate), SampleRate, "in 1000..768000 Hz");
        Check(NFft is >= 2 and <= 65536, nameof(NFft), NFft, "in 2..65536 (a power of two is fastest)");
        Check(WinLength >= 1 && WinLength <= NFft, nameof(WinLength), WinLength, $"in 1..NFft ({NFft})");
        Check(HopLength >= 1, nameof(HopLength), HopLength, "at least 1");
        Check(Enum.IsDefined(Window), nameof(Window), Window, "Hann, Hamming, Blackman or Rectangular");
        Check(NMels is >= 1 and <= 1024, nameof(NMels), NMels, "in 1..1024");
        Check(Enum.IsDefined(Scale), nameof(Scale), Scale, "Htk or Slaney");
        Check(Enum.IsDefined(Norm), nameof(Norm), Norm, "None or Slaney");
        Check(Enum.IsDefined(PadMode), nameof(PadMode), PadMode, "Reflect or Constant");
        double nyquist = SampleRate / 2;
        Check(double.IsFinite(FMin) && FMin >= 0, nameof(FMin), FMin, "a finite frequency ≥ 0 Hz");
        if (FMax is { } fMax)
            Check(double.IsFinite(fMax) && fMax > 0 && fMax <= nyquist, nameof(FMax), fMax,
                $"in (0, {nyquist}] Hz (SampleRate / 2), or null for SampleRate / 2");
        Check(FMin < EffectiveFMax, nameof(FMin), FMin, $"below FMax ({EffectiveFMax} Hz)");
        Check(double.IsFinite(Power) && Power > 0, nameof(Power), Power, "a finite number > 0 (2 = power, 1 = magnitude)");
        if (TopDb is { } topDb)
            Check(double.IsFinite(topDb) && topDb >= 0, nameof(TopDb), topDb, "a finite number ≥ 0 dB, or null for no floor");
    }

    private static void Check(bool ok, string setting, object value, string expected)
    {
        if (!ok)
            throw new ArgumentException($"{nameof(MelSettings)}.{setting} = {value} is invalid; it must be {expected}.", setting);
    }
}
