using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EmotionCluster.Model;

/// <summary>
/// Caps oneDNN (libtorch's CPU convolution library) at AVX2 instructions, before libtorch first reads the setting.
/// <para>
/// Why: on the AMD EPYC (AVX-512, Zen 5 class) machines this project is built and tested on, libtorch 2.10's oneDNN
/// AVX-512 convolution kernels (TorchSharp-cpu 0.107.0) return NaN weight gradients for some output channels of the
/// first convolution, at a random step (every run of the toy training in <c>TrainerTests</c> failed within 40 steps,
/// with 1 or 2 threads; the loss and the gradients one step earlier were finite). With the cap at AVX2 or AVX2_VNNI no
/// run failed; AVX512_CORE, AVX512_CORE_VNNI and AVX512_CORE_BF16 all failed. The cap is an upper bound: a CPU without
/// AVX2-VNNI uses its best lower level. Setting <c>ONEDNN_MAX_CPU_ISA</c> (or <c>DNNL_MAX_CPU_ISA</c>) in the
/// environment overrides it, e.g. <c>ONEDNN_MAX_CPU_ISA=ALL</c> on a machine whose AVX-512 kernels are known good.
/// </para>
/// <para>
/// oneDNN reads the variable from the C environment once, at its first CPU-feature query (the first convolution), so it
/// is set with libc's <c>setenv</c> when this assembly is loaded: .NET's <see cref="Environment.SetEnvironmentVariable(string, string)"/>
/// does not change the C environment on Linux.
/// </para>
/// </summary>
public static class OneDnnIsaCap
{
    public const string Variable = "ONEDNN_MAX_CPU_ISA";
    public const string LegacyVariable = "DNNL_MAX_CPU_ISA";
    public const string DefaultCap = "AVX2_VNNI";

    /// <summary>The cap in effect for this process (what oneDNN will read), or null when none is set.</summary>
    public static string? Current => Get(Variable) ?? Get(LegacyVariable);

#pragma warning disable CA2255 // a module initializer is the only hook that runs before any torch call made through this library
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Apply()
    {
        if (Current is not null) return; // the user chose
        if (OperatingSystem.IsWindows()) Environment.SetEnvironmentVariable(Variable, DefaultCap);
        else _ = setenv(Variable, DefaultCap, 0);
    }

    private static string? Get(string name) =>
        OperatingSystem.IsWindows() ? Environment.GetEnvironmentVariable(name) : Marshal.PtrToStringUTF8(getenv(name));

    [DllImport("libc", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int setenv(string name, string value, int overwrite);

    [DllImport("libc", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern IntPtr getenv(string name);
}
