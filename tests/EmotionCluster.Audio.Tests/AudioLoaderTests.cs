using Xunit;

namespace EmotionCluster.Audio.Tests;

public class AudioLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audioloader-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Loads_a_stereo_44k1_file_as_16k_mono_and_reports_the_original_format()
    {
        float[] left = Signals.Sine(500, 44100, 1.0, amplitude: 0.4), right = Signals.Sine(500, 44100, 1.0, amplitude: 0.2);
        float[] interleaved = left.Zip(right, (l, r) => new[] { l, r }).SelectMany(p => p).ToArray();
        string path = Path.Combine(_dir, "stereo.wav");
        File.WriteAllBytes(path, WavWriter.ToBytes(interleaved, 44100, 2, SampleEncoding.PcmSigned24));

        LoadedAudio loaded = new AudioLoader(new AudioSettings { Preprocess = PreprocessSettings.Off }).Load(path);

        Assert.Equal(new WavInfo(SampleEncoding.PcmSigned24, 24, 2, 44100, 44100), loaded.Original);
        Assert.Equal(16000, loaded.Clip.SampleRate);
        Assert.Equal(16000, loaded.Clip.Samples.Length);
        var (amplitude, _, _) = Signals.FitSine(loaded.Clip.Samples.AsSpan(1600, 12800), 16000, 500, offset: 1600);
        Assert.Equal(0.3, amplitude, 1e-3);
    }

    [Fact]
    public void Default_settings_resample_and_preprocess()
    {
        var clean = new float[22050 * 2];
        Signals.Sine(300, 22050, 1.0, amplitude: 0.2).CopyTo(clean, 22050 / 2);
        float[] x = Signals.Add(clean, Signals.Noise(clean.Length, 0.002, seed: 11)).Select(v => v + 0.1f).ToArray();

        LoadedAudio loaded = new AudioLoader().Load(WavWriter.ToBytes(x, 22050), "tone.wav");

        Assert.Equal(16000, loaded.Clip.SampleRate);
        Assert.Equal(0.95, loaded.Clip.Samples.Max(Math.Abs), 1e-6);                    // peak-normalized
        Assert.InRange(loaded.Clip.DurationSeconds, 1.0, 1.25);                          // 0.5 s of silence each side trimmed
        Assert.Equal(0, loaded.Clip.Samples.Average(v => (double)v), 0.01);              // offset removed
        Assert.Equal(22050 * 2, loaded.Original.Frames);
    }

    [Fact]
    public void Prepare_resamples_a_raw_clip()
    {
        var loader = new AudioLoader(new AudioSettings { TargetSampleRate = 8000, Preprocess = PreprocessSettings.Off });

        AudioClip clip = loader.Prepare(new AudioClip(new float[16000], 16000));

        Assert.Equal((8000, 8000), (clip.SampleRate, clip.Samples.Length));
    }

    [Fact]
    public void A_bad_file_is_an_audio_format_error_naming_it()
    {
        string path = Path.Combine(_dir, "broken.wav");
        File.WriteAllBytes(path, [1, 2, 3]);

        var e = Assert.Throws<AudioFormatException>(() => new AudioLoader().Load(path));

        Assert.Equal(path, e.SourceName);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3999)]
    [InlineData(1_000_000)]
    public void Target_rate_out_of_bounds_is_rejected(int rate)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new AudioLoader(new AudioSettings { TargetSampleRate = rate }));
        Assert.Equal("AudioSettings.TargetSampleRate", e.ParamName);
        Assert.Contains("16000", e.Message);
    }

    [Fact]
    public void Bad_preprocess_settings_are_rejected_by_the_loader()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new AudioLoader(new AudioSettings { Preprocess = new PreprocessSettings { NoiseHop = 0 } }));
        Assert.Equal("PreprocessSettings.NoiseHop", e.ParamName);
        Assert.Throws<ArgumentNullException>(() => new AudioLoader(new AudioSettings { Preprocess = null! }));
    }
}
