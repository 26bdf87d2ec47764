using System;
using ILGPU;

namespace NetGen.Gpu;

/// <summary>
/// The GPU matrix product <c>C = A B</c> (m x n, inner dimension k), tiled for shared memory and
/// registers: a group of 256 threads computes a 128 x 128 tile of C, each thread an 8 x 8 block of
/// it in registers, stepping through the inner dimension 8 at a time. Each step's slices of A
/// (128 x 8) and B (8 x 128) are loaded by all 256 threads, four values each, into shared memory,
/// which holds two of each so the next step's loads are in flight while this step multiplies: one
/// barrier per step. How A and B are read (the type arguments TA and TB: a dense matrix, a
/// transposed one, a convolution's implicit lowered input) and what happens to each finished value
/// (TStore: bias, activation, gate, accumulate, NCHW layout) are structs, so ILGPU compiles one
/// specialised kernel per combination with no call left in it.
/// </summary>
public static class TiledProduct
{
    /// <summary>Rows of C per group.</summary>
    public const int TileRows = 128;

    /// <summary>Columns of C per group.</summary>
    public const int TileColumns = 128;

    /// <summary>Inner-dimension values per step.</summary>
    public const int TileDepth = 8;

    /// <summary>Threads per group.</summary>
    public const int GroupSize = 256;

    /// <summary>
    /// The kernel: group (x, y, z) computes rows 128y.., columns 128x.. of C over the inner range
    /// <c>[z * depthPerSlice, (z + 1) * depthPerSlice)</c> and hands them to <paramref name="store"/>
    /// with the slice z; with one slice that is the whole inner dimension.
    /// </summary>
    /// <remarks>
    /// The thread's 8 x 8 outputs are eight <see cref="Eight"/> values, not an array: ILGPU keeps
    /// a struct's fields in registers, where an array indexed in a loop goes to local memory.
    /// </remarks>
    public static void Kernel<TA, TB, TStore>(TA a, TB b, TStore store, int m, int n, int k, int depthPerSlice)
        where TA : struct, IOperand where TB : struct, IOperand where TStore : struct, IProductStore
    {
        var sharedA = SharedMemory.Allocate<float>(2 * TileDepth * TileRows);
        var sharedB = SharedMemory.Allocate<float>(2 * TileDepth * TileColumns);

        int thread = Group.IdxX;
        int row0 = Grid.IdxY * TileRows, column0 = Grid.IdxX * TileColumns;
        int kBegin = Grid.IdxZ * depthPerSlice, kEnd = Math.Min(k, kBegin + depthPerSlice);
        // Which values of each step's slices this thread loads: in A, one row and four inner
        // indices; in B, one inner index and four columns (a warp reads 128 consecutive columns).
        int aRow = row0 + (thread >> 1), aDepth = (thread & 1) * 4;
        int bDepth = thread >> 5, bColumn = column0 + (thread & 31) * 4;
        // Which outputs this thread owns: rows 4ty..4ty+3 and 64+4ty..64+4ty+3 of the tile, and
        // columns alike, so a warp's reads of a shared slice are 16 consecutive floats.
        int ty = thread >> 4, tx = thread & 15;

        var nextA = LoadA(a, aRow, kBegin + aDepth, m, kEnd);
        var nextB = LoadB(b, kBegin + bDepth, bColumn, n, kEnd);
        StoreSlices(sharedA, sharedB, 0, thread, nextA, nextB);
        Group.Barrier();

        Eight c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        int steps = (kEnd - kBegin + TileDepth - 1) / TileDepth;
        for (int step = 0; step < steps; step++)
        {
            int current = step & 1;
            bool more = step + 1 < steps;
            if (more)
            {
                int k0 = kBegin + (step + 1) * TileDepth;
                nextA = LoadA(a, aRow, k0 + aDepth, m, kEnd);
                nextB = LoadB(b, k0 + bDepth, bColumn, n, kEnd);
            }
            for (int kk = 0; kk < TileDepth; kk++)
            {
                var x = Eight.Read(sharedA, (current * TileDepth + kk) * TileRows + ty * 4);
                var y = Eight.Read(sharedB, (current * TileDepth + kk) * TileColumns + tx * 4);
                c0 = c0.MultiplyAdd(x.V0, y);
                c1 = c1.MultiplyAdd(x.V1, y);
                c2 = c2.MultiplyAdd(x.V2, y);
                c3 = c3.MultiplyAdd(x.V3, y);
                c4 = c4.MultiplyAdd(x.V4, y);
                c5 = c5.MultiplyAdd(x.V5, y);
                c6 = c6.MultiplyAdd(x.V6, y);
                c7 = c7.MultiplyAdd(x.V7, y);
            }
            if (more)
            {
                StoreSlices(sharedA, sharedB, 1 - current, thread, nextA, nextB);
                Group.Barrier();
            }
        }

        int r = row0 + ty * 4, column = column0 + tx * 4, slice = Grid.IdxZ;
        c0.Write(store, r, column, m, n, slice);
        c1.Write(store, r + 1, column, m, n, slice);
        c2.Write(store, r + 2, column, m, n, slice);
        c3.Write(store, r + 3, column, m, n, slice);
        c4.Write(store, r + 64, column, m, n, slice);
        c5.Write(store, r + 65, column, m, n, slice);
        c6.Write(store, r + 66, column, m, n, slice);
        c7.Write(store, r + 67, column, m, n, slice);
    }

