using System;
using NetGen.Cpu;

namespace NetGen.Tests.Kernels;

/// <summary>
/// The CPU backend's matrix product, called directly, against a triple loop written here (in
/// double). The shapes leave partial tiles on both edges and run past one packed block of rows
/// (256), so the second block adds onto what the first stored; the mapped output sends column
/// (image, pixel) to image * stride + pixel, as a convolution's NCHW store does, with planes of
/// 7, 49 and 196 pixels so that tiles end inside a plane, span several planes, or fit in one.
/// </summary>
public unsafe class GemmTests
{
    [Theory]
    [InlineData(13, 70, 300, 0, false, false)]    // plain row-major C, partial tiles
    [InlineData(6, 64, 16, 0, false, false)]      // whole tiles only
    [InlineData(17, 98, 300, 7, true, true)]      // planes of 7 (several per tile), bias and ReLU
    [InlineData(32, 196, 432, 49, false, true)]   // MiniAlexNet's conv5 group: planes of 49
    [InlineData(11, 392, 260, 196, true, false)]  // planes of 196, accumulating
    public void ProductMatchesTheLoop(int m, int n, int k, int pixels, bool bias, bool accumulate)
    {
        var random = new Random(m * 1000 + n);
        float[] a = Fill(random, m * k), b = Fill(random, k * n), rowBias = Fill(random, m);
        // Mapped: C holds images x (m + 1 filters) planes, the product's rows being the first m.
        long imageStride = (long)(m + 1) * pixels;
        long Place(int i, int j) => pixels == 0 ? (long)i * n + j : j / pixels * imageStride + (long)i * pixels + j % pixels;
        int length = pixels == 0 ? m * n : (int)(n / pixels * imageStride);
        var before = Fill(random, length);
        var c = (float[])before.Clone();
        var map = new long[n];
        for (int j = 0; j < n; j++)
            map[j] = Place(0, j);

        fixed (float* pa = a, pb = b, pc = c, pbias = rowBias)
        fixed (long* pmap = map)
        {
            var output = pixels == 0 ? new Strided(pc, n, 1) : new Strided(pc, pixels, 0, pmap);
            Gemm.Multiply(m, n, k, new Strided(pa, k, 1), new Strided(pb, n, 1), output,
                accumulate: accumulate, rowBias: bias ? pbias : null, relu: bias);
        }

        var expected = (float[])before.Clone();
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                    sum += (double)a[i * k + p] * b[p * n + j];
                long at = Place(i, j);
                if (accumulate)
                    sum += before[at];
                if (bias)
                    sum = Math.Max(sum + rowBias[i], 0);
                expected[at] = (float)sum;
            }
        for (int i = 0; i < length; i++)
            Assert.True(Math.Abs(c[i] - expected[i]) <= 1e-4 * (1 + Math.Abs(expected[i])),
                $"element {i}: {c[i]} against {expected[i]}{(c[i] == before[i] ? " (untouched)" : "")}");
    }

    private static float[] Fill(Random random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }
}
