using System.Globalization;
using System.Numerics;

namespace EmotionCluster.Audio;

/// <summary>What a <see cref="PerturbationCondition"/> does to a recording.</summary>
public enum PerturbationKind
{
    /// <summary>Nothing: the recording as it is.</summary>
    Clean,
    /// <summary>Additive white Gaussian noise at <see cref="PerturbationCondition.Amount"/> dB SNR.</summary>
    WhiteNoise,
    /// <summary>Additive pink (1/f power) noise at <see cref="PerturbationCondition.Amount"/> dB SNR.</summary>
    PinkNoise,
    /// <summary>Additive babble (several other talkers, <see cref="BabbleBank"/>) at <see cref="PerturbationCondition.Amount"/> dB SNR.</summary>
    BabbleNoise,
    /// <summary>A telephone line: 8 kHz, 300–3400 Hz band, G.711 μ-law, back to the original rate.</summary>
    Telephone,
    /// <summary>The level changed by <see cref="PerturbationCondition.Amount"/> dB (negative: quieter).</summary>
    Gain,
    /// <summary>Driven <see cref="PerturbationCondition.Amount"/> dB past full scale (peak × 10^(dB/20)), hard-clipped at ±1.</summary>
    Clipping,
    /// <summary>A synthetic room: convolved with an impulse response of reverberation time (RT60) <see cref="PerturbationCondition.Amount"/> seconds.</summary>
    Reverb,
    /// <summary>An MP3 round trip at <see cref="PerturbationCondition.Amount"/> kbit/s through <c>sox</c> (<see cref="CodecRoundTrip"/>).</summary>
    Codec,
    /// <summary>
    /// Another microphone's response: a high shelf of <see cref="PerturbationCondition.Amount"/> dB above
    /// <see cref="Perturbations.MicrophoneShelfHz"/> (positive: a brighter microphone, negative: a darker one).
    /// </summary>
    Microphone,
}

/// <summary>
/// One recording condition: a <see cref="Kind"/> and its amount (dB SNR for noise, dB for gain, dB past full scale for
/// clipping, RT60 seconds for reverb, kbit/s for the codec, the shelf's dB for a microphone; unused for clean and
/// telephone). <see cref="Id"/> is its short name (<c>white-20db</c>, <c>telephone</c>, ...), <see cref="Parse"/> reads
/// it back.
/// </summary>
public sealed record PerturbationCondition(PerturbationKind Kind, double Amount = 0)
{
    public static PerturbationCondition Clean { get; } = new(PerturbationKind.Clean);

    /// <summary>
    /// The conditions the robustness protocol measures (docs/accuracy.md): clean, white, pink and babble noise at 20 and
    /// 10 dB SNR, telephone band, −20 dB gain, clipping (+6 dB past full scale), a room reverb (RT60 0.5 s), an MP3
    /// round trip at 32 kbit/s, and a brighter and a darker microphone (±6 dB above 1 kHz).
    /// </summary>
    public static IReadOnlyList<PerturbationCondition> Standard { get; } =
    [
        Clean,
        new(PerturbationKind.WhiteNoise, 20), new(PerturbationKind.WhiteNoise, 10),
        new(PerturbationKind.PinkNoise, 20), new(PerturbationKind.PinkNoise, 10),
        new(PerturbationKind.BabbleNoise, 20), new(PerturbationKind.BabbleNoise, 10),
        new(PerturbationKind.Telephone),
        new(PerturbationKind.Gain, -20),
        new(PerturbationKind.Clipping, 6),
        new(PerturbationKind.Reverb, 0.5),
        new(PerturbationKind.Codec, 32),
        new(PerturbationKind.Microphone, 6), new(PerturbationKind.Microphone, -6),
    ];

