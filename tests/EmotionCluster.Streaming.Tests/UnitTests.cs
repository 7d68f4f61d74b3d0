using System.Net.WebSockets;
using System.Text;
using Akka.Actor;
using EmotionCluster.Audio;

namespace EmotionCluster.Streaming.Tests;

public sealed class SampleRingTests
{
    [Fact]
    public void Keeps_the_last_capacity_samples_across_wraps()
    {
        var ring = new SampleRing(10);
        var all = Enumerable.Range(0, 37).Select(i => (float)i).ToArray();
        foreach (var chunk in all.Chunk(3)) ring.Append(chunk);
        Assert.Equal(37, ring.Total);
        Assert.Equal(27, ring.Oldest);
        var copy = new float[10];
        ring.CopyTo(27, copy);
        Assert.Equal(all[27..], copy);
        var middle = new float[4];
        ring.CopyTo(30, middle);
        Assert.Equal(all[30..34], middle);
    }

    [Fact]
    public void A_chunk_larger_than_the_ring_keeps_its_tail()
    {
        var ring = new SampleRing(4);
        ring.Append([1, 2]);
        ring.Append([3, 4, 5, 6, 7, 8, 9]);
        Assert.Equal(9, ring.Total);
        var copy = new float[4];
        ring.CopyTo(5, copy);
        Assert.Equal([6f, 7, 8, 9], copy);
    }

    [Fact]
    public void Overwritten_or_future_samples_are_refused()
    {
        var ring = new SampleRing(4);
        ring.Append([1, 2, 3, 4, 5, 6]);
        Assert.False(ring.Holds(1, 2));
        Assert.True(ring.Holds(2, 4));
        Assert.False(ring.Holds(4, 3));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ring.CopyTo(0, new float[2]));
        Assert.Contains("not in the ring", e.Message);
    }
}

public sealed class WindowSchedulerTests
{
    [Fact]
    public void First_window_when_full_then_every_hop()
    {
        var s = new WindowScheduler(window: 100, hop: 25);
        Assert.Empty(s.Advance(99));
        Assert.Equal([new WindowSpan(0, 100)], s.Advance(100));
        Assert.Equal([new WindowSpan(25, 100), new WindowSpan(50, 100)], s.Advance(170));
        Assert.Empty(s.Advance(174));
    }

    [Fact]
    public void Flush_covers_a_short_stream_whole()
    {
        var s = new WindowScheduler(100, 25);
        Assert.Empty(s.Advance(60));
        Assert.Equal(new WindowSpan(0, 60, Final: true), s.Flush(60));
        Assert.Null(s.Flush(60));
    }

    [Fact]
    public void Flush_adds_a_window_ending_at_the_last_sample_only_when_audio_followed_the_last_window()
    {
        var exact = new WindowScheduler(100, 25);
        Assert.Equal(2, exact.Advance(125).Count);
        Assert.Null(exact.Flush(125)); // the last window already ends at the last sample

        var s = new WindowScheduler(100, 25);
        s.Advance(125);
        Assert.Equal(new WindowSpan(30, 100, Final: true), s.Flush(130));
        Assert.Empty(s.Advance(1000));
    }

    [Fact]
    public void Bad_window_or_hop_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new WindowScheduler(0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WindowScheduler(10, 11));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WindowScheduler(10, 0));
    }
}

public sealed class SmoothingTests
{
    [Fact]
    public void Ema_blends_hops_with_alpha()
    {
        var s = SmoothingSpec.Parse("ema:0.5").Create();
        Assert.Equal(0, s.Update([0.9f, 0.1f]).Label);
        var second = s.Update([0.1f, 0.9f]);
        Assert.Equal(0.5f, second.Probabilities[0], 1e-6f);
        var third = s.Update([0.1f, 0.9f]);
        Assert.Equal(1, third.Label);
        Assert.Equal(0.3f, third.Probabilities[0], 1e-6f);
    }

    [Fact]
    public void Majority_votes_over_the_last_k_hops_ties_to_the_most_recent()
    {
        var s = SmoothingSpec.Parse("majority:3").Create();
        Assert.Equal(0, s.Update([0.9f, 0.1f, 0f]).Label);
        Assert.Equal(1, s.Update([0.1f, 0.9f, 0f]).Label); // 1-1 tie: most recent
        Assert.Equal(1, s.Update([0.2f, 0.8f, 0f]).Label);
        Assert.Equal(1, s.Update([0.9f, 0.1f, 0f]).Label); // last three: 1, 1, 0
        Assert.Equal(2, s.Update([0f, 0f, 1f]).Label); // 1, 0, 2: a three-way tie goes to the most recent
        var last = s.Update([0f, 0f, 1f]); // 0, 2, 2
        Assert.Equal(2, last.Label);
        Assert.Equal(2f / 3, last.Probabilities[2], 1e-6f);
    }

