using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Threading.Tasks;

namespace NetGen.Cpu;

/// <summary>
/// A matrix <c>M(i, j) = Data[i * RowStride + j * ColumnStride]</c>: any layout, transposed or not,
/// without copying. <see cref="Columns"/> optionally replaces <c>j * ColumnStride</c> by a table,
/// which lets a convolution's output columns (image, pixel) land straight in NCHW.
/// </summary>
internal readonly unsafe struct Strided(float* data, long rowStride, long columnStride, long* columns = null) : IPanelSource, IRowSource
{
    public readonly float* Data = data;
    public readonly long RowStride = rowStride;
    public readonly long ColumnStride = columnStride;
    public readonly long* Columns = columns;

    public long Column(int j) => Columns is null ? j * ColumnStride : Columns[j];

    /// <summary>Rows are read in place, through the strides.</summary>
    public float* Rows(int i0, int rows, int k0, int kc, float* buffer, out long rowStride, out long columnStride)
    {
        rowStride = RowStride;
        columnStride = ColumnStride;
        return Data + i0 * RowStride + k0 * ColumnStride;
    }

    /// <summary>Copies rows k0..k0+kc, columns j0..j0+nc into panels of 32 columns, row after row, zero-padded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Pack(int k0, int kc, int j0, int nc, float* pack)
    {
        for (int p = 0; p * Gemm.Nr < nc; p++)
        {
            int width = Math.Min(Gemm.Nr, nc - p * Gemm.Nr), jp = j0 + p * Gemm.Nr;
            float* dst = pack + (long)p * Gemm.Nr * kc;
            bool contiguous = Columns is null && ColumnStride == 1 && width == Gemm.Nr;
            for (int kk = 0; kk < kc; kk++, dst += Gemm.Nr)
            {
                float* row = Data + (k0 + kk) * RowStride;
                if (contiguous)
                {
                    Vector512.Load(row + jp).Store(dst);
                    Vector512.Load(row + jp + 16).Store(dst + 16);
                    continue;
                }
                int j = 0;
                for (; j < width; j++)
                    dst[j] = row[Column(jp + j)];
                for (; j < Gemm.Nr; j++)
                    dst[j] = 0f;
            }
        }
    }
}

/// <summary>
/// The right operand of a product, as the product reads it: packed block by block, each block's
/// columns in panels of <see cref="Gemm.Nr"/>, row after row, zero past the last column.
/// </summary>
internal unsafe interface IPanelSource
{
    /// <summary>Packs rows k0..k0+kc-1, columns j0..j0+nc-1 into <paramref name="pack"/>.</summary>
    void Pack(int k0, int kc, int j0, int nc, float* pack);
}

/// <summary>The left operand of a product, as the micro-kernel reads it: up to six rows over a block of columns.</summary>
internal unsafe interface IRowSource
{
    /// <summary>
    /// Rows i0..i0+rows-1, columns k0..k0+kc-1 (kc at most <see cref="Gemm.Kc"/>): where row i0 starts and the
    /// strides to the next row and column, either in place or written into <paramref name="buffer"/>
    /// (room for 6 x <see cref="Gemm.Kc"/> floats).
    /// </summary>
    float* Rows(int i0, int rows, int k0, int kc, float* buffer, out long rowStride, out long columnStride);
}

/// <summary>
/// Single-precision matrix product <c>C = A B</c> (or <c>C += A B</c>), blocked for the caches and
/// register-tiled for AVX-512: B is packed in panels of 32 columns per block of up to 512 rows, and a 6 x 32
/// micro-kernel keeps 12 Vector512 accumulators in registers, so each loaded value feeds 6 or 12
/// fused multiply-adds. A is read in place through its strides (its 6 rows are 6 sequential streams),
/// so a dense layer's 150 MB weight matrix is never copied; an operand that exists only implicitly
/// (<see cref="ShiftedPlanes"/>) writes its 6 rows into a small buffer instead. Blocks of columns (and, when there are
/// few, of rows, or shares of a long inner dimension) run in parallel. The epilogue adds a per-row bias and applies ReLU as the tile is
/// stored, which is where a convolution's bias and activation are fused.
/// </summary>
/// <remarks>
/// Written here rather than taken from a library: the managed candidates measured in
/// <c>benchmarks/</c> (MathNet.Numerics' managed provider, a TensorPrimitives.Dot loop) ran at a
/// few GFLOP/s against this routine's 100+ (see docs/performance.md).
/// </remarks>
internal static unsafe class Gemm
{
    /// <summary>Rows per micro-tile.</summary>
    public const int Mr = 6;

