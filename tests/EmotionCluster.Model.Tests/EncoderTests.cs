using EmotionCluster.Audio;
using EmotionCluster.Extraction;
using EmotionCluster.Features;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Model.Tests;

/// <summary>
/// A pretrained ONNX encoder inside the feature pipeline (<see cref="FeaturePipelineSettings.Encoder"/>): its embeddings
/// are a clip's features, keyed by the encoder's SHA-256, and a missing, different or unfitting encoder is refused
/// with the fix named. The encoders are tiny graphs written by python3-onnx (<see cref="TestEncoders"/>).
/// </summary>
public sealed class EncoderTests : IDisposable
{
    private readonly TempDir _dir = new("ec-encoder-");

    public void Dispose() => _dir.Dispose();

    private static string[] EmoDbClips(int n)
    {
        Assert.SkipUnless(Datasets.HasEmoDb || Datasets.IsCi, "EMO-DB is missing");
        return Directory.GetFiles(Path.Combine(Datasets.RequireEmoDb(), "wav"), "03a0*.wav").Order(StringComparer.Ordinal).Take(n).ToArray();
    }

    private static FeaturePipelineSettings With(EncoderSettings encoder) =>
        FeaturePipelineSettings.Default with
        {
            Audio = FeaturePipelineSettings.Default.Audio with { TargetSampleRate = encoder.SampleRate },
            Mel = FeaturePipelineSettings.Default.Mel with { SampleRate = encoder.SampleRate },
            Encoder = encoder,
        };

    private static EncoderSettings Resolve(string path, EncoderInput input = EncoderInput.Waveform, string? output = "embeddings", int mels = 64) =>
        OnnxEncoder.Resolve(path, input, 16_000, output, timeMajor: false, new MelSettings { NMels = mels });

    [Fact]
    public void A_waveform_encoder_turns_each_clip_into_the_embedding_sequence_its_graph_computes()
    {
        string[] wavs = EmoDbClips(3);
        string path = TestEncoders.Waveform(_dir.File("wave.onnx"));
        var encoder = Resolve(path);
        Assert.Equal(TestEncoders.WaveformDimensions, encoder.Dimensions);
        Assert.Equal(100.0, encoder.FramesPerSecond); // hop 160 at 16 kHz
        Assert.Equal(OnnxEncoder.HashFile(path), encoder.Sha256);
        Assert.Equal("embeddings", encoder.Output);

        var settings = With(encoder);
        Assert.Equal(16, settings.Bins);
        var featurizer = new PipelineFeaturizer(settings);
        float[] w = TestEncoders.Weights(path); // [16, 1, 400]
        var loader = new AudioLoader(settings.Audio);
        foreach (string wav in wavs)
        {
            byte[] bytes = File.ReadAllBytes(wav);
            Spectrogram x = featurizer.Extract(bytes, wav);
            float[] samples = loader.Load(bytes, wav).Clip.Samples;
            Assert.Equal(16, x.Bins);
            Assert.Equal((samples.Length - TestEncoders.WaveformKernel) / TestEncoders.WaveformHop + 1, x.Frames);
            // row b, column t: log |filter b · samples[160 t ..]| + 1e-4 — the graph's [1, frames, 16] output laid out as bins × frames
            foreach (int t in new[] { 0, 7, x.Frames / 2, x.Frames - 1 })
                foreach (int b in new[] { 0, 5, 15 })
                {
                    double dot = 0;
                    for (int k = 0; k < TestEncoders.WaveformKernel; k++) dot += w[b * TestEncoders.WaveformKernel + k] * samples[t * TestEncoders.WaveformHop + k];
                    Assert.Equal(Math.Log(Math.Abs(dot) + 1e-4), x[b, t], 2e-3);
                }
        }
    }

