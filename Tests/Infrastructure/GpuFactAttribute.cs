using System.Linq;
using ILGPU;
using ILGPU.Runtime;

namespace NetGen.Tests.Infrastructure;

/// <summary>
/// A test that needs a GPU (CUDA or OpenCL): it skips itself, with the reason, where none is
/// present. ILGPU's CPU accelerator simulates every GPU thread and costs microseconds per thread,
/// so work of a training run's size waits for a GPU, or for the SIMD CPU backend.
/// </summary>
public sealed class GpuFactAttribute : FactAttribute
{
    public GpuFactAttribute()
    {
        if (!HasGpu)
            Skip = "needs a CUDA or OpenCL GPU: on ILGPU's CPU accelerator one MiniAlexNet step at batch 64 takes over a minute";
    }

    private static bool HasGpu { get; } = Probe();

    private static bool Probe()
    {
        using var context = Context.Create(builder => builder.Default());
        return context.Devices.Any(d => d.AcceleratorType is AcceleratorType.Cuda or AcceleratorType.OpenCL);
    }
}
