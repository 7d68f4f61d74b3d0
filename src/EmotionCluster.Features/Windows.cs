namespace EmotionCluster.Features;

/// <summary>Periodic analysis windows, as torch's <c>hann_window(n)</c>, <c>hamming_window(n)</c>, <c>blackman_window(n)</c>.</summary>
public static class Windows
{
    /// <summary>Window of <paramref name="length"/> samples: w[i] with phase 2πi/length (periodic, i.e. the first
    /// <paramref name="length"/> points of a symmetric window of length + 1).</summary>
    public static float[] Create(WindowType type, int length)
    {
        if (length < 1) throw new ArgumentOutOfRangeException(nameof(length), length, "window length must be at least 1");
        var w = new float[length];
        for (int i = 0; i < length; i++)
        {
            double phase = 2 * Math.PI * i / length;
            w[i] = (float)(type switch
            {
                WindowType.Hann => 0.5 - 0.5 * Math.Cos(phase),
                WindowType.Hamming => 0.54 - 0.46 * Math.Cos(phase),
                WindowType.Blackman => 0.42 - 0.5 * Math.Cos(phase) + 0.08 * Math.Cos(2 * phase),
                WindowType.Rectangular => 1.0,
                _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown window type"),
            });
        }
        return w;
    }

    /// <summary>
    /// The window zero-padded to <paramref name="nFft"/> samples, centred as torch.stft does it
    /// (<c>(nFft − winLength) / 2</c> zeros on the left).
    /// </summary>
    public static float[] Padded(WindowType type, int winLength, int nFft)
    {
        if (winLength > nFft) throw new ArgumentOutOfRangeException(nameof(winLength), winLength, $"window length must be at most nFft ({nFft})");
        var padded = new float[nFft];
        Create(type, winLength).CopyTo(padded, (nFft - winLength) / 2);
        return padded;
    }
}