    [Fact]
    public void A_waveform_encoder_of_a_fixed_input_length_runs_on_consecutive_segments_the_last_one_padded()
    {
        string wav = EmoDbClips(1)[0];
        string path = TestEncoders.WaveformFixed(_dir.File("fixed.onnx"));
        const int perSegment = (TestEncoders.FixedLength - TestEncoders.WaveformKernel) / TestEncoders.WaveformHop + 1; // 23
        var encoder = Resolve(path);
        Assert.Equal(16, encoder.Dimensions);
        Assert.Equal(4 * perSegment, encoder.FramesPerSecond); // 4 segments more for the second second

        var settings = With(encoder);
        float[] w = TestEncoders.Weights(path);
        byte[] bytes = File.ReadAllBytes(wav);
        Spectrogram x = new PipelineFeaturizer(settings).Extract(bytes, wav);
        float[] samples = new AudioLoader(settings.Audio).Load(bytes, wav).Clip.Samples;
        int segments = (samples.Length + TestEncoders.FixedLength - 1) / TestEncoders.FixedLength;
        Assert.True(samples.Length % TestEncoders.FixedLength != 0); // the last segment is padded
        Assert.Equal(segments * perSegment, x.Frames);
        foreach (int segment in new[] { 0, 1, segments - 1 })
            foreach (int t in new[] { 0, perSegment - 1 })
            {
                int start = segment * TestEncoders.FixedLength + t * TestEncoders.WaveformHop;
                double dot = 0;
                for (int k = 0; k < TestEncoders.WaveformKernel; k++)
                    if (start + k < samples.Length && t * TestEncoders.WaveformHop + k < TestEncoders.FixedLength) dot += w[3 * TestEncoders.WaveformKernel + k] * samples[start + k];
                Assert.Equal(Math.Log(Math.Abs(dot) + 1e-4), x[3, segment * perSegment + t], 2e-3);
            }
    }

    [Fact]
    public void A_log_mel_encoder_runs_on_the_log_mel_spectrogram_of_the_feature_settings()
    {
        string[] wavs = EmoDbClips(2);
        string path = TestEncoders.LogMel(_dir.File("mel.onnx"));
        var encoder = Resolve(path, EncoderInput.LogMel);
        Assert.Equal(TestEncoders.LogMelDimensions, encoder.Dimensions);
        Assert.Equal(50.0, encoder.FramesPerSecond); // stride 2 over 100 mel frames a second

        var settings = With(encoder);
        var featurizer = new PipelineFeaturizer(settings);
        var logMel = new PipelineFeaturizer(FeaturePipelineSettings.Default);
        float[] w = TestEncoders.Weights(path); // [24, 64, 3]
        foreach (string wav in wavs)
        {
            byte[] bytes = File.ReadAllBytes(wav);
            Spectrogram x = featurizer.Extract(bytes, wav), mel = logMel.Extract(bytes, wav);
            Assert.Equal(24, x.Bins);
            Assert.Equal((mel.Frames - 1) / 2 + 1, x.Frames);
            foreach (int t in new[] { 1, x.Frames / 3, x.Frames - 2 })
                foreach (int o in new[] { 0, 11, 23 })
                {
                    double sum = 0;
                    for (int c = 0; c < 64; c++)
                        for (int k = 0; k < 3; k++)
                        {
                            int frame = 2 * t + k - 1;
                            if (frame >= 0 && frame < mel.Frames) sum += w[(o * 64 + c) * 3 + k] * mel[c, frame];
                        }
                    Assert.Equal(Math.Max(0, sum), x[o, t], 2e-3 * Math.Max(1, Math.Abs(sum)));
                }
        }
    }

