using System;
using System.Numerics.Tensors;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using MathNet.Numerics.LinearAlgebra;
using NetGen.Cpu;

namespace NetGen.Benchmarks;

/// <summary>
/// The CPU backend's matrix product against the managed candidates a .NET developer would reach
/// for, on 1536^3 (7.25 GFLOP per product): MathNet.Numerics with its managed provider, and a
/// parallel row-times-column loop over System.Numerics.Tensors' vectorised TensorPrimitives.Dot.
/// </summary>
public class MatrixProductBenchmarks
{
    private const int N = 1536;
    private float[] a = null!, b = null!, bTransposed = null!, c = null!;
    private Matrix<float> ma = null!, mb = null!, mc = null!;

    [GlobalSetup]
    public void Setup()
    {
        a = Inputs.Uniform(N * N, 1);
        b = Inputs.Uniform(N * N, 2);
        c = new float[N * N];
        ma = Matrix<float>.Build.Dense(N, N, (i, j) => a[i * N + j]);
        mb = Matrix<float>.Build.Dense(N, N, (i, j) => b[i * N + j]);
        mc = Matrix<float>.Build.Dense(N, N);
        bTransposed = new float[N * N];
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++)
                bTransposed[j * N + i] = b[i * N + j];
    }

    [Benchmark(Baseline = true, Description = "NetGen MatrixProduct (packed AVX-512)")]
    public void NetGen() => MatrixProduct.Multiply(a, b, c, N, N, N);

    [Benchmark(Description = "MathNet.Numerics 5.0 (managed provider)")]
    public void MathNet() => ma.Multiply(mb, mc);

    [Benchmark(Description = "Parallel TensorPrimitives.Dot")]
    public void TensorPrimitivesDot() => Parallel.For(0, N, i =>
    {
        var row = a.AsSpan(i * N, N);
        for (int j = 0; j < N; j++)
            c[i * N + j] = TensorPrimitives.Dot(row, bTransposed.AsSpan(j * N, N));
    });
}
