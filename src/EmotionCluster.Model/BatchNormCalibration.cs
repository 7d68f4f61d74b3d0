using EmotionCluster.Features;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EmotionCluster.Model;

public sealed partial class Trainer
{
    /// <summary>
    /// Replaces the BatchNorm running statistics with exact averages over <paramref name="examples"/> (forward passes in
    /// training mode with dropout off and without gradients; cumulative averaging instead of the momentum update), so evaluation-mode
    /// normalization matches the current weights rather than a lagging average of the last batches ("precise BN").
    /// Weights, gradients and the optimizer are untouched. No-op for a model without BatchNorm.
    /// </summary>
    public void RecalibrateBatchNorm(IReadOnlyList<Spectrogram> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var norms = Model.modules().OfType<BatchNorm2d>().ToList();
        if (norms.Count == 0 || examples.Count == 0) return;
        var momenta = norms.Select(n => n.momentum).ToList();
        try
        {
            foreach (var n in norms)
            {
                n.reset_running_stats();
                n.momentum = null;
            }
            Model.train();
            // Dropout off: evaluation sees no dropout, so the statistics are taken on what evaluation will feed the layers.
            foreach (var m in Model.modules().Where(m => m is Dropout or Dropout2d)) m.eval();
            using var noGrad = no_grad();
            for (int start = 0; start < examples.Count; start += Settings.BatchSize)
            {
                using var scope = NewDisposeScope();
                var batch = examples.Skip(start).Take(Settings.BatchSize).ToList();
                if (batch.Count < 2) break; // a batch of one has no variance to contribute
                Model.forward(Batches.ToTensor(batch, Model.Settings.InputBins, Model.Settings.InputFrames, _device));
            }
        }
        finally
        {
            for (int i = 0; i < norms.Count; i++) norms[i].momentum = momenta[i];
        }
    }
}
