using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using EmotionCluster.Audio;

namespace EmotionCluster.Streaming;

/// <summary>
/// The sharded entity of one stream (entity id = stream id, role <c>predictor</c>). Holds the stream's
/// <see cref="StreamSession"/> and runs one window at a time: features on the node's <see cref="FeatureWorkers"/>, then
/// its <see cref="InferenceBatcher"/>; results, overload reports and the end go to the stream's client actor.
/// </summary>
public sealed class PredictorActor : ReceiveActor
{
    private sealed record WindowDone(WindowSpan Window, long DueAt, float[] Probabilities, string ModelId, string[] Labels, InputLevel Level);
    private sealed record WindowFailed(Exception Error);
    private sealed record AheadDone;

    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(2);

    private readonly string _streamId;
    private readonly StreamingServices _services;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private StreamSession? _session;
    private IActorRef _client = ActorRefs.Nobody;
    private bool _busy;
    private bool _stopping;

    public static Props PropsFor(string streamId, StreamingServices services) => Props.Create(() => new PredictorActor(streamId, services));

    public PredictorActor(string streamId, StreamingServices services)
    {
        _streamId = streamId;
        _services = services;
        Context.SetReceiveTimeout(IdleTimeout);

        Receive<StartStream>(Start);
        Receive<AudioFrame>(m =>
        {
            if (!Started(m)) return;
            if (_session!.Ended) return; // late frames after the end are ignored
            _session.Append(m.Samples, Stopwatch.GetTimestamp());
            _client.Tell(new FrameAck(_streamId, m.Seq));
            Pump();
        });
        Receive<EndStream>(m =>
        {
            if (!Started(m)) return;
            _session!.End(Stopwatch.GetTimestamp());
            Pump();
        });
        Receive<StopStream>(_ =>
        {
            if (_session is null || Sender.Equals(_client)) Stop(); // only the stream's own client can stop it
        });
        Receive<WindowDone>(Done);
        Receive<AheadDone>(_ =>
        {
            _busy = false;
            Pump();
        });
        Receive<WindowFailed>(f =>
        {
            _busy = false;
            var kind = f.Error is StreamProtocolException p ? p.Kind : StreamErrorKind.ServerError;
            _log.Warning(f.Error, "stream {0}: inference failed", _streamId);
            _client.Tell(new StreamFailed(_streamId, kind, $"inference failed: {f.Error.Message}"));
            Stop();
        });
        Receive<Terminated>(_ => Stop());
        Receive<ReceiveTimeout>(_ =>
        {
            if (_busy) return;
            _client.Tell(new StreamFailed(_streamId, StreamErrorKind.BadMessage, $"stream '{_streamId}' sent nothing for {IdleTimeout.TotalSeconds:0} s and was closed"));
            Stop();
        });
    }

    private void Start(StartStream m)
    {
        if (_session is not null)
        {
            if (!m.ReplyTo.Equals(_client))
                m.ReplyTo.Tell(new StreamFailed(_streamId, StreamErrorKind.Unavailable, $"stream id '{_streamId}' is in use; pick another streamId or leave it out"));
            return;
        }
        StreamingModel? model = _services.Models.Current;
        if (model is null)
        {
            m.ReplyTo.Tell(new StreamFailed(_streamId, StreamErrorKind.ServerError,
                $"no model is loaded on the predictor node; set {StreamingSettings.Section}:ModelPath or publish one on the '{ModelPublishing.Topic}' topic"));
            Stop();
            return;
        }
        _session = new StreamSession(m.SampleRate, _services.Settings, model.InputSeconds);
        _client = m.ReplyTo;
        Context.Watch(_client);
        _client.Tell(new StreamStarted(_streamId, model.Id, model.Labels, model.SampleRate, _session.WindowSeconds));
    }

    private bool Started(IWithStreamId m)
    {
        if (_session is not null && !Sender.Equals(_client))
        {
            Sender.Tell(new StreamFailed(_streamId, StreamErrorKind.Unavailable, $"stream id '{_streamId}' belongs to another connection"));
            return false;
        }
        if (_session is not null) return true;
        Sender.Tell(new StreamFailed(_streamId, StreamErrorKind.BadMessage, $"stream '{_streamId}' was not started (or has ended); send a start message first"));
        Stop();
        return false;
    }

