namespace EmotionCluster.Features;

/// <summary>
/// A time-frequency matrix (log-mel in dB, or MFCC), row-major: <c>Data[bin * Frames + frame]</c>.
/// </summary>
public sealed record Spectrogram(float[] Data, int Bins, int Frames)
{
    public float this[int bin, int frame] => Data[bin * Frames + frame];

    public static Spectrogram Create(float[] data, int bins, int frames) =>
        data.Length == bins * frames
            ? new Spectrogram(data, bins, frames)
            : throw new ArgumentException($"data has {data.Length} values; {bins} x {frames} = {bins * frames} expected");
}
