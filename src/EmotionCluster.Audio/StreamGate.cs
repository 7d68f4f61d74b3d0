using System.Buffers;

namespace EmotionCluster.Audio;

/// <summary>
/// The spectral gate of <see cref="SpectralGate"/> run over a live stream once, instead of once per window. A stream's
/// windows overlap (3 s every 0.5 s by default), and gating each window on its own transformed every frame of the stream
/// six times, forward and back: about 90 % of a window's feature time. Here every STFT frame is gated when it arrives.
/// <list type="bullet">
/// <item>The frames lie on one grid from the stream's start (frame t covers samples [t·hop − N/2, t·hop + N/2), zeros before
/// the stream's start, as the clip gate pads a clip).</item>
/// <item>Each window's noise profile is <see cref="SpectralGate"/>'s: the quietest <c>NoiseFrameFraction</c> of the frames
/// over the window (their dB levels are kept per frame), μ + k·σ per bin.</item>
/// <item>A frame's binary mask, smoothed gain and inverse transform are computed with the profile of the window in which
/// the frame and its smoothing neighbours are complete; from then on its output is fixed (<em>committed</em>). Frames
/// not yet complete at the window's end (their audio runs past it) are gated with zeros beyond the end, as the clip gate
/// pads a clip's end, for this window only, and again when the next window brings their audio.</item>
/// </list>
/// A window's gated samples therefore differ from <see cref="SpectralGate.Reduce(ReadOnlySpan{float}, int, PreprocessSettings)"/>
/// of the same samples in two ways: a frame's gains come from the profile of the window it was committed in (a window
/// a hop or less later than the frame), and the window's first samples are gated with the audio before them rather
/// than with zero padding. The gate runs on the raw stream: a window's DC removal follows it (<see cref="Preprocessor"/>).
/// <para>Windows must come in stream order (<see cref="Reduce"/>'s position); a window that does not overlap the last one
/// enough (a gap after dropped windows) or goes back starts the gate afresh at that window, as a new stream. Not
/// thread-safe: a stream computes one window at a time. Memory per stream, 3 s windows at 16 kHz: about 0.7 MB (each
/// frame's dB levels and mask for one window, the gated samples of one window). The arrays are the gate's own, not
/// pooled: a window still computing when its stream stops must not write into another stream's state.</para>
/// </summary>
public sealed class StreamGate
{
    private PreprocessSettings? _settings;
    private int _rate, _n, _hop, _bins, _pad, _half, _windowSamples;
    private float[] _window = [];
    private double[] _startNorm = [], _phaseNorm = [];
    private int _frameCapacity, _sampleCapacity;
    private double[] _energy = []; // per frame slot
    private float[] _levels = [];  // per frame slot × bins: the bins' power, or their dB level once the frame was among a window's quietest
    private bool[] _isDb = [];     // per frame slot: _levels holds dB levels
    private byte[] _mask = [];     // per frame slot × bins
    private float[] _gated = [];   // final gated samples, per sample slot
    private double[] _carry = [];  // committed frames' overlap-add into samples not yet final: [FinalEnd, FinalEnd + N − hop)
    private long _start = -1, _end; // the last window
    private long _firstFrame;      // the first frame since the gate (re)started
    private long _committed;       // frames before this one are committed
    private SpectralGate.MaskSmoother? _smoother; // a frame's soft mask, as the clip gate smooths it
    private Func<long, int>? _rowOf;               // frame → where its mask row starts

    /// <param name="windowSamples">The stream's window (samples at the rate it is gated at), the longest call expected: the
    /// gate's buffers are sized for it once. A longer call resizes them and starts the gate afresh.</param>
    public StreamGate(int windowSamples = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(windowSamples);
        _windowSamples = windowSamples;
    }