    private static string N(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>Short name: <c>clean</c>, <c>white-20db</c>, <c>pink-10db</c>, <c>babble-20db</c>, <c>telephone</c>, <c>gain-20db</c>, <c>clipping-6db</c>, <c>reverb-0.5s</c>, <c>mp3-32k</c>, <c>mic+6db</c>.</summary>
    public string Id => Kind switch
    {
        PerturbationKind.Clean => "clean",
        PerturbationKind.WhiteNoise => $"white-{N(Amount)}db",
        PerturbationKind.PinkNoise => $"pink-{N(Amount)}db",
        PerturbationKind.BabbleNoise => $"babble-{N(Amount)}db",
        PerturbationKind.Telephone => "telephone",
        PerturbationKind.Gain => $"gain{(Amount >= 0 ? "+" : "")}{N(Amount)}db",
        PerturbationKind.Clipping => $"clipping-{N(Amount)}db",
        PerturbationKind.Reverb => $"reverb-{N(Amount)}s",
        PerturbationKind.Codec => $"mp3-{N(Amount)}k",
        PerturbationKind.Microphone => $"mic{(Amount >= 0 ? "+" : "")}{N(Amount)}db",
        _ => Kind.ToString(),
    };

    /// <summary>What it is, in words (the report's table).</summary>
    public string Describe() => Kind switch
    {
        PerturbationKind.Clean => "clean (the recording as it is)",
        PerturbationKind.WhiteNoise => $"white noise, {N(Amount)} dB SNR",
        PerturbationKind.PinkNoise => $"pink noise, {N(Amount)} dB SNR",
        PerturbationKind.BabbleNoise => $"babble of {BabbleBank.DefaultTalkers} other speakers, {N(Amount)} dB SNR",
        PerturbationKind.Telephone => "telephone: 8 kHz, 300–3400 Hz, G.711 μ-law",
        PerturbationKind.Gain => $"gain {(Amount >= 0 ? "+" : "−")}{N(Math.Abs(Amount))} dB",
        PerturbationKind.Clipping => $"clipping: driven {N(Amount)} dB past full scale",
        PerturbationKind.Reverb => $"room reverb, RT60 {N(Amount)} s",
        PerturbationKind.Codec => $"MP3 round trip, {N(Amount)} kbit/s (sox)",
        PerturbationKind.Microphone => $"another microphone: {(Amount >= 0 ? "+" : "−")}{N(Math.Abs(Amount))} dB above {N(Perturbations.MicrophoneShelfHz / 1000)} kHz (high shelf)",
        _ => Id,
    };

    public override string ToString() => Id;

    /// <summary>Reads an <see cref="Id"/> back.</summary>
    /// <exception cref="ArgumentException">not a condition; the message lists the forms.</exception>
    public static PerturbationCondition Parse(string id)
    {
        string s = (id ?? "").Trim().ToLowerInvariant();
        static double? Number(string text) =>
            double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) ? v : null;
        PerturbationCondition? c = s switch
        {
            "clean" => Clean,
            "telephone" => new(PerturbationKind.Telephone),
            _ when s.StartsWith("white-") && s.EndsWith("db") && Number(s[6..^2]) is { } v => new(PerturbationKind.WhiteNoise, v),
            _ when s.StartsWith("pink-") && s.EndsWith("db") && Number(s[5..^2]) is { } v => new(PerturbationKind.PinkNoise, v),
            _ when s.StartsWith("babble-") && s.EndsWith("db") && Number(s[7..^2]) is { } v => new(PerturbationKind.BabbleNoise, v),
            _ when s.StartsWith("gain") && s.EndsWith("db") && Number(s[4..^2]) is { } v => new(PerturbationKind.Gain, v),
            _ when s.StartsWith("clipping-") && s.EndsWith("db") && Number(s[9..^2]) is { } v and > 0 => new(PerturbationKind.Clipping, v),
            _ when s.StartsWith("reverb-") && s.EndsWith('s') && Number(s[7..^1]) is { } v and > 0 and <= 5 => new(PerturbationKind.Reverb, v),
            _ when s.StartsWith("mp3-") && s.EndsWith('k') && Number(s[4..^1]) is { } v and >= 8 and <= 320 => new(PerturbationKind.Codec, v),
            _ when s.StartsWith("mic") && s.EndsWith("db") && Number(s[3..^2]) is { } v and >= -24 and <= 24 => new(PerturbationKind.Microphone, v),
            _ => null,
        };
        return c ?? throw new ArgumentException(
            $"recording condition '{id}' is not understood; use clean, white-20db, pink-10db, babble-20db, telephone, gain-20db, " +
            "clipping-6db, reverb-0.5s (RT60 up to 5 s), mp3-32k (8..320 kbit/s) or mic+6db / mic-6db (a high shelf above 1 kHz, up to ±24 dB)");
    }
}

