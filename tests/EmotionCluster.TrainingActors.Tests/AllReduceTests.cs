using EmotionCluster.Hosting;
using EmotionCluster.TrainingActors;
using Xunit;

namespace EmotionCluster.TrainingActors.Tests;

public class AllReduceTests
{
    private static Contribution C(int rank, double weight, params float[] values) => new(rank, weight, values);

    [Fact]
    public void Sum_and_plain_average_are_element_wise()
    {
        var list = new[] { C(0, 1, 1, 2, 3), C(1, 5, 3, 4, -3) };
        Assert.Equal([4f, 6f, 0f], GradientAllReduce.Sum(list));
        Assert.Equal([2f, 3f, 0f], GradientAllReduce.Average(list));
    }

    [Fact]
    public void Weighted_average_weighs_each_slice_by_its_weight()
    {
        // slice weights 3 and 1: (3*1 + 1*5) / 4 = 2
        var result = GradientAllReduce.WeightedAverage([C(0, 3, 1, 0), C(1, 1, 5, 4)]);
        Assert.Equal([2f, 1f], result!);
    }

    [Fact]
    public void Weighted_average_of_a_split_batch_equals_the_whole_batch_mean()
    {
        var random = new Random(3);
        var perExample = Enumerable.Range(0, 10).Select(_ => Enumerable.Range(0, 5).Select(_ => (float)random.NextDouble()).ToArray()).ToArray();
        var weights = Enumerable.Range(0, 10).Select(i => 0.5 + i % 3).ToArray();
        float[] Mean(int from, int to, out double w)
        {
            double total = 0;
            var acc = new double[5];
            for (int i = from; i < to; i++)
            {
                total += weights[i];
                for (int j = 0; j < 5; j++) acc[j] += weights[i] * perExample[i][j];
            }
            w = total;
            return acc.Select(a => (float)(a / total)).ToArray();
        }
        var whole = Mean(0, 10, out _);
        var a = Mean(0, 4, out double wa);
        var b = Mean(4, 10, out double wb);
        var reduced = GradientAllReduce.WeightedAverage([C(0, wa, a), C(1, wb, b)])!;
        for (int j = 0; j < 5; j++) Assert.Equal(whole[j], reduced[j], 1e-6f);
    }

    [Fact]
    public void Result_does_not_depend_on_arrival_order()
    {
        var random = new Random(5);
        var list = Enumerable.Range(0, 4).Select(r => C(r, 1 + r, Enumerable.Range(0, 1000).Select(_ => (float)(random.NextDouble() * 1e3)).ToArray())).ToList();
        var inOrder = GradientAllReduce.WeightedAverage(list)!;
        list.Reverse();
        var reversed = GradientAllReduce.WeightedAverage(list)!;
        Assert.True(inOrder.AsSpan().SequenceEqual(reversed)); // bit-identical
    }

    [Fact]
    public void Zero_total_weight_means_no_update_and_bad_input_is_named()
    {
        Assert.Null(GradientAllReduce.WeightedAverage([C(0, 0, 1, 2)]));
        var e = Assert.Throws<ArgumentException>(() => GradientAllReduce.Sum([C(0, 1, 1, 2), C(1, 1, 1)]));
        Assert.Contains("Replica 1 sent 1 values", e.Message);
        Assert.Throws<ArgumentException>(() => GradientAllReduce.Sum([C(0, 1, 1), C(0, 1, 1)]));
        Assert.Throws<ArgumentException>(() => GradientAllReduce.WeightedAverage([C(0, -1, 1)]));
    }

    [Fact]
    public void Frames_stay_under_64_kB_on_the_wire_and_reassemble_exactly()
    {
        var serializer = new TrainingSerializer(null!);
        var values = Enumerable.Range(0, 100_000).Select(i => MathF.Sin(i) * 1e-3f).ToArray();
        var frames = GradientFrameAssembler.Split("train-0123456789abcdef", 42, 1, values).ToList();
        Assert.Equal(7, frames.Count);
        var assembler = new GradientFrameAssembler();
        float[]? result = null;
        foreach (var f in frames)
        {
            var bytes = serializer.ToBinary(f);
            Assert.True(bytes.Length <= 64 * 1024, $"frame of {bytes.Length} bytes");
            var back = (GradientFrame)serializer.FromBinary(bytes, serializer.Manifest(f));
            Assert.Null(result);
            result = assembler.Add(back);
        }
        Assert.NotNull(result);
        Assert.True(values.AsSpan().SequenceEqual(result));
        Assert.Equal(0, assembler.OpenTransfers);
    }