    /// <summary>
    /// Whether a stream can be gated this way with <paramref name="settings"/>: the mask is smoothed across time only (the
    /// default), over at most 254 frames each side. Otherwise a stream's windows are gated each on its own.
    /// </summary>
    public static bool Supports(PreprocessSettings settings, int sampleRate)
    {
        ArgumentNullException.ThrowIfNull(settings);
        long half = (long)Math.Round(settings.NoiseSmoothingMs / 1000.0 * sampleRate / settings.NoiseHop);
        return (int)Math.Round(settings.NoiseSmoothingHz * settings.NoiseFftSize / sampleRate) == 0 && SpectralGate.MaskSmoother.Fits(half);
    }

    /// <summary>Windows that started the gate afresh (the first one of a stream, and any after a gap or going back).</summary>
    public int Restarts { get; private set; }

    /// <summary>
    /// The gated samples of the window at <paramref name="position"/> (samples from the stream's start) into
    /// <paramref name="into"/> (at least as long as <paramref name="window"/>; it may be <paramref name="window"/> itself).
    /// <paramref name="window"/> holds the stream's raw samples at <paramref name="sampleRate"/>. A window shorter than
    /// <see cref="SpectralGate.MinFrames"/> frames is copied unchanged, as the clip gate does.
    /// </summary>
    public void Reduce(PreprocessSettings settings, int sampleRate, long position, ReadOnlySpan<float> window, Span<float> into)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleRate);
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        if (into.Length < window.Length) throw new ArgumentException($"the output has room for {into.Length} samples, the window has {window.Length}", nameof(into));
        if (!Equals(settings, _settings) || sampleRate != _rate || window.Length > _windowSamples) Configure(settings, sampleRate, window.Length);
        int n = window.Length;
        int framesOfWindow = n == 0 ? 0 : (n + 2 * _pad - _n + _hop - 1) / _hop + 1; // the clip gate's count for these samples
        if (framesOfWindow < SpectralGate.MinFrames)
        {
            window.CopyTo(into);
            _start = -1; // the next window starts afresh
            return;
        }
        long s0 = position, e = position + n;
        long tFirst = FirstFrame(s0), tLast = LastFrame(e);
        if (_start < 0 || s0 < _start || tFirst > _committed || e < _end) Restart(tFirst);
        _start = s0;
        _end = e;

        long from = _committed; // the first frame computed in this window
        int count = (int)(tLast - from + 1);
        var pool = ArrayPool<float>.Shared;
        float[] re = pool.Rent(count * _bins), im = pool.Rent(count * _bins), frame = pool.Rent(_n), soft = pool.Rent(_bins);
        double[] acc = ArrayPool<double>.Shared.Rent(count * _hop + _n);
        try
        {
            GateFft fft = SpectralGate.FftFor(_n);

            // spectra, energies and dB levels of the frames not committed yet (the others' levels are kept)
            for (int i = 0; i < count; i++)
            {
                long t = from + i;
                FrameSamples(window, s0, t, frame.AsSpan(0, _n));
                SpectralGate.Multiply(frame.AsSpan(0, _n), _window, frame.AsSpan(0, _n));
                Span<float> r = re.AsSpan(i * _bins, _bins), m = im.AsSpan(i * _bins, _bins);
                fft.Direct(frame.AsSpan(0, _n), r, m);
                int slot = Slot(t);
                Span<float> power = _levels.AsSpan(slot * _bins, _bins);
                double energy = 0;
                for (int b = 0; b < _bins; b++)
                {
                    double p = (double)r[b] * r[b] + (double)m[b] * m[b];
                    energy += p;
                    power[b] = (float)p;
                }
                _energy[slot] = energy;
                _isDb[slot] = false;
            }

            // the window's noise profile and the masks of the frames not committed yet
            var decision = new SpectralGate.MaskDecision(Threshold(tFirst, tLast));
            for (int i = 0; i < count; i++)
                decision.Decide(re.AsSpan(i * _bins, _bins), im.AsSpan(i * _bins, _bins), _mask.AsSpan(Slot(from + i) * _bins, _bins));

            // frames whose audio and smoothing neighbours are complete are committed; the rest are this window's only
            long lastComplete = FloorDiv(e + _pad - _n, _hop); // frame end t·hop − N/2 + N ≤ e
            long commit = Math.Clamp(lastComplete - _half + 1, from, tLast + 1);
            long origin = from * _hop - _pad; // acc[0] is this sample: FinalEnd
            acc.AsSpan(0, count * _hop + _n).Clear();
            _carry.AsSpan().CopyTo(acc);
            for (long t = from; t <= tLast; t++)
            {
                if (t == commit) Commit(acc, origin, commit, s0);
                int i = (int)(t - from);
                _smoother!.Row(_mask, _rowOf!, t, Math.Max(t - _half, _firstFrame), Math.Min(t + _half, tLast), soft.AsSpan(0, _bins));
                SpectralGate.GainAndInverse(fft, re.AsSpan(i * _bins, _bins), im.AsSpan(i * _bins, _bins), soft.AsSpan(0, _bins), _settings!.NoisePropDecrease, frame.AsSpan(0, _n));
                SpectralGate.OverlapAdd(frame.AsSpan(0, _n), _window, acc.AsSpan((int)(t * _hop - _pad - origin), _n));
            }
            if (commit == tLast + 1) Commit(acc, origin, commit, s0);

            // the window: final samples from the ring, the rest from this window's frames
            long finalEnd = Math.Clamp(_committed * _hop - _pad, s0, e);
            int finalCount = (int)(finalEnd - s0), at = (int)(s0 % _sampleCapacity), first = Math.Min(finalCount, _sampleCapacity - at);
            _gated.AsSpan(at, first).CopyTo(into);
            _gated.AsSpan(0, finalCount - first).CopyTo(into[first..]);
            Normalize(acc, origin, finalEnd, e, into[finalCount..]);
        }
        finally
        {
            pool.Return(re); pool.Return(im); pool.Return(frame); pool.Return(soft);
            ArrayPool<double>.Shared.Return(acc);
        }
    }

    /// <summary>
    /// Frames before <paramref name="commit"/> are committed: the samples only they cover, [old FinalEnd, new FinalEnd),
    /// go to the ring of final samples, their overlap-add into later samples is carried to the next window.
    /// </summary>
    private void Commit(double[] acc, long origin, long commit, long s0)
    {
        long finalEnd = commit * _hop - _pad, from = Math.Max(origin, s0);
        if (finalEnd > from)
        {
            // into the ring: at most two runs (it wraps once)
            int at = (int)(from % _sampleCapacity), count = (int)(finalEnd - from), first = Math.Min(count, _sampleCapacity - at);
            Normalize(acc, origin, from, from + first, _gated.AsSpan(at, first));
            Normalize(acc, origin, from + first, finalEnd, _gated.AsSpan(0, count - first));
        }
        acc.AsSpan((int)(finalEnd - origin), _carry.Length).CopyTo(_carry);
        _committed = commit;
    }

    /// <summary>Frame t's samples: the window's where it has them, zeros elsewhere (before the stream or the gate's start, after the window).</summary>
    private void FrameSamples(ReadOnlySpan<float> window, long s0, long t, Span<float> frame)
    {
        long first = t * _hop - _pad;
        for (int j = 0; j < _n; j++)
        {
            long i = first + j - s0;
            frame[j] = i >= 0 && i < window.Length ? window[(int)i] : 0f;
        }
    }

    /// <summary>Per bin, μ + k·σ of the dB levels of the quietest frames among the window's <paramref name="tFirst"/>..<paramref name="tLast"/>.</summary>
    private double[] Threshold(long tFirst, long tLast)
    {
        int frames = (int)(tLast - tFirst + 1);
        double[] energy = ArrayPool<double>.Shared.Rent(frames);
        try
        {
            for (int i = 0; i < frames; i++) energy[i] = _energy[Slot(tFirst + i)];
            int[] quietest = SpectralGate.QuietestFrames(energy.AsSpan(0, frames), _settings!.NoiseFrameFraction);
            var db = new float[quietest.Length * _bins];
            for (int i = 0; i < quietest.Length; i++)
            {
                int slot = Slot(tFirst + quietest[i]);
                Span<float> row = _levels.AsSpan(slot * _bins, _bins);
                if (!_isDb[slot])
                {
                    SpectralGate.PowerToLevels(row);
                    _isDb[slot] = true;
                }
                row.CopyTo(db.AsSpan(i * _bins, _bins));
            }
            return SpectralGate.ThresholdOf(db, quietest.Length, _bins, _settings.NoiseStdThreshold);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(energy);
        }
    }

    private long FirstFrame(long sample) => Math.Max(0, FloorDiv(sample + _pad - _n, _hop) + 1); // frame end > sample
    private long LastFrame(long end) => FloorDiv(end - 1 + _pad, _hop);                          // frame start < end
    private static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);
    private int Slot(long frame) => (int)(frame % _frameCapacity);

    /// <summary>
    /// Samples [<paramref name="from"/>, <paramref name="to"/>) of the overlap-add (acc[0] is sample <paramref name="origin"/>)
    /// divided by Σ of the squared window over the frames covering each, as the clip gate divides.
    /// </summary>
    private void Normalize(double[] acc, long origin, long from, long to, Span<float> into)
    {
        int phase = (int)((from + _pad) % _hop);
        for (long i = from; i < to; i++)
        {
            double w = i < _startNorm.Length ? _startNorm[i] : _phaseNorm[phase];
            into[(int)(i - from)] = w > 1e-8 ? (float)(acc[i - origin] / w) : 0f;
            if (++phase == _hop) phase = 0;
        }
    }

    private void Restart(long tFirst)
    {
        Restarts++;
        _firstFrame = tFirst;
        _committed = tFirst;
        Array.Clear(_carry);
    }

    private void Configure(PreprocessSettings settings, int sampleRate, int windowSamples)
    {
        settings.Validate();
        _settings = settings;
        _rate = sampleRate;
        _n = settings.NoiseFftSize;
        _hop = settings.NoiseHop;
        _bins = _n / 2 + 1;
        _pad = _n / 2;
        _half = (int)Math.Round(settings.NoiseSmoothingMs / 1000.0 * sampleRate / _hop);
        if (!Supports(settings, sampleRate))
            throw new ArgumentException($"a stream gate smooths the mask across time only, over at most 254 frames each side (NoiseSmoothingHz {settings.NoiseSmoothingHz}, NoiseSmoothingMs {settings.NoiseSmoothingMs}); gate each window with SpectralGate instead", nameof(settings));
        _windowSamples = Math.Max(windowSamples, _windowSamples);
        _window = SpectralGate.WindowFor(_n).ToArray();
        // the frames of one window, the mask neighbours before the first uncommitted frame, and slack
        _frameCapacity = (_windowSamples + _n) / _hop + 2 * _half + 8;
        _sampleCapacity = _windowSamples + _n;
        _energy = new double[_frameCapacity];
        _levels = new float[_frameCapacity * _bins];
        _isDb = new bool[_frameCapacity];
        _mask = new byte[_frameCapacity * _bins];
        _gated = new float[_sampleCapacity];
        _carry = new double[_n - _hop];
        _smoother = new SpectralGate.MaskSmoother(_bins, _half);
        int bins = _bins;
        _rowOf = u => Slot(u) * bins;
        // the overlap-add normalization of frames from the stream's start (its sample i is index i + N/2 there): the first
        // N − N/2 samples are covered by fewer frames; from there on it depends on (i + N/2) mod hop only, taken where
        // every frame covering an index exists (indices N..N + hop)
        double[] norm = SpectralGate.OverlapNorm(_window, _hop, 2 * (_n / _hop + 1) + 1);
        _startNorm = norm.AsSpan(_pad, _n - _pad).ToArray();
        _phaseNorm = new double[_hop];
        for (int j = _n; j < _n + _hop; j++) _phaseNorm[j % _hop] = norm[j];
        _start = -1;
    }

}
