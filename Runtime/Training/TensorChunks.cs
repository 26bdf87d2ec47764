using System;
using System.Collections.Generic;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;

namespace NetGen;

/// <summary>
/// Tensors of the flat parameter buffer cut into chunks of a fixed size that never cross a
/// tensor, so one launch of one thread per chunk covers them all: on the host, each tensor's first
/// chunk; on the device, a table of the first chunks (and the end), offsets and counts, uploaded
/// once, in which <see cref="Find"/> looks a chunk up. The optimiser and the gradient guard use it.
/// </summary>
internal sealed class TensorChunks : IDisposable
{
    private readonly MemoryBuffer1D<long, Stride1D.Dense> layout;

    public TensorChunks(Accelerator accelerator, IReadOnlyList<ParameterInfo> tensors, int perChunk)
    {
        Tensors = tensors.Count;
        FirstChunks = new long[Tensors + 1];
        for (int i = 0; i < Tensors; i++)
            FirstChunks[i + 1] = FirstChunks[i] + (tensors[i].Count + perChunk - 1) / perChunk;
        layout = accelerator.Allocate1D([.. FirstChunks, .. tensors.Select(p => p.Offset), .. tensors.Select(p => p.Count)]);
    }

    /// <summary>How many tensors the chunks cover.</summary>
    public int Tensors { get; }

    /// <summary>Each tensor's first chunk, and the number of chunks last.</summary>
    public long[] FirstChunks { get; }

    /// <summary>Chunks in all: the threads of one launch.</summary>
    public int Chunks => (int)FirstChunks[^1];

    /// <summary>The table <see cref="Find"/> reads.</summary>
    public ArrayView<long> Layout => layout.View;

    /// <summary>
    /// In a kernel: the tensor that chunk <paramref name="chunk"/> belongs to (a binary search over
    /// the first chunks), and the values [start, end) of the flat buffer it covers.
    /// </summary>
    public static (int Tensor, long Start, long End) Find(ArrayView<long> layout, int tensors, int chunk, int perChunk)
    {
        int low = 0, high = tensors - 1;
        while (low < high)
        {
            int middle = (low + high + 1) / 2;
            if (layout[middle] <= chunk)
                low = middle;
            else
                high = middle - 1;
        }
        long offset = layout[tensors + 1 + low], count = layout[2 * tensors + 1 + low];
        long start = offset + (chunk - layout[low]) * perChunk;
        return (low, start, Math.Min(start + perChunk, offset + count));
    }

    public void Dispose() => layout.Dispose();
}
