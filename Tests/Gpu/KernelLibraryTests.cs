using System;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using NetGen.Cpu;
using NetGen.Gpu;
using Xunit;

namespace NetGen.Tests.Gpu;

/// <summary>
/// The GPU kernel library against float64 loops written here, on ILGPU's CPU accelerator set up
/// as an NVIDIA GPU (warps of 32, groups up to 1,024 threads), so groups, shared memory and
/// barriers behave as they would there. Sizes are not multiples of the tiles, every output starts
/// as NaN so an element the kernels leave unwritten fails, and split sums must give the same
/// bits on every run.
/// </summary>
public sealed class KernelLibraryTests : IDisposable
{
    private readonly Context context = Context.Create(b => b.CPU(CPUDevice.Nvidia).EnableAlgorithms());
    private readonly Accelerator accelerator;
    private readonly KernelLibrary library;

    public KernelLibraryTests()
    {
        accelerator = context.CreateCPUAccelerator(0);
        library = new KernelLibrary(accelerator);
    }

    public void Dispose()
    {
        library.Dispose();
        accelerator.Dispose();
        context.Dispose();
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(130, 67, 19)]
    [InlineData(7, 300, 129)]
    [InlineData(129, 129, 8)]
    public void ProductEqualsTheTripleLoop(int m, int n, int k)
    {
        var a = Random(m * k, 1);
        var b = Random(k * n, 2);
        using var da = Upload(a);
        using var db = Upload(b);
        using var dc = Poisoned(m * n);
        library.Product(accelerator.DefaultStream, new DenseOperand(da.View, k, 1), new DenseOperand(db.View, n, 1),
            new MatrixStore<Identity>(dc.View, n, 1, 0, default, default, accumulate: false), m, n, k);
        var expected = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                for (int p = 0; p < k; p++)
                    expected[i * n + j] += (double)a[i * k + p] * b[p * n + j];
        AssertClose(expected, dc.GetAsArray1D(), k);
    }

    private static float[] Random(int count, ulong stream) =>
        Enumerable.Range(0, count).Select(i => CounterHash.Uniform(stream, 0, (ulong)i) * 2f - 1f).ToArray();

    private MemoryBuffer1D<float, Stride1D.Dense> Upload(float[] values)
    {
        var buffer = accelerator.Allocate1D<float>(values.Length);
        buffer.View.CopyFromCPU(values);
        return buffer;
    }

    private MemoryBuffer1D<float, Stride1D.Dense> Poisoned(int count) => Upload(Enumerable.Repeat(float.NaN, count).ToArray());

    /// <summary>Each value within float32's rounding of a sum of <paramref name="terms"/> products of values below 1.</summary>
    private static void AssertClose(double[] expected, float[] actual, int terms)
    {
        Assert.Equal(expected.Length, actual.Length);
        double tolerance = 1e-6 * (terms + 4);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"element {i}: {actual[i]} against {expected[i]}");
    }
}
