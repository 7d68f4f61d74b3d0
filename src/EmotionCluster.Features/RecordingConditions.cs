namespace EmotionCluster.Features;

/// <summary>
/// Recording conditions simulated on a log-mel spectrogram in dB (<see cref="LogMelExtractor"/>'s output, before any
/// normalization), for training-time augmentation: additive noise at a signal-to-noise ratio (white, pink, or babble made
/// from other clips), a telephone band (300–3400 Hz), room reverberation (an exponential energy decay per band) and a
/// gain change. Each works on mel power (<c>10^(dB/10)</c>), where independent sounds add, and converts back to dB with
/// the extractor's floor (<see cref="MelSettings.TopDb"/> below the maximum). Deterministic for a given
/// <see cref="Random"/>; inputs are never modified.
/// </summary>
public sealed class RecordingConditions
{
    /// <summary>Power gain outside the telephone band (−40 dB).</summary>
    public const double TelephoneStopGain = 1e-4;
    public const double TelephoneLowHz = 300, TelephoneHighHz = 3400;

    private readonly double[] _white, _pink, _telephone;
    private readonly double _frameSeconds;
    private readonly double? _topDb;

    public RecordingConditions(MelSettings mel)
    {
        ArgumentNullException.ThrowIfNull(mel);
        var bank = MelFilterbank.Create(mel);
        double nyquist = mel.SampleRate / 2;
        double Hz(int k) => nyquist * k / (bank.FrequencyBins - 1);
        double[] Response(Func<double, double> power, bool relative)
        {
            var r = new double[bank.Bands];
            for (int m = 0; m < bank.Bands; m++)
            {
                var w = bank.BandWeights(m);
                double sum = 0, weight = 0;
                for (int k = 0; k < w.Length; k++)
                {
                    sum += w[k] * power(Hz(bank.BandStart(m) + k));
                    weight += w[k];
                }
                r[m] = relative ? (weight > 0 ? sum / weight : 1) : sum;
            }
            return r;
        }
        _white = Response(_ => 1, relative: false);
        _pink = Response(f => 1 / Math.Max(f, 20), relative: false);
        _telephone = Response(f => f is >= TelephoneLowHz and <= TelephoneHighHz ? 1 : TelephoneStopGain, relative: true);
        _frameSeconds = (double)mel.HopLength / mel.SampleRate;
        _topDb = mel.TopDb;
    }