    [Fact]
    public void None_is_the_hop_itself()
    {
        var s = SmoothingSpec.Parse("none").Create();
        Assert.Equal(1, s.Update([0.2f, 0.8f]).Label);
        Assert.Equal(0, s.Update([0.8f, 0.2f]).Label);
    }

    [Theory]
    [InlineData("ema:0")]
    [InlineData("ema:1.5")]
    [InlineData("majority:0")]
    [InlineData("median:3")]
    [InlineData("ema")]
    public void Bad_specs_name_the_forms(string spec)
    {
        var e = Assert.Throws<ArgumentException>(() => SmoothingSpec.Parse(spec));
        Assert.Contains("ema:ALPHA", e.Message);
    }
}

public sealed class ProtocolTests
{
    private static StartRequest Start(string json) => StartRequest.Parse(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Start_message_with_defaults()
    {
        var s = Start("""{"sampleRate":44100}""");
        Assert.Equal(new StartRequest(44100, 1, StreamFormat.Pcm16, null), s);
        Assert.Equal(new StartRequest(16000, 2, StreamFormat.Float32, "mic-1"), Start("""{"sampleRate":16000,"channels":2,"format":"float32","streamId":"mic-1"}"""));
    }

    [Theory]
    [InlineData("not json", "not JSON")]
    [InlineData("[1,2]", "JSON object")]
    [InlineData("""{"channels":1}""", "lacks \"sampleRate\"")]
    [InlineData("""{"sampleRate":100}""", "outside 4000..192000")]
    [InlineData("""{"sampleRate":16000,"channels":9}""", "channels 9")]
    [InlineData("""{"sampleRate":16000,"format":"mp3"}""", "format 'mp3' is unknown")]
    [InlineData("""{"sampleRate":16000,"streamId":"a/b"}""", "streamId 'a/b'")]
    [InlineData("""{"sampleRate":16000.5}""", "whole number")]
    public void Bad_start_messages_are_typed_errors(string json, string expected)
    {
        var e = Assert.Throws<StreamProtocolException>(() => Start(json));
        Assert.Equal(StreamErrorKind.BadMessage, e.Kind);
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, e.CloseStatus);
        Assert.Contains(expected, e.Message);
        Assert.Contains("sampleRate", e.Message); // says what to send
    }

    [Fact]
    public void Pcm16_frames_decode_and_stereo_is_averaged()
    {
        var d = new FrameDecoder(new StartRequest(16000, 2, StreamFormat.Pcm16, null), 1024);
        byte[] frame = [0x00, 0x40, 0x00, 0x20, 0x00, 0xC0, 0x00, 0xC0]; // (0.5, 0.25), (-0.5, -0.5)
        Assert.Equal([0.375f, -0.5f], d.Decode(frame));
    }

    [Fact]
    public void Odd_bytes_partial_frames_nan_and_oversized_frames_are_typed_errors()
    {
        var pcm = new FrameDecoder(new StartRequest(16000, 1, StreamFormat.Pcm16, null), 1024);
        var odd = Assert.Throws<StreamProtocolException>(() => pcm.Decode(new byte[101]));
        Assert.Equal(StreamErrorKind.BadAudio, odd.Kind);
        Assert.Contains("101 bytes", odd.Message);

        var stereo = new FrameDecoder(new StartRequest(16000, 2, StreamFormat.Pcm16, null), 1024);
        Assert.Contains("2-channel frames", Assert.Throws<StreamProtocolException>(() => stereo.Decode(new byte[6])).Message);

        var floats = new FrameDecoder(new StartRequest(16000, 1, StreamFormat.Float32, null), 1024);
        var nan = BitConverter.GetBytes(float.NaN).Concat(BitConverter.GetBytes(0.5f)).ToArray();
        var e = Assert.Throws<StreamProtocolException>(() => floats.Decode(nan));
        Assert.Equal(StreamErrorKind.BadAudio, e.Kind);
        Assert.Contains("NaN", e.Message);
        Assert.Equal(0.5f, floats.Decode(BitConverter.GetBytes(0.5f))[0]);

        var big = Assert.Throws<StreamProtocolException>(() => pcm.Decode(new byte[1026]));
        Assert.Equal(StreamErrorKind.TooBig, big.Kind);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, big.CloseStatus);
    }
}