/// <summary>
/// Other talkers' speech to make babble from (<see cref="PerturbationKind.BabbleNoise"/>): clips of speakers other
/// than the one being perturbed (the robustness protocol uses a fold's training speakers, never the held-out one).
/// </summary>
public sealed class BabbleBank
{
    /// <summary>Talkers summed into babble: six, the usual "cafeteria" babble (fewer are intelligible, more approach steady noise).</summary>
    public const int DefaultTalkers = 6;

    private readonly IReadOnlyList<AudioClip> _clips;

    /// <param name="clips">Mono speech clips (any rates); at least <paramref name="talkers"/> of them.</param>
    public BabbleBank(IReadOnlyList<AudioClip> clips, int talkers = DefaultTalkers)
    {
        ArgumentNullException.ThrowIfNull(clips);
        if (talkers < 1) throw new ArgumentOutOfRangeException(nameof(talkers), talkers, "babble needs at least one talker");
        var usable = clips.Where(c => c.Samples.Length > 0 && Perturbations.Power(c.Samples) > 0).ToList();
        if (usable.Count < talkers)
            throw new ArgumentException($"babble of {talkers} talkers needs at least {talkers} non-silent clips of other speakers; {usable.Count} were given");
        _clips = usable;
        Talkers = talkers;
    }

    public int Talkers { get; }

    /// <summary>
    /// <paramref name="length"/> samples of babble at <paramref name="sampleRate"/>: <see cref="Talkers"/> streams, each
    /// random clips one after another (each at unit power, starting at a random point), summed.
    /// </summary>
    public float[] Make(int length, int sampleRate, Random random)
    {
        var babble = new float[length];
        for (int t = 0; t < Talkers; t++)
        {
            int at = 0;
            bool first = true;
            while (at < length)
            {
                AudioClip clip = _clips[random.Next(_clips.Count)];
                float[] x = Resampler.Resample(clip.Samples, clip.SampleRate, sampleRate);
                float scale = (float)(1 / Math.Sqrt(Perturbations.Power(x)));
                int from = first ? random.Next(x.Length) : 0; // each talker starts somewhere inside a sentence
                first = false;
                for (int i = from; i < x.Length && at < length; i++) babble[at++] += x[i] * scale;
            }
        }
        return babble;
    }
}

/// <summary>
/// Recording conditions applied to mono waveforms, deterministic for a given <see cref="Random"/>: additive noise at a
/// signal-to-noise ratio (white, pink, babble), a telephone line, gain, clipping, a synthetic room reverb, and an MP3 round
/// trip (the one condition not computed here: <see cref="CodecRoundTrip"/> runs <c>sox</c>). For robustness measurement
/// (crossval's robustness protocol) and for training augmentation.
/// <para>SNR is over the whole clip (pauses included): noise power = signal power / 10^(SNR/10). A noisy mix that
/// would pass full scale is scaled down as a whole (the SNR stays), as a recorder's input gain would be set.</para>
/// </summary>
/// <param name="babble">Other speakers' speech for babble noise; null: babble conditions are refused.</param>
/// <param name="codec">The codec for <see cref="PerturbationKind.Codec"/>; null: <see cref="CodecRoundTrip"/> with sox on PATH.</param>
public sealed class Perturbations(BabbleBank? babble = null, CodecRoundTrip? codec = null)
{
    /// <summary>The telephone band's edges (ITU-T G.712 voice channel).</summary>
    public const double TelephoneLowHz = 300, TelephoneHighHz = 3400;
    public const int TelephoneRate = 8000;

