using System;
using System.Collections.Generic;
using ILGPU;
using ILGPU.Runtime;

namespace NetGen;

/// <summary>
/// Named per-image tensors allocated for a whole batch on one accelerator: the activations of a
/// forward pass, or the gradients of a backward pass. Reads them back by name.
/// </summary>
internal sealed class BatchBuffers(Accelerator accelerator, string network, int batchSize, string what) : IDisposable
{
    private readonly List<(string Name, Shape Shape, MemoryBuffer1D<float, Stride1D.Dense> Buffer)> buffers = [];
    private readonly List<MemoryBuffer1D<float, Stride1D.Dense>> unnamed = [];

    public IEnumerable<string> Names
    {
        get
        {
            foreach (var b in buffers)
                yield return b.Name;
        }
    }

    public int Count => buffers.Count;

    /// <summary>Allocates <paramref name="shape"/> per image for the whole batch.</summary>
    public ArrayView<float> Allocate(string name, Shape shape)
    {
        long length = (long)batchSize * shape.Size;
        if (length > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(batchSize),
                $"A batch of {batchSize} makes {name} ({shape} per image) {length} floats; the kernels index with 32-bit integers, so keep it under {int.MaxValue}.");
        var buffer = accelerator.Allocate1D<float>(length);
        buffers.Add((name, shape, buffer));
        return buffer.View;
    }

    /// <summary>
    /// Allocates <paramref name="length"/> floats that are not one of the named tensors (statistics over
    /// the batch, a reader's part of a gradient), freed with the rest.
    /// </summary>
    public ArrayView<float> AllocateUnnamed(long length)
    {
        var buffer = accelerator.Allocate1D<float>(length);
        unnamed.Add(buffer);
        return buffer.View;
    }

    public (string Name, Shape Shape, ArrayView<float> View) this[int index] => (buffers[index].Name, buffers[index].Shape, buffers[index].Buffer.View);

    public (Shape Shape, ArrayView<float> View) Find(string name)
    {
        foreach (var b in buffers)
            if (b.Name == name)
                return (b.Shape, b.Buffer.View);
        throw new ArgumentException($"{network} has no {what} '{name}'; it has {string.Join(", ", Names)}.", nameof(name));
    }

    public float[] Read(string name) => ToHost(Find(name).View);

    /// <summary>Copies <paramref name="view"/> to a new host array.</summary>
    public static float[] ToHost(ArrayView<float> view)
    {
        var values = new float[view.Length];
        view.CopyToCPU(values);
        return values;
    }

    public void Dispose()
    {
        foreach (var b in buffers)
            b.Buffer.Dispose();
        buffers.Clear();
        foreach (var b in unnamed)
            b.Dispose();
        unnamed.Clear();
    }
}