public sealed class SettingsTests
{
    [Fact]
    public void Defaults_are_valid()
    {
        var s = new StreamingSettings();
        s.Validate();
        Assert.Null(s.WindowSeconds); // the model's input length
        Assert.Equal(0.5, s.HopSeconds);
    }

    [Theory]
    [InlineData(nameof(StreamingSettings.HopSeconds), "HopSeconds")]
    [InlineData(nameof(StreamingSettings.MaxBufferedSeconds), "MaxBufferedSeconds")]
    [InlineData(nameof(StreamingSettings.Smoothing), "Smoothing")]
    [InlineData(nameof(StreamingSettings.MaxFrameBytes), "MaxFrameBytes")]
    [InlineData(nameof(StreamingSettings.FeatureThreads), "FeatureThreads")]
    [InlineData(nameof(StreamingSettings.InferenceWorkers), "InferenceWorkers")]
    public void Bad_settings_name_the_setting(string which, string expected)
    {
        var s = new StreamingSettings();
        switch (which)
        {
            case nameof(StreamingSettings.HopSeconds): s.WindowSeconds = 2; s.HopSeconds = 3; break;
            case nameof(StreamingSettings.MaxBufferedSeconds): s.WindowSeconds = 2; s.MaxBufferedSeconds = 1; break;
            case nameof(StreamingSettings.Smoothing): s.Smoothing = "mean"; break;
            case nameof(StreamingSettings.MaxFrameBytes): s.MaxFrameBytes = 10; break;
            case nameof(StreamingSettings.FeatureThreads): s.FeatureThreads = -1; break;
            case nameof(StreamingSettings.InferenceWorkers): s.InferenceWorkers = 0; break;
        }
        var e = Assert.Throws<ArgumentException>(s.Validate);
        Assert.Contains(StreamingSettings.Section, e.Message);
        Assert.Contains(expected, e.Message);
    }
}

public sealed class FeatureWorkersTests
{
    [Fact]
    public async Task Work_runs_on_the_dedicated_threads_in_order_and_returns_its_result()
    {
        using var workers = new FeatureWorkers(1);
        var order = new System.Collections.Concurrent.ConcurrentQueue<int>();
        var tasks = Enumerable.Range(0, 50).Select(i => workers.Run(() =>
        {
            order.Enqueue(i);
            Assert.False(Thread.CurrentThread.IsThreadPoolThread);
            return (i, Thread.CurrentThread.Name);
        })).ToArray();
        var results = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(0, 50), results.Select(r => r.i));
        Assert.All(results, r => Assert.Equal("stream-features-0", r.Name));
        Assert.Equal(Enumerable.Range(0, 50), order); // one thread: arrival order
    }

    [Fact]
    public async Task An_exception_fails_only_its_own_task_and_the_threads_go_on()
    {
        using var workers = new FeatureWorkers(2);
        Task<int> bad = workers.Run<int>(() => throw new InvalidOperationException("boom"));
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => bad.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("boom", e.Message);
        Assert.Equal(42, await workers.Run(() => 42).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(2, workers.Threads);
    }

    [Fact]
    public async Task Dispose_finishes_queued_work_and_refuses_more()
    {
        var workers = new FeatureWorkers(1);
        var gate = new ManualResetEventSlim();
        Task<int> first = workers.Run(() => { gate.Wait(TimeSpan.FromSeconds(30)); return 1; });
        Task<int> second = workers.Run(() => 2);
        gate.Set();
        workers.Dispose();
        Assert.Equal(1, await first);
        Assert.Equal(2, await second);
        ObjectDisposedException? refused = null;
        try { _ = workers.Run(() => 3); }
        catch (ObjectDisposedException e) { refused = e; }
        Assert.NotNull(refused);
        Assert.Throws<ArgumentOutOfRangeException>(() => new FeatureWorkers(0));
    }
}

