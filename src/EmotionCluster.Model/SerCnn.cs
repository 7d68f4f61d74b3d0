using System.Globalization;
using System.Text;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EmotionCluster.Model;

/// <summary>One layer of <see cref="SerCnn.ArchitectureSummary"/>: output shape for one example (batch dimension 1).</summary>
public sealed record LayerSummary(string Name, string Type, long[] OutputShape, long Parameters);

public sealed record ModelSummary(IReadOnlyList<LayerSummary> Layers, long TotalParameters)
{
    public string FormatTable()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{"layer",-10} {"type",-18} {"output shape",-20} {"parameters",10}");
        foreach (var l in Layers)
            sb.AppendLine($"{l.Name,-10} {l.Type,-18} {"[" + string.Join(", ", l.OutputShape) + "]",-20} {l.Parameters.ToString("N0", CultureInfo.InvariantCulture),10}");
        sb.AppendLine($"{"total",-50} {TotalParameters.ToString("N0", CultureInfo.InvariantCulture),10}");
        return sb.ToString();
    }
}

/// <summary>
/// Speech-emotion CNN over a spectrogram: input [N, 1, bins, frames] (or [N, bins, frames]), output [N, classes]
/// logits (apply softmax for probabilities). See <see cref="CnnSettings"/> for the layers. Each block pools before
/// the ReLU: max-pooling and ReLU commute (both are monotonic), so this is the same function as ReLU-then-pool with
/// the ReLU on a quarter of the values (about 8% of a training step saved).
/// </summary>
public sealed class SerCnn : Module<Tensor, Tensor>
{
    // TorchSharp names submodules after these fields (RegisterComponents): "layers.N.weight" in every saved model
    // file and ONNX export; an underscore would rename them, so the naming rule gives way here.
#pragma warning disable IDE1006
    private readonly Sequential layers;
    private readonly (Module<Tensor, Tensor> Module, bool IsPool)[] sequence;
#pragma warning restore IDE1006

    public CnnSettings Settings { get; }

    public SerCnn(CnnSettings settings) : base(nameof(SerCnn))
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        Settings = settings;

        var list = new List<(string, Module<Tensor, Tensor>)>();
        long inChannels = 1;
        for (int b = 1; b <= settings.Channels.Count; b++)
        {
            long outChannels = settings.Channels[b - 1];
            list.Add(($"conv{b}", Conv2d(inChannels, outChannels, settings.KernelSize, padding: settings.KernelSize / 2, bias: false)));
            if (settings.BatchNorm) list.Add(($"bn{b}", BatchNorm2d(outChannels)));
            list.Add(($"pool{b}", MaxPool2d(2)));
            list.Add(($"relu{b}", ReLU()));
            list.Add(($"drop{b}", Dropout(settings.ConvDropout)));
            inChannels = outChannels;
        }
        list.Add(("gap", settings.Pooling == CnnPooling.MeanStd ? new MeanStdPool() : AdaptiveAvgPool2d(1)));
        list.Add(("flatten", Flatten()));
        list.Add(("fc", Linear(settings.PooledSize, settings.DenseSize)));
        list.Add(("fc_relu", ReLU()));
        list.Add(("fc_drop", Dropout(settings.DenseDropout)));
        list.Add(("logits", Linear(settings.DenseSize, settings.Classes)));
        layers = Sequential(list);
        sequence = list.Select(l => (l.Item2, l.Item2 is MaxPool2d)).ToArray();
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        Tensor x = input.dim() == 3 ? input.unsqueeze(1) : input;
        if (is_grad_enabled()) return layers.forward(x); // training, or anything that may call backward
        // no autograd (no_grad / inference_mode: evaluation, predict, streaming): the same layers, with each 2 x 2
        // max-pooling done by MaxPool2x2 — the same values at a tenth of the cost
        foreach (var (module, isPool) in sequence)
            x = isPool ? MaxPool2x2(x) : module.forward(x);
        return x;
    }

    /// <summary>
    /// 2 x 2 max-pooling with stride 2 (floor mode: an odd last row or column is dropped) with <c>MaxPool2d(2)</c>'s
    /// values (NaN where it gives NaN), computed as two element-wise maxima of strided views: first of row pairs, then of
    /// column pairs. The one difference: where +0 and −0 tie for the maximum, <c>MaxPool2d</c> keeps the first in row
    /// order and this may keep the other; the two zeros are equal as numbers, so no later layer tells them apart (a
    /// padded input's zero columns give such ties). libtorch's CPU max-pooling kernel (which also computes the indices
    /// backward needs) took 60 % of an evaluation pass of the default network (1.5 of 4.6 ms per 64 x 300 example for the
    /// first block alone); this takes a twelfth of that. No gradient routing: used only where autograd is off.
    /// </summary>
    public static Tensor MaxPool2x2(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dim() < 2) throw new ArgumentException($"max-pooling needs at least 2 dimensions, got {x.dim()}", nameof(x));
        long h = x.shape[^2] / 2 * 2, w = x.shape[^1] / 2 * 2;
        if (h == 0 || w == 0) throw new ArgumentException($"2 x 2 max-pooling needs at least 2 x 2 values, got {x.shape[^2]} x {x.shape[^1]}", nameof(x));
        using var top = x[TensorIndex.Ellipsis, TensorIndex.Slice(0, h, 2), TensorIndex.Slice(0, w)];
        using var bottom = x[TensorIndex.Ellipsis, TensorIndex.Slice(1, h, 2), TensorIndex.Slice(0, w)];
        using var rows = maximum(top, bottom);
        using var left = rows[TensorIndex.Ellipsis, TensorIndex.Slice(0, w, 2)];
        using var right = rows[TensorIndex.Ellipsis, TensorIndex.Slice(1, w, 2)];
        return maximum(left, right);
    }

    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <summary>Every layer with its output shape for one example and its parameter count (runs one dummy example).</summary>
    public ModelSummary ArchitectureSummary()
    {
        bool wasTraining = training;
        eval();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var device = parameters().First().device;
            Tensor x = zeros([1, 1, Settings.InputBins, Settings.InputFrames], device: device);
            var rows = new List<LayerSummary>();
            foreach (var (name, module) in layers.named_children())
            {
                x = ((Module<Tensor, Tensor>)module).forward(x);
                rows.Add(new LayerSummary(name, module.GetType().Name, x.shape, module.parameters().Sum(p => p.numel())));
            }
            return new ModelSummary(rows, ParameterCount);
        }
        finally
        {
            train(wasTraining);
        }
    }
}

/// <summary>
/// Statistics pooling of a map [N, C, bands, frames]: the mean over bands, then each channel's mean and standard
/// deviation over frames, [N, 2C] (means first). The deviation is <c>sqrt(mean((x − mean)²) + ε)</c> with
/// ε = <see cref="Epsilon"/>, so a constant channel has a finite gradient; the ONNX export computes the same.
/// </summary>
public sealed class MeanStdPool : Module<Tensor, Tensor>
{
    public const float Epsilon = 1e-5f;

    public MeanStdPool() : base(nameof(MeanStdPool)) { }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var overTime = input.mean([2]);
        var mean = overTime.mean([2], keepdim: true);
        var variance = (overTime - mean).square().mean([2]);
        var std = (variance + Epsilon).sqrt();
        return cat([mean.squeeze(2), std], 1).MoveToOuterDisposeScope();
    }
}
