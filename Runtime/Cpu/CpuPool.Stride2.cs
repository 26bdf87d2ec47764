using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Cpu;

/// <summary>
/// Max pools of stride 2 without padding, vectorised over 16 outputs of a row: AlexNet's
/// overlapping window of 3, and the plain window of 2 that halves a plane (a ResNet's or LeNet's).
/// Output x reads input columns 2x, 2x+1 and, for a window of 3, 2x+2; two-source permutes split
/// 32 input columns into those vectors, so no lane waits on another. The scalar loops this replaces
/// spent most of their time in the dependency chain of nine compares per output: a fifth of a
/// MiniAlexNet training step. Rows are copied into buffers padded with -infinity, so a ceil-rounded
/// window past the edge and the lanes past the row's end read values that never win.
/// </summary>
public static unsafe partial class CpuPool
{
    // Properties, not static readonly fields: a new constant each use is what the JIT folds into
    // the instruction (see Host.FirstLanes).
    private static Vector512<int> Evens { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30); }
    private static Vector512<int> Odds { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31); }
    private static Vector512<int> NextLane { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => Vector512.Create(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16); }
    private static Vector512<int> InterleaveLow { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23); }
    private static Vector512<int> InterleaveHigh { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31); }

    /// <summary>Whether <paramref name="g"/> takes the vectorised path.</summary>
    private static bool IsStride2Max(in PoolGeometry g) =>
        g.IsMax && g.Window is 2 or 3 && g.Stride == 2 && g.Pad == 0 && Avx512F.IsSupported;

    /// <summary>The maximum of a window's columns in one row: 2x and 2x+1, and 2x+2 for a window of 3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> WindowMax(bool three, Vector512<float> even, Vector512<float> odd, Vector512<float> next) =>
        three ? Vector512.Max(Vector512.Max(even, odd), next) : Vector512.Max(even, odd);

    /// <summary>Floats in a padded row: every chunk of 16 outputs reads 48 columns from 32 times its index.</summary>
    private static int PaddedWidth(in PoolGeometry g) => 32 * ((g.OutWidth + 15) / 16) + 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Stride2ForwardPlane(in PoolGeometry g, float* src, float* dst)
    {
        int width = g.Width, padded = PaddedWidth(g);
        bool three = g.Window == 3;
        float* row = stackalloc float[padded];
        float* tail = stackalloc float[16];
        new Span<float>(row + width, padded - width).Fill(float.NegativeInfinity);
        for (int oy = 0; oy < g.OutHeight; oy++, dst += g.OutWidth)
        {
            ColumnMaxima(src, width, 2 * oy, Math.Min(2 * oy + g.Window, g.Height), row, padded: true);
            for (int ox = 0; ox < g.OutWidth; ox += 16)
            {
                Split(row + 2 * ox, out var even, out var odd, out var next);
                var max = WindowMax(three, even, odd, next);
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
    /// columns), so the sums are bit for bit the scalar path's. Rows are read and the shares added
    /// in place, with masked loads and stores at the row's end: copying rows into padded buffers
    /// and the sums back out took most of the time on 14 x 14 and 7 x 7 planes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Stride2BackwardPlane(in PoolGeometry g, float* src, float* d, float* grad)
    {
        int width = g.Width;
        bool three = g.Window == 3;
        // Windows of 2 on even sides tile the plane: every input gets exactly one window's share (or
        // none), so it is stored as 0 + share, with no clearing pass and no read of what is there.
        bool tiles = !three && g.Height % 2 == 0 && g.Width % 2 == 0;
        if (!tiles)
            new Span<float>(grad, g.Height * width).Clear();
        WindowRow* windowRows = stackalloc WindowRow[3];
        for (int oy = 0; oy < g.OutHeight; oy++, d += g.OutWidth)
        {
            int count = Math.Min(g.Window, g.Height - 2 * oy);
            for (int ox = 0; ox < g.OutWidth; ox += 16)
            {
                int column = 2 * ox;
                var max = Vector512.Create(float.NegativeInfinity);
                for (int k = 0; k < count; k++)
                {
                    ref var w = ref windowRows[k];
                    SplitRow(src + (2 * oy + k) * width, column, width, out w.Even, out w.Odd, out w.Next);
                    max = Vector512.Max(max, WindowMax(three, w.Even, w.Odd, w.Next));
                }
                var share = Avx512F.MaskLoad(d + ox, Host.FirstLanes(g.OutWidth - ox), Vector512<float>.Zero);
                var taken = Vector512<float>.Zero;
                for (int k = 0; k < count; k++)
                {
                    ref var w = ref windowRows[k];
                    w.Even = First(w.Even, max, share, ref taken);
                    w.Odd = First(w.Odd, max, share, ref taken);
                    if (three)
                        w.Next = First(w.Next, max, share, ref taken);
                }
                for (int k = 0; k < count; k++)
                {
                    ref var w = ref windowRows[k];
                    float* row = grad + (2 * oy + k) * width;
                    // Column 2x gets window x-1's third column before window x's first: add the
                    // third columns (shifted by two) first.
                    if (three)
                    {
                        Add(row, column + 2, width, Avx512F.PermuteVar16x32x2(w.Next, InterleaveLow, Vector512<float>.Zero));
                        Add(row, column + 18, width, Avx512F.PermuteVar16x32x2(w.Next, InterleaveHigh, Vector512<float>.Zero));
                    }
                    Add(row, column, width, Avx512F.PermuteVar16x32x2(w.Even, InterleaveLow, w.Odd), tiles);
                    Add(row, column + 16, width, Avx512F.PermuteVar16x32x2(w.Even, InterleaveHigh, w.Odd), tiles);
                }
            }
        }
    }

    /// <summary>
    /// Input columns 2x, 2x+1 and 2x+2 of 16 outputs x, as Split gives them, straight from a row of
    /// <paramref name="width"/> columns from column <paramref name="column"/>: columns past the
    /// row's end read as -infinity.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SplitRow(float* row, int column, int width, out Vector512<float> even, out Vector512<float> odd, out Vector512<float> next)
    {
        var none = Vector512.Create(float.NegativeInfinity);
        int left = width - column;
        Split(Avx512F.MaskLoad(row + column, Host.FirstLanes(left), none), Avx512F.MaskLoad(row + column + 16, Host.FirstLanes(left - 16), none),
            Avx512F.MaskLoad(row + column + 32, Host.FirstLanes(left - 32), none), out even, out odd, out next);
    }

    /// <summary>
    /// Adds <paramref name="value"/> into the row from <paramref name="column"/>, the lanes past
    /// <paramref name="width"/> left out; with <paramref name="first"/>, the row holds nothing yet,
    /// and 0 + value is stored without reading it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(float* row, int column, int width, Vector512<float> value, bool first = false)
    {
        int left = width - column;
        if (left >= 16)
        {
            ((first ? Vector512<float>.Zero : Vector512.Load(row + column)) + value).Store(row + column);
        }
        else if (left > 0)
        {
            var mask = Host.FirstLanes(left);
            Avx512F.MaskStore(row + column, mask, (first ? Vector512<float>.Zero : Avx512F.MaskLoad(row + column, mask, Vector512<float>.Zero)) + value);
        }
    }

    /// <summary>Input columns 2x, 2x+1 and 2x+2 of 16 outputs x, from 48 padded columns at <paramref name="row"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Split(float* row, out Vector512<float> even, out Vector512<float> odd, out Vector512<float> next) =>
        Split(Vector512.Load(row), Vector512.Load(row + 16), Vector512.Load(row + 32), out even, out odd, out next);

    /// <summary>The same from the 48 columns as three vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Split(Vector512<float> a, Vector512<float> b, Vector512<float> c, out Vector512<float> even, out Vector512<float> odd, out Vector512<float> next)
    {
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

    private struct WindowRow
    {
        public Vector512<float> Even, Odd, Next;
    }
}
