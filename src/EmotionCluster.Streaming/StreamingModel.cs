using System.Security.Cryptography;
using EmotionCluster.Audio;
using EmotionCluster.Extraction;
using EmotionCluster.Features;
using EmotionCluster.Model;

namespace EmotionCluster.Streaming;

/// <summary>
/// One loaded model and the exact feature pipeline it was trained with (its manifest's feature settings): window
/// samples at any rate → <see cref="AudioLoader.Prepare"/> (resample to the model's rate, preprocess) →
/// <see cref="LogMelExtractor"/> (or the model's pretrained encoder) → the model file's input shaping (<see cref="ModelInput.Shape"/>). A window holding a whole clip
/// therefore gets the features <see cref="PipelineFeaturizer"/> gives that clip's WAV file.
/// <para>Reference counted: <see cref="ModelHolder"/> disposes a replaced model once the last window using it is done.</para>
/// </summary>
public sealed class StreamingModel
{
    private readonly IPredictor _predictor;
    private readonly AudioLoader _loader;
    private readonly PipelineFeaturizer _features;
    private int _users = 1; // the holder's own reference
    private bool _disposed;

    private StreamingModel(IPredictor predictor, string id, string source)
    {
        _predictor = predictor;
        Id = id;
        Source = source;
        _input = predictor.Input;
        Settings = _input.Features;
        _loader = new AudioLoader(Settings.Audio);
        // the model's whole feature pipeline on window samples: log-mel, or its pretrained encoder (checked here: a
        // missing or different encoder file refuses the model, named)
        try { _features = new PipelineFeaturizer(Settings); }
        catch (EncoderException e)
        {
            predictor.Dispose();
            throw new ModelArtifactException(source, e.Message, e);
        }
    }

    private readonly ModelInput _input;

    /// <summary>File name and the first 12 hex digits of the file's SHA-256.</summary>
    public string Id { get; }
    public string Source { get; }
    public FeaturePipelineSettings Settings { get; }
    public string[] Labels => _predictor.Labels;
    public int SampleRate => Settings.Audio.TargetSampleRate;
    public int InputFrames => _input.Input.Frames;
    /// <summary>The audio one model input covers (<see cref="ModelInput.InputSeconds"/>): a stream's window unless its node sets one.</summary>
    public double InputSeconds => _input.InputSeconds;

    /// <summary>What runs the model: TorchSharp or ONNX Runtime.</summary>
    public ModelRuntime Runtime => _predictor.Runtime;

    /// <summary>Values in one example's convolution outputs, all blocks together (block b: its channels × bins × frames /
    /// 4^b): what a pass's memory grows with, since every block's tensors (convolution, batch norm, activation, pooling,
    /// all of that block's size) live until the pass ends.</summary>
    public long ActivationSize
    {
        get
        {
            var cnn = _predictor.Settings;
            long area = (long)cnn.InputBins * cnn.InputFrames, total = 0;
            for (int b = 0; b < cnn.Channels.Count; b++) total += cnn.Channels[b] * (area >> (2 * b));
            return total;
        }
    }

    /// <summary>
    /// A model file (<c>.ecm</c>) or its ONNX export (<c>.onnx</c>), run by <paramref name="runtime"/>
    /// (<see cref="Predictors.Load"/>: auto picks ONNX Runtime for an ONNX file, which never loads libtorch).
    /// </summary>
    /// <param name="threads">Intra-op threads of the runtime (<see cref="StreamingSettings.TorchThreads"/>); 0: its default.</param>
    public static StreamingModel Load(string path, ModelRuntime runtime = ModelRuntime.Auto, int threads = 0)
    {
        if (!File.Exists(path)) throw new ModelArtifactException(path, "does not exist; train a model first (or export one with 'emotioncluster export onnx') or check the path.");
        string id = $"{Path.GetFileName(path)}@{Hash(File.ReadAllBytes(path))}";
        return new StreamingModel(Predictors.Load(path, runtime, threads: threads), id, path);
    }