    /// <summary>Columns per micro-tile and per packed panel: two Vector512.</summary>
    public const int Nr = 32;

    /// <summary>
    /// The most rows of B per packed block: a 6 x 512 panel of A stays in L1. A product's inner
    /// dimension is cut into equal blocks (<see cref="Depth"/>), because every block ends in a
    /// load and store of the C tile: 288 as 256 + 32 spent almost as long storing the second
    /// block's tiles as computing them.
    /// </summary>
    public const int Kc = 512;

    /// <summary>Columns of B per packed block: 512 x 384 floats (768 KiB) stays in a 1 MiB L2.</summary>
    private const int Nc = 384;

    [ThreadStatic] private static float* packed;

    /// <summary>
    /// <c>C (m x n) = A (m x k) B (k x n)</c>, or <c>C += A B</c> with <paramref name="accumulate"/>;
    /// then <c>C += rowBias[i]</c> and <c>C = max(C, 0)</c> with <paramref name="relu"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(int m, int n, int k, Strided a, Strided b, Strided c,
        bool accumulate = false, float* rowBias = null, bool relu = false) =>
        Multiply<Strided, Strided>(m, n, k, a, b, c, accumulate, rowBias, relu);

    /// <summary>The same with operands that produce their own rows and panels, such as <see cref="ShiftedPlanes"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply<TA, TB>(int m, int n, int k, TA a, TB b, Strided c,
        bool accumulate = false, float* rowBias = null, bool relu = false) where TA : struct, IRowSource where TB : struct, IPanelSource
    {
        if (m <= 0 || n <= 0)
            return;
        int mPanels = (m + Mr - 1) / Mr;
        int nBlocks = (n + Nc - 1) / Nc;
        // Enough tasks to keep every core busy; rows are split only when columns are scarce,
        // because each row chunk packs its own copy of the column block.
        int wanted = 3 * Environment.ProcessorCount;
        bool parallel = (long)m * n * k >= 1 << 18;
        int depth = Depth(k);
        int kTasks = parallel && nBlocks == 1 ? Math.Min(wanted, k / (2 * Kc)) : 1;
        if (kTasks > 1)
        {
            SplitInner(m, n, k, depth, a, b, c, accumulate, rowBias, relu, kTasks);
            return;
        }
        int mChunks = Math.Clamp((wanted + nBlocks - 1) / nBlocks, 1, mPanels);
        int panelsPerChunk = (mPanels + mChunks - 1) / mChunks;
        mChunks = (mPanels + panelsPerChunk - 1) / panelsPerChunk;
        var job = new Job<TA, TB>(m, n, depth, a, b, c, accumulate, rowBias, relu, panelsPerChunk, nBlocks, 0, k);
        if (mChunks * nBlocks == 1 || !parallel)
        {
            for (int t = 0; t < mChunks * nBlocks; t++)
                job.Run(t);
        }
        else
        {
            Parallel.For(0, mChunks * nBlocks, job.Run);
        }
    }

    /// <summary>
    /// A product with few rows and columns and a long inner dimension, such as a convolution's
    /// weight gradient (filters x taps, summed over every pixel of the batch), splits the sum
    /// instead of the rows: each task packs its own share of B once, where row chunks would each
    /// pack all of it, and the partial products are added at the end.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SplitInner<TA, TB>(int m, int n, int k, int depth, TA a, TB b, Strided c,
        bool accumulate, float* rowBias, bool relu, int tasks) where TA : struct, IRowSource where TB : struct, IPanelSource
    {
        int share = (k / tasks + depth - 1) / depth * depth;
        tasks = (k + share - 1) / share;
        long size = (long)m * n;
        float* partials = (float*)Host.Scratch(Host.GemmSlot, tasks * size * sizeof(float));
        int mPanels = (m + Mr - 1) / Mr;
        Parallel.For(0, tasks, t =>
        {
            int begin = t * share;
            new Job<TA, TB>(m, n, depth, a, b, new Strided(partials + t * size, n, 1), false, null, false, mPanels, 1, begin, Math.Min(k, begin + share)).Run(0);
        });
        Host.For(m, (long)n * tasks, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (i) =>
        {
            float* target = c.Data + i * c.RowStride;
            float bias = rowBias is null ? 0f : rowBias[i];
            for (int j = 0; j < n; j++)
            {
                float sum = accumulate ? target[c.Column(j)] : 0f;
                for (int t = 0; t < tasks; t++)
                    sum += partials[t * size + (long)i * n + j];
                sum += bias;
                target[c.Column(j)] = relu && !(sum > 0f) ? 0f : sum;
            }
        });
    }

    /// <summary>Rows of B per block for an inner dimension of <paramref name="k"/>: equal blocks of at most <see cref="Kc"/>.</summary>
    private static int Depth(int k)
    {
        int blocks = (k + Kc - 1) / Kc;
        return (k + blocks - 1) / blocks;
    }

    private sealed class Job<TA, TB>(int m, int n, int depth, TA a, TB b, Strided c,
        bool accumulate, float* rowBias, bool relu, int panelsPerChunk, int nBlocks, int kBegin, int kEnd) where TA : struct, IRowSource where TB : struct, IPanelSource
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int task)
        {
            int nBlock = task % nBlocks, mChunk = task / nBlocks;
            int j0 = nBlock * Nc, nc = Math.Min(Nc, n - j0);
            int firstRow = mChunk * panelsPerChunk * Mr, endRow = Math.Min(m, firstRow + panelsPerChunk * Mr);
            float* pack = PackBuffer();
            float* rowBuffer = stackalloc float[Mr * Kc];
            for (int k0 = kBegin; k0 < kEnd; k0 += depth)
            {
                int kc = Math.Min(depth, kEnd - k0);
                b.Pack(k0, kc, j0, nc, pack);
                bool load = accumulate || k0 > kBegin, last = k0 + kc == kEnd;
                for (int i0 = firstRow; i0 < endRow; i0 += Mr)
                {
                    int rows = Math.Min(Mr, endRow - i0);
                    float* aPanel = a.Rows(i0, rows, k0, kc, rowBuffer, out long ars, out long acs);
                    for (int p = 0; p * Nr < nc; p++)
                    {
                        int jt = j0 + p * Nr;
                        Tile(kc, aPanel, ars, acs, rows, pack + (long)p * Nr * kc,
                            c, i0, jt, Math.Min(Nr, n - jt), load, last ? rowBias : null, last && relu);
                    }
                }
            }
        }
    }

    private static float* PackBuffer()
    {
        if (packed is null)
            packed = (float*)NativeMemory.AlignedAlloc((nuint)(Kc * Nc * sizeof(float)), 64);
        return packed;
    }

    /// <summary>
    /// One 6 x 32 tile of C from a 6 x kc panel of A (strided) and a kc x 32 packed panel of B, then
    /// the store: add what C held when <paramref name="load"/>, the row bias, ReLU. Rows past
    /// <paramref name="rows"/> repeat the last real row and are not stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile(int kc, float* a, long ars, long acs, int rows, float* b,
        Strided c, int i0, int j0, int columns, bool load, float* rowBias, bool relu)
    {
        float* tile = stackalloc float[Mr * Nr];
        MicroKernel(kc, a, ars, acs, rows, b, tile);
        Store(tile, c, i0, j0, rows, columns, load, rowBias, relu);
    }

    /// <summary>
    /// The 6 x 32 micro-kernel: twelve accumulators that never leave their registers (the loop
    /// touches no memory but A, B, and, once, <paramref name="tile"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MicroKernel(int kc, float* a, long ars, long acs, int rows, float* b, float* tile)
    {
        float* a0 = a, a1 = a + Math.Min(1, rows - 1) * ars, a2 = a + Math.Min(2, rows - 1) * ars;
        float* a3 = a + Math.Min(3, rows - 1) * ars, a4 = a + Math.Min(4, rows - 1) * ars, a5 = a + Math.Min(5, rows - 1) * ars;
        var c00 = Vector512<float>.Zero;
        var c01 = c00; var c10 = c00; var c11 = c00; var c20 = c00; var c21 = c00;
        var c30 = c00; var c31 = c00; var c40 = c00; var c41 = c00; var c50 = c00; var c51 = c00;
        float* end = b + (long)kc * Nr;
        long offset = 0;
        while (b < end)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var x = Vector512.Create(a0[offset]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a1[offset]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a2[offset]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a3[offset]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a4[offset]);
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a5[offset]);
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            offset += acs;
            b += Nr;
        }
        c00.Store(tile); c01.Store(tile + 16); c10.Store(tile + 32); c11.Store(tile + 48);
        c20.Store(tile + 64); c21.Store(tile + 80); c30.Store(tile + 96); c31.Store(tile + 112);
        c40.Store(tile + 128); c41.Store(tile + 144); c50.Store(tile + 160); c51.Store(tile + 176);
    }

    /// <summary>
    /// Stores a finished tile. Its columns are split into runs that are contiguous in C (one run
    /// for a plain matrix; two or three when a convolution's 7 x 7 or 14 x 14 output planes end
    /// inside the tile), and each run is stored with whole or masked vectors.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Store(float* tile, Strided c, int i0, int j0, int rows, int columns, bool load, float* rowBias, bool relu)
    {
        if (!Avx512F.IsSupported || (c.Columns is null && c.ColumnStride != 1))
        {
            StoreScalar(tile, c, i0, j0, rows, columns, load, rowBias, relu);
            return;
        }
        for (int start = 0; start < columns;)
        {
            long first = c.Column(j0 + start);
            int end = start + 1;
            while (end < columns && c.Column(j0 + end) == first + (end - start))
                end++;
            StoreRun(tile, c, i0, rows, start, end, first - start, load, rowBias, relu);
            start = end;
        }
    }

    /// <summary>Tile columns <paramref name="start"/>..<paramref name="end"/>-1, which land at C offsets <paramref name="offset"/> + column.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StoreRun(float* tile, Strided c, int i0, int rows, int start, int end, long offset, bool load, float* rowBias, bool relu)
    {
        for (int half = 0; half < Nr; half += 16)
        {
            int from = Math.Max(start, half) - half, to = Math.Min(end, half + 16) - half;
            if (from >= to)
                continue;
            bool whole = from == 0 && to == 16;
            var mask = Vector512.AndNot(Host.FirstLanes(to), Host.FirstLanes(from));
            for (int r = 0; r < rows; r++)
            {
                float* dst = c.Data + (i0 + r) * c.RowStride + offset + half;
                var v = Vector512.Load(tile + r * Nr + half);
                if (load)
                    v += whole ? Vector512.Load(dst) : Avx512F.MaskLoad(dst, mask, Vector512<float>.Zero);
                if (rowBias is not null)
                    v += Vector512.Create(rowBias[i0 + r]);
                if (relu)
                    v = Vector512.Max(v, Vector512<float>.Zero);
                if (whole)
                    v.Store(dst);
                else
                    Avx512F.MaskStore(dst, mask, v);
            }
        }
    }

    /// <summary>The store without AVX-512 (or for a C with strided columns): one element at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StoreScalar(float* tile, Strided c, int i0, int j0, int rows, int columns, bool load, float* rowBias, bool relu)
    {
        for (int r = 0; r < rows; r++, tile += Nr)
        {
            float* row = c.Data + (i0 + r) * c.RowStride;
            float bias = rowBias is null ? 0f : rowBias[i0 + r];
            for (int j = 0; j < columns; j++)
            {
                float* dst = row + c.Column(j0 + j);
                float v = tile[j];
                if (load)
                    v += *dst;
                v += bias;
                if (relu && !(v > 0f))
                    v = 0f;
                *dst = v;
            }
        }
    }
}
