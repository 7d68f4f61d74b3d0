using System.Collections.Concurrent;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Audio.Tests;

public class EmoDbSmokeTests
{
    [EmoDbFact]
    public void Every_file_is_16k_mono_pcm16_of_plausible_length_and_loads_to_finite_audio()
    {
        string[] files = Directory.GetFiles(Path.Combine(Datasets.RequireEmoDb(), "wav"), "*.wav");
        Assert.Equal(535, files.Length);
        var loader = new AudioLoader();
        var problems = new ConcurrentBag<string>();

        Parallel.ForEach(files, path =>
        {
            string name = Path.GetFileName(path);
            try
            {
                WavInfo info = WavReader.ReadInfo(path);
                if (info.Describe() != "PCM16 mono 16000 Hz" || info.Encoding != SampleEncoding.PcmSigned16)
                    problems.Add($"{name}: {info.Describe()}");
                if (info.DurationSeconds is < 1.2 or > 9)
                    problems.Add($"{name}: {info.DurationSeconds:F2} s");
                LoadedAudio loaded = loader.Load(path);
                if (loaded.Original != info) problems.Add($"{name}: header read twice differs");
                float[] x = loaded.Clip.Samples;
                if (loaded.Clip.SampleRate != 16000 || x.Length == 0 || !x.All(float.IsFinite))
                    problems.Add($"{name}: {x.Length} samples at {loaded.Clip.SampleRate} Hz, finite: {x.All(float.IsFinite)}");
                else if (Math.Abs(x.Max(Math.Abs) - 0.95) > 1e-4 || loaded.Clip.DurationSeconds < 0.5)
                    problems.Add($"{name}: peak {x.Max(Math.Abs)}, {loaded.Clip.DurationSeconds:F2} s after trimming");
            }
            catch (AudioFormatException e)
            {
                problems.Add(e.Message);
            }
        });

        Assert.True(problems.IsEmpty, string.Join(Environment.NewLine, problems.Order()));
    }
}
