using System.Runtime.Serialization;
using Xunit;

namespace EmotionCluster.Evaluator.Tests;

/// <summary>Every event and message survives the binary serializer; bad payloads fail with a clear message.</summary>
public sealed class SerializerTests
{
    private static readonly EvaluatorSerializer Serializer = new(null!);
    private static readonly DateTimeOffset At = new(2026, 11, 25, 10, 30, 15, 123, TimeSpan.FromHours(2));

    private static EvaluationMetrics WithAbsentClass()
    {
        var report = EmotionCluster.Metrics.ClassificationMetrics.Compute([0, 0, 1], [0, 2, 1], Samples.Labels);
        Assert.Null(report.PerClass[2].Recall); // class 2 never occurs in the truth
        return EvaluationMetrics.From(report);
    }

    private static readonly RunDescription Description = new("0123456789abcdef", "emodb", "/data/ëmodb", "stratified-42", 42, 2, 2);

    public static TheoryData<object> Values() => new(new object[]
    {
        new RunStarted("r-1", "{\"lr\":0.001,\"name\":\"ünïcode\"}", Samples.Labels, At),
        new RunStarted("r-1", "{}", Samples.Labels, At) { Description = Description },
        new StartRun("r-1", "{}", Samples.Labels) { Description = Description },
        new EpochEvaluated("r-1", 7, 0.25, 0.5, Samples.Metrics(7), At),
        new EpochEvaluated("r-1", 8, 0.25, null, WithAbsentClass(), At),
        new EpochEvaluated("r-1", 9, 0.25, null, null, At),
        new RecordEpoch("r-1", 9, 0.25, null, null),
        new RunCompleted("r-1", 7, Samples.Metrics(1), At),
        new RunCompleted("r-1", null, null, At),
        new RunFailed("r-1", "CUDA out of memory", At),
        new StartRun("r-1", "{}", Samples.Labels),
        new RecordEpoch("r-1", 1, 2.5, 2.75, Samples.Metrics(2)),
        new CompleteRun("r-1", 3, WithAbsentClass()),
        new CompleteRun("r-1", null, null),
        new FailRun("r-1", "reason"),
        new GetRun("r-1"),
        new EvaluatorAck("r-1", nameof(EpochEvaluated), 42, true),
        new EvaluatorRejected("r-1", "why"),
        new RunView("r-1", new RunStarted("r-1", "{}", Samples.Labels, At) { Description = Description },
            [new EpochEvaluated("r-1", 1, 1, 1, Samples.Metrics(1), At), new EpochEvaluated("r-1", 2, 0.5, null, Samples.Metrics(2), At)],
            new RunCompleted("r-1", 1, null, At), null),
        new RunView("r-2", null, [], null, new RunFailed("r-2", "x", At)),
        new EpochEvaluated("r-1", 10, 0.25, 0.5, Samples.Metrics(7), At) { LearningRate = 0.00125, Seconds = 3.5 },
        new RecordEpoch("r-1", 10, 0.25, 0.5, Samples.Metrics(7)) { LearningRate = 0.00125, Seconds = 3.5 },
        new FoldCompleted("cv-1", Samples.Fold(2), At),
        new CrossValidationCompleted("cv-1", Samples.Summary(2), At),
        new ArtifactsRecorded("r-1", Samples.Artifacts(), At),
        new RecordFold("cv-1", Samples.Fold(1)),
        new CompleteCrossValidation("cv-1", Samples.Summary(1)),
        new RecordArtifacts("r-1", Samples.Artifacts()),
        new RunView("cv-1", new RunStarted("cv-1", "{}", Samples.Labels, At), [], null, null)
        {
            Folds = [new FoldCompleted("cv-1", Samples.Fold(1), At)], CrossValidation = new CrossValidationCompleted("cv-1", Samples.Summary(1), At),
            Artifacts = new ArtifactsRecorded("cv-1", Samples.Artifacts() with { Role = ReportRole.CrossValidation, Split = [] }, At),
        },
    });

    [Theory]
    [MemberData(nameof(Values))]
    public void Round_trips(object value)
    {
        byte[] bytes = Serializer.ToBinary(value);
        object back = Serializer.FromBinary(bytes, Serializer.Manifest(value));
        Assert.Equal(value, back);
        if (value is RunStarted started) Assert.Equal(started.StartedAt.Offset, ((RunStarted)back).StartedAt.Offset);
    }