    /// <summary>
    /// A random recording condition, or several: noise (half of the time; white, pink or babble from
    /// <paramref name="others"/>, 5–30 dB SNR), reverberation (a fifth; RT60 0.2–1 s), telephone band (a sixth), a gain
    /// change of up to ±20 dB (a third). About a quarter of the draws leave the clip as it is.
    /// </summary>
    public Spectrogram Apply(Spectrogram db, Random random, IReadOnlyList<Spectrogram>? others = null)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(random);
        var s = db;
        if (random.NextDouble() < 0.2) s = Reverberate(s, 0.2 + 0.8 * random.NextDouble(), 10 * random.NextDouble());
        if (random.NextDouble() < 0.5)
        {
            double snr = 5 + 25 * random.NextDouble();
            int kind = random.Next(others is { Count: > 0 } ? 3 : 2);
            s = kind switch
            {
                0 => AddNoise(s, NoiseKind.White, snr),
                1 => AddNoise(s, NoiseKind.Pink, snr),
                _ => AddBabble(s, Enumerable.Range(0, 3).Select(_ => others![random.Next(others.Count)]).ToList(), snr, random),
            };
        }
        if (random.NextDouble() < 1.0 / 6) s = Telephone(s);
        if (random.NextDouble() < 1.0 / 3) s = Gain(s, -20 + 40 * random.NextDouble());
        return s;
    }

    /// <summary>Stationary noise of <paramref name="kind"/>'s spectrum at <paramref name="snrDb"/> (total mel power of the clip over that of the noise).</summary>
    public Spectrogram AddNoise(Spectrogram db, NoiseKind kind, double snrDb)
    {
        double[] shape = kind == NoiseKind.White ? _white : _pink;
        Check(db, shape.Length);
        var power = Power(db);
        double signal = power.Sum();
        double shapeTotal = shape.Sum() * db.Frames;
        double scale = signal / Math.Pow(10, snrDb / 10) / shapeTotal;
        for (int b = 0; b < db.Bins; b++)
            for (int t = 0; t < db.Frames; t++) power[b * db.Frames + t] += shape[b] * scale;
        return Decibels(power, db.Bins, db.Frames);
    }

    /// <summary>
    /// Babble: the sum of <paramref name="talkers"/>' mel power (each from a random start, repeated to the clip's length)
    /// at <paramref name="snrDb"/>.
    /// </summary>
    public Spectrogram AddBabble(Spectrogram db, IReadOnlyList<Spectrogram> talkers, double snrDb, Random random)
    {
        ArgumentNullException.ThrowIfNull(talkers);
        if (talkers.Count == 0) throw new ArgumentException("babble needs at least one other clip", nameof(talkers));
        Check(db, db.Bins);
        var noise = new double[db.Data.Length];
        foreach (var talker in talkers)
        {
            Check(talker, db.Bins);
            if (talker.Frames == 0) continue;
            int start = random.Next(talker.Frames);
            for (int b = 0; b < db.Bins; b++)
                for (int t = 0; t < db.Frames; t++)
                    noise[b * db.Frames + t] += Math.Pow(10, talker.Data[b * talker.Frames + (start + t) % talker.Frames] / 10.0);
        }
        var power = Power(db);
        double scale = power.Sum() / Math.Pow(10, snrDb / 10) / Math.Max(noise.Sum(), 1e-30);
        for (int i = 0; i < power.Length; i++) power[i] += noise[i] * scale;
        return Decibels(power, db.Bins, db.Frames);
    }

    /// <summary>The telephone band: 300–3400 Hz kept, the rest 40 dB down (each band by its filter's share outside).</summary>
    public Spectrogram Telephone(Spectrogram db)
    {
        Check(db, _telephone.Length);
        var power = Power(db);
        for (int b = 0; b < db.Bins; b++)
            for (int t = 0; t < db.Frames; t++) power[b * db.Frames + t] *= _telephone[b];
        return Decibels(power, db.Bins, db.Frames);
    }

    /// <summary>
    /// Room reverberation: each band's power plus its past decaying by 60 dB in <paramref name="rt60Seconds"/>, the
    /// reverberant energy <paramref name="directToReverbDb"/> below the direct sound's.
    /// </summary>
    public Spectrogram Reverberate(Spectrogram db, double rt60Seconds, double directToReverbDb)
    {
        if (!(rt60Seconds > 0)) throw new ArgumentOutOfRangeException(nameof(rt60Seconds), rt60Seconds, "RT60 must be positive");
        var power = Power(db);
        double decay = Math.Pow(10, -6 * _frameSeconds / rt60Seconds); // energy per frame: −60 dB over RT60
        double tailEnergy = decay / (1 - decay); // Σ_{k≥1} decay^k
        double level = Math.Pow(10, -directToReverbDb / 10) / tailEnergy;
        var output = new double[power.Length];
        for (int b = 0; b < db.Bins; b++)
        {
            double tail = 0;
            for (int t = 0; t < db.Frames; t++)
            {
                int i = b * db.Frames + t;
                output[i] = power[i] + level * tail;
                tail = decay * (tail + power[i]);
            }
        }
        return Decibels(output, db.Bins, db.Frames);
    }

    /// <summary>The recording <paramref name="db"/> louder (or quieter) by <paramref name="gainDb"/>.</summary>
    public static Spectrogram Gain(Spectrogram db, double gainDb)
    {
        var data = new float[db.Data.Length];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(db.Data[i] + gainDb);
        return new Spectrogram(data, db.Bins, db.Frames);
    }

    private static void Check(Spectrogram s, int bins)
    {
        if (s.Bins != bins) throw new ArgumentException($"the spectrogram has {s.Bins} bands; these conditions are for {bins} (the mel settings' NMels)");
    }

    private static double[] Power(Spectrogram db)
    {
        var p = new double[db.Data.Length];
        for (int i = 0; i < p.Length; i++) p[i] = Math.Pow(10, db.Data[i] / 10.0);
        return p;
    }

    private Spectrogram Decibels(double[] power, int bins, int frames)
    {
        var data = new float[power.Length];
        float max = float.MinValue;
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (float)(10 * Math.Log10(Math.Max(power[i], 1e-10)));
            max = Math.Max(max, data[i]);
        }
        if (_topDb is { } top)
            for (int i = 0; i < data.Length; i++) data[i] = Math.Max(data[i], max - (float)top);
        return new Spectrogram(data, bins, frames);
    }
}

/// <summary>The spectrum of stationary noise (<see cref="RecordingConditions.AddNoise"/>).</summary>
public enum NoiseKind
{
    /// <summary>Flat power spectral density.</summary>
    White,
    /// <summary>Power spectral density falling as 1/f.</summary>
    Pink,
}
