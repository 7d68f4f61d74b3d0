using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using EmotionCluster.Audio;
using EmotionCluster.Evaluator;
using EmotionCluster.Extraction;
using EmotionCluster.Hosting;
using EmotionCluster.TrainingActors;
using EmotionCluster.Wire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EmotionCluster.Streaming.Tests;

/// <summary>
/// The wire protocols of all bounded contexts together (this test project sees every src assembly): every message type
/// of every marker interface is in its context's table, one hosting call binds them all, every message round-trips,
/// and the manifests written before versioning still read the same bytes.
/// </summary>
public sealed class WireProtocolTests : IDisposable
{
    private static readonly WireProtocol[] All = [ExtractionWire.Protocol, TrainingWire.Protocol, EvaluatorWire.Protocol, StreamingWire.Protocol];

    private static readonly System.Reflection.Assembly[] Assemblies =
        [typeof(IEmotionClusterMessage).Assembly, typeof(ITrainingMessage).Assembly, typeof(IEvaluatorMessage).Assembly, typeof(IStreamingMessage).Assembly,
         typeof(EmotionCluster.Management.ActorHierarchy).Assembly, typeof(EmotionCluster.Experiments.Workflow).Assembly];

    private readonly ActorSystem _system = ActorSystem.Create("wire-protocols");