    [Fact]
    public void Predictions_round_trip()
    {
        var value = new RecordPredictions("r-1", 2, 0.5, null, [0, 1, 2, 2], [2, 1, 0, 2]);
        var back = Assert.IsType<RecordPredictions>(Serializer.FromBinary(Serializer.ToBinary(value), Serializer.Manifest(value)));
        Assert.Equal((value.RunId, value.Epoch, value.TrainLoss, value.ValLoss), (back.RunId, back.Epoch, back.TrainLoss, back.ValLoss));
        Assert.Equal(value.Truth, back.Truth);
        Assert.Equal(value.Predicted, back.Predicted);
    }

    [Fact]
    public void Every_type_has_its_own_manifest_and_the_event_manifests_are_versioned()
    {
        var manifests = Values().Select(row => Serializer.Manifest(row.Data)).Distinct().ToList();
        // + RecordPredictions, and the readers kept for what older versions wrote: EpochEvaluated.1, RunStarted.1, RecordEpoch and
        // StartRun (outbox files), RunView and RunView.2, and the messages' manifests from before they were versioned
        string[] legacy = ["RunStarted.1", "EpochEvaluated.1", "StartRun", "RecordEpoch", "RunView", "RunView.2", "RecordFold", "CompleteCrossValidation",
            "RecordArtifacts", "RecordPredictions", "CompleteRun", "FailRun", "GetRun", "EvaluatorAck", "EvaluatorRejected"];
        Assert.Equal(legacy.Order(), EvaluatorWire.Protocol.LegacyManifests.Order());
        Assert.Equal(EvaluatorSerializer.Manifests.Count, manifests.Count + 1 + legacy.Length);
        Assert.All(manifests, m => Assert.Matches(@"^[A-Za-z]+\.[1-9][0-9]*$", m)); // every manifest written is Name.version
        Assert.All(new[] { "RunStarted.1", "RunStarted.2", "EpochEvaluated.1", "EpochEvaluated.2", "RunCompleted.1", "RunFailed.1", "FoldCompleted.1",
            "CrossValidationCompleted.1", "ArtifactsRecorded.1" }, m => Assert.Contains(m, EvaluatorSerializer.Manifests));
        Assert.NotEqual(EmotionCluster.Extraction.EmotionClusterSerializer.SerializerId, EvaluatorSerializer.SerializerId);
    }

    [Fact]
    public void Every_type_in_the_table_is_among_the_round_trip_values()
    {
        var covered = Values().Select(row => row.Data.GetType()).Append(typeof(RecordPredictions));
        Assert.Empty(EvaluatorWire.Protocol.MessageTypes.Except(covered));
        Assert.Empty(EvaluatorWire.Protocol.TypesMissingFrom(typeof(IEvaluatorEvent).Assembly));
    }

    [Fact]
    public void Messages_under_their_manifests_from_before_versioning_still_read()
    {
        // RecordFold, GetRun, … were written without a version (a trainer's outbox file may hold them): the same layout as their .1
        var read = new List<string>();
        foreach (object value in Values().Select(row => row.Data).Append(new FailRun("r-1", "why")))
        {
            string manifest = Serializer.Manifest(value);
            string old = manifest[..manifest.LastIndexOf('.')];
            if (!manifest.EndsWith(".1") || !EvaluatorWire.Protocol.LegacyManifests.Contains(old)) continue;
            Assert.Equal(value, Serializer.FromBinary(Serializer.ToBinary(value), old));
            read.Add(old);
        }
        var predictions = new RecordPredictions("r-1", 2, 0.5, null, [0, 1], [1, 1]);
        var back = Assert.IsType<RecordPredictions>(Serializer.FromBinary(Serializer.ToBinary(predictions), "RecordPredictions"));
        Assert.Equal(predictions.Predicted, back.Predicted);
        Assert.Equal(["CompleteCrossValidation", "CompleteRun", "EvaluatorAck", "EvaluatorRejected", "FailRun", "GetRun", "RecordArtifacts", "RecordFold"],
            read.Distinct().Order());
    }

