using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using EmotionCluster.Features;
using Microsoft.ML.OnnxRuntime;

namespace EmotionCluster.Extraction;

/// <summary>What a pretrained encoder's graph takes (<see cref="EncoderSettings.Input"/>).</summary>
public enum EncoderInput
{
    /// <summary>The preprocessed waveform at <see cref="EncoderSettings.SampleRate"/>: <c>[samples]</c>, <c>[1, samples]</c> or <c>[1, 1, samples]</c> (wav2vec2, emotion2vec, PANNs, YAMNet's waveform export); a graph of a fixed length runs on consecutive segments of it.</summary>
    Waveform,
    /// <summary>Our log-mel spectrogram (<see cref="MelSettings"/>, dB): <c>[mels, frames]</c> with as many leading axes of 1 as the graph's input has (or <c>[frames, mels]</c> with <see cref="EncoderSettings.TimeMajor"/>).</summary>
    LogMel,
}

/// <summary>
/// A frozen pretrained audio encoder (an ONNX file on the user's disk) whose embeddings replace the log-mel features:
/// the file's identity (<see cref="Sha256"/>) and its input contract. Part of <see cref="FeaturePipelineSettings"/>, so it
/// keys the feature store (embeddings of one encoder never mix with another's, or with log-mel features) and is
/// written into every model's recipe; <see cref="Path"/> is only a hint where the file was (not hashed).
/// </summary>
public sealed record EncoderSettings
{
    /// <summary>Where the encoder file was when the features were made (a hint: predict/evaluate take <c>--encoder PATH</c>).</summary>
    public string Path { get; init; } = "";
    /// <summary>SHA-256 of the encoder file, lowercase hex: what identifies the encoder.</summary>
    public string Sha256 { get; init; } = "";
    public EncoderInput Input { get; init; } = EncoderInput.Waveform;
    /// <summary>The rate the encoder was trained at; audio is resampled to it (it equals <c>Audio.TargetSampleRate</c>).</summary>
    public int SampleRate { get; init; } = 16_000;
    /// <summary>The graph output holding the embeddings; its last axis is the embedding, every other axis time (a batch axis of 1 included).</summary>
    public string Output { get; init; } = "";
    /// <summary>With <see cref="EncoderInput.LogMel"/>: the graph takes <c>[frames, mels]</c> instead of <c>[mels, frames]</c>.</summary>
    public bool TimeMajor { get; init; }
    /// <summary>Size of one embedding (the feature matrix's rows), measured when the encoder was resolved.</summary>
    public int Dimensions { get; init; }
    /// <summary>Embeddings per second of audio, measured when the encoder was resolved; 0: one embedding per clip.</summary>
    public double FramesPerSecond { get; init; }

    /// <summary>One line for messages and reports.</summary>
    public string Describe() => $"'{System.IO.Path.GetFileName(Path)}' ({Contract()})";

    /// <summary>The identity and input contract without the file name: SHA-256, input kind and rate, output, embedding size.</summary>
    public string Contract() =>
        string.Create(CultureInfo.InvariantCulture, $"SHA-256 {Short(Sha256)}, {Input} input at {SampleRate} Hz, output '{Output}', {Dimensions}-dimensional embeddings");

    internal static string Short(string sha) => sha.Length > 12 ? sha[..12] + "…" : sha;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad value.</summary>
    public void Validate()
    {
        if (Sha256.Length != 64 || !Sha256.All(char.IsAsciiHexDigit))
            throw new ArgumentException($"Encoder.Sha256 '{Sha256}' is not a SHA-256 (64 hex digits); resolve the encoder with --encoder FILE.");
        if (!Enum.IsDefined(Input)) throw new ArgumentException($"Encoder.Input {(int)Input} is unknown; use Waveform or LogMel.");
        if (SampleRate is < 4_000 or > 192_000) throw new ArgumentException($"Encoder.SampleRate {SampleRate} Hz is outside 4000..192000.");
        if (string.IsNullOrWhiteSpace(Output)) throw new ArgumentException("Encoder.Output is empty; name the graph output holding the embeddings (--encoder-output).");
        if (Dimensions < 1) throw new ArgumentException($"Encoder.Dimensions {Dimensions} must be positive (measured when the encoder is resolved with --encoder FILE).");
        if (!(FramesPerSecond >= 0) || double.IsInfinity(FramesPerSecond)) throw new ArgumentException($"Encoder.FramesPerSecond {FramesPerSecond} must be 0 or more.");
    }
}

