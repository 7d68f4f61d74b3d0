using System.Text.Json;
using System.Text.Json.Serialization;
using EmotionCluster.Testing;

namespace EmotionCluster.Features.Tests;

/// <summary>torchaudio outputs written by tools/reference/make_mel_reference.py into tests/data/mel-reference.</summary>
public static class ReferenceData
{
    public static string Dir => Datasets.TestData("mel-reference");

    public static Manifest Load()
    {
        string path = Path.Combine(Dir, "manifest.json");
        var options = new JsonSerializerOptions { Converters = { new JsonStringEnumConverter() } };
        return JsonSerializer.Deserialize<Manifest>(File.ReadAllText(path), options)
            ?? throw new InvalidOperationException($"{path} is empty");
    }

    public static float[] ReadF32(string file)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(Dir, file));
        var values = new float[bytes.Length / 4];
        for (int i = 0; i < values.Length; i++) values[i] = BitConverter.ToSingle(bytes, 4 * i); // little-endian host
        return values;
    }

    public sealed record Manifest(
        [property: JsonPropertyName("torchaudio")] string TorchAudio,
        [property: JsonPropertyName("settings")] Dictionary<string, MelSettings> Settings,
        [property: JsonPropertyName("cases")] List<Case> Cases,
        [property: JsonPropertyName("fbanks")] List<Fbank> Fbanks);

    public sealed record Case(
        [property: JsonPropertyName("clip")] string Clip,
        [property: JsonPropertyName("settings")] string Settings,
        [property: JsonPropertyName("kind")] string Kind,
        [property: JsonPropertyName("file")] string File,
        [property: JsonPropertyName("shape")] int[] Shape,
        [property: JsonPropertyName("n_mfcc")] int? NMfcc = null,
        [property: JsonPropertyName("samples")] int? Samples = null);

    public sealed record Fbank(
        [property: JsonPropertyName("settings")] string Settings,
        [property: JsonPropertyName("file")] string File,
        [property: JsonPropertyName("shape")] int[] Shape);
}
