namespace EmotionCluster.Model;

/// <summary>
/// The recipe's model selection over a run's epochs (<see cref="TrainingSettings"/>): an epoch is the best so far when
/// its validation UAR is higher (ties: lower validation loss), whose weights are kept; without a validation set every
/// epoch is. Early stopping ends the run after <see cref="TrainingSettings.EarlyStoppingPatience"/> epochs without a
/// better one. The one rule of the trainer actor's replicas (every replica judges each epoch the same way).
/// </summary>
public sealed class ModelSelection(int patience, int epochs)
{
    public ModelSelection(TrainingSettings settings) : this(settings.EarlyStoppingPatience, settings.Epochs) { }

    /// <summary>The best epoch so far (0: none judged yet).</summary>
    public int BestEpoch { get; private set; }
    public double BestUar { get; private set; } = double.NegativeInfinity;
    public double BestLoss { get; private set; } = double.PositiveInfinity;
    public int EpochsWithoutGain { get; private set; }
    /// <summary>The best epoch's weights (null without a validation set: the last epoch's are the best).</summary>
    public byte[]? BestState { get; private set; }
    /// <summary>The patience ran out before the last epoch.</summary>
    public bool StopEarly { get; private set; }

    /// <summary>
    /// Judges <paramref name="epoch"/> by its validation UAR and loss (null: no validation set); when it is the best,
    /// <paramref name="saveState"/> gives its weights. Returns whether it is the best so far.
    /// </summary>
    public bool Judge(int epoch, double? uar, double? loss, Func<byte[]> saveState)
    {
        bool isBest = uar is not { } u || u > BestUar || (u == BestUar && (loss ?? double.PositiveInfinity) < BestLoss);
        if (isBest)
        {
            if (uar is { } best)
            {
                BestUar = best;
                BestLoss = loss ?? double.PositiveInfinity;
                BestState = saveState();
            }
            BestEpoch = epoch;
            EpochsWithoutGain = 0;
        }
        else EpochsWithoutGain++;
        StopEarly = Stops(epoch);
        return isBest;
    }

    /// <summary>The selection as it was after <paramref name="completedEpochs"/> epochs (a resumed run; a stopped run stays stopped).</summary>
    public void Restore(int bestEpoch, double bestUar, double bestLoss, int epochsWithoutGain, byte[]? bestState, int completedEpochs)
    {
        BestEpoch = bestEpoch;
        BestUar = bestUar;
        BestLoss = bestLoss;
        EpochsWithoutGain = epochsWithoutGain;
        BestState = bestState is { Length: > 0 } ? bestState : null;
        StopEarly = Stops(completedEpochs);
    }

    private bool Stops(int epoch) => patience > 0 && EpochsWithoutGain >= patience && epoch < epochs;
}
