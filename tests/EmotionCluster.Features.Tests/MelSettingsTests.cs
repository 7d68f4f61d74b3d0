using System.Text.Json;
using System.Text.Json.Serialization;
using Xunit;

namespace EmotionCluster.Features.Tests;

public sealed class MelSettingsTests
{
    [Fact]
    public void Defaults_are_valid_and_documented_values()
    {
        var s = new MelSettings();
        s.Validate();
        Assert.Equal((16000, 512, 400, 160, 64), (s.SampleRate, s.NFft, s.WinLength, s.HopLength, s.NMels));
        Assert.Equal(8000, s.EffectiveFMax);
        Assert.Equal(257, s.FrequencyBins);
        Assert.Equal((WindowType.Hann, MelScale.Htk, MelNorm.None, PadMode.Reflect), (s.Window, s.Scale, s.Norm, s.PadMode));
        Assert.True(s.Center);
        Assert.Equal(80, s.TopDb);
    }

    public static TheoryData<MelSettings, string> Invalid => new()
    {
        { new MelSettings { FMax = 8001 }, "FMax" },
        { new MelSettings { FMax = 0 }, "FMax" },
        { new MelSettings { FMin = 8000 }, "FMin" },
        { new MelSettings { FMin = 5000, FMax = 4000 }, "FMin" },
        { new MelSettings { FMin = -1 }, "FMin" },
        { new MelSettings { FMin = double.NaN }, "FMin" },
        { new MelSettings { NMels = 0 }, "NMels" },
        { new MelSettings { WinLength = 513 }, "WinLength" },
        { new MelSettings { WinLength = 0 }, "WinLength" },
        { new MelSettings { HopLength = 0 }, "HopLength" },
        { new MelSettings { NFft = 1 }, "NFft" },
        { new MelSettings { SampleRate = 0 }, "SampleRate" },
        { new MelSettings { Power = 0 }, "Power" },
        { new MelSettings { Power = double.PositiveInfinity }, "Power" },
        { new MelSettings { TopDb = -1 }, "TopDb" },
        { new MelSettings { Window = (WindowType)99 }, "Window" },
        { new MelSettings { Scale = (MelScale)99 }, "Scale" },
        { new MelSettings { Norm = (MelNorm)99 }, "Norm" },
        { new MelSettings { PadMode = (PadMode)99 }, "PadMode" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Invalid_settings_name_the_setting_and_the_range(MelSettings settings, string setting)
    {
        var e = Assert.Throws<ArgumentException>(settings.Validate);
        Assert.Equal(setting, e.ParamName);
        Assert.StartsWith($"MelSettings.{setting} = ", e.Message);
        Assert.Contains("must be", e.Message);
        Assert.Throws<ArgumentException>(() => new LogMelExtractor(settings)); // the extractor validates too
    }

    [Fact]
    public void FMax_at_nyquist_and_null_TopDb_are_valid()
    {
        new MelSettings { FMax = 8000, TopDb = null }.Validate();
        new MelSettings { NFft = 400, WinLength = 400 }.Validate();
    }

    [Theory]
    // torch.stft: 1 + (padded − n_fft) / hop; centred: padded = n + 2 (n_fft / 2)
    [InlineData(512, 160, true, 16000, 101)]
    [InlineData(512, 160, true, 1, 1)]
    [InlineData(512, 160, true, 159, 1)]
    [InlineData(512, 160, true, 160, 2)]
    [InlineData(400, 160, true, 16000, 101)]
    [InlineData(401, 160, true, 160, 1)] // odd n_fft: padded = 160 + 400, 1 + 159 / 160
    [InlineData(401, 160, true, 161, 2)]
    [InlineData(512, 160, false, 16000, 97)] // 1 + 15488 / 160
    [InlineData(512, 160, false, 512, 1)]
    [InlineData(512, 160, false, 671, 1)]
    [InlineData(512, 160, false, 672, 2)]
    [InlineData(512, 160, false, 100, 1)] // shorter than n_fft: zero-padded to one frame
    public void Frame_count_follows_torch_stft(int nFft, int hop, bool center, int samples, int frames)
    {
        var s = new MelSettings { NFft = nFft, WinLength = Math.Min(400, nFft), HopLength = hop, Center = center };
        Assert.Equal(frames, s.FrameCount(samples));
        Assert.Equal(frames, new LogMelExtractor(s).Compute(new float[samples]).Frames);
    }

    [Fact]
    public void Round_trips_through_json_with_enum_names()
    {
        var options = new JsonSerializerOptions
        {
            Converters = { new JsonStringEnumConverter() },
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        };
        var s = new MelSettings { Scale = MelScale.Slaney, Norm = MelNorm.Slaney, FMax = 7600, TopDb = null, Window = WindowType.Hamming };
        string json = JsonSerializer.Serialize(s, options);
        Assert.Contains("\"Scale\":\"Slaney\"", json);
        Assert.DoesNotContain("EffectiveFMax", json);
        Assert.Equal(s, JsonSerializer.Deserialize<MelSettings>(json, options));
    }
}
