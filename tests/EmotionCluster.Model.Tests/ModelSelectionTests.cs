using EmotionCluster.Model;
using Xunit;

namespace EmotionCluster.Model.Tests;

/// <summary>
/// The recipe's model selection and early stopping (<see cref="ModelSelection"/>): the rule every replica of the
/// trainer actor applies to each epoch (src/EmotionCluster.TrainingActors/DataParallelReplica.cs), specified without training.
/// </summary>
public sealed class ModelSelectionTests
{
    private static byte[] State(int epoch) => [(byte)epoch];

    [Fact]
    public void The_best_epoch_has_the_highest_validation_UAR_and_on_a_tie_the_lower_loss_and_its_weights_are_kept()
    {
        var s = new ModelSelection(patience: 0, epochs: 10);
        Assert.True(s.Judge(1, 0.50, 1.0, () => State(1)));
        Assert.True(s.Judge(2, 0.60, 1.2, () => State(2)));
        Assert.False(s.Judge(3, 0.55, 0.5, () => State(3)));  // lower UAR: not better, whatever its loss
        Assert.False(s.Judge(4, 0.60, 1.3, () => State(4)));  // same UAR, higher loss
        Assert.True(s.Judge(5, 0.60, 1.1, () => State(5)));   // same UAR, lower loss
        Assert.Equal((5, 0.60, 1.1), (s.BestEpoch, s.BestUar, s.BestLoss));
        Assert.Equal(State(5), s.BestState);
        Assert.False(s.StopEarly); // patience 0: never stops early
    }

    [Fact]
    public void Early_stopping_ends_the_run_after_patience_epochs_without_a_better_one_but_not_at_the_last_epoch()
    {
        var s = new ModelSelection(patience: 2, epochs: 10);
        s.Judge(1, 0.7, 1.0, () => State(1));
        s.Judge(2, 0.6, 1.0, () => State(2));
        Assert.False(s.StopEarly);
        s.Judge(3, 0.6, 1.0, () => State(3));
        Assert.True(s.StopEarly);
        Assert.Equal((1, 2), (s.BestEpoch, s.EpochsWithoutGain));

        var last = new ModelSelection(patience: 1, epochs: 2);
        last.Judge(1, 0.7, 1.0, () => State(1));
        last.Judge(2, 0.1, 1.0, () => State(2));
        Assert.False(last.StopEarly); // the run ends anyway: not an early stop
    }

    [Fact]
    public void Without_validation_every_epoch_is_the_best_no_weights_are_kept_aside_and_it_never_stops_early()
    {
        var s = new ModelSelection(patience: 1, epochs: 3);
        int saved = 0;
        for (int epoch = 1; epoch <= 3; epoch++) Assert.True(s.Judge(epoch, null, null, () => { saved++; return State(epoch); }));
        Assert.Equal(3, s.BestEpoch);
        Assert.Null(s.BestState); // the last weights are the model
        Assert.Equal(0, saved);
        Assert.False(s.StopEarly);
    }

    [Fact]
    public void A_resumed_selection_continues_where_the_checkpoint_left_it_and_a_stopped_run_stays_stopped()
    {
        var s = new ModelSelection(patience: 2, epochs: 10);
        s.Restore(bestEpoch: 3, bestUar: 0.8, bestLoss: 0.5, epochsWithoutGain: 1, bestState: State(3), completedEpochs: 4);
        Assert.False(s.StopEarly);
        Assert.False(s.Judge(5, 0.8, 0.6, () => State(5)));
        Assert.True(s.StopEarly);
        Assert.Equal(State(3), s.BestState);

        var stopped = new ModelSelection(patience: 2, epochs: 10);
        stopped.Restore(3, 0.8, 0.5, 2, State(3), completedEpochs: 5);
        Assert.True(stopped.StopEarly);
    }
}