    /// <summary>Four consecutive inner values of one row of A, zero past its end.</summary>
    private static Four LoadA<TA>(TA a, int row, int depth, int m, int kEnd) where TA : struct, IOperand
    {
        bool inside = row < m;
        return new Four(
            inside && depth < kEnd ? a.Load(row, depth) : 0f,
            inside && depth + 1 < kEnd ? a.Load(row, depth + 1) : 0f,
            inside && depth + 2 < kEnd ? a.Load(row, depth + 2) : 0f,
            inside && depth + 3 < kEnd ? a.Load(row, depth + 3) : 0f);
    }

    /// <summary>Four consecutive columns of one inner row of B, zero past its end.</summary>
    private static Four LoadB<TB>(TB b, int depth, int column, int n, int kEnd) where TB : struct, IOperand
    {
        bool inside = depth < kEnd;
        return new Four(
            inside && column < n ? b.Load(depth, column) : 0f,
            inside && column + 1 < n ? b.Load(depth, column + 1) : 0f,
            inside && column + 2 < n ? b.Load(depth, column + 2) : 0f,
            inside && column + 3 < n ? b.Load(depth, column + 3) : 0f);
    }

    /// <summary>Writes the loaded values into buffer <paramref name="buffer"/> of the shared slices: A depth-major (a slice's rows contiguous), B row-major.</summary>
    private static void StoreSlices(ArrayView<float> sharedA, ArrayView<float> sharedB, int buffer, int thread, Four nextA, Four nextB)
    {
        int aRow = thread >> 1, aDepth = (thread & 1) * 4;
        int at = (buffer * TileDepth + aDepth) * TileRows + aRow;
        sharedA[at] = nextA.V0;
        sharedA[at + TileRows] = nextA.V1;
        sharedA[at + 2 * TileRows] = nextA.V2;
        sharedA[at + 3 * TileRows] = nextA.V3;
        int bt = (buffer * TileDepth + (thread >> 5)) * TileColumns + (thread & 31) * 4;
        sharedB[bt] = nextB.V0;
        sharedB[bt + 1] = nextB.V1;
        sharedB[bt + 2] = nextB.V2;
        sharedB[bt + 3] = nextB.V3;
    }
}

/// <summary>Four floats a thread holds in registers.</summary>
internal readonly struct Four(float v0, float v1, float v2, float v3)
{
    public readonly float V0 = v0, V1 = v1, V2 = v2, V3 = v3;
}

/// <summary>
/// Eight floats a thread holds in registers: four at some index and four at 64 past it, the two
/// halves of a thread's rows (or columns) in a tile.
/// </summary>
internal readonly struct Eight(float v0, float v1, float v2, float v3, float v4, float v5, float v6, float v7)
{
    public readonly float V0 = v0, V1 = v1, V2 = v2, V3 = v3, V4 = v4, V5 = v5, V6 = v6, V7 = v7;

    /// <summary>Elements at..at+3 and at+64..at+67 of a shared slice.</summary>
    public static Eight Read(ArrayView<float> shared, int at) =>
        new(shared[at], shared[at + 1], shared[at + 2], shared[at + 3], shared[at + 64], shared[at + 65], shared[at + 66], shared[at + 67]);

    /// <summary>This plus <paramref name="x"/> times <paramref name="y"/>, element by element.</summary>
    public Eight MultiplyAdd(float x, Eight y) =>
        new(V0 + x * y.V0, V1 + x * y.V1, V2 + x * y.V2, V3 + x * y.V3, V4 + x * y.V4, V5 + x * y.V5, V6 + x * y.V6, V7 + x * y.V7);

    /// <summary>Hands the row's values to the store: columns column..column+3 and column+64..column+67, those inside C.</summary>
    public void Write<TStore>(TStore store, int row, int column, int m, int n, int slice) where TStore : struct, IProductStore
    {
        if (row >= m)
            return;
        WriteOne(store, row, column, n, slice, V0);
        WriteOne(store, row, column + 1, n, slice, V1);
        WriteOne(store, row, column + 2, n, slice, V2);
        WriteOne(store, row, column + 3, n, slice, V3);
        WriteOne(store, row, column + 64, n, slice, V4);
        WriteOne(store, row, column + 65, n, slice, V5);
        WriteOne(store, row, column + 66, n, slice, V6);
        WriteOne(store, row, column + 67, n, slice, V7);
    }

    private static void WriteOne<TStore>(TStore store, int row, int column, int n, int slice, float value) where TStore : struct, IProductStore
    {
        if (column < n)
            store.Store(row, column, slice, value);
    }
}