    private void Done(WindowDone d)
    {
        _busy = false;
        if (_session is null) return;
        HopResult hop = _session.Complete(d.Window, d.Probabilities, d.Level);
        double latency = Stopwatch.GetElapsedTime(d.DueAt).TotalMilliseconds;
        StreamingMetrics.Predictions.Add(1);
        StreamingMetrics.HopLatency.Record(latency);
        _client.Tell(new StreamPrediction(_streamId, d.ModelId, hop.StartSeconds, hop.EndSeconds, d.Labels, hop.Probabilities, hop.Label,
            hop.Smoothed.Label, hop.Smoothed.Probabilities, latency, d.Window.Final, hop.Uncertain, hop.Level));
        Pump();
    }

    private void Pump()
    {
        if (_session is null || _stopping) return;
        // one window in flight per stream, its samples read only by its feature computation: the session's window buffer is reused
        if (!_busy && _session.TryTakeNext(out WindowSpan window, out float[] samples, out long dueAt, Stopwatch.GetTimestamp(), reuseBuffer: true)) Run(window, samples, dueAt);
        long dropped = _session.TakeUnreportedDrops();
        if (dropped > 0)
        {
            StreamingMetrics.DroppedHops.Add(dropped);
            _client.Tell(new StreamOverload(_streamId, _session.DroppedHops));
        }
        if (!_busy && _session.Ended && _session.Waiting == 0)
        {
            _client.Tell(new StreamEnded(_streamId, _session.Hops, _session.DroppedHops));
            Stop();
        }
    }

    private void Run(WindowSpan window, float[] samples, long dueAt)
    {
        ModelLease? lease = _services.Models.Acquire();
        if (lease is null)
        {
            Self.Tell(new WindowFailed(new StreamProtocolException(StreamErrorKind.ServerError, "the model was unloaded")));
            return;
        }
        _busy = true;
        RunWindow(window, samples, dueAt, lease, _session!.SampleRate, _session.Normalization, _session.Gate, _services).PipeTo(Self);
    }

    /// <summary>Features on a feature thread, then the batched model; the lease is released when the window is done.</summary>
    private static async Task<object> RunWindow(WindowSpan window, float[] samples, long dueAt, ModelLease lease, int rate,
        StreamNormalization normalization, StreamGate? gate, StreamingServices services)
    {
        try
        {
            if (window.Ahead)
            {
                // the audio so far, for the stream's gate ahead of the first window: no prediction
                await services.Features.Run(() =>
                {
                    lease.Model.GateAhead(samples, rate, gate!);
                    return 0;
                });
                return new AheadDone();
            }
            long queued = Stopwatch.GetTimestamp();
            var (features, level) = await services.Features.Run(() =>
            {
                long started = Stopwatch.GetTimestamp();
                StreamingMetrics.FeatureWait.Record(Stopwatch.GetElapsedTime(queued, started).TotalMilliseconds);
                var level = InputLevel.Measure(samples, rate); // the client's raw audio, before preprocessing normalizes it
                var f = lease.Model.Features(samples, rate, normalization, gate, window.Start);
                StreamingMetrics.FeatureDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                return (f, level);
            });
            float[] probabilities = await services.Batcher.PredictAsync(lease, features);
            return new WindowDone(window, dueAt, probabilities, lease.Model.Id, lease.Model.Labels, level);
        }
        catch (Exception e)
        {
            return new WindowFailed(e);
        }
        finally
        {
            lease.Dispose();
        }
    }

    protected override void PostStop()
    {
        _session?.Dispose(); // its buffers go to the next streams
        base.PostStop();
    }

    private void Stop()
    {
        if (_stopping) return;
        _stopping = true;
        Context.SetReceiveTimeout(null);
        Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }
}

/// <summary>Routes streaming messages to entities by stream id.</summary>
public sealed class StreamMessageExtractor(int maxShards) : HashCodeMessageExtractor(maxShards)
{
    public override string? EntityId(object message) => (message as IWithStreamId)?.StreamId;
}

/// <summary>Marker type for the predictor shard region in the actor registry.</summary>
public sealed class PredictorRegion;
