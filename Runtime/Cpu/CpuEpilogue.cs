using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ILGPU;

namespace NetGen.Cpu;

/// <summary>
/// The elementwise operations that follow a layer (what the product's store could not fuse), and
/// their derivatives applied to a gradient as masks. Dropout draws its masks from the same
/// counter-based hash as the ILGPU kernels, by the element's index in the batch's activation, so
/// both backends drop the same units.
/// </summary>
public static unsafe class CpuEpilogue
{
    private const int Block = 1 << 14;

    /// <summary>ReLU in place over <paramref name="count"/> values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Relu(ArrayView<float> values, long count)
    {
        float* v = Host.Pointer(values);
        ForBlocks(count, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end) =>
        {
            long i = start;
            for (; i <= end - 16; i += 16)
                Vector512.Max(Vector512.Load(v + i), Vector512<float>.Zero).Store(v + i);
            for (; i < end; i++)
                v[i] = v[i] > 0f ? v[i] : 0f;
        });
    }

    /// <summary>Inverted dropout in place: survivors scaled by 1 / (1 - rate); nothing in evaluation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dropout(ArrayView<float> values, long count, DropoutKey key, int operation, float rate)
    {
        if (key.Training == 0)
            return;
        float* v = Host.Pointer(values);
        float scale = 1f / (1f - rate);
        ForBlocks(count, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end) =>
        {
            for (long i = start; i < end; i++)
                v[i] = key.Keeps(operation, i, rate) ? v[i] * scale : 0f;
        });
    }

    /// <summary>
    /// Dropout on one device's slice of an activation: value u of image n here is value
    /// <c>n * imageStride + unitOffset + u</c> of the whole activation, and its mask is drawn for
    /// that index, so a split network drops exactly what the whole network drops.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dropout(ArrayView<float> values, int images, int units, long imageStride, long unitOffset, DropoutKey key, int operation, float rate)
    {
        if (key.Training == 0)
            return;
        float* v = Host.Pointer(values);
        float scale = 1f / (1f - rate);
        ForBlocks((long)images * units, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end) =>
        {
            for (long i = start; i < end; i++)
            {
                long n = i / units, unit = n * imageStride + unitOffset + (i - n * units);
                v[i] = key.Keeps(operation, unit, rate) ? v[i] * scale : 0f;
            }
        });
    }

    /// <summary>The dropout mask of one device's slice applied to its gradient (see the slice's <see cref="Dropout(ArrayView{float}, int, int, long, long, DropoutKey, int, float)"/>).</summary>
    public static void MaskDropout(ArrayView<float> gradient, int images, int units, long imageStride, long unitOffset, DropoutKey key, int operation, float rate) =>
        Dropout(gradient, images, units, imageStride, unitOffset, key, operation, rate);

    /// <summary>ReLU's derivative: zero the gradient wherever the stored output is not positive.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaskRelu(ArrayView<float> gradient, ArrayView<float> output, long count)
    {
        float* g = Host.Pointer(gradient), y = Host.Pointer(output);
        ForBlocks(count, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end) =>
        {
            long i = start;
            for (; i <= end - 16; i += 16)
            {
                var keep = Vector512.GreaterThan(Vector512.Load(y + i), Vector512<float>.Zero);
                (Vector512.Load(g + i) & keep).Store(g + i);
            }
            for (; i < end; i++)
                if (y[i] <= 0f)
                    g[i] = 0f;
        });
    }

    /// <summary>Dropout's derivative: the forward mask and scale, drawn again.</summary>
    public static void MaskDropout(ArrayView<float> gradient, long count, DropoutKey key, int operation, float rate) =>
        Dropout(gradient, count, key, operation, rate);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForBlocks(long count, Action<long, long> body)
    {
        int blocks = (int)((count + Block - 1) / Block);
        Host.For(blocks, Block, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (b) => body((long)b * Block, Math.Min(count, (long)(b + 1) * Block)));
    }
}