public sealed class StreamBuffersTests
{
    [Fact]
    public void Buffers_are_reused_by_exact_length_and_a_disposed_ring_gives_its_buffer_back()
    {
        const int length = 12_345; // a length no other test uses
        float[] a = StreamBuffers.Rent(length);
        Assert.Equal(length, a.Length);
        StreamBuffers.Return(a);
        Assert.Equal(1, StreamBuffers.Retained(length));
        Assert.Same(a, StreamBuffers.Rent(length));
        Assert.Equal(0, StreamBuffers.Retained(length));
        Assert.NotSame(a, StreamBuffers.Rent(length)); // none left: a new one

        var ring = new SampleRing(length);
        ring.Append([1f, 2f, 3f]);
        ring.Dispose();
        ring.Dispose(); // once only
        Assert.Equal(1, StreamBuffers.Retained(length));
        Assert.Throws<ObjectDisposedException>(() => ring.Append([4f]));
        Assert.Throws<ObjectDisposedException>(() => ring.CopyTo(0, new float[1]));

        // a reused buffer holds the old stream's audio, but a new ring reads only what it wrote
        var next = new SampleRing(length);
        Assert.False(next.Holds(0, 1));
        next.Append([9f]);
        var one = new float[1];
        next.CopyTo(0, one);
        Assert.Equal(9f, one[0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => StreamBuffers.Rent(0));
    }

    [Fact]
    public void A_disposed_session_gives_its_ring_and_window_buffer_back()
    {
        // 1.2345 s at 1 kHz: window and ring lengths no other test uses
        var settings = new StreamingSettings { WindowSeconds = 1.2345, HopSeconds = 0.5, MaxBufferedSeconds = 3.4567, Smoothing = "none" };
        int window = StreamingSettings.Samples(1.2345, 1000), ring = StreamingSettings.Samples(3.4567, 1000);
        int windowsBefore = StreamBuffers.Retained(window), ringsBefore = StreamBuffers.Retained(ring);
        var s = new StreamSession(1000, settings);
        s.Append(new float[2000]);
        Assert.True(s.TryTakeNext(out _, out var samples, out _, 0, reuseBuffer: true));
        Assert.Equal(window, samples.Length);
        s.Dispose();
        Assert.Equal(windowsBefore + 1, StreamBuffers.Retained(window));
        Assert.Equal(ringsBefore + 1, StreamBuffers.Retained(ring));
    }
}

public sealed class StreamSessionTests
{
    private static StreamingSettings Settings(double window = 1, double hop = 0.25, double buffer = 2) =>
        new() { WindowSeconds = window, HopSeconds = hop, MaxBufferedSeconds = buffer, Smoothing = "none" };

    [Fact]
    public void Windows_come_in_order_with_their_samples()
    {
        var s = new StreamSession(100, Settings());
        var audio = Enumerable.Range(0, 160).Select(i => (float)i).ToArray();
        s.Append(audio);
        Assert.True(s.TryTakeNext(out var w1, out var x1));
        Assert.Equal(new WindowSpan(0, 100), w1);
        Assert.Equal(audio[..100], x1);
        Assert.True(s.TryTakeNext(out var w2, out var x2));
        Assert.Equal(new WindowSpan(25, 100), w2);
        Assert.Equal(audio[25..125], x2);
        Assert.True(s.TryTakeNext(out _, out _));
        Assert.False(s.TryTakeNext(out _, out _));
        s.End();
        Assert.True(s.TryTakeNext(out var last, out _));
        Assert.Equal(new WindowSpan(60, 100, true), last);
        Assert.Equal(0, s.DroppedHops);
    }

    [Fact]
    public void With_buffer_reuse_full_windows_share_one_array_and_shorter_ones_get_their_own()
    {
        var s = new StreamSession(100, Settings());
        var audio = Enumerable.Range(0, 160).Select(i => (float)i).ToArray();
        s.Append(audio);
        Assert.True(s.TryTakeNext(out var w1, out var x1, out _, 0, reuseBuffer: true));
        Assert.Equal(new WindowSpan(0, 100), w1);
        Assert.Equal(audio[..100], x1);
        Assert.True(s.TryTakeNext(out var w2, out var x2, out _, 0, reuseBuffer: true));
        Assert.Same(x1, x2);
        Assert.Equal(audio[25..125], x2); // refilled with the next window's audio
        Assert.True(s.TryTakeNext(out _, out var x3, out _, 0, reuseBuffer: false));
        Assert.NotSame(x1, x3); // without reuse: a fresh array
        Assert.Equal(audio[50..150], x3);

        var shortStream = new StreamSession(100, Settings());
        shortStream.Append(audio[..40]);
        shortStream.End();
        Assert.True(shortStream.TryTakeNext(out var only, out var tail, out _, 0, reuseBuffer: true));
        Assert.Equal(new WindowSpan(0, 40, true), only); // a stream shorter than a window: its own array of its length
        Assert.Equal(audio[..40], tail);
    }

    [Fact]
    public void Windows_overwritten_while_waiting_are_dropped_and_counted_once()
    {
        var s = new StreamSession(100, Settings(buffer: 2)); // ring of 200 samples
        s.Append(new float[1000]); // 37 windows due, the ring holds only the last 200 samples
        Assert.True(s.TryTakeNext(out var w, out _));
        Assert.Equal(800, w.Start);
        Assert.Equal(32, s.DroppedHops); // windows starting before 800 lost their audio
        Assert.Equal(32, s.TakeUnreportedDrops());
        Assert.Equal(0, s.TakeUnreportedDrops());
        Assert.Equal(4, s.Waiting);
    }

