using System.Text;
using EmotionCluster.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EmotionCluster.TrainingActors;

/// <summary>
/// AdamW with the same arithmetic, in the same order, as TorchSharp's <c>optim.AdamW</c> (betas 0.9/0.999, eps 1e-8,
/// decoupled weight decay on every parameter), but with every scalar operand created explicitly and kept alive until
/// the native call returns.
/// <para>
/// Why: TorchSharp 0.107's AdamW passes implicitly converted <see cref="Scalar"/>s to native calls and leaves them to
/// the finalizer. In a process where other threads allocate (an actor system), a garbage collection during a native
/// call can finalize such a Scalar while libtorch still reads it; the step then fails with "Exception raised from
/// toFloat at c10/core/Scalar.h" (seen twice in the trainer benchmark, in <c>addcmul_</c>). See dotnet/TorchSharp pull
/// requests 1434 and 1496.
/// </para>
/// </summary>
public sealed class ExplicitScalarAdamW : IDisposable
{
    private static ReadOnlySpan<byte> Magic => "ECAW"u8;
    private const int Version = 1;
    private const double Beta1 = 0.9, Beta2 = 0.999, Eps = 1e-8;

    private readonly Parameter[] _parameters;
    private readonly Tensor[] _expAvg;
    private readonly Tensor[] _expAvgSq;
    private readonly double _weightDecay;

    public ExplicitScalarAdamW(IEnumerable<Parameter> parameters, double weightDecay)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfNegative(weightDecay);
        _parameters = parameters.ToArray();
        _weightDecay = weightDecay;
        _expAvg = _parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        _expAvgSq = _parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
    }

    /// <summary>Optimizer steps taken.</summary>
    public long Steps { get; private set; }

    /// <summary>One update of every parameter that has a gradient, with learning rate <paramref name="lr"/>.</summary>
    public void Step(double lr)
    {
        Steps++;
        double biasCorrection1 = 1 - Math.Pow(Beta1, Steps);
        double biasCorrection2 = 1 - Math.Pow(Beta2, Steps);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var decay = (1 - lr * _weightDecay).ToScalar();
        using var beta1 = Beta1.ToScalar();
        using var oneMinusBeta1 = (1 - Beta1).ToScalar();
        using var beta2 = Beta2.ToScalar();
        using var oneMinusBeta2 = (1 - Beta2).ToScalar();
        using var sqrtBias2 = Math.Sqrt(biasCorrection2).ToScalar();
        using var eps = Eps.ToScalar();
        using var negativeStep = (-(lr / biasCorrection1)).ToScalar();
        for (int i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i];
            var grad = p.grad;
            if (grad is null) continue;
            p.mul_(decay);
            _expAvg[i].mul_(beta1).add_(grad, alpha: oneMinusBeta1);
            _expAvgSq[i].mul_(beta2).addcmul_(grad, grad, value: oneMinusBeta2);
            var denom = _expAvgSq[i].sqrt().div_(sqrtBias2).add_(eps);
            p.addcdiv_(_expAvg[i], denom, value: negativeStep);
        }
        GC.KeepAlive(this);
    }

    /// <summary>Step count and both moment estimates of every parameter.</summary>
    public byte[] SaveState()
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(Version);
            w.Write(Steps);
            w.Write(_parameters.Length);
            for (int i = 0; i < _parameters.Length; i++)
            {
                foreach (var t in new[] { _expAvg[i], _expAvgSq[i] })
                {
                    var values = new float[t.numel()];
                    Batches.CopyTo(t, values);
                    w.Write(values.Length);
                    w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
                }
            }
        }
        return ms.ToArray();
    }

    /// <exception cref="InvalidDataException">not this optimizer's state, or for another model shape.</exception>
    public void LoadState(byte[] state)
    {
        ArgumentNullException.ThrowIfNull(state);
        try
        {
            using var r = new BinaryReader(new MemoryStream(state, writable: false), Encoding.UTF8);
            if (!r.ReadBytes(4).AsSpan().SequenceEqual(Magic) || r.ReadInt32() != Version)
                throw new InvalidDataException("the optimizer state is not an ExplicitScalarAdamW state of this version");
            long steps = r.ReadInt64();
            int count = r.ReadInt32();
            if (count != _parameters.Length)
                throw new InvalidDataException($"the optimizer state has {count} parameters; the model has {_parameters.Length}");
            for (int i = 0; i < _parameters.Length; i++)
            {
                foreach (var t in new[] { _expAvg[i], _expAvgSq[i] })
                {
                    int n = r.ReadInt32();
                    if (n != t.numel()) throw new InvalidDataException($"parameter {i}: {n} values in the optimizer state, {t.numel()} in the model");
                    var values = new float[n];
                    r.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
                    Batches.CopyFrom(values, t);
                }
            }
            Steps = steps;
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("the optimizer state is truncated", e);
        }
    }

    public void Dispose()
    {
        foreach (var t in _expAvg.Concat(_expAvgSq)) t.Dispose();
    }
}
