using EmotionCluster.Audio;
using EmotionCluster.Extraction;
using EmotionCluster.Features;
using EmotionCluster.Model;
using EmotionCluster.Testing;

namespace EmotionCluster.Streaming.Tests;

/// <summary>
/// Synthetic "emotions" (three kinds of sound) and tiny CNNs trained on them for one or two epochs: real model files
/// that load through <see cref="ModelArtifact"/>, made in seconds without a corpus. Shared by every test class.
/// </summary>
public sealed class TinyModel : IDisposable
{
    public static readonly string[] Labels = ["anger", "neutral", "sadness"];
    public const int Rate = 16000;

    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "ec-streaming-" + Guid.NewGuid().ToString("N"));
    /// <summary>Plain <see cref="FeaturePipelineSettings"/> in the manifest.</summary>
    public string ModelA { get; }
    /// <summary>Same architecture, other seed: other weights (for hot swap).</summary>
    public string ModelB { get; }
    /// <summary>Like <see cref="ModelA"/> with twice the channels (larger activations).</summary>
    public string ModelWide { get; }
    /// <summary>The experiments' <c>{"Features":…,"Input":{"Frames":300,"Standardize":true}}</c> form.</summary>
    public string ModelStandardized { get; }
    /// <summary>The same with <c>"PerBand":true</c>.</summary>
    public string ModelPerBand { get; }
    /// <summary>The experiments' default input: speaker normalization (a window is its own speaker), then standardization.</summary>
    public string ModelSpeakerNorm { get; }
    /// <summary>Speaker normalization with the training examples' statistics as the input prior (lone windows shrink toward it).</summary>
    public string ModelPrior { get; }
    /// <summary>An <c>Input</c> key streaming does not know.</summary>
    public string ModelUnknownInput { get; }

    public TinyModel()
    {
        Directory.CreateDirectory(Dir);
        var featurizer = new PipelineFeaturizer(FeaturePipelineSettings.Default);
        var examples = new List<(Spectrogram, int)>();
        for (int i = 0; i < 12; i++)
        {
            float[] clip = Clip(i % 3, 2.0, seed: i);
            var features = featurizer.Extract(WavWriter.ToBytes(clip, Rate), $"synthetic{i}");
            examples.Add((FixedLength.CropOrPad(features, 300), i % 3));
        }
        var cnn = new CnnSettings { InputBins = 64, InputFrames = 300, Classes = 3, Channels = [4, 8], DenseSize = 8 };
        var plain = new InputSettings { Frames = 300, Standardize = false, SpeakerNorm = SpeakerNormalization.None };
        var standardized = plain with { Standardize = true };
        ModelA = Train(examples, cnn, 1, "a.model", plain);
        ModelB = Train(examples, cnn, 2, "b.model", plain);
        ModelWide = Train(examples, cnn with { Channels = [8, 16] }, 7, "wide.model", plain);
        ModelStandardized = Train(examples, cnn, 3, "standardized.model", standardized);
        ModelPerBand = Train(examples, cnn, 4, "perband.model", standardized with { PerBand = true });
        ModelSpeakerNorm = Train(examples, cnn, 6, "speakernorm.model", standardized with { SpeakerNorm = SpeakerNormalization.MeanVariance });
        ModelPrior = Train(examples, cnn, 8, "prior.model", standardized with { SpeakerNorm = SpeakerNormalization.MeanVariance, PriorFrames = 200 },
            prior: BandStatistics.Of(examples.Select(e => e.Item1)));
        // a model file from a build that knows an input shaping this one does not
        ModelUnknownInput = Train(examples, cnn, 5, "unknown.model", standardized, recipeJson => recipeJson.Replace("\"Standardize\": true", "\"Standardize\": true, \"Whiten\": true"));
    }

    private string Train(List<(Spectrogram, int)> examples, CnnSettings cnn, int seed, string name, InputSettings input, Func<string, string>? editRecipe = null,
        BandStatistics? prior = null)
    {
        var settings = new TrainingSettings { Epochs = 1, BatchSize = 4, Seed = seed, Threads = 0, EarlyStoppingPatience = 0, WarmupEpochs = 0 };
        using var result = SmallModels.Train(examples, [], settings, cnn);
        string path = Path.Combine(Dir, name);
        result.Save(path, Labels, new Recipe { Input = input, Cnn = cnn, Training = settings }, inputPrior: prior);
        if (editRecipe is not null)
        {
            using var zip = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Update);
            var entry = zip.GetEntry("recipe.json")!;
            string json;
            using (var reader = new StreamReader(entry.Open())) json = reader.ReadToEnd();
            entry.Delete();
            using var writer = new StreamWriter(zip.CreateEntry("recipe.json").Open());
            writer.Write(editRecipe(json));
        }
        return path;
    }

    /// <summary>A clip of one of three sound kinds: a buzzy harmonic tone with fast tremolo (0), a low steady hum with noise (1), decaying filtered noise (2).</summary>
    public static float[] Clip(int kind, double seconds, int seed, int rate = Rate)
    {
        var random = new Random(seed);
        int n = (int)(seconds * rate);
        var x = new float[n];
        double f0 = kind switch { 0 => 240 + 40 * random.NextDouble(), 1 => 120 + 20 * random.NextDouble(), _ => 0 };
        double lowpass = 0;
        for (int i = 0; i < n; i++)
        {
            double t = (double)i / rate;
            double v = kind switch
            {
                0 => (Math.Sin(2 * Math.PI * f0 * t) + 0.5 * Math.Sin(4 * Math.PI * f0 * t) + 0.3 * Math.Sin(6 * Math.PI * f0 * t)) * (0.6 + 0.4 * Math.Sin(2 * Math.PI * 9 * t)) * 0.5,
                1 => 0.2 * Math.Sin(2 * Math.PI * f0 * t) + 0.02 * (random.NextDouble() * 2 - 1),
                _ => (lowpass = 0.95 * lowpass + 0.05 * (random.NextDouble() * 2 - 1)) * 3 * Math.Exp(-t / 1.5),
            };
            x[i] = (float)Math.Clamp(v, -0.99, 0.99);
        }
        return x;
    }

    /// <summary>What <see cref="Predictor"/> says about a WAV file: the reference every streamed window is compared with.</summary>
    public static float[] Reference(string modelPath, byte[] wav)
    {
        using var predictor = Predictor.Load(modelPath);
        var input = predictor.Input; // the model file's own input contract, as predict uses it
        return predictor.Predict(input.Shape(new PipelineFeaturizer(input.Features).Extract(wav, "reference")));
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class TinyModelCollection : ICollectionFixture<TinyModel>
{
    public const string Name = "tiny model";
}
