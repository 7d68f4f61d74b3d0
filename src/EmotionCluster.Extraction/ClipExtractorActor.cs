using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using EmotionCluster.Wire;

namespace EmotionCluster.Extraction;

/// <summary>
/// Sharded entity owning one clip: gets the audio (local file, or bytes from the coordinator), runs the plain
/// <see cref="ClipExtractionService"/>, answers with <see cref="ClipExtracted"/> or <see cref="ClipFailed"/>, then
/// passivates. All the signal processing lives in the service; this actor only moves messages.
/// </summary>
public sealed class ClipExtractorActor : ReceiveActor
{
    public static readonly TimeSpan AudioTimeout = TimeSpan.FromSeconds(30);

    private readonly string _clipId;
    private readonly IExtractionServiceFactory _services;
    private readonly ExtractorNodeStats _stats;
    private readonly string _node;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private ChunkAssembler _assembler = new();

    public ClipExtractorActor(string clipId, IExtractionServiceFactory services, ExtractorNodeStats stats)
    {
        _clipId = clipId;
        _services = services;
        _stats = stats;
        _node = Akka.Cluster.Cluster.Get(Context.System).SelfAddress.ToString();
        Idle();
    }

    public static Props PropsFor(string clipId, IExtractionServiceFactory services, ExtractorNodeStats stats) =>
        Props.Create(() => new ClipExtractorActor(clipId, services, stats));

    private void Idle()
    {
        Receive<ExtractClip>(Start);
    }

    private void Start(ExtractClip msg)
    {
        if (msg.SourcePath.Length > 0 && File.Exists(msg.SourcePath))
        {
            byte[] bytes;
            try { bytes = File.ReadAllBytes(msg.SourcePath); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Fail(Sender, $"{msg.SourcePath}: cannot be read: {e.Message}");
                return;
            }
            Process(msg, bytes, Sender);
            return;
        }
        // The file is not on this node: fetch the bytes from whoever asked.
        IActorRef replyTo = Sender;
        _assembler = new ChunkAssembler();
        replyTo.Tell(new AudioRequest(_clipId));
        Context.SetReceiveTimeout(AudioTimeout);
        Become(() => AwaitingAudio(msg, replyTo));
    }

    private void AwaitingAudio(ExtractClip msg, IActorRef replyTo)
    {
        Receive<DataChunk>(chunk =>
        {
            byte[]? audio;
            try { audio = _assembler.Add(chunk); }
            catch (InvalidDataException e)
            {
                Context.SetReceiveTimeout(null);
                Become(Idle);
                Fail(replyTo, $"clip {_clipId}: audio transfer failed: {e.Message}");
                return;
            }
            if (audio is null) return;
            Context.SetReceiveTimeout(null);
            Become(Idle);
            Process(msg, audio, replyTo);
        });
        Receive<ClipFailed>(f =>
        {
            // The coordinator could not supply the audio either.
            Context.SetReceiveTimeout(null);
            Become(Idle);
            Fail(replyTo, f.Reason);
        });
        Receive<ExtractClip>(retry => { Context.SetReceiveTimeout(null); Become(Idle); Start(retry); });
        Receive<ReceiveTimeout>(_ =>
        {
            Context.SetReceiveTimeout(null);
            Become(Idle);
            _log.Warning("clip {0}: no audio arrived within {1}; waiting for a retry", _clipId, AudioTimeout);
        });
    }

    private void Process(ExtractClip msg, byte[] wav, IActorRef replyTo)
    {
        ClipExtractionService service;
        try { service = _services.ForSettings(msg.SettingsJson); }
        catch (Exception e) when (e is ArgumentException or FormatException or System.Text.Json.JsonException)
        {
            Fail(replyTo, $"bad feature settings from the coordinator: {e.Message}");
            return;
        }

        long started = ExtractionMetrics.Start();
        ExtractionOutcome outcome = service.Extract(_clipId, wav, loadCached: msg.ReturnFeatures);
        ExtractionMetrics.Finished(started, outcome.Succeeded, outcome.Cached);
        if (!outcome.Succeeded || outcome.Key is not { } key)
        {
            Fail(replyTo, outcome.Error ?? "unknown error");
            return;
        }
        int bins = 0, frames = 0;
        if (msg.ReturnFeatures && outcome.Features is { } f)
        {
            bins = f.Bins; frames = f.Frames;
            string transfer = $"{_clipId}|{Guid.NewGuid():N}";
            foreach (DataChunk c in ChunkAssembler.Split(transfer, DirectoryFeatureStore.Encode(f)))
                replyTo.Tell(c);
        }
        else if (outcome.Features is { } g) { bins = g.Bins; frames = g.Frames; }
        _stats.CountExtracted(outcome.Cached);
        ExtractionMetrics.CountExtracted(outcome.Cached);
        replyTo.Tell(new ClipExtracted(_clipId, key.ContentHash, key.SettingsHash, _node, outcome.Cached, bins, frames));
        Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }

    private void Fail(IActorRef replyTo, string reason)
    {
        _stats.CountFailed();
        ExtractionMetrics.CountFailed();
        replyTo.Tell(new ClipFailed(_clipId, _node, reason));
        Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }
}

/// <summary>Routes <see cref="IWithClipId"/> messages to their clip's entity; a fixed number of shards.</summary>
public sealed class ClipMessageExtractor(int maxShards) : HashCodeMessageExtractor(maxShards)
{
    public override string? EntityId(object message) => (message as IWithClipId)?.ClipId;
}

/// <summary>Marker type for the clip extractor shard region in the actor registry.</summary>
public sealed class ClipExtractorRegion;
