using System.Reflection;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Xunit;

namespace NetGen.Tests.Gpu;

/// <summary>
/// The kernels of a training step that stays on the device, compiled to PTX for an H100 by ILGPU's
/// own backend (no GPU needed): the tests run them on ILGPU's CPU accelerator, which executes .NET
/// itself, so this is where a construct the PTX backend cannot take (the guard's NaN tests, the
/// verdict and step structs) would show. None may use an atomic: every sum has one order.
/// </summary>
public sealed class StepKernelPtxTests
{
    [Theory]
    [InlineData(typeof(GradientGuard), "VerdictKernel")]
    [InlineData(typeof(GradientGuard), "ClipKernel")]
    [InlineData(typeof(StepRecords), "RecordKernel")]
    [InlineData(typeof(ParameterUpdate), "UpdateAll")]
    public void CompilesForAGpuWithoutAtomics(System.Type owner, string kernel)
    {
        var method = owner.GetMethod(kernel, BindingFlags.NonPublic | BindingFlags.Static)!;
        using var context = Context.Create(builder => builder.Cuda().EnableAlgorithms());
        var backend = new PTXBackend(context, new CudaCapabilityContext(CudaArchitecture.SM_90), CudaArchitecture.SM_90, CudaInstructionSet.ISA_80, null);

        string ptx = ((PTXCompiledKernel)backend.Compile(EntryPointDescription.FromImplicitlyGroupedKernel(method), default)).PTXAssembly;

        Assert.Contains(".entry", ptx);
        Assert.DoesNotContain("atom.", ptx);
        Assert.DoesNotContain("red.", ptx);
    }
}