    [Fact]
    public void Feature_store_keys_follow_the_encoder_file_not_where_it_lies_and_never_mix_with_log_mel()
    {
        string[] wavs = EmoDbClips(1);
        string a = TestEncoders.Waveform(_dir.File("a.onnx"), seed: 1);
        string b = TestEncoders.Waveform(_dir.File("b.onnx"), seed: 2);
        Directory.CreateDirectory(_dir.File("moved"));
        File.Copy(a, _dir.File("moved", "a-copy.onnx"));
        var settingsA = With(Resolve(a));
        var settingsB = With(Resolve(b));
        Assert.Equal(settingsA.Encoder!.Dimensions, settingsB.Encoder!.Dimensions);
        Assert.NotEqual(settingsA.Encoder.Sha256, settingsB.Encoder.Sha256);

        var moved = settingsA.WithEncoderAt(_dir.File("moved", "a-copy.onnx"));
        Assert.NotEqual(settingsA.Encoder.Path, moved.Encoder!.Path);
        Assert.Equal(settingsA.Hash(), moved.Hash()); // the same encoder elsewhere: the same features
        var plain = FeaturePipelineSettings.Default with { Audio = settingsA.Audio, Mel = settingsA.Mel };
        Assert.Equal(3, new[] { plain.Hash(), settingsA.Hash(), settingsB.Hash() }.Distinct().Count());
        // settings without an encoder are written (and hashed) as before the encoder existed
        Assert.DoesNotContain("Encoder", FeaturePipelineSettings.Default.ToJson());
        Assert.DoesNotContain("FramesPerSecond", FeaturePipelineSettings.Default.ToJson());
        Assert.EndsWith("\"Kind\":\"LogMel\",\"MfccCount\":40,\"Bins\":64}", FeaturePipelineSettings.Default.ToJson()); // as model files before the encoder
        Assert.Equal(settingsA.ToJson(), FeaturePipelineSettings.FromJson(settingsA.ToJson()).ToJson());

        // one store: the log-mel features of a clip are cached, the encoder's are computed and kept apart
        var store = new MemoryFeatureStore();
        byte[] bytes = File.ReadAllBytes(wavs[0]);
        var logMel = new ClipExtractionService(new PipelineFeaturizer(plain), store).Extract("clip", bytes);
        var embedded = new ClipExtractionService(new PipelineFeaturizer(settingsA), store).Extract("clip", bytes);
        var again = new ClipExtractionService(new PipelineFeaturizer(moved), store).Extract("clip", bytes);
        var other = new ClipExtractionService(new PipelineFeaturizer(settingsB), store).Extract("clip", bytes);
        Assert.True(logMel.Succeeded && embedded.Succeeded && again.Succeeded && other.Succeeded, embedded.Error ?? other.Error);
        Assert.False(embedded.Cached);
        Assert.Equal(64, logMel.Features!.Bins);
        Assert.Equal(16, embedded.Features!.Bins);
        Assert.True(again.Cached);
        Assert.False(other.Cached);
        Assert.NotEqual(embedded.Features.Data, other.Features!.Data);
    }

    [Fact]
    public void A_missing_or_different_encoder_file_is_refused_naming_the_fix()
    {
        string a = TestEncoders.Waveform(_dir.File("a.onnx"), seed: 1);
        string b = TestEncoders.Waveform(_dir.File("b.onnx"), seed: 2);
        var settings = With(Resolve(a));

        var missing = Assert.Throws<EncoderException>(() => new PipelineFeaturizer(settings.WithEncoderAt(_dir.File("gone.onnx"))));
        Assert.Contains("does not exist", missing.Message);
        Assert.Contains("--encoder PATH", missing.Message);
        Assert.Contains(settings.Encoder!.Sha256[..12], missing.Message);

        var different = Assert.Throws<EncoderException>(() => new PipelineFeaturizer(settings.WithEncoderAt(b)));
        Assert.Contains("SHA-256", different.Message);
        Assert.Contains("--encoder PATH", different.Message);
        Assert.Contains(settings.Encoder.Sha256[..12], different.Message); // which encoder the features were made with

        var none = Assert.Throws<ArgumentException>(() => FeaturePipelineSettings.Default.WithEncoderAt(a));
        Assert.Contains("uses no encoder", none.Message);
    }

