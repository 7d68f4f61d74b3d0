namespace EmotionCluster.Features.Tests;

public static class Signals
{
    public static float[] Sine(double hz, int sampleRate, int samples, double amplitude = 0.5) =>
        Enumerable.Range(0, samples).Select(i => (float)(amplitude * Math.Sin(2 * Math.PI * hz * i / sampleRate))).ToArray();

    public static float[] Noise(int samples, int seed, double amplitude = 0.5)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, samples).Select(_ => (float)(amplitude * (2 * random.NextDouble() - 1))).ToArray();
    }

    /// <summary>Speech-like test signal: a few harmonics of a slowly gliding fundamental, amplitude-modulated.</summary>
    public static float[] Voice(int sampleRate, int samples, double f0 = 150)
    {
        var x = new float[samples];
        double phase = 0;
        for (int i = 0; i < samples; i++)
        {
            double t = (double)i / sampleRate;
            phase += 2 * Math.PI * f0 * (1 + 0.1 * Math.Sin(2 * Math.PI * 2 * t)) / sampleRate;
            double v = 0;
            for (int h = 1; h <= 5; h++) v += Math.Sin(h * phase) / h;
            x[i] = (float)(0.3 * v * (0.6 + 0.4 * Math.Sin(2 * Math.PI * 3 * t)));
        }
        return x;
    }
}
