using System.Diagnostics;

namespace EmotionCluster.Audio;

/// <summary>
/// A lossy codec round trip through <c>sox</c> (Debian packages <c>sox</c> and <c>libsox-fmt-mp3</c>, installed by
/// <c>deploy/install-deps.sh</c>): samples → 16-bit WAV → MP3 at a bit rate → decoded back to 16-bit WAV at the same
/// rate. The encoder's delay is removed (the lag of the best cross-correlation with the input) and the result cut or
/// padded to the input's length, so it lines up with the original sample for sample.
/// </summary>
public sealed class CodecRoundTrip(string sox = "sox")
{
    /// <summary>Longest encoder delay searched for (samples at the clip's rate; LAME's is about 1100 at any rate).</summary>
    public const int MaxDelay = 4096;

    public string Sox { get; } = sox;

    /// <summary>True when <see cref="Sox"/> runs and can write MP3.</summary>
    public bool IsAvailable()
    {
        try
        {
            var (code, output) = Run(["-h"]);
            return code == 0 && output.Contains(" mp3 ", StringComparison.Ordinal);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary><paramref name="samples"/> (mono at <paramref name="sampleRate"/>) through MP3 at <paramref name="kbps"/> kbit/s and back.</summary>
    /// <exception cref="InvalidOperationException">sox is missing, cannot write MP3, or failed (its message is included).</exception>
    public float[] Mp3(ReadOnlySpan<float> samples, int sampleRate, int kbps)
    {
        if (kbps is < 8 or > 320) throw new ArgumentOutOfRangeException(nameof(kbps), kbps, "MP3 bit rates are 8..320 kbit/s");
        if (samples.Length == 0) return [];
        string dir = Directory.CreateTempSubdirectory("ec-codec-").FullName;
        try
        {
            string input = Path.Combine(dir, "in.wav"), mp3 = Path.Combine(dir, "coded.mp3"), output = Path.Combine(dir, "out.wav");
            File.WriteAllBytes(input, WavWriter.ToBytes(samples, sampleRate));
            Check(Run([input, "-C", kbps.ToString(System.Globalization.CultureInfo.InvariantCulture), mp3]), "encode MP3");
            Check(Run([mp3, "-r", sampleRate.ToString(System.Globalization.CultureInfo.InvariantCulture), "-c", "1", "-b", "16", output]), "decode MP3");
            float[] decoded = WavReader.Read(output).Clip.Samples;
            int lag = BestLag(samples, decoded, MaxDelay);
            var aligned = new float[samples.Length];
            for (int i = 0; i < aligned.Length && i + lag < decoded.Length; i++) aligned[i] = decoded[i + lag];
            return aligned;
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The lag 0..<paramref name="maxLag"/> at which <paramref name="delayed"/> best matches <paramref name="x"/> (cross-correlation over the first 2 s at most).</summary>
    internal static int BestLag(ReadOnlySpan<float> x, ReadOnlySpan<float> delayed, int maxLag)
    {
        int n = Math.Min(x.Length, 32_000);
        int best = 0;
        double bestSum = double.NegativeInfinity;
        for (int lag = 0; lag <= maxLag && lag < delayed.Length; lag++)
        {
            double sum = 0;
            int m = Math.Min(n, delayed.Length - lag);
            for (int i = 0; i < m; i++) sum += (double)x[i] * delayed[i + lag];
            if (sum > bestSum) (bestSum, best) = (sum, lag);
        }
        return best;
    }

    private void Check((int Code, string Output) result, string what)
    {
        if (result.Code != 0)
            throw new InvalidOperationException($"{Sox} could not {what} (exit {result.Code}): {result.Output.Trim()}. " +
                                                "The MP3 condition needs sox with MP3 support: install the Debian packages sox and libsox-fmt-mp3 (deploy/install-deps.sh).");
    }

    private (int Code, string Output) Run(IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(Sox) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in arguments) start.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{Sox} did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException(
                $"{Sox} was not found ({e.Message}); the MP3 condition needs it: install the Debian packages sox and libsox-fmt-mp3 (deploy/install-deps.sh)", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            string stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, stdout.Result + stderr);
        }
    }
}