    [Fact]
    public void A_wrong_output_name_lists_the_graphs_outputs()
    {
        string path = TestEncoders.Waveform(_dir.File("wave.onnx"));
        var wrong = Assert.Throws<EncoderException>(() => Resolve(path, output: "logits"));
        Assert.Contains("no output 'logits'", wrong.Message);
        Assert.Contains("'embeddings' [1, ?, 16]", wrong.Message);
        Assert.Contains("'energy' [1]", wrong.Message);
        Assert.Contains("--encoder-output", wrong.Message);

        var unnamed = Assert.Throws<EncoderException>(() => Resolve(path, output: null));
        Assert.Contains("2 outputs", unnamed.Message);
        Assert.Contains("--encoder-output NAME", unnamed.Message);

        // a graph with one output needs no name
        Assert.Equal("embeddings", Resolve(TestEncoders.LogMel(_dir.File("mel.onnx")), EncoderInput.LogMel, output: null).Output);
    }

    [Fact]
    public void A_wrong_input_kind_is_refused_saying_which_kind_the_graph_takes()
    {
        string wave = TestEncoders.Waveform(_dir.File("wave.onnx"));
        string mel = TestEncoders.LogMel(_dir.File("mel.onnx"));

        var notMel = Assert.Throws<EncoderException>(() => Resolve(wave, EncoderInput.LogMel));
        Assert.Contains("takes 'audio' [1, ?]", notMel.Message);
        Assert.Contains("--encoder-input waveform", notMel.Message);

        var notWave = Assert.Throws<EncoderException>(() => Resolve(mel, EncoderInput.Waveform));
        Assert.Contains("takes 'mel' [1, 64, ?]", notWave.Message);
        Assert.Contains("--encoder-input logmel", notWave.Message);

        var otherBands = Assert.Throws<EncoderException>(() => Resolve(mel, EncoderInput.LogMel, mels: 40));
        Assert.Contains("not a log-mel spectrogram of 40 bands", otherBands.Message);
        Assert.Contains("64 mel bands", otherBands.Message);

        var missing = Assert.Throws<EncoderException>(() => Resolve(_dir.File("nothing.onnx")));
        Assert.Contains("no such file", missing.Message);

        File.WriteAllText(_dir.File("junk.onnx"), "not a graph");
        var junk = Assert.Throws<EncoderException>(() => Resolve(_dir.File("junk.onnx")));
        Assert.Contains("not an ONNX graph", junk.Message);
    }

    [Fact]
    public void An_encoder_recipe_counts_its_lengths_in_embedding_frames_and_is_kept_whole_in_the_model_file()
    {
        string path = TestEncoders.Waveform(_dir.File("wave.onnx"));
        var encoder = Resolve(path);
        var recipe = EncoderRecipe.With(new Recipe { Cnn = new CnnSettings { Channels = [4, 8], DenseSize = 8 } }, encoder);
        Assert.Equal(300, recipe.Input.Frames); // 3 s at 100 embeddings a second
        Assert.Equal(30, recipe.Augmentation.MaxShiftFrames);
        Assert.Equal(16, recipe.CnnFor(3).InputBins);
        Assert.Equal(16_000, recipe.Features.Audio.TargetSampleRate);
        var read = Recipe.FromJson(recipe.RecipeJson());
        Assert.Equal(recipe.Features.ToJson(), read.Features.ToJson());
        Assert.Equal(encoder.Sha256, read.Features.Encoder!.Sha256);

        var slow = EncoderRecipe.With(new Recipe(), encoder with { FramesPerSecond = 2 }); // e.g. YAMNet's 0.48 s hop
        Assert.Equal(16, slow.Input.Frames); // at least 2^4 for the default CNN's four halvings

        var conditions = Assert.Throws<ArgumentException>(() => (recipe with { Augmentation = recipe.Augmentation with { RecordingConditions = true } }).Validate());
        Assert.Contains("RecordingConditions", conditions.Message);
    }
}
