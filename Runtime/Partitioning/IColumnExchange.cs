using System;
using System.Collections.Generic;
using ILGPU;

namespace NetGen;

/// <summary>
/// Where the columns of a split network meet: the plan's gathers (forward) and reductions
/// (backward), and the whole-network arrays the executor assembles from every column's rows. Two
/// implementations: <see cref="ColumnExchange"/>, every column a thread of this process, and
/// <see cref="Distributed.MpiColumnExchange"/>, one column per MPI rank. Both give the same bits:
/// a gather copies, and a reduction adds the columns' parts in column order.
/// </summary>
public interface IColumnExchange
{
    /// <summary>How many columns meet here: the plan's devices.</summary>
    int Devices { get; }

    /// <summary>The columns this process runs, in order, each on a thread of its own: every one in-process, the rank's own under MPI.</summary>
    IReadOnlyList<int> LocalColumns { get; }

    /// <summary>Bytes sent between different columns in forward passes since the last <see cref="ResetCounts"/>, by the columns this process runs.</summary>
    long ForwardBytes { get; }

    /// <summary>Bytes sent between different columns in backward passes since the last <see cref="ResetCounts"/>, by the columns this process runs.</summary>
    long BackwardBytes { get; }

    /// <summary>Sets both byte counts to zero.</summary>
    void ResetCounts();

    /// <summary>
    /// Forward: puts column <paramref name="column"/>'s slice <paramref name="own"/> (<paramref name="batch"/>
    /// x <paramref name="floatsPerImage"/>) into its place in every column's whole-width buffer
    /// <paramref name="all"/> (image, then column, then the slice's values), and returns when every
    /// column's slice is in place in this column's.
    /// </summary>
    void Gather(int column, ArrayView<float> own, ArrayView<float> all, long floatsPerImage, int batch);

    /// <summary>
    /// Backward: every column has computed, in <paramref name="all"/>, its part of the gradient of a
    /// whole-width input; this column's slice <paramref name="own"/> becomes the sum of every
    /// column's part of it, added in column order so that every column gets the same bits.
    /// </summary>
    void Reduce(int column, ArrayView<float> all, ArrayView<float> own, long floatsPerImage, int batch);

    /// <summary>
    /// Completes <paramref name="whole"/>, an array laid out as <paramref name="network"/>'s
    /// parameters (the parameters, their gradients, the optimiser's moments) in which this process's
    /// columns have put their rows, with the rows of the columns that run elsewhere. A tensor every
    /// column holds whole (<see cref="ParameterSplit.Whole"/>) ends as the last column's, as when one
    /// process reads its columns in order.
    /// </summary>
    void ShareRows(float[] whole, NetworkInfo network, PartitionInfo plan);

    /// <summary>Stops every column that waits here, now or later: one column failed with <paramref name="cause"/>, and the others would wait for it for ever.</summary>
    void Abort(Exception cause);

    /// <summary>Ready for a new step after an abort that left this process running.</summary>
    void Reset();
}
