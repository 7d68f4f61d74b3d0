using EmotionCluster.Audio;

namespace EmotionCluster.Streaming;

/// <summary>
/// One hop's result: the window, its probabilities and the smoothed current emotion; <see cref="Uncertain"/> when the
/// smoothed emotion's probability (<see cref="Confidence"/>) is below <see cref="StreamingSettings.UncertainBelow"/>, and
/// the window's input level (<see cref="Level"/>, null when it was not measured) with its warnings.
/// </summary>
public sealed record HopResult(WindowSpan Window, double StartSeconds, double EndSeconds, float[] Probabilities, int Label, Smoothed Smoothed,
    bool Uncertain = false, InputLevel? Level = null)
{
    /// <summary>The smoothed probability of the smoothed emotion (for majority smoothing: its mean over the last K hops).</summary>
    public float Confidence => Smoothed.Probabilities[Smoothed.Label];

    /// <summary>Too quiet / clipped for this window's audio.</summary>
    public LevelWarning Warnings => Level?.Warnings ?? LevelWarning.None;
}

/// <summary>
/// The state of one stream, without actors: mono samples at the client's rate go into a bounded <see cref="SampleRing"/>,
/// the <see cref="WindowScheduler"/> marks windows due, and due windows wait in order until the caller takes them for
/// inference (<see cref="TryTakeNext"/>) one at a time. A waiting window whose audio the ring has overwritten meanwhile
/// (the client sends faster than inference keeps up) is dropped and counted in <see cref="DroppedHops"/>.
/// </summary>
public sealed class StreamSession : IDisposable
{
    private readonly SampleRing _ring;
    private readonly WindowScheduler _scheduler;
    private readonly EmotionSmoother _smoother;
    private readonly Queue<(WindowSpan Window, long DueAt)> _due = new();
    private long _unreportedDrops;

