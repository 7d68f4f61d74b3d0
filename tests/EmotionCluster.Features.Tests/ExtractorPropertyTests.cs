using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Features.Tests;

/// <summary>For any finite signal (random length, shape and level) both extractors give finite values of the expected shape.</summary>
public sealed class ExtractorPropertyTests
{
    private static readonly MelSettings[] Settings =
    [
        new MelSettings(),
        new MelSettings { Center = false, Window = WindowType.Hamming, Power = 1, TopDb = null },
        new MelSettings { NFft = 400, PadMode = PadMode.Constant, NMels = 40, Scale = MelScale.Slaney, Norm = MelNorm.Slaney },
        new MelSettings { NFft = 255, WinLength = 200, HopLength = 37, NMels = 24, FMin = 50, FMax = 7000, TopDb = 40 },
    ];

    private static float[] Signal(int seed, int length, byte kind)
    {
        var random = new Random(seed);
        return (kind % 5) switch
        {
            0 => Enumerable.Range(0, length).Select(_ => (float)(2 * random.NextDouble() - 1)).ToArray(),
            1 => new float[length], // digital silence
            2 => Enumerable.Range(0, length).Select(_ => (float)((2 * random.NextDouble() - 1) * 1e-30)).ToArray(), // denormal-ish
            3 => Enumerable.Range(0, length).Select(_ => (float)((2 * random.NextDouble() - 1) * 1e6)).ToArray(), // far above full scale
            _ => Enumerable.Range(0, length).Select(i => i == length / 2 ? 1f : 0f).ToArray(), // impulse
        };
    }

    [Fact]
    public void Output_is_finite_and_shaped() => Properties.Hold(150, (int seed, ushort lengthSeed, byte kind, byte settingsSeed) =>
        {
            MelSettings s = Settings[settingsSeed % Settings.Length];
            int length = 1 + lengthSeed % 6000;
            float[] x = Signal(seed, length, kind);
            Spectrogram mel = new LogMelExtractor(s).Compute(x);
            Spectrogram mfcc = new MfccExtractor(13, s).Compute(x);
            return mel.Bins == s.NMels && mel.Frames == s.FrameCount(length) && mel.Data.Length == s.NMels * mel.Frames
                && mel.Data.All(float.IsFinite)
                && mfcc.Bins == 13 && mfcc.Frames == mel.Frames && mfcc.Data.All(float.IsFinite);
        });
}