    private readonly CodecRoundTrip _codec = codec ?? new CodecRoundTrip();

    public BabbleBank? Babble => babble;

    /// <summary>
    /// <paramref name="samples"/> (mono, at <paramref name="sampleRate"/>) under <paramref name="condition"/>: a new
    /// array of the same length (the input is not changed). <paramref name="random"/> draws the noise, babble talkers and
    /// the room; the same seed gives the same result.
    /// </summary>
    /// <exception cref="InvalidOperationException">babble without a <see cref="BabbleBank"/>, or the codec's tool is missing.</exception>
    public float[] Apply(PerturbationCondition condition, ReadOnlySpan<float> samples, int sampleRate, Random random)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(random);
        if (sampleRate <= 0) throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "the sample rate must be positive");
        return condition.Kind switch
        {
            PerturbationKind.Clean => samples.ToArray(),
            PerturbationKind.WhiteNoise => AddNoise(samples, WhiteNoise(samples.Length, random), condition.Amount),
            PerturbationKind.PinkNoise => AddNoise(samples, PinkNoise(samples.Length, random), condition.Amount),
            PerturbationKind.BabbleNoise => AddNoise(samples, (babble ?? throw new InvalidOperationException(
                "babble noise needs other speakers' clips: give Perturbations a BabbleBank")).Make(samples.Length, sampleRate, random), condition.Amount),
            PerturbationKind.Telephone => Telephone(samples, sampleRate),
            PerturbationKind.Gain => Gain(samples, condition.Amount),
            PerturbationKind.Clipping => Clip(samples, condition.Amount),
            PerturbationKind.Reverb => Reverb(samples, sampleRate, condition.Amount, random),
            PerturbationKind.Codec => _codec.Mp3(samples, sampleRate, (int)Math.Round(condition.Amount)),
            PerturbationKind.Microphone => Microphone(samples, sampleRate, condition.Amount),
            _ => throw new ArgumentOutOfRangeException(nameof(condition), condition.Kind, "unknown recording condition"),
        };
    }

    /// <summary>Mean square of <paramref name="x"/> (0 for no samples).</summary>
    public static double Power(ReadOnlySpan<float> x)
    {
        double sum = 0;
        foreach (float v in x) sum += (double)v * v;
        return x.Length == 0 ? 0 : sum / x.Length;
    }

    /// <summary><paramref name="x"/> + noise scaled to <paramref name="snrDb"/> below it; scaled down as a whole if it would pass full scale. Silence stays silence.</summary>
    public static float[] AddNoise(ReadOnlySpan<float> x, ReadOnlySpan<float> noise, double snrDb)
    {
        if (noise.Length < x.Length) throw new ArgumentException($"{noise.Length} noise samples for {x.Length} signal samples");
        double px = Power(x), pn = Power(noise[..x.Length]);
        var y = x.ToArray();
        if (px == 0 || pn == 0) return y;
        double g = Math.Sqrt(px / (pn * Math.Pow(10, snrDb / 10)));
        for (int i = 0; i < y.Length; i++) y[i] = (float)(x[i] + g * noise[i]);
        return FitFullScale(y);
    }

    /// <summary>The largest magnitude of <paramref name="x"/> (0 for no samples).</summary>
    private static float Peak(ReadOnlySpan<float> x)
    {
        float peak = 0;
        foreach (float v in x) peak = Math.Max(peak, Math.Abs(v));
        return peak;
    }

    /// <summary><paramref name="y"/> scaled down as a whole, in place, if it passes full scale (its peak then at ±1); returned.</summary>
    private static float[] FitFullScale(float[] y)
    {
        float peak = Peak(y);
        if (peak > 1)
            for (int i = 0; i < y.Length; i++) y[i] /= peak;
        return y;
    }

    /// <summary>White Gaussian noise of unit variance.</summary>
    public static float[] WhiteNoise(int length, Random random)
    {
        var n = new float[length];
        for (int i = 0; i < length; i += 2)
        {
            // Box–Muller: two independent normals from two uniforms
            double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
            double r = Math.Sqrt(-2 * Math.Log(u1));
            n[i] = (float)(r * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < length) n[i + 1] = (float)(r * Math.Sin(2 * Math.PI * u2));
        }
        return n;
    }

    /// <summary>Pink noise (power ∝ 1/f, −3 dB per octave; no DC): white Gaussian noise shaped by 1/√f in the frequency domain, unit variance.</summary>
    public static float[] PinkNoise(int length, Random random)
    {
        if (length == 0) return [];
        int size = 1;
        while (size < length) size <<= 1;
        var spectrum = new Complex[size];
        float[] white = WhiteNoise(size, random);
        for (int i = 0; i < size; i++) spectrum[i] = white[i];
        Fft(spectrum, inverse: false);
        spectrum[0] = 0;
        for (int k = 1; k <= size / 2; k++)
        {
            double w = 1 / Math.Sqrt(k);
            spectrum[k] *= w;
            if (k < size - k) spectrum[size - k] *= w; // keep the spectrum Hermitian: the result stays real
        }
        Fft(spectrum, inverse: true);
        var pink = new float[length];
        for (int i = 0; i < length; i++) pink[i] = (float)spectrum[i].Real;
        double p = Power(pink);
        if (p > 0)
        {
            float s = (float)(1 / Math.Sqrt(p));
            for (int i = 0; i < length; i++) pink[i] *= s;
        }
        return pink;
    }

    /// <summary>Level changed by <paramref name="db"/> dB (samples beyond ±1 are clipped there, as in a fixed-point file).</summary>
    public static float[] Gain(ReadOnlySpan<float> x, double db)
    {
        float g = (float)Math.Pow(10, db / 20);
        var y = new float[x.Length];
        for (int i = 0; i < y.Length; i++) y[i] = Math.Clamp(x[i] * g, -1f, 1f);
        return y;
    }

    /// <summary>Amplified so the peak lands <paramref name="overDb"/> dB past full scale, then hard-clipped at ±1 (a too-hot input).</summary>
    public static float[] Clip(ReadOnlySpan<float> x, double overDb)
    {
        float peak = Peak(x);
        var y = x.ToArray();
        if (peak == 0) return y;
        float g = (float)(Math.Pow(10, overDb / 20) / peak);
        for (int i = 0; i < y.Length; i++) y[i] = Math.Clamp(x[i] * g, -1f, 1f);
        return y;
    }

    /// <summary>
    /// A telephone line: resampled to 8 kHz (anti-aliased at 4 kHz), band-limited to 300–3400 Hz (4th-order
    /// Butterworth high- and low-pass), G.711 μ-law (8 bits per sample), resampled back to <paramref name="sampleRate"/>.
    /// </summary>
    public static float[] Telephone(ReadOnlySpan<float> x, int sampleRate)
    {
        float[] narrow = Resampler.Resample(x, sampleRate, TelephoneRate);
        foreach (var q in ButterworthQs)
        {
            Biquad.HighPass(TelephoneLowHz, TelephoneRate, q).Run(narrow);
            Biquad.LowPass(TelephoneHighHz, TelephoneRate, q).Run(narrow);
        }
        for (int i = 0; i < narrow.Length; i++) narrow[i] = MuLaw.Decode(MuLaw.Encode(narrow[i]));
        float[] y = Resampler.Resample(narrow, TelephoneRate, sampleRate);
        var result = new float[x.Length]; // rounding in the two resamplings may leave a sample more or less
        Array.Copy(y, result, Math.Min(y.Length, result.Length));
        return result;
    }

    /// <summary>Corner of <see cref="PerturbationKind.Microphone"/>'s high shelf (Hz).</summary>
    public const double MicrophoneShelfHz = 1000;

    /// <summary>
    /// Another microphone: a high shelf (RBJ cookbook, slope 1) of <paramref name="shelfDb"/> dB above
    /// <see cref="MicrophoneShelfHz"/>; scaled down as a whole if the result would pass full scale.
    /// </summary>
    public static float[] Microphone(ReadOnlySpan<float> x, int sampleRate, double shelfDb)
    {
        float[] y = x.ToArray();
        Biquad.HighShelf(MicrophoneShelfHz, sampleRate, shelfDb).Run(y);
        return FitFullScale(y);
    }

    /// <summary>The Qs of a 4th-order Butterworth filter's two biquad sections.</summary>
    private static readonly double[] ButterworthQs = [0.54119610, 1.30656296];

    /// <summary>
    /// A synthetic room: the direct sound plus a diffuse tail of Gaussian noise decaying by 60 dB in <paramref name="rt60"/>
    /// seconds (from 2.5 ms on, as the first reflections arrive), the tail as energetic as the direct sound (direct-to-
    /// reverberant ratio 0 dB: a talker a metre or two from the microphone). The result keeps the input's length and peak.
    /// </summary>
    public static float[] Reverb(ReadOnlySpan<float> x, int sampleRate, double rt60, Random random)
    {
        if (!(rt60 > 0)) throw new ArgumentOutOfRangeException(nameof(rt60), rt60, "the reverberation time must be positive");
        float[] ir = RoomImpulseResponse(sampleRate, rt60, random);
        float[] wet = Convolve(x, ir, x.Length);
        float inPeak = Peak(x), outPeak = Peak(wet);
        if (outPeak > 0)
        {
            float s = inPeak / outPeak;
            for (int i = 0; i < wet.Length; i++) wet[i] *= s;
        }
        return wet;
    }

    /// <summary>The impulse response <see cref="Reverb"/> uses: 1 at t = 0, then a decaying noise tail of total energy 1 (length RT60).</summary>
    public static float[] RoomImpulseResponse(int sampleRate, double rt60, Random random)
    {
        int length = Math.Max(2, (int)(rt60 * sampleRate));
        int onset = Math.Max(1, (int)(0.0025 * sampleRate));
        var ir = new float[length];
        float[] noise = WhiteNoise(length, random);
        double energy = 0;
        for (int n = onset; n < length; n++)
        {
            // amplitude 10^(−3 t / RT60): −60 dB at t = RT60
            ir[n] = (float)(noise[n] * Math.Pow(10, -3.0 * n / (rt60 * sampleRate)));
            energy += (double)ir[n] * ir[n];
        }
        if (energy > 0)
        {
            float s = (float)(1 / Math.Sqrt(energy));
            for (int n = onset; n < length; n++) ir[n] *= s;
        }
        ir[0] = 1;
        return ir;
    }

    /// <summary>The first <paramref name="length"/> samples of the linear convolution <paramref name="x"/> ∗ <paramref name="h"/> (by FFT).</summary>
    public static float[] Convolve(ReadOnlySpan<float> x, ReadOnlySpan<float> h, int length)
    {
        var y = new float[length];
        if (x.Length == 0 || h.Length == 0) return y;
        int size = 1;
        while (size < x.Length + h.Length - 1) size <<= 1;
        var a = new Complex[size];
        var b = new Complex[size];
        for (int i = 0; i < x.Length; i++) a[i] = x[i];
        for (int i = 0; i < h.Length; i++) b[i] = h[i];
        Fft(a, inverse: false);
        Fft(b, inverse: false);
        for (int i = 0; i < size; i++) a[i] *= b[i];
        Fft(a, inverse: true);
        for (int i = 0; i < length && i < size; i++) y[i] = (float)a[i].Real;
        return y;
    }

    /// <summary>In-place radix-2 FFT (length a power of two); the inverse is scaled by 1/N.</summary>
    internal static void Fft(Complex[] a, bool inverse)
    {
        int n = a.Length;
        for (int i = 1, j = 0; i < n; i++)
        {
            int bit = n >> 1;
            for (; (j & bit) != 0; bit >>= 1) j ^= bit;
            j ^= bit;
            if (i < j) (a[i], a[j]) = (a[j], a[i]);
        }
        for (int len = 2; len <= n; len <<= 1)
        {
            double angle = 2 * Math.PI / len * (inverse ? 1 : -1);
            var wl = new Complex(Math.Cos(angle), Math.Sin(angle));
            for (int i = 0; i < n; i += len)
            {
                Complex w = 1;
                for (int k = 0; k < len / 2; k++)
                {
                    Complex u = a[i + k], v = a[i + k + len / 2] * w;
                    a[i + k] = u + v;
                    a[i + k + len / 2] = u - v;
                    w *= wl;
                }
            }
        }
        if (inverse)
            for (int i = 0; i < n; i++) a[i] /= n;
    }

    /// <summary>A second-order IIR section (RBJ audio-EQ cookbook), direct form I.</summary>
    private readonly record struct Biquad(double B0, double B1, double B2, double A1, double A2)
    {
        public static Biquad LowPass(double f, int rate, double q)
        {
            double w = 2 * Math.PI * f / rate, cos = Math.Cos(w), alpha = Math.Sin(w) / (2 * q), a0 = 1 + alpha;
            return new((1 - cos) / 2 / a0, (1 - cos) / a0, (1 - cos) / 2 / a0, -2 * cos / a0, (1 - alpha) / a0);
        }

        public static Biquad HighPass(double f, int rate, double q)
        {
            double w = 2 * Math.PI * f / rate, cos = Math.Cos(w), alpha = Math.Sin(w) / (2 * q), a0 = 1 + alpha;
            return new((1 + cos) / 2 / a0, -(1 + cos) / a0, (1 + cos) / 2 / a0, -2 * cos / a0, (1 - alpha) / a0);
        }

        /// <summary>A high shelf of <paramref name="db"/> dB above <paramref name="f"/>, shelf slope 1.</summary>
        public static Biquad HighShelf(double f, int rate, double db)
        {
            double a = Math.Pow(10, db / 40), w = 2 * Math.PI * f / rate, cos = Math.Cos(w);
            double alpha = Math.Sin(w) / 2 * Math.Sqrt(2), root = 2 * Math.Sqrt(a) * alpha; // slope 1: (a + 1/a)(1/S − 1) + 2 = 2
            double a0 = (a + 1) - (a - 1) * cos + root;
            return new(a * ((a + 1) + (a - 1) * cos + root) / a0, -2 * a * ((a - 1) + (a + 1) * cos) / a0,
                       a * ((a + 1) + (a - 1) * cos - root) / a0, 2 * ((a - 1) - (a + 1) * cos) / a0, ((a + 1) - (a - 1) * cos - root) / a0);
        }

        public void Run(float[] x)
        {
            double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
            for (int i = 0; i < x.Length; i++)
            {
                double x0 = x[i], y0 = B0 * x0 + B1 * x1 + B2 * x2 - A1 * y1 - A2 * y2;
                x2 = x1; x1 = x0; y2 = y1; y1 = y0;
                x[i] = (float)y0;
            }
        }
    }

    /// <summary>G.711 μ-law (μ = 255), 8 bits: the sign and a 7-bit logarithmic magnitude.</summary>
    internal static class MuLaw
    {
        private const double Mu = 255;

        public static byte Encode(float x)
        {
            double v = Math.Clamp(x, -1f, 1f);
            double m = Math.Log(1 + Mu * Math.Abs(v)) / Math.Log(1 + Mu);
            int level = (int)Math.Round(m * 127);
            return (byte)((v < 0 ? 0x80 : 0) | level);
        }

        public static float Decode(byte code)
        {
            double m = (code & 0x7F) / 127.0;
            double magnitude = (Math.Pow(1 + Mu, m) - 1) / Mu;
            return (float)((code & 0x80) != 0 ? -magnitude : magnitude);
        }
    }
}