    /// <param name="modelSeconds">The audio one input of the stream's model covers (<see cref="StreamingModel.InputSeconds"/>): the window unless <paramref name="settings"/> set one.</param>
    /// <exception cref="ArgumentException">neither <paramref name="settings"/> nor <paramref name="modelSeconds"/> gives a window.</exception>
    public StreamSession(int sampleRate, StreamingSettings settings, double? modelSeconds = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (sampleRate < 1) throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "the sample rate must be positive");
        SampleRate = sampleRate;
        WindowSeconds = settings.WindowSeconds ?? modelSeconds
            ?? throw new ArgumentException("a stream needs a window: set WindowSeconds, or give the model's input length", nameof(modelSeconds));
        int window = StreamingSettings.Samples(WindowSeconds, sampleRate);
        int hop = Math.Min(window, StreamingSettings.Samples(settings.HopSeconds, sampleRate));
        Gate = settings.GateEachWindow ? null : new StreamGate(window);
        _scheduler = new WindowScheduler(window, hop, gateAhead: Gate is not null);
        _windowLength = window;
        _ring = new SampleRing(Math.Max(window, StreamingSettings.Samples(settings.MaxBufferedSeconds, sampleRate)));
        _smoother = SmoothingSpec.Parse(settings.Smoothing).Create();
        _maxLag = (long)(settings.MaxLagSeconds * System.Diagnostics.Stopwatch.Frequency);
        UncertainBelow = settings.UncertainBelow;
        Normalization = new StreamNormalization((double)hop / window);
    }

    /// <summary>The stream's running statistics its windows are normalized by (<see cref="StreamingModel.Features"/>).</summary>
    public StreamNormalization Normalization { get; }

    /// <summary>The stream's noise gate its windows are gated by (<see cref="StreamingModel.Features"/>); null when the node gates each window on its own (<see cref="StreamingSettings.GateEachWindow"/>).</summary>
    public StreamGate? Gate { get; }

    private readonly long _maxLag;
    private readonly int _windowLength;
    private float[]? _windowBuffer;

    public int SampleRate { get; }
    /// <summary>Audio per prediction: the node's window, or the model's input length when the node sets none.</summary>
    public double WindowSeconds { get; }
    /// <summary>A hop whose smoothed top probability is below this is uncertain (<see cref="StreamingSettings.UncertainBelow"/>).</summary>
    public double UncertainBelow { get; }
    public long TotalSamples => _ring.Total;
    public bool Ended { get; private set; }
    public int Waiting => _due.Count;
    public long DroppedHops { get; private set; }
    public int Hops { get; private set; }

    /// <summary>Adds audio; windows it completes are due from <paramref name="now"/> (a <see cref="System.Diagnostics.Stopwatch"/> timestamp).</summary>
    public void Append(ReadOnlySpan<float> samples, long now = 0)
    {
        if (Ended) throw new InvalidOperationException("the stream has ended; no more audio is accepted");
        _ring.Append(samples);
        foreach (WindowSpan w in _scheduler.Advance(_ring.Total)) _due.Enqueue((w, now));
        DropOverwritten();
    }

    /// <summary>The client is done: a last window covers the audio after the last full window (or the whole short stream).</summary>
    public void End(long now = 0)
    {
        if (Ended) return;
        Ended = true;
        if (_scheduler.Flush(_ring.Total) is { } last) _due.Enqueue((last, now));
    }

    /// <summary>The oldest due window still held, with a copy of its samples (or the audio so far for the gate, <see cref="WindowSpan.Ahead"/>).</summary>
    public bool TryTakeNext(out WindowSpan window, out float[] samples) => TryTakeNext(out window, out samples, out _);

    /// <summary>
    /// As <see cref="TryTakeNext(out WindowSpan, out float[])"/>; at <paramref name="now"/> (a <see cref="System.Diagnostics.Stopwatch"/>
    /// timestamp, 0 = no lag limit) waiting windows due longer than MaxLagSeconds ago are dropped while a newer one waits.
    /// </summary>
    public bool TryTakeNext(out WindowSpan window, out float[] samples, out long dueAt, long now = 0) =>
        TryTakeNext(out window, out samples, out dueAt, now, reuseBuffer: false);

    /// <summary>
    /// As <see cref="TryTakeNext(out WindowSpan, out float[], out long, long)"/>; with <paramref name="reuseBuffer"/> a
    /// full-length window's samples come in one array this session reuses for every such window (valid until the next
    /// call), so a stream with one window in flight at a time does not allocate a window of audio per hop.
    /// </summary>
    public bool TryTakeNext(out WindowSpan window, out float[] samples, out long dueAt, long now, bool reuseBuffer)
    {
        DropOverwritten();
        if (now != 0 && _maxLag > 0)
            while (_due.Count > 1 && now - _due.Peek().DueAt > _maxLag) Drop();
        if (_due.TryDequeue(out var next))
        {
            (window, dueAt) = next;
            if (reuseBuffer && window.Length == _windowLength) samples = _windowBuffer ??= StreamBuffers.Rent(_windowLength);
            else samples = new float[window.Length];
            _ring.CopyTo(window.Start, samples);
            return true;
        }
        window = default;
        dueAt = 0;
        samples = [];
        return false;
    }

    /// <summary>
    /// Gives the ring and the window buffer back to <see cref="StreamBuffers"/> for later streams. A window still being
    /// computed from the reused buffer may then read another stream's audio: dispose only when its result no longer
    /// matters (the predictor actor does so when it stops).
    /// </summary>
    public void Dispose()
    {
        _ring.Dispose();
        float[]? window = Interlocked.Exchange(ref _windowBuffer, null);
        if (window is not null) StreamBuffers.Return(window);
    }

    /// <summary>Drops counted since the last call (to report them once).</summary>
    public long TakeUnreportedDrops() => Interlocked.Exchange(ref _unreportedDrops, 0);

    /// <summary>
    /// Records the model's probabilities for <paramref name="window"/>, smooths them and marks the hop uncertain when the
    /// smoothed emotion's probability is below <see cref="UncertainBelow"/>; <paramref name="level"/> is the window's
    /// input level (<see cref="InputLevel.Measure(ReadOnlySpan{float}, int)"/> of its samples), passed on as it is.
    /// </summary>
    public HopResult Complete(WindowSpan window, float[] probabilities, InputLevel? level = null)
    {
        Hops++;
        Smoothed smoothed = _smoother.Update(probabilities);
        bool uncertain = smoothed.Probabilities[smoothed.Label] < UncertainBelow;
        return new HopResult(window, (double)window.Start / SampleRate, (double)window.End / SampleRate,
            probabilities, EmotionSmoother.ArgMax(probabilities), smoothed, uncertain, level);
    }

    private void DropOverwritten()
    {
        while (_due.TryPeek(out var next) && !_ring.Holds(next.Window.Start, next.Window.Length)) Drop();
    }

    /// <summary>Drops the oldest waiting window; a hop is counted (and reported), audio for the gate ahead of the first window is not.</summary>
    private void Drop()
    {
        if (_due.Dequeue().Window.Ahead) return;
        DroppedHops++;
        _unreportedDrops++;
    }
}
