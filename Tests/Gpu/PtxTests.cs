using System.Linq;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using NetGen.Gpu;
using Xunit;

namespace NetGen.Tests.Gpu;

/// <summary>
/// The kernel library compiled to PTX for an H100 (sm_90) by ILGPU's own backend, which needs no
/// GPU: the matrix product must use shared memory and barriers and keep its register tile in
/// registers (nothing in local memory, which is what a spilled array would become), and divide no
/// integer the slow way.
/// </summary>
public sealed class PtxTests
{
    [Theory]
    [InlineData(typeof(DenseOperand), typeof(DenseOperand), typeof(MatrixStore<Identity>))]
    [InlineData(typeof(DenseOperand), typeof(LoweredInput), typeof(PlanesStore<Rectifier>))]
    [InlineData(typeof(PlanesOperand), typeof(LoweredInput), typeof(MatrixStore<Identity>))]
    [InlineData(typeof(WeightsByChannel), typeof(OutputGradientWindows), typeof(PlanesStore<Identity>))]
    public void ProductKeepsItsTileInRegistersAndItsSlicesInSharedMemory(System.Type a, System.Type b, System.Type store)
    {
        string ptx = Compile(a, b, store);
        var lines = ptx.Split('\n');
        Assert.DoesNotContain(lines, l => l.Contains(".local"));
        Assert.Contains(lines, l => l.TrimStart().StartsWith(".shared", System.StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("bar.sync"));
        // The implicit operands split indices with Divisor's multiply and shift: no division instruction anywhere.
        Assert.DoesNotContain(lines, l => l.Contains("div.") || l.Contains("rem."));
        // The 8 x 8 multiply-adds of one inner step, written out: 64 products and 64 sums at least.
        Assert.True(lines.Count(l => l.Contains("mul.f32")) >= 64 && lines.Count(l => l.Contains("add.f32")) >= 64, "the register tile's multiply-adds are missing");
    }

    /// <summary>
    /// ILGPU 1.5.3 writes <c>.target sm_80</c> for an sm_90 backend: its CudaCapabilityContext
    /// targets the oldest architecture that has every capability it knows of (sm_80 for float16
    /// min, max and tanh). The driver compiles that PTX for the GPU it runs on, and ILGPU emits
    /// none of sm_90's own instructions, so a newer instruction set changes only <c>.version</c>.
    /// </summary>
    [Fact]
    public void TargetIsTheOldestArchitectureWithIlgpusCapabilities()
    {
        string ptx = Compile(typeof(DenseOperand), typeof(DenseOperand), typeof(MatrixStore<Identity>));
        Assert.Contains(".target sm_80", ptx);
    }

    private static string Compile(System.Type a, System.Type b, System.Type store)
    {
        using var context = Context.Create(builder => builder.Cuda().EnableAlgorithms());
        var backend = new PTXBackend(context, new CudaCapabilityContext(CudaArchitecture.SM_90), CudaArchitecture.SM_90, CudaInstructionSet.ISA_80, null);
        var kernel = typeof(TiledProduct).GetMethod(nameof(TiledProduct.Kernel))!.MakeGenericMethod(a, b, store);
        var compiled = (PTXCompiledKernel)backend.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(kernel), new KernelSpecialization(TiledProduct.GroupSize, null));
        return compiled.PTXAssembly;
    }
}
