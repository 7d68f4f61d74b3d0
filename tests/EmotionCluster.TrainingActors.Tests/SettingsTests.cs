using EmotionCluster.Extraction;
using EmotionCluster.Hosting;
using EmotionCluster.Model;
using EmotionCluster.TrainingActors;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace EmotionCluster.TrainingActors.Tests;

public class SettingsTests
{
    [Fact]
    public void Cuda_without_cuda_and_unknown_devices_fail_clearly()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new TrainerOptions { Device = "cuda:1" }.Validate());
        Assert.Contains("CUDA is not available", e.Message);
        Assert.Throws<ArgumentException>(() => new TrainerOptions { Device = "tpu" }.Validate());
        new TrainerOptions { Device = "cpu" }.Validate();
    }

    [Fact]
    public void Bad_options_name_the_setting()
    {
        Assert.Contains("StepTimeout", Assert.Throws<ArgumentException>(() => new TrainerOptions { StepTimeout = TimeSpan.Zero }.Validate()).Message);
        Assert.Contains("MinReplicas", Assert.Throws<ArgumentException>(() => new TrainerOptions { MinReplicas = 0 }.Validate()).Message);
        Assert.Contains("Threads", Assert.Throws<ArgumentException>(() => new TrainerOptions { Threads = -1 }.Validate()).Message);
    }

    [Fact]
    public void Plateau_schedule_is_refused_by_the_data_parallel_trainer()
    {
        using var data = new Synthetic();
        var recipe = Synthetic.Recipe();
        Assert.Contains("Plateau", Assert.Throws<ArgumentException>(() => data.Replica(recipe with { Training = recipe.Training with { Schedule = LrSchedule.Plateau } })).Message);
        Assert.Contains("AverageLastEpochs", Assert.Throws<ArgumentException>(() => data.Replica(recipe with { Training = recipe.Training with { AverageLastEpochs = 3 } })).Message);
    }

    [Fact]
    public void A_training_setting_given_to_a_node_is_refused_with_the_fix()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EmotionCluster:Training:Manifest"] = "m.json", ["EmotionCluster:Training:Epochs"] = "3", ["EmotionCluster:Training:Threads"] = "1",
        }).Build();
        var e = Assert.Throws<ArgumentException>(() => TrainerOptions.From(configuration));
        Assert.Contains("Epochs is not a setting of a trainer node", e.Message);
        Assert.Contains("emotioncluster manifest", e.Message);
        var ok = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EmotionCluster:Training:Manifest"] = "m.json", ["EmotionCluster:Training:Threads"] = "1",
        }).Build();
        Assert.Equal(("m.json", 1), (TrainerOptions.From(ok).Manifest, TrainerOptions.From(ok).Threads));
    }

    [Fact]
    public void A_node_overrides_only_its_device_and_threads()
    {
        var recipe = Synthetic.Recipe();
        Assert.Equal(recipe, new TrainerOptions().ForThisNode(recipe)); // unset: the recipe's own
        var mine = new TrainerOptions { Device = "cpu", Threads = 2 }.ForThisNode(recipe);
        Assert.Equal(2, mine.Training.Threads);
        Assert.Equal(recipe with { Training = recipe.Training with { Threads = 2 } }, mine);
        Assert.Equal(recipe.Hash(), mine.Hash()); // device and threads are not part of the run's identity
    }

    [Fact]
    public void A_manifest_from_before_the_one_recipe_is_refused_with_the_fix()
    {
        using var data = new Synthetic(trainCount: 3, validationCount: 0);
        string path = Path.Combine(data.Root, "old.json");
        File.WriteAllText(path, """{"labels":["a","b","c"],"featureSettingsJson":"{}","train":[{"clipId":"x","contentHash":"aa","settingsHash":"bb","label":0}],"validation":[]}""");
        var e = Assert.Throws<InvalidDataException>(() => TrainingManifest.Load(path));
        Assert.Contains("older build", e.Message);
        Assert.Contains("emotioncluster manifest", e.Message);
    }

    [Fact]
    public void Run_id_follows_the_manifest_and_the_run_settings_but_not_the_paths()
    {
        using var data = new Synthetic();
        var a = Synthetic.Recipe();
        var b = a with { Training = a.Training with { Device = "cuda", Threads = 8 } }; // per-node keys
        Assert.Equal(RunIdentity.Of(data.ManifestFor(a)), RunIdentity.Of(data.ManifestFor(b)));
        var c = a with { Training = a.Training with { LearningRate = 0.5 } };
        Assert.NotEqual(RunIdentity.Of(data.ManifestFor(a)), RunIdentity.Of(data.ManifestFor(c)));
        Assert.NotEqual(RunIdentity.Of(data.ManifestFor(a)), RunIdentity.Of(data.ManifestFor(a) with { Train = data.Manifest.Train[1..] }));
        Assert.Matches("^train-[0-9a-f]{16}$", RunIdentity.Of(data.ManifestFor(a)));
    }

    [Fact]
    public void Missing_features_and_bad_manifests_name_the_clip_and_the_fix()
    {
        using var data = new Synthetic();
        var manifest = data.Manifest with { Train = [.. data.Manifest.Train, new ManifestExample("lost", new string('a', 64), "0123456789abcdef", 1)] };
        var e = Assert.Throws<InvalidDataException>(() => TrainingData.Load(manifest, data.Store));
        Assert.Contains("'lost'", e.Message);
        Assert.Contains("run the extraction first", e.Message);

        string path = Path.Combine(data.Root, "bad.json");
        (data.Manifest with { Train = [data.Manifest.Train[0] with { Label = 9 }] }).Save(path);
        Assert.Contains("label 9", Assert.Throws<InvalidDataException>(() => TrainingManifest.Load(path)).Message);
        Assert.Contains("does not exist", Assert.Throws<FileNotFoundException>(() => TrainingManifest.Load(path + ".nope")).Message);
    }

    [Fact]
    public void Features_of_other_lengths_are_cropped_or_padded_to_the_recipes_frames()
    {
        using var data = new Synthetic(trainCount: 3, validationCount: 0);
        var recipe = Synthetic.Recipe();
        var loaded = TrainingData.Load(data.Manifest, data.Store, recipe with { Input = recipe.Input with { Frames = 10 } });
        Assert.All(loaded.TrainX, x => Assert.Equal(10, x.Frames));
        Assert.Equal(data.Manifest.Train.Select(e => e.Label), loaded.TrainY);
    }

    [Fact]
    public void Every_training_message_type_is_in_the_wire_table()
    {
        // A message type added to ITrainingMessage without a table entry would be refused by the serializer (Akka would
        // not send it); this finds it by reflection over the assembly that defines the training messages.
        var types = typeof(ITrainingMessage).Assembly.GetTypes().Count(t => typeof(ITrainingMessage).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false });
        Assert.True(types >= 14, $"only {types} message types found");
        Assert.Empty(TrainingWire.Protocol.TypesMissingFrom(typeof(ITrainingMessage).Assembly));
        Assert.Equal(types, TrainingWire.Protocol.MessageTypes.Count);
    }

    [Fact]
    public void Every_message_round_trips_through_the_binary_serializer()
    {
        var serializer = new TrainingSerializer(null!);
        object[] messages =
        [
            new ReplicaReady("r", 5, "node"),
            new StepStart("r", 6, 1, 3),
            new GradientContributed("r", 6, 1, 2.5, 3.5, 2, 4),
            new NeedState("r", 6, 2, "node"),
            new StateSnapshot("r", 6, "t"),
            new TrainingFinished("r", 60, 10),
            new TrainingProgress("r", 2, 10, 6, 60, 0.5, 123.4, 2, "node", DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000)),
            new EpochMetrics("r", 2, 0.5, 0.75, null, 0.5, 0.4, 2),
        ];
        foreach (var m in messages)
            Assert.Equal(m, serializer.FromBinary(serializer.ToBinary(m), serializer.Manifest(m)));
        var completed = new StepCompleted("r", 6, true, [0, 1], [2], 5, 0.7, 3, 8);
        var c = (StepCompleted)serializer.FromBinary(serializer.ToBinary(completed), serializer.Manifest(completed));
        Assert.Equal([0, 1], c.Contributors);
        Assert.Equal([2], c.Dropped);
        Assert.Equal(completed with { Contributors = c.Contributors, Dropped = c.Dropped }, c);
        var frame = new GradientFrame("r", 1, -1, 0, 1, 2, [1, 2, 3, 4, 5, 6, 7, 8]);
        var back = (GradientFrame)serializer.FromBinary(serializer.ToBinary(frame), serializer.Manifest(frame));
        Assert.Equal(frame.Bytes, back.Bytes);
        Assert.Equal(frame with { Bytes = back.Bytes }, back);
    }

    [Fact]
    public async Task Status_board_reports_progress_and_epochs()
    {
        var board = new TrainingStatusBoard();
        Assert.Equal("idle", board.Current.State);
        board.Report(new TrainingProgress("r", 2, 5, 10, 25, 0.8, 99, 2, "n", DateTimeOffset.UtcNow));
        board.Report(new EpochMetrics("r", 1, 0.9, 0.5, 1.1, 0.4, 0.35, 2));
        var s = await board.GetStatusAsync(CancellationToken.None);
        Assert.Equal(("running", "r", 2, 5), (s.State, s.RunId, s.Epoch, s.MaxEpochs));
        Assert.Equal(0.35, s.ValidationUar);
        Assert.Contains("2 replica(s)", s.Message);
        board.Report(new TrainingProgress("r", 5, 5, 25, 25, 0.3, 99, 2, "n", DateTimeOffset.UtcNow));
        Assert.Equal("finished", board.Current.State);
    }
}
