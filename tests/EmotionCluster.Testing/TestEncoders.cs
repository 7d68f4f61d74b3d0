using System.Diagnostics;
using Xunit;

namespace EmotionCluster.Testing;

/// <summary>
/// Tiny pretrained-encoder stand-ins written as ONNX graphs by Debian's python3-onnx (opset 13), for the
/// <c>--encoder</c> tests. Seeded random weights: another seed is another encoder with the same contract.
/// <list type="bullet">
/// <item><see cref="Waveform"/>: input <c>audio</c> [1, samples] at 16 kHz → a strided Conv1d filterbank (16 filters
/// of 400 samples, hop 160: 100 frames a second) → log |x| + 1e-4 → output <c>embeddings</c> [1, frames, 16]; a second
/// output <c>energy</c> [1] (the mean).</item>
/// <item><see cref="LogMel"/>: input <c>mel</c> [1, 64, frames] → Conv1d (24 filters over 3 frames, stride 2, padding 1)
/// → ReLU → output <c>embeddings</c> [1, frames / 2, 24].</item>
/// </list>
/// </summary>
public static class TestEncoders
{
    public const string Python = EmotionCluster.Testing.Python.Executable;
    public const int WaveformDimensions = 16, WaveformKernel = 400, WaveformHop = 160;
    public const int LogMelDimensions = 24;

    private const string Script = """
        import sys
        import numpy as np
        import onnx
        from onnx import helper, numpy_helper, TensorProto

        kind, path, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
        rng = np.random.default_rng(seed)
        f = TensorProto.FLOAT
        if kind.startswith("waveform"):
            length = 4000 if kind == "waveform-fixed" else "samples"
            w = (rng.standard_normal((16, 1, 400)) * 0.05).astype(np.float32)
            nodes = [
                helper.make_node("Reshape", ["audio", "shape3"], ["x3"]),
                helper.make_node("Conv", ["x3", "w"], ["c"], strides=[160]),
                helper.make_node("Abs", ["c"], ["a"]),
                helper.make_node("Add", ["a", "eps"], ["ae"]),
                helper.make_node("Log", ["ae"], ["l"]),
                helper.make_node("Transpose", ["l"], ["embeddings"], perm=[0, 2, 1]),
                helper.make_node("ReduceMean", ["l"], ["energy"], axes=[1, 2], keepdims=0),
            ]
            inits = [numpy_helper.from_array(w, "w"), numpy_helper.from_array(np.array([1, 1, -1], np.int64), "shape3"),
                     numpy_helper.from_array(np.array([1e-4], np.float32), "eps")]
            inputs = [helper.make_tensor_value_info("audio", f, [1, length])]
            outputs = [helper.make_tensor_value_info("embeddings", f, [1, "frames", 16]),
                       helper.make_tensor_value_info("energy", f, [1])]
        else:
            w = (rng.standard_normal((24, 64, 3)) * 0.05).astype(np.float32)
            nodes = [
                helper.make_node("Conv", ["mel", "w"], ["c"], strides=[2], pads=[1, 1]),
                helper.make_node("Relu", ["c"], ["r"]),
                helper.make_node("Transpose", ["r"], ["embeddings"], perm=[0, 2, 1]),
            ]
            inits = [numpy_helper.from_array(w, "w")]
            inputs = [helper.make_tensor_value_info("mel", f, [1, 64, "frames"])]
            outputs = [helper.make_tensor_value_info("embeddings", f, [1, "frames2", 24])]
        graph = helper.make_graph(nodes, "test-encoder", inputs, outputs, inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="emotioncluster-tests")
        model.ir_version = 8
        onnx.checker.check_model(model)
        onnx.save(model, path)
        np.save(path + ".weights.npy", w)
        """;

    /// <summary>Skips locally without python3-onnx; fails under CI=true (where .ci/run installs it).</summary>
    public static void RequirePython()
    {
        bool has = File.Exists(Python) && Run("import onnx, numpy").Code == 0;
        if (!has && !Datasets.IsCi) Assert.SkipWhen(true, "python3-onnx is not installed (deploy/install-deps.sh installs it)");
        if (!has) throw new InvalidOperationException("python3-onnx and python3-numpy are not installed; run deploy/install-deps.sh");
    }

    /// <summary>The waveform encoder at <paramref name="path"/>; its Conv weights [16, 1, 400] beside it as <c>PATH.weights.npy</c>.</summary>
    public static string Waveform(string path, int seed = 1) => Write("waveform", path, seed);

    /// <summary>The waveform encoder taking a fixed <see cref="FixedLength"/> samples ([1, 4000]: 23 embeddings each).</summary>
    public static string WaveformFixed(string path, int seed = 1) => Write("waveform-fixed", path, seed);

    public const int FixedLength = 4000;

    /// <summary>The log-mel encoder at <paramref name="path"/>.</summary>
    public static string LogMel(string path, int seed = 1) => Write("logmel", path, seed);

    private static string Write(string kind, string path, int seed)
    {
        RequirePython();
        var (code, stderr) = Run(Script, kind, path, seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (code != 0) throw new InvalidOperationException($"python3-onnx could not write the {kind} encoder: {stderr}");
        return path;
    }

    /// <summary>An encoder's Conv weights (row-major: waveform [16, 1, 400], log-mel [24, 64, 3]) from the .npy written beside it.</summary>
    public static float[] Weights(string path)
    {
        byte[] bytes = File.ReadAllBytes(path + ".weights.npy");
        int headerLength = BitConverter.ToUInt16(bytes, 8);
        int start = 10 + headerLength;
        var weights = new float[(bytes.Length - start) / sizeof(float)];
        Buffer.BlockCopy(bytes, start, weights, 0, weights.Length * sizeof(float));
        return weights;
    }

    private static (int Code, string Stderr) Run(string code, params string[] args)
    {
        var (exit, _, stderr) = EmotionCluster.Testing.Python.Run(code, TimeSpan.FromSeconds(120), args);
        return (exit, stderr);
    }
}
