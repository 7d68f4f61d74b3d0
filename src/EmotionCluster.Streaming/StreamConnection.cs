using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Akka.Actor;

namespace EmotionCluster.Streaming;

/// <summary>
/// One client WebSocket: start message, binary frames to the stream's predictor entity, results back as JSON.
/// One reader (this task) and one writer (<see cref="WriteLoop"/>, the only sender on the socket). Memory is bounded:
/// frames in flight to the predictor are capped (<see cref="StreamingSettings.MaxFramesInFlight"/>; more are dropped
/// and reported as overload) and the outgoing queue keeps the newest 256 messages.
/// </summary>
internal sealed class StreamConnection
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan EndTimeout = TimeSpan.FromSeconds(60);

    private readonly WebSocket _socket;
    private readonly StreamingSettings _settings;
    private readonly IActorRef _region;
    private readonly ActorSystem _system;
    private readonly Channel<object> _outbox = Channel.CreateBounded<object>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly TaskCompletionSource<object> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inFlight;
    private long _droppedFrames, _droppedHops;
    private long _lastOverloadReport;
    private volatile bool _finished;

    public StreamConnection(WebSocket socket, StreamingSettings settings, IActorRef region, ActorSystem system)
    {
        _socket = socket;
        _settings = settings;
        _region = region;
        _system = system;
    }

    /// <summary>Called by <see cref="StreamClientActor"/> for every message from the predictor.</summary>
    internal void FromPredictor(object message)
    {
        switch (message)
        {
            case FrameAck:
                Interlocked.Decrement(ref _inFlight);
                return;
            case StreamStarted or StreamFailed when !_started.Task.IsCompleted:
                _started.TrySetResult(message);
                if (message is StreamStarted) _outbox.Writer.TryWrite(message);
                return;
            default:
                _outbox.Writer.TryWrite(message);
                return;
        }
    }

    public async Task RunAsync(CancellationToken cancel)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(_settings.MaxFrameBytes + 1);
        IActorRef? client = null, clientActor = null;
        string? streamId = null;
        Task writer = Task.CompletedTask;
        using IDisposable outgoingGauge = StreamingMetrics.OutgoingQueue.Register(() => _outbox.Reader.Count);
        using IDisposable inFlightGauge = StreamingMetrics.FramesInFlight.Register(() => Volatile.Read(ref _inFlight));
        try
        {
            StartRequest start;
            using (var startCancel = CancellationTokenSource.CreateLinkedTokenSource(cancel))
            {
                startCancel.CancelAfter(StartTimeout);
                var (type, length) = await ReceiveMessage(buffer, startCancel.Token);
                if (type == WebSocketMessageType.Close) return;
                if (type != WebSocketMessageType.Text)
                    throw new StreamProtocolException(StreamErrorKind.BadMessage,
                        "the first message must be the JSON start message {\"sampleRate\":16000,\"channels\":1,\"format\":\"pcm16\"}, not audio");
                start = StartRequest.Parse(buffer.AsSpan(0, length));
            }
            streamId = start.StreamId ?? Guid.NewGuid().ToString("N");
            var decoder = new FrameDecoder(start, _settings.MaxFrameBytes);
            client = clientActor = _system.ActorOf(StreamClientActor.PropsFor(this), $"stream-client-{Guid.NewGuid():N}");
            _region.Tell(new StartStream(streamId, start.SampleRate, client), client);

            object first = await _started.Task.WaitAsync(StartTimeout, cancel);
            if (first is StreamFailed failed)
            {
                client = null; // the stream is not ours: nothing to stop
                throw new StreamProtocolException(failed.Kind, failed.Message);
            }
            writer = WriteLoop(start, cancel);

            long seq = 0;
            while (!_finished)
            {
                var (type, length) = await ReceiveMessage(buffer, cancel);
                if (type == WebSocketMessageType.Close)
                {
                    _region.Tell(new StopStream(streamId), client);
                    _outbox.Writer.TryComplete();
                    break;
                }
                if (type == WebSocketMessageType.Text)
                {
                    if (!IsEnd(buffer.AsSpan(0, length)))
                        throw new StreamProtocolException(StreamErrorKind.BadMessage,
                            "text messages after the start must be {\"type\":\"end\"}; send audio as binary frames");
                    _region.Tell(new EndStream(streamId), client);
                    break;
                }
                float[] samples = decoder.Decode(buffer.AsSpan(0, length));
                for (int at = 0; at < samples.Length; at += AudioFrame.MaxSamples)
                {
                    float[] piece = samples.Length <= AudioFrame.MaxSamples ? samples : samples.AsSpan(at, Math.Min(AudioFrame.MaxSamples, samples.Length - at)).ToArray();
                    if (Volatile.Read(ref _inFlight) >= _settings.MaxFramesInFlight)
                    {
                        Interlocked.Increment(ref _droppedFrames);
                        StreamingMetrics.DroppedFrames.Add(1);
                        ReportOverload();
                        continue;
                    }
                    Interlocked.Increment(ref _inFlight);
                    _region.Tell(new AudioFrame(streamId, seq++, piece), client);
                }
            }
            await writer.WaitAsync(EndTimeout, cancel);
        }
        catch (StreamProtocolException e)
        {
            StreamingMetrics.Errors.Add(1);
            if (streamId is not null && client is not null) _region.Tell(new StopStream(streamId), client);
            _outbox.Writer.TryWrite(new StreamFailed(streamId ?? "", e.Kind, e.Message));
            _outbox.Writer.TryComplete();
            if (writer.IsCompleted) await WriteLoop(null, cancel); // the writer was not running yet: send the error now
            else await writer.WaitAsync(EndTimeout, cancel);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or TimeoutException)
        {
            if (streamId is not null && client is not null) _region.Tell(new StopStream(streamId), client);
        }
        finally
        {
            if (clientActor is not null) _system.Stop(clientActor);
            ArrayPool<byte>.Shared.Return(buffer);
            await DrainClose();
        }
    }

    private void ReportOverload()
    {
        long now = Environment.TickCount64;
        long last = Interlocked.Read(ref _lastOverloadReport);
        if (now - last < 1000 || Interlocked.CompareExchange(ref _lastOverloadReport, now, last) != last) return;
        _outbox.Writer.TryWrite(new StreamOverload("", -1));
    }

    /// <summary>One whole message into <paramref name="buffer"/>; a message over MaxFrameBytes is an error.</summary>
    private async Task<(WebSocketMessageType Type, int Length)> ReceiveMessage(byte[] buffer, CancellationToken cancel)
    {
        int length = 0;
        while (true)
        {
            var result = await _socket.ReceiveAsync(buffer.AsMemory(length, buffer.Length - length), cancel);
            if (result.MessageType == WebSocketMessageType.Close) return (WebSocketMessageType.Close, 0);
            length += result.Count;
            if (length > _settings.MaxFrameBytes)
                throw new StreamProtocolException(StreamErrorKind.TooBig,
                    $"a message of more than {_settings.MaxFrameBytes} bytes arrived; the limit is {_settings.MaxFrameBytes} bytes per message (send e.g. 100 ms of audio per frame)");
            if (result.EndOfMessage) return (result.MessageType, length);
        }
    }

    private static bool IsEnd(ReadOnlySpan<byte> json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json.ToArray());
            return doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() == "end";
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The only sender on the socket: JSON for each predictor message; closes after the end or an error.</summary>
    private async Task WriteLoop(StartRequest? start, CancellationToken cancel)
    {
        try
        {
            await foreach (object message in _outbox.Reader.ReadAllAsync(cancel))
            {
                switch (message)
                {
                    case StreamStarted s:
                        await SendJson(w =>
                        {
                            w.WriteString("type", "started");
                            w.WriteString("streamId", s.StreamId);
                            w.WriteString("model", s.ModelId);
                            w.WriteStartArray("labels");
                            foreach (string l in s.Labels) w.WriteStringValue(l);
                            w.WriteEndArray();
                            w.WriteNumber("modelSampleRate", s.ModelSampleRate);
                            if (start is not null) w.WriteNumber("sampleRate", start.SampleRate);
                            w.WriteNumber("windowSeconds", s.WindowSeconds);
                            w.WriteNumber("hopSeconds", _settings.HopSeconds);
                            w.WriteNumber("maxBufferedSeconds", _settings.MaxBufferedSeconds);
                            w.WriteNumber("maxFrameBytes", _settings.MaxFrameBytes);
                            w.WriteString("smoothing", _settings.Smoothing);
                            w.WriteNumber("uncertainBelow", _settings.UncertainBelow);
                        }, cancel);
                        break;
                    case StreamPrediction p:
                        await SendJson(w =>
                        {
                            w.WriteString("type", "prediction");
                            w.WriteNumber("t", Math.Round(p.EndSeconds, 6));
                            w.WriteNumber("start", Math.Round(p.StartSeconds, 6));
                            w.WriteStartObject("probabilities");
                            for (int i = 0; i < p.Labels.Length; i++) w.WriteNumber(p.Labels[i], p.Probabilities[i]);
                            w.WriteEndObject();
                            w.WriteString("label", p.Labels[p.Label]);
                            w.WriteString("smoothed", p.Labels[p.Smoothed]);
                            w.WriteStartObject("smoothedProbabilities");
                            for (int i = 0; i < p.Labels.Length; i++) w.WriteNumber(p.Labels[i], p.SmoothedProbabilities[i]);
                            w.WriteEndObject();
                            w.WriteNumber("latencyMs", Math.Round(p.LatencyMs, 3));
                            w.WriteString("model", p.ModelId);
                            w.WriteBoolean("final", p.Final);
                            StreamJson.WriteHonesty(w, p);
                        }, cancel);
                        break;
                    case StreamOverload o:
                        if (o.DroppedHops >= 0) Interlocked.Exchange(ref _droppedHops, o.DroppedHops);
                        await SendJson(w =>
                        {
                            w.WriteString("type", "overload");
                            w.WriteNumber("droppedHops", Interlocked.Read(ref _droppedHops));
                            w.WriteNumber("droppedFrames", Interlocked.Read(ref _droppedFrames));
                            w.WriteString("message", "audio arrives faster than the node can predict; windows or frames were dropped (send in real time, or add predictor nodes)");
                        }, cancel);
                        break;
                    case StreamFailed f:
                        await SendJson(w =>
                        {
                            w.WriteString("type", "error");
                            w.WriteString("message", f.Message);
                        }, cancel);
                        await Close(StreamProtocolException.CloseStatusFor(f.Kind), Truncate(f.Message), cancel);
                        return;
                    case StreamEnded e:
                        await SendJson(w =>
                        {
                            w.WriteString("type", "end");
                            w.WriteNumber("predictions", e.Predictions);
                            w.WriteNumber("droppedHops", e.DroppedHops);
                            w.WriteNumber("droppedFrames", Interlocked.Read(ref _droppedFrames));
                        }, cancel);
                        await Close(WebSocketCloseStatus.NormalClosure, "stream ended", cancel);
                        return;
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // the client went away; the reader notices too
        }
        finally
        {
            _finished = true;
            _outbox.Writer.TryComplete();
        }
    }

    private async Task Close(WebSocketCloseStatus status, string reason, CancellationToken cancel)
    {
        if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            await _socket.CloseOutputAsync(status, reason, cancel);
    }

    /// <summary>Close reasons are limited to 123 bytes.</summary>
    private static string Truncate(string reason)
    {
        if (Encoding.UTF8.GetByteCount(reason) <= 120) return reason;
        var sb = new StringBuilder();
        foreach (char c in reason)
        {
            if (Encoding.UTF8.GetByteCount(sb.ToString() + c) > 117) break;
            sb.Append(c);
        }
        return sb.Append("...").ToString();
    }

    private async Task SendJson(Action<Utf8JsonWriter> write, CancellationToken cancel)
    {
        var output = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(output))
        {
            w.WriteStartObject();
            write(w);
            w.WriteEndObject();
        }
        await _socket.SendAsync(output.WrittenMemory, WebSocketMessageType.Text, true, cancel);
    }

    /// <summary>After our close frame, wait briefly for the client's so the close handshake completes cleanly.</summary>
    private async Task DrainClose()
    {
        if (_socket.State != WebSocketState.CloseSent) return;
        var scratch = new byte[1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            while (_socket.State == WebSocketState.CloseSent)
                if ((await _socket.ReceiveAsync(scratch, timeout.Token)).MessageType == WebSocketMessageType.Close) break;
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
    }
}

/// <summary>The local end of one WebSocket stream: the predictor entity replies here, wherever it runs.</summary>
internal sealed class StreamClientActor : UntypedActor
{
    private readonly StreamConnection _connection;

    public StreamClientActor(StreamConnection connection) => _connection = connection;

    public static Props PropsFor(StreamConnection connection) => Props.Create(() => new StreamClientActor(connection));

    protected override void OnReceive(object message)
    {
        if (message is IStreamingMessage) _connection.FromPredictor(message);
        else Unhandled(message);
    }
}
