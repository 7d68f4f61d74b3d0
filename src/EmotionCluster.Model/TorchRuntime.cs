using TorchSharp;

namespace EmotionCluster.Model;

/// <summary>Device and thread selection for TorchSharp, from configuration strings such as "cpu", "cuda", "cuda:1".</summary>
public static class TorchRuntime
{
    /// <summary>
    /// Whether this build carries libtorch: false in a <c>-p:LibTorch=false</c> build (the ONNX-only predictor), where
    /// nothing may touch torch — without its natives TorchSharp would look for libtorch elsewhere (it copies it from a
    /// NuGet package cache beside the application when it finds one).
    /// </summary>
    public static bool Available =>
#if NO_LIBTORCH
        false;
#else
        true;
#endif

    public static torch.Device ResolveDevice(string? name)
    {
        string spec = string.IsNullOrWhiteSpace(name) ? "cpu" : name.Trim().ToLowerInvariant();
        if (spec == "cpu") return torch.CPU;
        if (spec == "cuda" || spec.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!torch.cuda.is_available())
                throw new InvalidOperationException(
                    $"Device '{name}' was requested but CUDA is not available in this build (TorchSharp-cpu). " +
                    "Use --device cpu, or run the trainer on a node built with a TorchSharp-cuda package.");
            return new torch.Device(spec);
        }
        throw new ArgumentException($"Unknown device '{name}'. Use 'cpu', 'cuda' or 'cuda:N'.", nameof(name));
    }

    public static void SetThreads(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "Thread count must be at least 1.");
        torch.set_num_threads(threads);
    }
}