    /// <summary>A model from the bytes of a model file or an ONNX export (written to a temporary file to be read; which one it is, its first bytes say).</summary>
    public static StreamingModel Load(byte[] bytes, string name, ModelRuntime runtime = ModelRuntime.Auto, int threads = 0)
    {
        string temp = Path.Combine(Path.GetTempPath(), $"ec-model-{Guid.NewGuid():N}.bin");
        File.WriteAllBytes(temp, bytes);
        try
        {
            return new StreamingModel(Predictors.Load(temp, runtime, threads: threads), $"{name}@{Hash(bytes)}", name);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>The <see cref="Id"/> a model loaded from <paramref name="bytes"/> under <paramref name="name"/> gets.</summary>
    public static string IdOf(string name, byte[] bytes) => $"{name}@{Hash(bytes)}";

    private static string Hash(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes))[..12];

    /// <summary>
    /// Features of mono <paramref name="samples"/> at <paramref name="sampleRate"/>, shaped for the model: normalized by
    /// <paramref name="stream"/>'s running statistics (this window added), or by the window's own when null (a lone
    /// clip, as <c>predict FILE</c>); either shrunk toward the model's training-set prior when it has one. With
    /// <paramref name="gate"/> (the stream's) the window at <paramref name="position"/> is noise-gated as part of its stream
    /// (<see cref="StreamGate"/>) rather than on its own.
    /// </summary>
    public Spectrogram Features(float[] samples, int sampleRate, StreamNormalization? stream = null, StreamGate? gate = null, long position = 0)
    {
        // preprocessed into a pooled array (the same samples as _loader.Prepare gives without a gate): a window allocates little
        float[] prepared = _loader.PrepareRented(samples, sampleRate, out int length, gate, position);
        Spectrogram features;
        try
        {
            features = _features.Compute(prepared.AsSpan(0, length));
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(prepared);
        }
        if (stream is null || _input.Input.SpeakerNorm == SpeakerNormalization.None) return _input.Shape(features);
        return _input.Shape(features, stream.Add(Id, features));
    }

    /// <summary>
    /// A stream's audio so far (from its start, at <paramref name="sampleRate"/>) given to its <paramref name="gate"/> ahead
    /// of the first window (<see cref="WindowSpan.Ahead"/>): the gate gates it as it would as a window and keeps what it
    /// committed. Nothing for a model without noise reduction, or when the stream's rate or the recipe has its windows gated
    /// each on its own (<see cref="Preprocessor.ApplyRented(ReadOnlySpan{float}, int, out int, StreamGate?, long)"/>).
    /// </summary>
    public void GateAhead(float[] samples, int sampleRate, StreamGate gate)
    {
        ArgumentNullException.ThrowIfNull(gate);
        PreprocessSettings p = Settings.Audio.Preprocess;
        if (!p.ReduceNoise || sampleRate != SampleRate || !StreamGate.Supports(p, sampleRate)) return;
        float[] gated = System.Buffers.ArrayPool<float>.Shared.Rent(Math.Max(1, samples.Length));
        try { gate.Reduce(p, sampleRate, 0, samples, gated); }
        finally { System.Buffers.ArrayPool<float>.Shared.Return(gated); }
    }

    /// <summary>
    /// Probabilities for each example, in order: one batched forward pass over all of them in inference mode
    /// (<see cref="IPredictor.PredictBatched"/>), equal to <c>predict</c> within float rounding (tests: 1e-4).
    /// </summary>
    public float[][] Predict(IReadOnlyList<Spectrogram> features) => _predictor.PredictBatched(features, Math.Max(1, features.Count));

    /// <summary>Feature computations in <see cref="WarmUp"/>.</summary>
    public const int FeatureWarmUpCalls = 40;

    /// <summary>Largest batch <see cref="WarmUp"/> has run (0: not warmed up).</summary>
    public int WarmedUpBatch { get; private set; }

    /// <summary>
    /// One forward pass at every batch size 1..<paramref name="maxBatch"/> (zeros) and <see cref="FeatureWarmUpCalls"/>
    /// feature computations of a 2 s window, so
    /// live windows do not pay first-use costs: libtorch's convolution library builds (JIT-compiles) its kernels per input
    /// shape, 25–150 ms for each new batch size on the 2-core machine, about a second for sizes 1..16 — without this, the
    /// first seconds of a busy node (or of a hot-swapped model) queue up windows behind those builds.
    /// </summary>
    public TimeSpan WarmUp(int maxBatch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        for (int n = 1; n <= maxBatch; n++) PredictZeros(n);
        // the feature code, on two seconds of noise, often enough that .NET compiles it fully (tiered compilation
        // starts every method with quick, slow code and recompiles it after 30 calls): at first use its slow code
        // took seconds to catch up with 100 fresh streams
        var noise = new float[2 * SampleRate];
        var random = new Random(1);
        for (int i = 0; i < noise.Length; i++) noise[i] = (float)(random.NextDouble() - 0.5) * 0.2f;
        for (int i = 0; i < FeatureWarmUpCalls; i++) Features(noise, SampleRate);
        WarmedUpBatch = Math.Max(WarmedUpBatch, maxBatch);
        return System.Diagnostics.Stopwatch.GetElapsedTime(started);
    }

    /// <summary>
    /// One forward pass at <paramref name="maxBatch"/> (zeros) on the calling thread, so the thread's first live pass
    /// at that size does not fault in fresh memory. glibc gives threads their own malloc arenas (the .NET runtime has
    /// made nine before any of this code runs, so <see cref="MallocTuning"/> cannot make them share one), and a pass's
    /// activations come from the running thread's arena: on a thread that never ran one, the first pass of 16 windows
    /// took 0.3–0.45 s of CPU (page faults in the batch norms; 30 ms after), once per batch size larger than any before
    /// on that thread. <see cref="WarmUp"/> on another thread does not help; after one pass at the largest size the arena
    /// keeps the memory (MallocTuning's trim threshold) and every smaller or equal pass is fast — as long as each tensor of
    /// a pass is below MallocTuning's 32 MiB mmap threshold (the default first block's output is 1.2 MB per window, so up
    /// to about 27 windows a batch); larger tensors are mapped and faulted in afresh on every pass, warmed up or not.
    /// </summary>
    /// <remarks>A thread warmed up for one model needs no new pass for another of equal or smaller <see cref="ActivationSize"/>.</remarks>
    public void WarmUpThread(int maxBatch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        PredictZeros(maxBatch);
    }

    /// <summary>One batched pass over <paramref name="batch"/> all-zero inputs (the warm-ups').</summary>
    private void PredictZeros(int batch)
    {
        var cnn = _predictor.Settings;
        var zero = new Spectrogram(new float[cnn.InputBins * cnn.InputFrames], cnn.InputBins, cnn.InputFrames);
        Predict(Enumerable.Repeat(zero, batch).ToList());
    }

    internal bool TryAddUser()
    {
        lock (_predictor)
        {
            if (_disposed) return false;
            _users++;
            return true;
        }
    }

    internal void RemoveUser()
    {
        lock (_predictor)
        {
            if (--_users > 0 || _disposed) return;
            _disposed = true;
        }
        _predictor.Dispose();
    }
}
