using EmotionCluster.Model;
using TorchSharp;
using Xunit;

namespace EmotionCluster.Model.Tests;

public class TorchLoadsTests
{
    [Fact]
    public void Native_library_loads_and_a_tensor_computes()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2);
        var b = torch.matmul(a, a);
        Assert.Equal(new float[] { 7, 10, 15, 22 }, b.data<float>().ToArray());
    }

    [Fact]
    public void Cpu_device_resolves_and_unknown_device_is_a_clear_error()
    {
        Assert.Equal(DeviceType.CPU, TorchRuntime.ResolveDevice("cpu").type);
        var e = Assert.Throws<ArgumentException>(() => TorchRuntime.ResolveDevice("tpu"));
        Assert.Contains("tpu", e.Message);
        if (!torch.cuda.is_available())
            Assert.Contains("CUDA is not available", Assert.Throws<InvalidOperationException>(() => TorchRuntime.ResolveDevice("cuda:0")).Message);
    }

    [Fact]
    public void OneDnn_is_capped_at_avx2_unless_the_environment_chose()
    {
        // The toy trainings in TrainerTests produced NaN gradients within 40 steps with oneDNN's AVX-512 kernels here.
        _ = new CnnSettings(); // loads this library, which runs the module initializer
        string? chosen = Environment.GetEnvironmentVariable(OneDnnIsaCap.Variable) ?? Environment.GetEnvironmentVariable(OneDnnIsaCap.LegacyVariable);
        Assert.Equal(chosen ?? OneDnnIsaCap.DefaultCap, OneDnnIsaCap.Current);
    }

    [Fact]
    public void The_allocator_keeps_freed_tensor_memory_unless_the_environment_chose()
    {
        _ = OneDnnIsaCap.Current; // the Model assembly is loaded, its initializers have run
        bool userChose = MallocTuning.EnvironmentVariables.Append(MallocTuning.SwitchVariable)
            .Any(v => Environment.GetEnvironmentVariable(v) is not null);
        if (OperatingSystem.IsLinux() && !userChose) Assert.True(MallocTuning.Applied, MallocTuning.NotAppliedReason);
        else Assert.NotNull(MallocTuning.NotAppliedReason);
    }
}
