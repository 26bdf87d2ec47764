using System;
using System.Collections.Generic;
using NetGen.Cpu;

namespace NetGen.Tests.Kernels;

/// <summary>
/// The CPU backend's matrix product, called directly, against a triple loop written here (in
/// double). The shapes leave partial tiles on both edges and run past one packed block of rows
/// (256), so the second block adds onto what the first stored; the mapped output sends column
/// (image, pixel) to image * stride + pixel, as a convolution's NCHW store does, with planes of
/// 7, 49 and 196 pixels so that tiles end inside a plane, span several planes, or fit in one.
/// An inner dimension of thousands (a weight gradient's) is split into shares whose partial
/// products are added at the end. The implicit lowering that feeds same-size convolutions to the product is checked against im2col.
/// </summary>
public unsafe class GemmTests
{
    [Theory]
    [InlineData(13, 70, 300, 0, false, false)]    // plain row-major C, partial tiles
    [InlineData(6, 64, 16, 0, false, false)]      // whole tiles only
    [InlineData(17, 98, 300, 7, true, true)]      // planes of 7 (several per tile), bias and ReLU
    [InlineData(32, 196, 432, 49, false, true)]   // a 7x7 layer's 32 filters: planes of 49
    [InlineData(11, 392, 260, 196, true, false)]  // planes of 196, accumulating
    [InlineData(13, 70, 5000, 0, true, false)]    // a long inner dimension, summed in parallel shares
    [InlineData(20, 98, 3000, 49, false, true)]   // the same into planes of 49, accumulating
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

    /// <summary>
    /// A same-size convolution's lowered matrix, packed straight from the planes, against im2col
    /// written here: planes larger than a half panel, smaller (several images in 16 columns), of
    /// one pixel, and a kernel larger than the plane; blocks that start part-way in rows and columns.
    /// The same matrix read as a left operand, six rows at a time with a row of ones below, too.
    /// </summary>
    [Theory]
    [InlineData(7, 7, 3, 0, 0)]
    [InlineData(14, 14, 3, 9, 64)]
    [InlineData(2, 3, 5, 7, 5)]
    [InlineData(1, 1, 3, 0, 3)]
    [InlineData(5, 4, 1, 1, 32)]
    public void ShiftedPlanesPackTheLoweredMatrix(int height, int width, int kernel, int k0, int j0)
    {
        if (!System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
            return; // the convolutions lower explicitly there
        const int channels = 3, images = 5, skip = 1; // the planes start at channel 1 of 4, as a second group's would
        int pixels = height * width, pad = (kernel - 1) / 2, k2 = kernel * kernel, rows = channels * k2, columns = images * pixels;
        var random = new Random(height * 100 + kernel);
        var x = Fill(random, images * (channels + skip) * pixels);
        int kc = rows - k0, nc = columns - j0, panels = (nc + Gemm.Nr - 1) / Gemm.Nr;
        var packed = new float[panels * Gemm.Nr * kc];
        // As the left operand, six rows at a time from row k0 and column j0, with a row of ones after the planes' rows.
        var rowBlocks = new List<(int Row, int Column, float Value)>();
        fixed (float* px = x, pp = packed)
        {
            var planes = new ShiftedPlanes(px + skip * pixels, (channels + skip) * pixels, height, width, kernel, images, slot: 4, onesRow: rows);
            planes.Pack(k0, kc, j0, nc, pp);
            float* buffer = stackalloc float[Gemm.Mr * Gemm.Kc];
            for (int i0 = k0; i0 <= rows; i0 += Gemm.Mr)
                for (int c0 = j0; c0 < columns; c0 += Gemm.Kc)
                {
                    int count = Math.Min(Gemm.Mr, rows + 1 - i0), length = Math.Min(Gemm.Kc, columns - c0);
                    float* at = planes.Rows(i0, count, c0, length, buffer, out long rowStride, out long columnStride);
                    for (int r = 0; r < count; r++)
                        for (int j = 0; j < length; j++)
                            rowBlocks.Add((i0 + r, c0 + j, at[r * rowStride + j * columnStride]));
                }
        }
        Assert.Equal((rows + 1 - k0) * (columns - j0), rowBlocks.Count);

        for (int row = k0; row < rows; row++)
            for (int j = j0; j < j0 + panels * Gemm.Nr; j++)
            {
                int c = row / k2, dy = row % k2 / kernel - pad, dx = row % kernel - pad;
                float expected = 0f;
                if (j < columns)
                {
                    int n = j / pixels, y = j % pixels / width + dy, xx = j % pixels % width + dx;
                    if (y >= 0 && y < height && xx >= 0 && xx < width)
                        expected = x[(n * (channels + skip) + skip + c) * pixels + y * width + xx];
                }
                int panel = (j - j0) / Gemm.Nr, lane = (j - j0) % Gemm.Nr;
                Assert.True(expected == packed[(panel * kc + row - k0) * Gemm.Nr + lane], $"row {row}, column {j}");
            }
        foreach (var (row, j, value) in rowBlocks)
        {
            float expected = 1f;
            if (row < rows)
            {
                int c = row / k2, dy = row % k2 / kernel - pad, dx = row % kernel - pad;
                int n = j / pixels, y = j % pixels / width + dy, xx = j % pixels % width + dx;
                expected = y >= 0 && y < height && xx >= 0 && xx < width ? x[(n * (channels + skip) + skip + c) * pixels + y * width + xx] : 0f;
            }
            Assert.True(expected == value, $"rows: row {row}, column {j}");
        }
    }

    private static float[] Fill(Random random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }
}
