using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Cpu;

/// <summary>
/// Transposes an activation's planes into a (image, pixel) x channel matrix, 16 x 16 at a time
/// in registers: an element-by-element transpose reads one float per cache line and spent more
/// time than the product that uses its result.
/// </summary>
internal static unsafe class Transpose
{
    /// <summary>
    /// For the 16 columns j0..j0+15 (column j = image j / pixels, pixel j % pixels; fewer at the end),
    /// writes <c>target[j * channels + c] = first[image * imageStride + c * pixels + pixel]</c> for every channel.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Columns(float* first, long imageStride, int pixels, int channels, int columns, int j0, float* target)
    {
        int width = Math.Min(16, columns - j0), c0 = 0;
        if (Avx512F.IsSupported)
        {
            var rows = stackalloc Vector512<float>[16];
            for (; c0 + 16 <= channels; c0 += 16)
            {
                for (int i = 0; i < 16; i++)
                    rows[i] = LoadColumns(first + (long)(c0 + i) * pixels, imageStride, pixels, j0, width);
                Square(rows);
                for (int l = 0; l < width; l++)
                    rows[l].Store(target + (long)(j0 + l) * channels + c0);
            }
        }
        for (int j = j0; j < j0 + width; j++)
        {
            float* source = first + j / pixels * imageStride + j % pixels;
            for (int c = c0; c < channels; c++)
                target[(long)j * channels + c] = source[(long)c * pixels];
        }
    }

    /// <summary>Columns j0..j0+width-1 of one channel's row, which may cross from one image's plane into the next; zero past the width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> LoadColumns(float* row, long imageStride, int pixels, int j0, int width)
    {
        int image = j0 / pixels, pixel = j0 % pixels;
        if (width == 16 && pixel + 16 <= pixels)
            return Vector512.Load(row + image * imageStride + pixel);
        var v = Vector512<float>.Zero;
        for (int lane = 0; lane < width; image++, pixel = 0)
        {
            int lanes = Math.Min(width - lane, pixels - pixel);
            var mask = (Vector512.GreaterThanOrEqual(Lanes, Vector512.Create(lane)) & Vector512.LessThan(Lanes, Vector512.Create(lane + lanes))).AsSingle();
            // Lane i reads pixel + i - lane; lanes outside the mask are not read.
            v |= Avx512F.MaskLoad(row + image * imageStride + pixel - lane, mask, Vector512<float>.Zero);
            lane += lanes;
        }
        return v;
    }

    private static readonly Vector512<int> Lanes = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);

    /// <summary>Index vectors for <see cref="Square"/>: for each block size 8, 4, 2, 1, the lower and the upper row of a pair.</summary>
    private static readonly Vector512<int>[] Butterflies = MakeButterflies();

    private static Vector512<int>[] MakeButterflies()
    {
        var indices = new Vector512<int>[8];
        var lower = new int[16];
        var upper = new int[16];
        for (int s = 0, b = 8; b >= 1; s++, b /= 2)
        {
            for (int l = 0; l < 16; l++)
            {
                // Swap the off-diagonal b x b blocks: the lower row keeps its left halves and takes
                // the upper row's; the upper row takes the lower row's right halves and keeps its own.
                lower[l] = (l & b) == 0 ? l : 16 + l - b;
                upper[l] = (l & b) == 0 ? l + b : 16 + l;
            }
            indices[2 * s] = Vector512.Create(lower);
            indices[2 * s + 1] = Vector512.Create(upper);
        }
        return indices;
    }

    /// <summary>Transposes the 16 x 16 block held in <paramref name="rows"/> in place: four rounds of two-source permutes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Square(Vector512<float>* rows)
    {
        for (int s = 0, b = 8; b >= 1; s++, b /= 2)
        {
            var lower = Butterflies[2 * s];
            var upper = Butterflies[2 * s + 1];
            for (int i = 0; i < 16; i++)
            {
                if ((i & b) != 0)
                    continue;
                var top = rows[i];
                var bottom = rows[i + b];
                rows[i] = Avx512F.PermuteVar16x32x2(top, lower, bottom);
                rows[i + b] = Avx512F.PermuteVar16x32x2(top, upper, bottom);
            }
        }
    }
}