/// <summary>The encoder file is missing, is not the one the settings name, or does not fit the input contract. The message says which and how to fix it.</summary>
public sealed class EncoderException(string message, Exception? inner = null) : ArgumentException(message, inner);

/// <summary>
/// A pretrained encoder run frozen with ONNX Runtime: prepared samples (or their log-mel spectrogram) in, an
/// embedding sequence out as a <see cref="Spectrogram"/> of <see cref="EncoderSettings.Dimensions"/> rows × one column
/// per embedding frame. Thread-safe; one session per file and contract per process (<see cref="Open"/>).
/// </summary>
public sealed class OnnxEncoder
{
    private static readonly ConcurrentDictionary<string, Lazy<OnnxEncoder>> Sessions = new();
    private static readonly ConcurrentDictionary<(string Path, long Length, DateTime Written), string> FileHashes = new();

    private static readonly RunOptions RunOptions = new();
    private readonly InferenceSession _session;
    private readonly string _inputName;
    private readonly int[] _inputDims;

    private OnnxEncoder(InferenceSession session, string inputName, int[] inputDims, EncoderSettings settings)
    {
        _session = session;
        _inputName = inputName;
        _inputDims = inputDims;
        Settings = settings;
    }

    public EncoderSettings Settings { get; }

    /// <summary>
    /// The encoder <paramref name="settings"/> name, checked: the file exists at <see cref="EncoderSettings.Path"/> and
    /// has the recorded SHA-256, and its graph has the recorded input kind and output. Sessions are shared per process.
    /// </summary>
    /// <param name="mels">Mel bands of the feature settings (checked against a log-mel encoder's mel axis).</param>
    /// <exception cref="EncoderException">missing, different or unfitting encoder (the message names the fix).</exception>
    public static OnnxEncoder Open(EncoderSettings settings, int mels)
    {
        string fix = "give that encoder file with --encoder PATH (predict, evaluate), or put it back at that path";
        if (string.IsNullOrWhiteSpace(settings.Path) || !File.Exists(settings.Path))
            throw new EncoderException($"encoder file '{settings.Path}' does not exist; the features were made with the encoder {settings.Describe()}: {fix}.");
        string sha = HashFile(settings.Path);
        if (!string.Equals(sha, settings.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new EncoderException($"encoder file '{settings.Path}' has SHA-256 {EncoderSettings.Short(sha)}, but the features were made with another encoder ({settings.Contract()}): " +
                                       $"a different encoder gives different embeddings; {fix}, or train anew with this one.");
        string key = string.Join('|', System.IO.Path.GetFullPath(settings.Path), sha, settings.Input, settings.TimeMajor, settings.Output, mels);
        var lazy = Sessions.GetOrAdd(key, _ => new Lazy<OnnxEncoder>(() => Create(settings, mels)));
        try
        {
            var encoder = lazy.Value;
            return encoder.Settings == settings ? encoder : new OnnxEncoder(encoder._session, encoder._inputName, encoder._inputDims, settings);
        }
        catch
        {
            Sessions.TryRemove(key, out _); // a failed open is retried next time (the file may be fixed)
            throw;
        }
    }

    /// <summary>
    /// Resolves an encoder file for training: its SHA-256, its graph checked against <paramref name="input"/>, its
    /// embedding output (<paramref name="output"/>, or the graph's only output), and its embedding size and frame rate
    /// measured on 1 s and 2 s of quiet noise.
    /// </summary>
    /// <exception cref="EncoderException">missing file, not an ONNX graph, wrong input kind, unknown output (the message lists the graph's outputs).</exception>
    public static EncoderSettings Resolve(string path, EncoderInput input, int sampleRate, string? output, bool timeMajor, MelSettings mel)
    {
        if (!File.Exists(path)) throw new EncoderException($"--encoder {path}: no such file; give the path of an ONNX export of the encoder (docs/onnx.md#pretrained-encoders).");
        if (sampleRate is < 4_000 or > 192_000) throw new EncoderException($"--encoder-rate {sampleRate} Hz is outside 4000..192000; give the rate the encoder was trained at (16000 for wav2vec2 and YAMNet).");
        string full = System.IO.Path.GetFullPath(path);
        var probe = new EncoderSettings
        {
            Path = full, Sha256 = HashFile(full), Input = input, SampleRate = sampleRate, Output = output ?? "", TimeMajor = timeMajor,
        };
        var (session, inputName, dims, outputName) = OpenSession(probe, mel.NMels);
        try
        {
            var encoder = new OnnxEncoder(session, inputName, dims, probe with { Output = outputName });
            var extractor = input == EncoderInput.LogMel ? new LogMelExtractor(mel with { SampleRate = sampleRate }) : null;
            Spectrogram Probe(double seconds)
            {
                var random = new Random(7);
                var samples = new float[(int)(seconds * sampleRate)];
                for (int i = 0; i < samples.Length; i++) samples[i] = (float)(random.NextDouble() - 0.5) * 0.02f;
                return extractor is null ? encoder.Encode(samples) : encoder.Encode(extractor.Compute(samples));
            }
            Spectrogram one, two;
            try { (one, two) = (Probe(1), Probe(2)); }
            catch (OnnxRuntimeException e)
            {
                throw new EncoderException($"--encoder {path}: running it on 1 s of audio at {sampleRate} Hz failed: {e.Message}; check --encoder-input and --encoder-rate.", e);
            }
            if (one.Bins != two.Bins)
                throw new EncoderException($"--encoder {path}: output '{outputName}' changes its last axis with the input's length ({one.Bins} for 1 s, {two.Bins} for 2 s); " +
                                           "the embedding must be the output's last axis (time the others): export it that way or name another output with --encoder-output.");
            return encoder.Settings with { Dimensions = one.Bins, FramesPerSecond = Math.Max(0, two.Frames - one.Frames) };
        }
        finally
        {
            session.Dispose();
        }
    }

    private static OnnxEncoder Create(EncoderSettings settings, int mels)
    {
        var (session, inputName, dims, outputName) = OpenSession(settings, mels);
        return new OnnxEncoder(session, inputName, dims, settings with { Output = outputName });
    }

    /// <summary>A session on the file, its one input checked against the input kind and the output found.</summary>
    private static (InferenceSession Session, string Input, int[] Dims, string Output) OpenSession(EncoderSettings s, int mels)
    {
        InferenceSession session;
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = 1, // extraction is parallel over clips already
            InterOpNumThreads = 1,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        try { session = new InferenceSession(s.Path, options); }
        catch (OnnxRuntimeException e) { throw new EncoderException($"encoder '{s.Path}' is not an ONNX graph ONNX Runtime can load: {e.Message}", e); }
        finally { options.Dispose(); }
        try
        {
            if (session.InputMetadata.Count != 1)
                throw new EncoderException($"encoder '{s.Path}' has {session.InputMetadata.Count} inputs ({string.Join(", ", session.InputMetadata.Select(i => $"'{i.Key}' {Shape(i.Value.Dimensions)}"))}); " +
                                           "an encoder takes one input (the waveform or the log-mel spectrogram): export it with one.");
            var (inputName, meta) = session.InputMetadata.Single();
            int[] dims = meta.Dimensions;
            if (meta.ElementDataType != Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float)
                throw new EncoderException($"encoder '{s.Path}' takes '{inputName}' as {meta.ElementDataType}; an encoder takes float32 audio or log-mel values: export it with a float32 input.");
            CheckInput(s, inputName, dims, mels);
            string outputs = string.Join(", ", session.OutputMetadata.Select(o => $"'{o.Key}' {Shape(o.Value.Dimensions)}"));
            string output;
            if (string.IsNullOrWhiteSpace(s.Output))
            {
                if (session.OutputMetadata.Count != 1)
                    throw new EncoderException($"encoder '{s.Path}' has {session.OutputMetadata.Count} outputs: {outputs}; name the one holding the embeddings with --encoder-output NAME.");
                output = session.OutputMetadata.Keys.Single();
            }
            else if (!session.OutputMetadata.ContainsKey(s.Output))
                throw new EncoderException($"encoder '{s.Path}' has no output '{s.Output}'; its outputs: {outputs}. Name the one holding the embeddings with --encoder-output NAME.");
            else output = s.Output;
            return (session, inputName, dims, output);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Refuses a graph input that cannot be the declared kind, saying which kind it looks like.</summary>
    private static void CheckInput(EncoderSettings s, string name, int[] dims, int mels)
    {
        string shape = Shape(dims);
        if (s.Input == EncoderInput.Waveform)
        {
            bool waveform = dims.Length is >= 1 and <= 3 && dims[..^1].All(d => d is 1 or <= 0);
            if (!waveform)
                throw new EncoderException($"encoder '{s.Path}' takes '{name}' {shape}, not a waveform ([samples], [1, samples] or [1, 1, samples]); " +
                                           "if it takes a log-mel spectrogram, pass --encoder-input logmel (with our mel settings it expects).");
            return; // a fixed length is run on consecutive segments of it (Encode)
        }
        // log-mel: [.., mels, frames] (or [.., frames, mels] time-major), leading axes of 1
        int melAxis = s.TimeMajor ? dims.Length - 1 : dims.Length - 2;
        int timeAxis = s.TimeMajor ? dims.Length - 2 : dims.Length - 1;
        bool fits = dims.Length is >= 2 and <= 4 && dims[..^2].All(d => d is 1 or <= 0) && (dims[melAxis] <= 0 || dims[melAxis] == mels);
        if (!fits)
        {
            string looks = dims.Length <= 3 && dims[..^1].All(d => d is 1 or <= 0)
                ? "if it takes the waveform, pass --encoder-input waveform"
                : dims.Length >= 2 && dims[melAxis] > 0 && dims[timeAxis] == mels
                    ? $"its mel axis comes {(s.TimeMajor ? "before" : "after")} time: {(s.TimeMajor ? "drop" : "pass")} --encoder-time-major"
                    : $"if it takes {(dims.Length >= 2 && dims[melAxis] > 0 ? dims[melAxis] : mels)} mel bands, set Features.Mel.NMels in --config to that";
            throw new EncoderException($"encoder '{s.Path}' takes '{name}' {shape}, not a log-mel spectrogram of {mels} bands as " +
                                       $"{(s.TimeMajor ? "[.., frames, mels]" : "[.., mels, frames]")}; {looks}.");
        }
        if (dims[timeAxis] > 0)
            throw new EncoderException($"encoder '{s.Path}' takes a fixed {dims[timeAxis]} frames ('{name}' {shape}); export it with a dynamic time axis.");
    }

    private static string Shape(int[] dims) => "[" + string.Join(", ", dims.Select(d => d > 0 ? d.ToString(CultureInfo.InvariantCulture) : "?")) + "]";

    /// <summary>The embeddings of prepared samples at <see cref="EncoderSettings.SampleRate"/> (a <see cref="EncoderInput.Waveform"/> encoder).</summary>
    public Spectrogram Encode(ReadOnlySpan<float> samples)
    {
        if (Settings.Input != EncoderInput.Waveform) throw new InvalidOperationException("a log-mel encoder takes a log-mel spectrogram");
        if (samples.Length == 0) throw new ArgumentException("no samples to encode");
        var shape = new long[_inputDims.Length];
        Array.Fill(shape, 1L);
        int fixedLength = _inputDims[^1];
        if (fixedLength <= 0)
        {
            shape[^1] = samples.Length;
            return Run(samples.ToArray(), shape);
        }
        // a graph of a fixed input length (e.g. 0.975 s patches): consecutive segments of that length, the last one
        // padded with silence, their embeddings one after another
        shape[^1] = fixedLength;
        var parts = new List<Spectrogram>();
        for (int start = 0; start < samples.Length; start += fixedLength)
        {
            var segment = new float[fixedLength];
            samples.Slice(start, Math.Min(fixedLength, samples.Length - start)).CopyTo(segment);
            parts.Add(Run(segment, shape));
        }
        return parts.Count == 1 ? parts[0] : Concatenate(parts);
    }

    /// <summary>Embedding sequences one after another in time (all of one embedding size).</summary>
    private static Spectrogram Concatenate(IReadOnlyList<Spectrogram> parts)
    {
        int bins = parts[0].Bins, frames = parts.Sum(p => p.Frames);
        var data = new float[bins * frames];
        int at = 0;
        foreach (var part in parts)
        {
            for (int b = 0; b < bins; b++) Array.Copy(part.Data, b * part.Frames, data, b * frames + at, part.Frames);
            at += part.Frames;
        }
        return new Spectrogram(data, bins, frames);
    }

    /// <summary>The embeddings of a log-mel spectrogram (a <see cref="EncoderInput.LogMel"/> encoder).</summary>
    public Spectrogram Encode(Spectrogram logMel)
    {
        if (Settings.Input != EncoderInput.LogMel) throw new InvalidOperationException("a waveform encoder takes samples");
        if (logMel.Frames == 0) throw new ArgumentException("no frames to encode");
        var shape = new long[_inputDims.Length];
        Array.Fill(shape, 1L);
        float[] data;
        if (Settings.TimeMajor)
        {
            shape[^2] = logMel.Frames;
            shape[^1] = logMel.Bins;
            data = new float[logMel.Data.Length];
            for (int b = 0; b < logMel.Bins; b++)
                for (int t = 0; t < logMel.Frames; t++)
                    data[t * logMel.Bins + b] = logMel.Data[b * logMel.Frames + t];
        }
        else
        {
            shape[^2] = logMel.Bins;
            shape[^1] = logMel.Frames;
            data = logMel.Data;
        }
        return Run(data, shape);
    }

    private Spectrogram Run(float[] data, long[] shape)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(data, shape);
        using var outputs = _session.Run(RunOptions, [_inputName], [input], [Settings.Output]);
        var result = outputs[0];
        var info = result.GetTensorTypeAndShape();
        if (info.ElementDataType != Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float)
            throw new EncoderException($"encoder output '{Settings.Output}' is {info.ElementDataType}, not float32; name the float embedding output with --encoder-output.");
        long[] dims = info.Shape;
        ReadOnlySpan<float> values = result.GetTensorDataAsSpan<float>();
        int d = dims.Length == 0 ? 1 : (int)dims[^1];
        if (d < 1 || values.Length == 0) throw new EncoderException($"encoder output '{Settings.Output}' is empty ({Shape(dims.Select(x => (int)x).ToArray())}) for {shape[^1]} input frames; the clip may be too short for the encoder.");
        int frames = values.Length / d;
        if (Settings.Dimensions > 0 && d != Settings.Dimensions)
            throw new EncoderException($"encoder output '{Settings.Output}' has {d}-dimensional embeddings, not the {Settings.Dimensions} recorded for {Settings.Describe()}.");
        // [.., frames, d] row-major → d rows (bins) × frames columns
        var features = new float[values.Length];
        for (int t = 0; t < frames; t++)
            for (int b = 0; b < d; b++)
                features[b * frames + t] = values[t * d + b];
        return new Spectrogram(features, d, frames);
    }

    /// <summary>SHA-256 of a file (lowercase hex), remembered per path, length and write time.</summary>
    public static string HashFile(string path)
    {
        var info = new FileInfo(path);
        return FileHashes.GetOrAdd((info.FullName, info.Length, info.LastWriteTimeUtc), _ =>
        {
            using var stream = File.OpenRead(path);
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        });
    }
}
