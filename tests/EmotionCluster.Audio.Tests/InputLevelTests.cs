using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Audio.Tests;

public class InputLevelTests
{
    private const int Rate = 16000;

    /// <summary>A talker-like signal: 0.3 s bursts of a 220 Hz tone with 0.2 s pauses, peak <paramref name="amplitude"/>.</summary>
    private static float[] Bursts(double amplitude, double seconds = 2)
    {
        float[] tone = Signals.Sine(220, Rate, seconds, amplitude);
        for (int i = 0; i < tone.Length; i++)
            if (i % (Rate / 2) >= 0.3 * Rate) tone[i] = 0;
        return tone;
    }

    [Fact]
    public void A_sine_measures_its_textbook_level_in_dBFS()
    {
        InputLevel level = InputLevel.Measure(Signals.Sine(440, Rate, 1, amplitude: 0.5), Rate);

        Assert.Equal(20 * Math.Log10(0.5 / Math.Sqrt(2)), level.RmsDbfs, 0.05); // −9.03 dBFS
        Assert.Equal(level.RmsDbfs, level.ActiveDbfs, 0.05);
        Assert.Equal(20 * Math.Log10(0.5), level.PeakDbfs, 0.01);
        Assert.Equal(0, level.ClippedFraction);
        Assert.Equal(LevelWarning.None, level.Warnings);
        Assert.Equal(Rate, level.Samples);
    }

    [Fact]
    public void Active_level_ignores_pauses_and_silence_around_the_speech()
    {
        float[] speech = Bursts(0.5);
        var padded = new float[speech.Length + 4 * Rate]; // 4 s of silence after 2 s of bursts
        speech.CopyTo(padded, 0);

        InputLevel alone = InputLevel.Measure(speech, Rate), withSilence = InputLevel.Measure(padded, Rate);

        Assert.Equal(20 * Math.Log10(0.5 / Math.Sqrt(2)), alone.ActiveDbfs, 0.3); // the bursts' own level, not diluted by the pauses
        Assert.Equal(alone.ActiveDbfs, withSilence.ActiveDbfs, 0.01);
        Assert.True(withSilence.RmsDbfs < alone.RmsDbfs - 4, $"the plain RMS falls with silence: {withSilence.RmsDbfs} vs {alone.RmsDbfs}");
    }

    [Fact]
    public void Speech_40_dB_down_is_too_quiet_and_the_line_says_what_to_do()
    {
        InputLevel quiet = InputLevel.Measure(Bursts(0.5 * Math.Pow(10, -40 / 20.0)), Rate); // active ≈ −49 dBFS

        Assert.Equal(LevelWarning.TooQuiet, quiet.Warnings);
        Assert.True(quiet.TooQuiet);
        Assert.False(quiet.Clipped);
        Assert.StartsWith("too quiet: active speech level -49.", quiet.Describe());
        Assert.Contains("below -40 dBFS", quiet.Describe());
        Assert.DoesNotContain('\n', quiet.Describe());
    }

    [Fact]
    public void The_quiet_threshold_is_on_the_active_level_not_on_one_loud_click()
    {
        float[] quiet = Bursts(0.005); // active ≈ −49 dBFS
        quiet[100] = 1f; // one full-scale click

        InputLevel level = InputLevel.Measure(quiet, Rate);

        Assert.True(level.TooQuiet, level.Describe());
        Assert.False(level.Clipped, level.Describe()); // one sample at full scale is a peak, not clipping
    }

    [Fact]
    public void Digital_silence_is_too_quiet_with_its_own_words()
    {
        InputLevel silence = InputLevel.Measure(new float[Rate], Rate);

        Assert.Equal(InputLevel.FloorDbfs, silence.ActiveDbfs);
        Assert.Equal(InputLevel.FloorDbfs, silence.RmsDbfs);
        Assert.True(silence.TooQuiet);
        Assert.Contains("digital silence", silence.Describe());
        Assert.Equal(LevelWarning.TooQuiet, InputLevel.Measure([], Rate).Warnings);
    }