    [Fact]
    public void Epochs_written_before_the_learning_rate_was_recorded_still_read()
    {
        // EpochEvaluated.1's layout: the .2 payload without its two trailing nullable doubles (two "absent" flags)
        var evt = new EpochEvaluated("r", 3, 0.5, 0.75, Samples.Metrics(1), At);
        byte[] v2 = Serializer.ToBinary(evt);
        Assert.Equal("EpochEvaluated.2", Serializer.Manifest(evt));
        var old = Assert.IsType<EpochEvaluated>(Serializer.FromBinary(v2[..^2], "EpochEvaluated.1"));
        Assert.Equal(evt, old);
        Assert.Null(old.LearningRate);
        var command = new RecordEpoch("r", 3, 0.5, 0.75, Samples.Metrics(1));
        Assert.Equal(command, Serializer.FromBinary(Serializer.ToBinary(command)[..^2], "RecordEpoch")); // a trainer's outbox file from before
    }

    [Fact]
    public void Runs_started_before_the_description_was_recorded_still_read()
    {
        // RunStarted.1 as the journals of earlier builds hold it, byte for byte: run id "r", settings "{}", labels ["a","b"],
        // started at 2026-11-25 08:30:15.123 UTC (ticks little-endian) with offset +120 minutes
        long ticks = new DateTimeOffset(2026, 11, 25, 8, 30, 15, 123, TimeSpan.Zero).UtcTicks;
        byte[] v1 = [1, (byte)'r', 2, (byte)'{', (byte)'}', 2, 0, 0, 0, 1, (byte)'a', 1, (byte)'b', .. BitConverter.GetBytes(ticks), 120, 0];
        var old = Assert.IsType<RunStarted>(Serializer.FromBinary(v1, "RunStarted.1"));
        Assert.Equal(new RunStarted("r", "{}", ["a", "b"], new DateTimeOffset(2026, 11, 25, 10, 30, 15, 123, TimeSpan.FromHours(2))), old);
        Assert.Null(old.Description);
        // the new layout is the old one and the description: without one, a single "absent" flag
        var evt = new RunStarted("r", "{}", ["a", "b"], old.StartedAt);
        Assert.Equal("RunStarted.2", Serializer.Manifest(evt));
        Assert.Equal([.. v1, 0], Serializer.ToBinary(evt));
        // a trainer's outbox file from before holds StartRun without a description
        var command = new StartRun("r", "{}", ["a", "b"]);
        Assert.Equal("StartRun.2", Serializer.Manifest(command));
        Assert.Equal(command, Serializer.FromBinary(Serializer.ToBinary(command)[..^1], "StartRun"));
        // a RunView from a node of the version before (RunView.2: its start without description)
        var view = new RunView("r", evt, [], null, null);
        byte[] v3 = Serializer.ToBinary(view);
        int flag = 2 + 1 + v1.Length; // after the run id "r", the "has a start" flag and the start's .1 layout
        Assert.Equal(view, Serializer.FromBinary([.. v3[..flag], .. v3[(flag + 1)..]], "RunView.2"));
    }

    [Fact]
    public void A_matrix_is_stored_as_counts_not_text()
    {
        var evt = new EpochEvaluated("r", 1, 1, 1, Samples.Metrics(1), At);
        byte[] bytes = Serializer.ToBinary(evt);
        Assert.DoesNotContain((byte)'[', bytes);
        Assert.True(bytes.Length < 200, $"{bytes.Length} bytes");
    }

    [Fact]
    public void Malformed_and_unknown_payloads_fail_clearly()
    {
        var evt = new EpochEvaluated("r", 1, 1, 1, Samples.Metrics(1), At);
        byte[] bytes = Serializer.ToBinary(evt);
        var truncated = Assert.Throws<SerializationException>(() => Serializer.FromBinary(bytes[..^5], "EpochEvaluated.2"));
        Assert.Contains("malformed evaluator 'EpochEvaluated.2'", truncated.Message);
        var trailing = Assert.Throws<SerializationException>(() => Serializer.FromBinary([.. bytes, 1, 2], "EpochEvaluated.2"));
        Assert.Contains("2 trailing bytes", trailing.Message);
        var unknown = Assert.Throws<SerializationException>(() => Serializer.FromBinary(bytes, "EpochEvaluated.9"));
        Assert.Contains("unknown evaluator manifest 'EpochEvaluated.9'", unknown.Message);
        byte[] hugeCount = Serializer.ToBinary(new StartRun("r", "{}", ["a"]))[..^1]; // the old layout: no description flag
        hugeCount[^6] = 0x7F; // the label count (its low byte): 127 labels in a payload of 2 bytes left
        Assert.Throws<SerializationException>(() => Serializer.FromBinary(hugeCount, "StartRun"));
        Assert.Throws<SerializationException>(() => Serializer.ToBinary("not an evaluator message"));
    }
}
