using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Cpu;

/// <summary>
/// AlexNet's overlapping max pool (window 3, stride 2, no padding), vectorised over 16 outputs of
/// a row. Output x reads input columns 2x, 2x+1 and 2x+2; two-source permutes split 32 input
/// columns into those three vectors, so no lane waits on another. The scalar loops this replaces
/// spent most of their time in the dependency chain of nine compares per output: a fifth of a
/// MiniAlexNet training step. Rows are copied into buffers padded with -infinity, so a ceil-rounded
/// window past the edge and the lanes past the row's end read values that never win.
/// </summary>
public static unsafe partial class CpuPool
{
    private static readonly Vector512<int> Evens = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    private static readonly Vector512<int> Odds = Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    private static readonly Vector512<int> NextLane = Vector512.Create(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
    private static readonly Vector512<int> InterleaveLow = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    private static readonly Vector512<int> InterleaveHigh = Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);

    /// <summary>Whether <paramref name="g"/> takes the vectorised path.</summary>
    private static bool IsOverlappingMax(in PoolGeometry g) =>
        g.IsMax && g.Window == 3 && g.Stride == 2 && g.Pad == 0 && Avx512F.IsSupported;

    /// <summary>Floats in a padded row: every chunk of 16 outputs reads 48 columns from 32 times its index.</summary>
    private static int PaddedWidth(in PoolGeometry g) => 32 * ((g.OutWidth + 15) / 16) + 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OverlappingForwardPlane(in PoolGeometry g, float* src, float* dst)
    {
        int width = g.Width, padded = PaddedWidth(g);
        float* row = stackalloc float[padded];
        float* tail = stackalloc float[16];
        new Span<float>(row + width, padded - width).Fill(float.NegativeInfinity);
        for (int oy = 0; oy < g.OutHeight; oy++, dst += g.OutWidth)
        {
            ColumnMaxima(src, width, 2 * oy, Math.Min(2 * oy + 3, g.Height), row);
            for (int ox = 0; ox < g.OutWidth; ox += 16)
            {
                Split(row + 2 * ox, out var even, out var odd, out var next);
                var max = Vector512.Max(Vector512.Max(even, odd), next);
                if (ox + 16 <= g.OutWidth)
                    max.Store(dst + ox);
                else
                {
                    max.Store(tail);
                    new Span<float>(tail, g.OutWidth - ox).CopyTo(new Span<float>(dst + ox, g.OutWidth - ox));
                }
            }
        }
    }

    /// <summary>
    /// The gradient goes to each window's first maximum in row-major order, as in the scalar path,
    /// and every input element receives its windows' shares in the same order (output rows, then
    /// columns), so the sums are bit for bit the scalar path's.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OverlappingBackwardPlane(in PoolGeometry g, float* src, float* d, float* grad)
    {
        int width = g.Width, padded = PaddedWidth(g), chunks = (g.OutWidth + 15) / 16;
        float* rows = stackalloc float[3 * padded];
        float* delta = stackalloc float[16 * chunks];
        float* sums = stackalloc float[g.Height * padded];
        new Span<float>(sums, g.Height * padded).Clear();
        new Span<float>(delta, 16 * chunks).Clear();
        for (int k = 0; k < 3; k++)
            new Span<float>(rows + k * padded + width, padded - width).Fill(float.NegativeInfinity);
        Span<WindowRow> windowRows = stackalloc WindowRow[3];
        for (int oy = 0; oy < g.OutHeight; oy++, d += g.OutWidth)
        {
            int count = Math.Min(3, g.Height - 2 * oy);
            for (int k = 0; k < count; k++)
                new Span<float>(src + (2 * oy + k) * width, width).CopyTo(new Span<float>(rows + k * padded, width));
            new Span<float>(d, g.OutWidth).CopyTo(new Span<float>(delta, g.OutWidth));
            for (int ox = 0; ox < g.OutWidth; ox += 16)
            {
                var max = Vector512.Create(float.NegativeInfinity);
                for (int k = 0; k < count; k++)
                {
                    ref var w = ref windowRows[k];
                    Split(rows + k * padded + 2 * ox, out w.Even, out w.Odd, out w.Next);
                    max = Vector512.Max(max, Vector512.Max(Vector512.Max(w.Even, w.Odd), w.Next));
                }
                var share = Vector512.Load(delta + ox);
                var taken = Vector512<float>.Zero;
                for (int k = 0; k < count; k++)
                {
                    ref var w = ref windowRows[k];
                    w.Even = First(w.Even, max, share, ref taken);
                    w.Odd = First(w.Odd, max, share, ref taken);
                    w.Next = First(w.Next, max, share, ref taken);
                }
                for (int k = 0; k < count; k++)
                {
                    ref var w = ref windowRows[k];
                    float* sum = sums + (2 * oy + k) * padded + 2 * ox;
                    // Column 2x gets window x-1's third column before window x's first: add the
                    // third columns (shifted by two) first.
                    Add(sum + 2, Avx512F.PermuteVar16x32x2(w.Next, InterleaveLow, Vector512<float>.Zero));
                    Add(sum + 18, Avx512F.PermuteVar16x32x2(w.Next, InterleaveHigh, Vector512<float>.Zero));
                    Add(sum, Avx512F.PermuteVar16x32x2(w.Even, InterleaveLow, w.Odd));
                    Add(sum + 16, Avx512F.PermuteVar16x32x2(w.Even, InterleaveHigh, w.Odd));
                }
            }
        }
        for (int y = 0; y < g.Height; y++)
            new Span<float>(sums + y * padded, width).CopyTo(new Span<float>(grad + y * width, width));
    }

    /// <summary>Input columns 2x, 2x+1 and 2x+2 of 16 outputs x, from 48 padded columns at <paramref name="row"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Split(float* row, out Vector512<float> even, out Vector512<float> odd, out Vector512<float> next)
    {
        Vector512<float> a = Vector512.Load(row), b = Vector512.Load(row + 16), c = Vector512.Load(row + 32);
        even = Avx512F.PermuteVar16x32x2(a, Evens, b);
        odd = Avx512F.PermuteVar16x32x2(a, Odds, b);
        next = Avx512F.PermuteVar16x32x2(even, NextLane, c);
    }

    /// <summary>The share for lanes whose window's maximum is this candidate and not an earlier one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> First(Vector512<float> candidate, Vector512<float> max, Vector512<float> share, ref Vector512<float> taken)
    {
        var chosen = Vector512.AndNot(Vector512.Equals(candidate, max), taken);
        taken |= chosen;
        return chosen & share;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(float* at, Vector512<float> value) => (Vector512.Load(at) + value).Store(at);

    private struct WindowRow
    {
        public Vector512<float> Even, Odd, Next;
    }
}