    [Fact]
    public void Speech_driven_into_full_scale_is_clipped()
    {
        float[] loud = Bursts(2.0); // 6 dB over full scale
        for (int i = 0; i < loud.Length; i++) loud[i] = Math.Clamp(loud[i], -1f, 1f);

        InputLevel level = InputLevel.Measure(loud, Rate);

        Assert.Equal(LevelWarning.Clipped, level.Warnings);
        Assert.True(level.ClippedFraction > 0.1, $"{level.ClippedFraction}");
        Assert.StartsWith("clipped: ", level.Describe());
        Assert.Contains("lower the input gain", level.Describe());
    }

    [Fact]
    public void Clipping_threshold_is_a_share_of_the_samples()
    {
        float[] x = Signals.Sine(220, Rate, 1, amplitude: 0.5);
        int limit = (int)(InputLevel.ClippedAboveFraction * x.Length); // 16 samples of 16000
        for (int i = 0; i < limit; i++) x[i * 100] = i % 2 == 0 ? 1f : -1f;
        Assert.False(InputLevel.Measure(x, Rate).Clipped);

        x[limit * 100] = 1f; // one more: over 0.1 %
        Assert.True(InputLevel.Measure(x, Rate).Clipped);
    }

    [Fact]
    public void Quiet_and_clipped_together_are_one_line_with_both()
    {
        float[] x = Bursts(0.005);
        for (int i = 0; i < 100; i++) x[i] = 1f; // a burst of clipped samples in quiet speech

        InputLevel level = InputLevel.Measure(x, Rate);

        Assert.Equal(LevelWarning.TooQuiet | LevelWarning.Clipped, level.Warnings);
        string line = level.Describe();
        Assert.Contains("too quiet", line);
        Assert.Contains("; clipped", line);
        Assert.DoesNotContain('\n', line);
    }

    [Fact]
    public void A_fine_level_describes_itself()
    {
        string line = InputLevel.Measure(Bursts(0.5), Rate).Describe();
        Assert.StartsWith("level ok: active speech level -9.", line);
    }

    [Fact]
    public void Shorter_than_a_frame_and_bad_input()
    {
        InputLevel tiny = InputLevel.Measure([0.5f, -0.5f, 0.5f], Rate);
        Assert.Equal(20 * Math.Log10(0.5), tiny.ActiveDbfs, 1e-6);
        Assert.Throws<ArgumentOutOfRangeException>(() => InputLevel.Measure([0.1f], 0));
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => InputLevel.Measure([0.1f, float.NaN], Rate)).Message);
    }

    [EmoDbFact]
    public void No_EMO_DB_clip_is_flagged_and_25_dB_down_the_quietest_are()
    {
        string[] files = Directory.GetFiles(Path.Combine(Datasets.RequireEmoDb(), "wav"), "*.wav");
        Assert.Equal(535, files.Length);
        var flagged = new List<string>();
        double quietest = 0;
        foreach (string path in files)
        {
            AudioClip clip = WavReader.Read(path).Clip;
            InputLevel level = InputLevel.Measure(clip);
            if (level.Warnings != LevelWarning.None) flagged.Add($"{Path.GetFileName(path)}: {level.Describe()}");
            quietest = Math.Min(quietest, level.ActiveDbfs);
        }
        Assert.Empty(flagged);
        Assert.InRange(quietest, -30, -20); // EMO-DB's quietest clip is about −27 dBFS (the threshold's rationale)

        // 25 dB down (a far talker, a low gain) the quietest clips go under −40 dBFS, the loudest stay above
        int quietAt25 = files.Count(path =>
        {
            float[] x = WavReader.Read(path).Clip.Samples;
            for (int i = 0; i < x.Length; i++) x[i] *= (float)Math.Pow(10, -25 / 20.0);
            return InputLevel.Measure(x, 16000).TooQuiet;
        });
        Assert.InRange(quietAt25, 1, 534);

        // driven 6 dB past full scale and clipped (a gain set too high), every one of every 10th clip is flagged
        var missed = files.Order(StringComparer.Ordinal).Where((_, i) => i % 10 == 0).Where(path =>
        {
            float[] x = WavReader.Read(path).Clip.Samples;
            for (int i = 0; i < x.Length; i++) x[i] = Math.Clamp(2 * x[i], -1f, 1f);
            return !InputLevel.Measure(x, 16000).Clipped;
        }).ToList();
        Assert.Empty(missed);
    }
}