    [Fact]
    public void Interleaved_transfers_of_different_steps_and_ranks_are_kept_apart()
    {
        var a = Enumerable.Range(0, 50).Select(i => (float)i).ToArray();
        var b = Enumerable.Range(0, 50).Select(i => (float)-i).ToArray();
        var fa = GradientFrameAssembler.Split("r", 1, 0, a, valuesPerFrame: 20).ToList();
        var fb = GradientFrameAssembler.Split("r", 1, 1, b, valuesPerFrame: 20).ToList();
        var fc = GradientFrameAssembler.Split("r", 2, 0, b, valuesPerFrame: 20).ToList();
        var assembler = new GradientFrameAssembler();
        var done = new List<(long, int, float[])>();
        for (int i = 0; i < 3; i++)
            foreach (var f in new[] { fa[i], fb[i], fc[i] })
                if (assembler.Add(f) is { } v) done.Add((f.Step, f.Rank, v));
        Assert.Equal(3, done.Count);
        Assert.Equal(a, done.Single(d => d.Item1 == 1 && d.Item2 == 0).Item3);
        Assert.Equal(b, done.Single(d => d.Item1 == 1 && d.Item2 == 1).Item3);
        Assert.Equal(b, done.Single(d => d.Item1 == 2).Item3);
    }

    [Fact]
    public void Out_of_order_and_stale_frames_are_rejected_or_discarded()
    {
        var frames = GradientFrameAssembler.Split("r", 3, 0, new float[100], valuesPerFrame: 30).ToList();
        var assembler = new GradientFrameAssembler();
        var e = Assert.Throws<InvalidDataException>(() => assembler.Add(frames[1]));
        Assert.Contains("step 3, rank 0", e.Message);
        assembler.Add(frames[0]);
        Assert.Throws<InvalidDataException>(() => assembler.Add(frames[2]));
        assembler.Add(frames[0]);
        Assert.Equal(1, assembler.OpenTransfers);
        Assert.Equal(1, assembler.DiscardBefore(4));
        Assert.Equal(0, assembler.OpenTransfers);
    }

    [Fact]
    public void Reducer_drops_a_missing_replica_and_averages_over_the_rest()
    {
        var reducer = new StepReducer(9, [0, 1, 2], 2);
        Assert.True(reducer.Add(new Contribution(0, 2, [1, 1], LossSum: 2, Correct: 1, Samples: 2)));
        Assert.True(reducer.Add(new Contribution(2, 2, [3, 5], LossSum: 4, Correct: 2, Samples: 2)));
        Assert.False(reducer.IsComplete);
        Assert.Equal([1], reducer.Missing);
        Assert.Throws<InvalidOperationException>(() => reducer.Reduce());
        Assert.True(reducer.Drop(1));
        Assert.False(reducer.Add(new Contribution(1, 2, [100, 100]))); // too late: ignored
        var reduced = reducer.Reduce();
        Assert.Equal([2f, 3f], reduced.Values!);
        Assert.Equal([0, 2], reduced.Contributors);
        Assert.Equal([1], reduced.Dropped);
        Assert.Equal(1.5, reduced.Loss, 9);
        Assert.Equal(4, reduced.Samples);
    }

    [Fact]
    public void Reducer_rejects_strangers_duplicates_and_wrong_lengths()
    {
        var reducer = new StepReducer(1, [0, 1], 2);
        Assert.Throws<ArgumentException>(() => reducer.Add(new Contribution(5, 1, [0, 0])));
        Assert.Contains("same model settings", Assert.Throws<ArgumentException>(() => reducer.Add(new Contribution(0, 1, [0]))).Message);
        reducer.Add(new Contribution(0, 1, [0, 0]));
        Assert.Throws<ArgumentException>(() => reducer.Add(new Contribution(0, 1, [0, 0])));
        Assert.False(reducer.Drop(0)); // already contributed
        reducer.Drop(1);
        Assert.Equal([0], reducer.Reduce().Contributors);
    }

    [Fact]
    public void All_dropped_gives_a_step_without_update()
    {
        var reducer = new StepReducer(1, [0], 3);
        reducer.Drop(0);
        var reduced = reducer.Reduce();
        Assert.Null(reduced.Values);
        Assert.Empty(reduced.Contributors);
    }
}
