using Akka.Actor;
using Akka.Event;
using EmotionCluster.Wire;

namespace EmotionCluster.Extraction;

/// <summary>
/// Start extracting a manifest (a local message: the coordinator runs in the requesting process).
/// <see cref="ReturnFeatures"/>: extractors send the features back and the coordinator stores them (no shared
/// storage needed). <see cref="ServeAudio"/>: extractors get the audio bytes from the coordinator instead of
/// reading the path themselves (nodes without the corpus).
/// </summary>
public sealed record RunExtraction(IReadOnlyList<ClipSource> Clips, string SettingsJson, bool ReturnFeatures,
    IActorRef? ProgressTo = null, bool ServeAudio = false);

public sealed record ExtractionProgress(int Done, int Failed, int Total, string? LastNode);

/// <summary>What became of one clip: features under <see cref="Key"/>, or an error; <see cref="Attempts"/> times it was sent.</summary>
public sealed record ClipResult(string ClipId, FeatureKey? Key, string Node, bool Cached, string? Error, int Attempts = 1);

public sealed record ExtractionSummary(
    IReadOnlyDictionary<string, ClipResult> Results,
    IReadOnlyDictionary<string, int> ClipsPerNode,
    int Retries,
    int DuplicateReplies,
    TimeSpan Elapsed)
{
    public int Succeeded => Results.Values.Count(r => r.Error is null);
    public IEnumerable<ClipResult> Failures => Results.Values.Where(r => r.Error is not null).OrderBy(r => r.ClipId);
}

public sealed record CoordinatorOptions(int MaxInFlight = 32, TimeSpan? RetryAfter = null, int MaxAttempts = 6)
{
    public TimeSpan RetryAfterOrDefault => RetryAfter ?? TimeSpan.FromSeconds(10);
}

/// <summary>
/// Sends every clip of a manifest to the shard region (at most <see cref="CoordinatorOptions.MaxInFlight"/> at a
/// time), resends what is not answered within the retry time (a node that died takes its in-flight clips with it;
/// its shards move and the resent clips are done elsewhere), ignores late duplicate answers, serves audio to
/// extractors that lack the files, stores returned features, and answers the requester with an
/// <see cref="ExtractionSummary"/> when every clip has features or an error.
/// </summary>
public sealed class ExtractionCoordinator : ReceiveActor, IWithTimers
{
    private sealed record Tick;
    private sealed class InFlight(ClipSource clip) { public ClipSource Clip { get; } = clip; public DateTime SentAt; public int Attempts; }

    private readonly IActorRef _region;
    private readonly IFeatureStore _store;
    private readonly CoordinatorOptions _options;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly ChunkAssembler _assembler = new();
    private readonly Dictionary<string, byte[]> _returnedFeatures = new();
    private readonly Queue<ClipSource> _waiting = new();
    private readonly Dictionary<string, InFlight> _inFlight = new();
    private readonly Dictionary<string, ClipSource> _byId = new();
    private readonly Dictionary<string, ClipResult> _results = new();
    private readonly Dictionary<string, int> _perNode = new();
    private RunExtraction? _run;
    private IActorRef _requester = ActorRefs.Nobody;
    private DateTime _started;
    private int _retries, _duplicates;
    private int _waitingCount, _inFlightCount; // written here, read by the backlog gauges on the scraping thread
    private readonly List<IDisposable> _gauges = new();

    public ITimerScheduler Timers { get; set; } = null!;

    public ExtractionCoordinator(IActorRef region, IFeatureStore store, CoordinatorOptions options)
    {
        _region = region;
        _store = store;
        _options = options;
        Receive<RunExtraction>(Start);
        Receive<ClipExtracted>(OnExtracted);
        Receive<ClipFailed>(OnFailed);
        Receive<AudioRequest>(ServeAudio);
        Receive<DataChunk>(OnChunk);
        Receive<Tick>(_ => CheckTimeouts());
    }

    protected override void PreStart()
    {
        _gauges.Add(ExtractionMetrics.Waiting.Register(() => Volatile.Read(ref _waitingCount)));
        _gauges.Add(ExtractionMetrics.InFlight.Register(() => Volatile.Read(ref _inFlightCount)));
    }

    protected override void PostStop()
    {
        foreach (IDisposable g in _gauges) g.Dispose();
    }

    /// <summary>Publishes the queue lengths to the backlog gauges (after every change of the queues).</summary>
    private void UpdateBacklog()
    {
        Volatile.Write(ref _waitingCount, _waiting.Count);
        Volatile.Write(ref _inFlightCount, _inFlight.Count);
    }

    public static Props PropsFor(IActorRef region, IFeatureStore store, CoordinatorOptions? options = null) =>
        Props.Create(() => new ExtractionCoordinator(region, store, options ?? new CoordinatorOptions()));

    private void Start(RunExtraction run)
    {
        if (_run is not null)
        {
            Sender.Tell(new Status.Failure(new InvalidOperationException("an extraction is already running on this coordinator")));
            return;
        }
        var duplicateIds = run.Clips.GroupBy(c => c.ClipId).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (duplicateIds.Count > 0)
        {
            Sender.Tell(new Status.Failure(new ArgumentException($"clip ids must be unique; repeated: {string.Join(", ", duplicateIds.Take(5))}")));
            return;
        }
        _run = run;
        _requester = Sender;
        _started = DateTime.UtcNow;
        foreach (ClipSource c in run.Clips) { _waiting.Enqueue(c); _byId[c.ClipId] = c; }
        Timers.StartPeriodicTimer("tick", new Tick(), TimeSpan.FromMilliseconds(500));
        Pump();
        CompleteIfDone();
    }