    [Fact]
    public void Windows_waiting_longer_than_the_lag_limit_give_way_to_the_newest()
    {
        var s = new StreamSession(100, new StreamingSettings { WindowSeconds = 1, HopSeconds = 0.25, MaxBufferedSeconds = 10, MaxLagSeconds = 1 });
        long t0 = 1_000_000, second = System.Diagnostics.Stopwatch.Frequency;
        s.Append(new float[125], now: t0); // windows ending at 100 and 125, due at t0
        s.Append(new float[25], now: t0 + second); // the window ending at 150, due a second later
        Assert.True(s.TryTakeNext(out var first, out _, out _, now: t0 + second / 2)); // nothing is late yet
        Assert.Equal(100, first.End);
        Assert.True(s.TryTakeNext(out var next, out _, out long dueAt, now: t0 + 2 * second)); // 125 waited 2 s: dropped
        Assert.Equal(150, next.End);
        Assert.Equal(t0 + second, dueAt);
        Assert.Equal(1, s.DroppedHops);
        s.Append(new float[25], now: t0 + 2 * second);
        Assert.True(s.TryTakeNext(out var last, out _, out _, now: t0 + 10 * second)); // late, but the newest: kept
        Assert.Equal(175, last.End);
        Assert.Equal(1, s.DroppedHops);
    }

    [Fact]
    public void Results_are_smoothed_and_timed_in_seconds()
    {
        var s = new StreamSession(100, new StreamingSettings { WindowSeconds = 1, HopSeconds = 0.5, MaxBufferedSeconds = 2, Smoothing = "ema:0.5" });
        var r1 = s.Complete(new WindowSpan(0, 100), [1f, 0f]);
        var r2 = s.Complete(new WindowSpan(50, 100), [0f, 1f]);
        Assert.Equal((0.5, 1.5), (r2.StartSeconds, r2.EndSeconds));
        Assert.Equal(0, r1.Label);
        Assert.Equal(1, r2.Label);
        Assert.Equal(0.5f, r2.Smoothed.Probabilities[1], 1e-6f);
        Assert.Equal(2, s.Hops);
    }
}

public sealed class SerializerTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("serializer-test");

    [Fact]
    public void Every_message_round_trips()
    {
        var serializer = new StreamingSerializer((ExtendedActorSystem)_system);
        object[] messages =
        [
            new StartStream("s1", 44100, _system.DeadLetters),
            new AudioFrame("s1", 7, [0.5f, -0.25f, float.Epsilon]),
            new EndStream("s1"), new StopStream("s1"),
            new StreamStarted("s1", "m@abc", ["a", "b"], 16000, 3.0),
            new FrameAck("s1", 9),
            new StreamPrediction("s1", "m@abc", 0.5, 2.5, ["a", "b"], [0.25f, 0.75f], 1, 0, [0.6f, 0.4f], 12.5, true),
            new StreamOverload("s1", 3),
            new StreamFailed("s1", StreamErrorKind.TooBig, "too big"),
            new StreamEnded("s1", 4, 1),
            new ModelPublished("m", null, 1, 3, [1, 2, 3]),
            new ModelPublished("m", "/models/m.zip", 0, 1, []),
        ];
        foreach (object m in messages)
        {
            object back = serializer.FromBinary(serializer.ToBinary(m), serializer.Manifest(m));
            Assert.Equal(System.Text.Json.JsonSerializer.Serialize(m, m.GetType(), Json), System.Text.Json.JsonSerializer.Serialize(back, back.GetType(), Json));
        }
    }

    [Fact]
    public void Truncated_payloads_and_unknown_manifests_are_serialization_errors()
    {
        var serializer = new StreamingSerializer((ExtendedActorSystem)_system);
        byte[] bytes = serializer.ToBinary(new AudioFrame("s1", 1, new float[10]));
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary(bytes[..^3], "AF"));
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary(bytes, "ZZ"));
    }

    private static readonly System.Text.Json.JsonSerializerOptions Json = new() { Converters = { new ActorRefPath() } };

    private sealed class ActorRefPath : System.Text.Json.Serialization.JsonConverter<IActorRef>
    {
        public override IActorRef Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options) => throw new NotSupportedException();
        public override void Write(System.Text.Json.Utf8JsonWriter writer, IActorRef value, System.Text.Json.JsonSerializerOptions options) => writer.WriteStringValue(value.Path.ToString());
    }

    public void Dispose() => _system.Dispose();
}
