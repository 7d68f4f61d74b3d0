using System.Diagnostics;
using EmotionCluster.Features;
using EmotionCluster.Metrics;
using EmotionCluster.Model;

namespace EmotionCluster.Testing;

/// <summary>
/// Small models for tests and benchmarks that need a trained <see cref="SerCnn"/> without a cluster: a bare loop over the
/// same engine the trainer actor's replicas use (<see cref="Trainer.ComputeGradients"/>, <see cref="Trainer.ApplyGradients"/>,
/// <see cref="LearningRateSchedule"/>, <see cref="ModelSelection"/>). Not a training path of the product: the CLI's jobs
/// and trainer nodes train through the trainer actor (src/EmotionCluster.TrainingActors); <c>bench trainer</c> measures the
/// actor against its own bare loop.
/// </summary>
public static class SmallModels
{
    /// <summary>
    /// Trains on <paramref name="train"/>, keeps the epoch with the best validation UAR (ties: lower validation loss,
    /// <see cref="ModelSelection"/>), stops after <see cref="TrainingSettings.EarlyStoppingPatience"/> epochs without a
    /// better one; without validation examples every epoch runs and the last is kept. <paramref name="augment"/>
    /// transforms each training example every time it enters a batch.
    /// </summary>
    /// <exception cref="ArgumentException">an example of the wrong size or label (named), or weight averaging (not on the actor path).</exception>
    public static TrainingResult Train(
        IReadOnlyList<(Spectrogram X, int Y)> train,
        IReadOnlyList<(Spectrogram X, int Y)> validation,
        TrainingSettings settings,
        CnnSettings cnn,
        IProgress<EpochReport>? progress = null,
        CancellationToken cancellationToken = default,
        Func<Spectrogram, Random, Spectrogram>? augment = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(cnn);
        cnn.Validate();
        if (train.Count == 0) throw new ArgumentException("The training set is empty.", nameof(train));
        if (settings.AverageLastEpochs > 0)
            throw new ArgumentException($"AverageLastEpochs {settings.AverageLastEpochs}: weight averaging is not on the trainer actor's path; set it to 0.");
        CheckExamples(train, nameof(train), cnn);
        CheckExamples(validation, nameof(validation), cnn);

        using var trainer = new Trainer(cnn, settings);
        {
            var trainLabels = train.Select(e => e.Y).ToArray();
            if (settings.BalancedClassWeights) trainer.SetClassWeights(ClassWeights.Balanced(trainLabels, cnn.Classes));
            var trainX = train.Select(e => e.X).ToArray();
            var validationX = validation.Select(e => e.X).ToArray();
            var validationY = validation.Select(e => e.Y).ToArray();
            var classNames = Enumerable.Range(0, cnn.Classes).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

            int stepsPerEpoch = (train.Count + settings.BatchSize - 1) / settings.BatchSize;
            var schedule = new LearningRateSchedule(settings, stepsPerEpoch);
            var shuffle = new Random(settings.Seed);
            var augmentRandom = new Random(unchecked(settings.Seed * 7919 + 1));
            var order = Enumerable.Range(0, train.Count).ToArray();
            var history = new List<EpochReport>();
            var selection = new ModelSelection(settings);
            EvaluationOutput? bestValidation = null;

            for (int epoch = 1; epoch <= settings.Epochs; epoch++)
            {
                var clock = Stopwatch.StartNew();
                shuffle.Shuffle(order);
                double lossSum = 0;
                int correct = 0;
                double epochRate = schedule.Current;
                for (int start = 0; start < order.Length; start += settings.BatchSize)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var batch = order.AsSpan(start, Math.Min(settings.BatchSize, order.Length - start)).ToArray();
                    var xs = batch.Select(i => augment is null ? train[i].X : augment(train[i].X, augmentRandom)).ToArray();
                    var ys = batch.Select(i => train[i].Y).ToArray();
                    trainer.LearningRate = schedule.Current;
                    var outcome = trainer.ComputeGradients(xs, ys);
                    trainer.ApplyGradients();
                    schedule.AfterStep();
                    lossSum += outcome.Loss * outcome.Count;
                    correct += outcome.Correct;
                }

                double? validationLoss = null, validationAccuracy = null, validationUar = null;
                EvaluationOutput? output = null;
                if (settings.PreciseBatchNorm) trainer.RecalibrateBatchNorm(trainX);
                if (validation.Count > 0)
                {
                    output = trainer.Evaluate(validationX, validationY);
                    var report = ClassificationMetrics.Compute(validationY, output.Predicted, classNames);
                    validationLoss = output.Loss;
                    validationAccuracy = report.Accuracy;
                    validationUar = report.Uar;
                }
                bool isBest = selection.Judge(epoch, validationUar, validationLoss, trainer.SaveState);
                if (isBest && output is not null) bestValidation = output;
                schedule.AfterEpoch(validationUar);

                var epochReport = new EpochReport(epoch, epochRate, lossSum / train.Count, (double)correct / train.Count,
                    validationLoss, validationAccuracy, validationUar, isBest, clock.Elapsed);
                history.Add(epochReport);
                progress?.Report(epochReport);
                if (selection.StopEarly) break;
            }

            if (selection.BestState is not null && selection.BestEpoch != history.Count) trainer.LoadState(selection.BestState);
            return new TrainingResult(trainer.ReleaseModel(), history, selection.BestEpoch, selection.StopEarly, bestValidation);
        }
    }

    private static void CheckExamples(IReadOnlyList<(Spectrogram X, int Y)> examples, string set, CnnSettings cnn)
    {
        for (int i = 0; i < examples.Count; i++)
        {
            var (x, y) = examples[i];
            if (x is null) throw new ArgumentException($"{set}[{i}] has no spectrogram.", set);
            if (x.Bins != cnn.InputBins || x.Frames != cnn.InputFrames || x.Data.Length != x.Bins * x.Frames)
                throw new ArgumentException(
                    $"{set}[{i}] is {x.Bins} x {x.Frames} (bins x frames) but the model expects {cnn.InputBins} x {cnn.InputFrames}; " +
                    "crop or pad the features to the configured size.", set);
            if (y < 0 || y >= cnn.Classes)
                throw new ArgumentException($"{set}[{i}] has label {y}; the model has classes 0..{cnn.Classes - 1}.", set);
        }
    }
}
