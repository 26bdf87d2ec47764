using System;
using System.Linq;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace NetGen;

/// <summary>An ILGPU context and one accelerator, chosen by name.</summary>
public sealed class Device : IDisposable
{
    /// <summary>The names <see cref="Open"/> accepts.</summary>
    public static readonly string[] Kinds = ["auto", "cpu", "cuda", "opencl", "ilgpu-cpu", "ilgpu-gpu"];

    private Device(Context context, Accelerator accelerator, string kind)
    {
        Context = context;
        Accelerator = accelerator;
        Kind = kind;
    }

    /// <summary>What runs the networks: the CPU backend for <c>cpu</c>, ILGPU kernels otherwise.</summary>
    public Backend Backend => Kind == "cpu" ? Backend.Cpu : Backend.Ilgpu;

    /// <summary>The ILGPU context (with ILGPU.Algorithms enabled, which the kernels' math needs).</summary>
    public Context Context { get; }

    /// <summary>The accelerator the networks run on.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>The kind that was opened: cpu, cuda, opencl, ilgpu-cpu or ilgpu-gpu.</summary>
    public string Kind { get; }

    /// <summary>
    /// Opens a device: <c>cpu</c> (the CPU backend), <c>cuda</c>, <c>opencl</c>, <c>ilgpu-cpu</c>
    /// (ILGPU's CPU simulator running the kernels, a correctness tool), <c>ilgpu-gpu</c> (the same
    /// simulator shaped like an NVIDIA GPU, warps of 32 and groups of up to 1,024 threads, so the
    /// hand-written kernel library runs where a GPU would run it), or <c>auto</c>, which takes a
    /// CUDA GPU, then an OpenCL GPU, then the CPU backend. The CPU backend keeps its buffers on an
    /// ILGPU CPU accelerator, whose memory is the host's, so every pass and checkpoint works unchanged.
    /// </summary>
    public static Device Open(string kind = "auto")
    {
        kind = kind.ToLowerInvariant();
        if (!Kinds.Contains(kind))
            throw new ArgumentException($"There is no device kind '{kind}'; the kinds are {string.Join(", ", Kinds)}.");
        var context = Context.Create(builder => builder.Default().EnableAlgorithms());
        try
        {
            Accelerator? accelerator = null;
            string opened = kind;
            if (kind is "auto" or "cuda" && context.GetCudaDevices().Count > 0)
                (accelerator, opened) = (context.CreateCudaAccelerator(0), "cuda");
            else if (kind is "auto" or "opencl" && context.Devices.OfType<CLDevice>().Any(d => kind == "opencl" || d.DeviceType == CLDeviceType.CL_DEVICE_TYPE_GPU))
                (accelerator, opened) = (context.CreateCLAccelerator(0), "opencl");
            else if (kind is "auto" or "cpu")
                (accelerator, opened) = (context.CreateCPUAccelerator(0), "cpu");
            else if (kind is "ilgpu-cpu")
                (accelerator, opened) = (context.CreateCPUAccelerator(0), "ilgpu-cpu");
            else if (kind is "ilgpu-gpu")
                (accelerator, opened) = (CPUDevice.Nvidia.CreateCPUAccelerator(context), "ilgpu-gpu");
            if (accelerator is null)
                throw new NoDeviceException(kind, context.Devices.Select(d => $"{d.AcceleratorType}: {d.Name}").ToArray());
            return new Device(context, accelerator, opened);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>What runs the network, in words: the GPU's name, or which of the two CPU paths it is.</summary>
    public override string ToString() => Kind switch
    {
        "cpu" => $"cpu: NetGen's CPU backend ({Environment.ProcessorCount} threads, {VectorWidth()})",
        "ilgpu-cpu" => $"ilgpu-cpu: ILGPU's CPU accelerator running the GPU kernels ({Accelerator.Name}; slow, for checking)",
        "ilgpu-gpu" => $"ilgpu-gpu: ILGPU's CPU accelerator shaped like an NVIDIA GPU, running the GPU kernels and the kernel library ({Accelerator.Name}; slow, for checking)",
        _ => $"{Kind}: {Accelerator.Name}",
    };

    private static string VectorWidth() =>
        System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "512-bit vectors"
        : System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? "256-bit vectors"
        : "128-bit vectors";

    /// <summary>Frees the accelerator and the context.</summary>
    public void Dispose()
    {
        Accelerator.Dispose();
        Context.Dispose();
    }
}