    /// <summary>One message of every type of the cluster, training and streaming tables (the evaluator's are in Evaluator.Tests' SerializerTests).</summary>
    private object[] Samples() =>
    [
        new ExtractClip("03a01Wa.wav", "/data/emodb/wav/03a01Wa.wav", "{\"mel\":{\"nMels\":64}}", true),
        new AudioRequest("ünïcode/clip 1.wav"),
        new DataChunk("clip|abc", 2, 5, 300_000, [1, 2, 3, 255]),
        new ClipExtracted("c", new string('a', 64), "0123456789abcdef", "akka.tcp://emotioncluster@127.0.0.1:4053", true, 64, 312),
        new ClipFailed("c", "akka.tcp://x@h:1", "c.wav: not a RIFF/WAVE file"),
        new ReplicaReady("r", 5, "node"),
        new StepStart("r", 6, 1, 3),
        new GradientFrame("r", 1, -1, 0, 1, 2, [1, 2, 3, 4, 5, 6, 7, 8]),
        new GradientContributed("r", 6, 1, 2.5, 3.5, 2, 4),
        new StepCompleted("r", 6, true, [0, 1], [2], 5, 0.7, 3, 8),
        new NeedState("r", 6, 2, "node"),
        new StateSnapshot("r", 6, "t"),
        new TrainFold("r", "/m/manifest.json", "/m/model.ecm", "/m/checkpoints"),
        new TrainReplicated("r", "/m/manifest.json", "/m/model.ecm", "/m/checkpoints", ["akka.tcp://a@h:1", "akka.tcp://b@h:2"]),
        new FoldTrained("r", "/m/model.ecm", 3, 7, true),
        new FoldFailed("r", "busy"),
        new SubmitDataParallelRun("r", "/m/manifest.json", "/m/model.ecm", "/m/checkpoints", 2, ["x"], ["a", "b"]),
        new DataParallelRunAccepted("r", "n", ["a"]),
        new DataParallelRunCompleted("r", "/m/model.ecm", 3, 4, true, "b", ["a", "b"]),
        new DataParallelRunFailed("r", "why"),
        new JobAccepted("r", "n"),
        new CancelRun("r", "why"),
        new TrainingRunUpdate("r", "running", "c", ["a", "b"], "detail"),
        new GetTrainingRuns("r"),
        new TrainingRuns("r", "c", [new TrainingRunUpdate("r", "completed", "c", ["a"], "")]),
        new TrainingFinished("r", 60, 10),
        new TrainingProgress("r", 2, 10, 6, 60, 0.5, 123.4, 2, "node", DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000)),
        new EpochMetrics("r", 2, 0.5, 0.75, null, 0.5, 0.4, 2) { LearningRate = 1e-3, Seconds = 2.5, IsBest = true },
        new StartStream("s1", 44100, _system.DeadLetters),
        new AudioFrame("s1", 7, [0.5f, -0.25f, float.Epsilon]),
        new EndStream("s1"),
        new StopStream("s1"),
        new StreamStarted("s1", "m@abc", ["a", "b"], 16000, 3.0),
        new FrameAck("s1", 9),
        new StreamPrediction("s1", "m@abc", 0.5, 2.5, ["a", "b"], [0.25f, 0.75f], 1, 0, [0.6f, 0.4f], 12.5, true, true, new InputLevel(-50.5, -48.25, -30, 0.002, 32000)),
        new StreamOverload("s1", 3),
        new StreamFailed("s1", StreamErrorKind.TooBig, "too big"),
        new StreamEnded("s1", 4, 1),
        new ModelPublished("m", null, 1, 3, [1, 2, 3]),
        new ModelPublished("m", "/models/m.zip", 0, 1, []),
    ];

    [Fact]
    public void Every_message_type_of_every_marker_interface_is_in_exactly_one_table()
    {
        foreach (var protocol in All)
            Assert.True(protocol.TypesMissingFrom(Assemblies).Count == 0,
                $"{protocol.Name}: {string.Join(", ", protocol.TypesMissingFrom(Assemblies).Select(t => t.Name))} not in the table");
        var types = All.SelectMany(p => p.MessageTypes).ToList();
        Assert.Equal(types.Count, types.Distinct().Count());
        foreach (var protocol in All)
            foreach (var type in protocol.MessageTypes)
                Assert.Equal([protocol.Name], All.Where(p => p.MarkerInterfaces.Any(m => m.IsAssignableFrom(type))).Select(p => p.Name));
        Assert.Equal(All.Length, All.Select(p => p.SerializerId).Distinct().Count());
        Assert.All(All.SelectMany(p => p.MessageTypes.Select(p.ManifestOf)), m => Assert.Matches(@"^[A-Za-z]+\.[1-9][0-9]*$", m));
    }

    [Fact]
    public async Task One_hosting_call_binds_every_marker_interface_to_its_serializer()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], DisableDefaults = true });
        builder.Services.AddAkka("wire-hosting", (akka, _) => akka.WithWireSerializer(All));
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var system = host.Services.GetRequiredService<ActorSystem>();
            foreach (var protocol in All)
                foreach (var type in protocol.MessageTypes)
                {
                    var serializer = system.Serialization.FindSerializerForType(type);
                    Assert.True(serializer.Identifier == protocol.SerializerId, $"{type.Name} goes to serializer {serializer.Identifier} ({serializer.GetType().Name}), not {protocol.Name}'s");
                    Assert.IsAssignableFrom<WireSerializer>(serializer);
                }
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public void Every_message_round_trips_and_the_manifests_from_before_versioning_read_the_same_bytes()
    {
        var samples = Samples();
        foreach (var protocol in new[] { ExtractionWire.Protocol, TrainingWire.Protocol, StreamingWire.Protocol })
            Assert.Empty(protocol.MessageTypes.Except(samples.Select(s => s.GetType())));
        var legacyRead = new HashSet<string>();
        foreach (object sample in samples)
        {
            var protocol = All.Single(p => p.ManifestOf(sample.GetType()) is not null);
            var serializer = protocol.CreateSerializer((ExtendedActorSystem)_system);
            byte[] bytes = serializer.ToBinary(sample);
            Assert.Equal(Json(sample), Json(serializer.FromBinary(bytes, serializer.Manifest(sample))));
            foreach (string legacy in protocol.LegacyManifests)
            {
                // StreamStarted.2 appended the stream's window to version 1's layout; version 1 (and "ST") meant 2 s windows
                bool v1 = sample is StreamStarted && legacy is "ST" or "StreamStarted.1";
                object old;
                try { old = serializer.FromBinary(v1 ? StreamStartedV1((StreamStarted)sample) : bytes, legacy); }
                catch (System.Runtime.Serialization.SerializationException) { continue; } // another type's layout
                if (old.GetType() != sample.GetType()) continue;
                Assert.Equal(Json(v1 ? (StreamStarted)sample with { WindowSeconds = 2.0 } : sample), Json(old));
                legacyRead.Add(legacy);
            }
        }
        // every old manifest of these three contexts is the same layout under its new name
        Assert.Equal(new[] { ExtractionWire.Protocol, TrainingWire.Protocol, StreamingWire.Protocol }.SelectMany(p => p.LegacyManifests).Order(), legacyRead.Order());
    }

    /// <summary>A <see cref="StreamStarted"/> as version 1 wrote it: without the window.</summary>
    private static byte[] StreamStartedV1(StreamStarted m)
    {
        using var bytes = new MemoryStream();
        using (var w = new BinaryWriter(bytes))
        {
            w.Write(m.StreamId);
            w.Write(m.ModelId);
            w.WriteStrings(m.Labels);
            w.Write(m.ModelSampleRate);
        }
        return bytes.ToArray();
    }

    private static string Json(object value) => JsonSerializer.Serialize(value, value.GetType(), JsonOptions);

    private static readonly JsonSerializerOptions JsonOptions = new() { Converters = { new ActorRefPath() } };

    private sealed class ActorRefPath : System.Text.Json.Serialization.JsonConverter<IActorRef>
    {
        public override IActorRef Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => throw new NotSupportedException();
        public override void Write(Utf8JsonWriter writer, IActorRef value, JsonSerializerOptions options) => writer.WriteStringValue(value.Path.ToString());
    }

    public void Dispose() => _system.Dispose();
}
