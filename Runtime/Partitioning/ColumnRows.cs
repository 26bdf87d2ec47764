using System;

namespace NetGen;

/// <summary>
/// Copies one column's rows of every parameter tensor between the whole network's layout and the
/// column's own buffer (<see cref="PartitionInfo.Parameters"/>): what a column holds of the
/// parameters, their gradients and the optimiser's moments, wherever the column runs.
/// </summary>
internal static unsafe class ColumnRows
{
    /// <summary>
    /// Copies, tensor by tensor, column <paramref name="column"/>'s rows between <paramref name="whole"/>
    /// (<paramref name="length"/> floats, laid out as <paramref name="network"/>'s parameters) and
    /// <paramref name="columnBuffer"/>: into the column's buffer when <paramref name="toColumn"/>, else back.
    /// </summary>
    public static void Copy(NetworkInfo network, PartitionInfo plan, int column, float* whole, long length, float* columnBuffer, bool toColumn)
    {
        if (length != network.ParameterCount)
            throw new ArgumentException($"{network.Name} has {network.ParameterCount} parameters, not {length}.", nameof(length));
        for (int t = 0; t < network.Parameters.Count; t++)
        {
            var split = plan.Parameters[t];
            int count = checked((int)split.ColumnCount);
            var rows = new Span<float>(whole + split.WholeOffset(network.Parameters[t], column), count);
            var slice = new Span<float>(columnBuffer + split.ColumnOffset, count);
            if (toColumn)
                rows.CopyTo(slice);
            else
                slice.CopyTo(rows);
        }
    }

    /// <summary>Floats in each column's buffer: every column holds as many.</summary>
    public static long PerColumn(PartitionInfo plan)
    {
        long count = 0;
        foreach (var p in plan.Parameters)
            count += p.ColumnCount;
        return count;
    }
}
