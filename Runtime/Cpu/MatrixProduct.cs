using System;

namespace NetGen.Cpu;

/// <summary>The CPU backend's matrix product for row-major arrays: what its convolutions and dense layers are built on.</summary>
public static unsafe class MatrixProduct
{
    /// <summary><c>c (m x n) = a (m x k) b (k x n)</c>, all row-major.</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k)
    {
        if (a.Length < (long)m * k || b.Length < (long)k * n || c.Length < (long)m * n)
            throw new ArgumentException($"A {m} x {k} times {k} x {n} product needs {(long)m * k}, {(long)k * n} and {(long)m * n} floats.");
        fixed (float* pa = a, pb = b, pc = c)
            Gemm.Multiply(m, n, k, new Strided(pa, k, 1), new Strided(pb, n, 1), new Strided(pc, n, 1));
    }

    /// <summary>Measures the product of two <paramref name="size"/>-square matrices: the best of <paramref name="repetitions"/>, in GFLOP/s.</summary>
    public static double MeasureGflops(int size = 1536, int repetitions = 5)
    {
        var a = new float[size * size];
        var b = new float[size * size];
        var c = new float[size * size];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = CounterHash.Uniform(1, 0, (ulong)i) - 0.5f;
            b[i] = CounterHash.Uniform(1, 1, (ulong)i) - 0.5f;
        }
        Multiply(a, b, c, size, size, size); // warm-up: JIT and the packing buffers
        double best = double.MaxValue;
        for (int r = 0; r < repetitions; r++)
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            Multiply(a, b, c, size, size, size);
            best = Math.Min(best, System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        return 2.0 * size * size * size / best / 1e9;
    }
}