    private void Pump()
    {
        while (_inFlight.Count < _options.MaxInFlight && _waiting.TryDequeue(out ClipSource? clip))
        {
            var f = new InFlight(clip);
            _inFlight[clip.ClipId] = f;
            Send(f);
        }
        UpdateBacklog();
    }

    private void Send(InFlight f)
    {
        f.Attempts++;
        f.SentAt = DateTime.UtcNow;
        _region.Tell(new ExtractClip(f.Clip.ClipId, _run!.ServeAudio ? "" : f.Clip.Path, _run.SettingsJson, _run.ReturnFeatures));
    }

    private void CheckTimeouts()
    {
        DateTime now = DateTime.UtcNow;
        foreach (InFlight f in _inFlight.Values.Where(f => now - f.SentAt > _options.RetryAfterOrDefault).ToList())
        {
            if (f.Attempts >= _options.MaxAttempts)
            {
                Record(new ClipResult(f.Clip.ClipId, null, "", false,
                    $"{f.Clip.Path}: no extractor answered after {f.Attempts} attempts; check that nodes with the 'extractor' role are up", f.Attempts));
                continue;
            }
            _retries++;
            _log.Info("clip {0}: no answer after {1}, resending (attempt {2})", f.Clip.ClipId, _options.RetryAfterOrDefault, f.Attempts + 1);
            Send(f);
        }
        Pump();
        CompleteIfDone();
    }

    private void OnExtracted(ClipExtracted m)
    {
        if (_results.ContainsKey(m.ClipId) || !_inFlight.ContainsKey(m.ClipId)) { _duplicates++; _returnedFeatures.Remove(m.ClipId); return; }
        var key = new FeatureKey(m.ContentHash, m.SettingsHash);
        string? error = null;
        if (_run!.ReturnFeatures)
        {
            if (_returnedFeatures.Remove(m.ClipId, out byte[]? bytes))
            {
                try { _store.Put(key, DirectoryFeatureStore.Decode(bytes, m.ClipId)); }
                catch (Exception e) when (e is InvalidDataException or IOException) { error = $"{m.ClipId}: returned features unusable: {e.Message}"; }
            }
            else error = $"{m.ClipId}: node {m.Node} reported features but none arrived";
        }
        Record(new ClipResult(m.ClipId, error is null ? key : null, m.Node, m.Cached, error, _inFlight[m.ClipId].Attempts));
        _perNode[m.Node] = _perNode.GetValueOrDefault(m.Node) + 1;
        Pump();
        CompleteIfDone();
    }

    private void OnFailed(ClipFailed m)
    {
        if (_results.ContainsKey(m.ClipId) || !_inFlight.ContainsKey(m.ClipId)) { _duplicates++; return; }
        Record(new ClipResult(m.ClipId, null, m.Node, false, m.Reason, _inFlight[m.ClipId].Attempts));
        Pump();
        CompleteIfDone();
    }

    private void ServeAudio(AudioRequest req)
    {
        if (!_byId.TryGetValue(req.ClipId, out ClipSource? clip))
        {
            Sender.Tell(new ClipFailed(req.ClipId, "coordinator", $"clip '{req.ClipId}' is not part of this run"));
            return;
        }
        byte[] bytes;
        try { bytes = File.ReadAllBytes(clip.Path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Sender.Tell(new ClipFailed(req.ClipId, "coordinator", $"{clip.Path}: cannot be read: {e.Message}"));
            return;
        }
        foreach (DataChunk c in ChunkAssembler.Split($"{req.ClipId}|audio|{Guid.NewGuid():N}", bytes))
            Sender.Tell(c);
    }

    private void OnChunk(DataChunk chunk)
    {
        try
        {
            byte[]? whole = _assembler.Add(chunk);
            if (whole is not null) _returnedFeatures[chunk.TransferId.Split('|')[0]] = whole;
        }
        catch (InvalidDataException e)
        {
            _log.Warning("dropping a broken feature transfer: {0}", e.Message);
        }
    }

    private void Record(ClipResult r)
    {
        _results[r.ClipId] = r;
        _inFlight.Remove(r.ClipId);
        UpdateBacklog();
        _run!.ProgressTo?.Tell(new ExtractionProgress(_results.Values.Count(x => x.Error is null), _results.Values.Count(x => x.Error is not null), _run.Clips.Count, r.Node));
    }

    private void CompleteIfDone()
    {
        if (_run is null || _results.Count < _run.Clips.Count) return;
        Timers.CancelAll();
        _requester.Tell(new ExtractionSummary(new Dictionary<string, ClipResult>(_results), new Dictionary<string, int>(_perNode),
            _retries, _duplicates, DateTime.UtcNow - _started));
        _run = null;
        _results.Clear(); _byId.Clear(); _perNode.Clear(); _returnedFeatures.Clear();
        _retries = _duplicates = 0;
    }
}
