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

    /// <summary>Inverted dropout in place on <paramref name="count"/> values of <paramref name="imageSize"/> per image: survivors scaled by 1 / (1 - rate); nothing in evaluation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dropout(ArrayView<float> values, long count, long imageSize, DropoutKey key, int operation, float rate)
    {
        if (key.Training == 0)
            return;
        float* v = Host.Pointer(values);
        ForBlocks(count, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end) =>
            DropRun(v + start, end - start, key.Unit(start, imageSize), key, operation, rate));
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
        Host.For(images, units, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (n) =>
            DropRun(v + (long)n * units, units, key.Unit(n * imageStride + unitOffset, imageStride), key, operation, rate));
    }

    /// <summary>
    /// Dropout on <paramref name="count"/> consecutive values whose units are
    /// <paramref name="firstUnit"/> onwards, sixteen at a time: the same draws as
    /// <see cref="DropoutKey.Keeps"/> (the hash on eight 64-bit lanes, twice), compared as
    /// integers with <see cref="DropoutKey.KeepThreshold"/>. The scalar loop spent 12 ns a value
    /// on the hash, as long as fc7's whole backward product.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DropRun(float* v, long count, long firstUnit, DropoutKey key, int operation, float rate)
    {
        float scale = 1f / (1f - rate);
        ulong streamKey = CounterHash.StreamKey(key.Seed, key.Stream(operation));
        var threshold = Vector512.Create(DropoutKey.KeepThreshold(rate));
        long i = 0;
        for (; i <= count - 16; i += 16)
        {
            ((Vector512.Load(v + i) * scale) & KeepMask(streamKey, threshold, (ulong)(firstUnit + i))).Store(v + i);
        }
        for (; i < count; i++)
            v[i] = key.Keeps(operation, firstUnit + i, rate) ? v[i] * scale : 0f;
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
    public static void MaskDropout(ArrayView<float> gradient, long count, long imageSize, DropoutKey key, int operation, float rate) =>
        Dropout(gradient, count, imageSize, key, operation, rate);

    /// <summary>
    /// A group's epilogue when it is not all gates: the value before it is kept in <paramref name="before"/>,
    /// and <paramref name="values"/> gets the epilogue's result. The values are one device's share of each
    /// image (see <see cref="Dropout(ArrayView{float}, int, int, long, long, DropoutKey, int, float)"/>),
    /// and the epilogue sees each value's index in the whole activation; sixteen at a time, the rest one by one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(ArrayView<float> values, ArrayView<float> before, int images, int units, long imageStride, long unitOffset, T epilogue)
        where T : struct, IEpilogue
    {
        float* v = Host.Pointer(values), b = Host.Pointer(before);
        Host.For(images, units, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (n) =>
        {
            float* row = v + (long)n * units, kept = b + (long)n * units;
            long first = n * imageStride + unitOffset, i = 0;
            for (; i <= units - 16; i += 16)
            {
                var value = Vector512.Load(row + i);
                value.Store(kept + i);
                epilogue.Forward(value, first + i).Store(row + i);
            }
            for (; i < units; i++)
            {
                kept[i] = row[i];
                row[i] = epilogue.Forward(row[i], first + i);
            }
        });
    }

    /// <summary>The derivative of that epilogue applied to <paramref name="gradient"/>, from the kept values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<T>(ArrayView<float> gradient, ArrayView<float> before, int images, int units, long imageStride, long unitOffset, T epilogue)
        where T : struct, IEpilogue
    {
        float* g = Host.Pointer(gradient), b = Host.Pointer(before);
        Host.For(images, units, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (n) =>
        {
            float* row = g + (long)n * units, kept = b + (long)n * units;
            long first = n * imageStride + unitOffset, i = 0;
            for (; i <= units - 16; i += 16)
                epilogue.Backward(Vector512.Load(kept + i), first + i, Vector512.Load(row + i)).Store(row + i);
            for (; i < units; i++)
                row[i] = epilogue.Backward(kept[i], first + i, row[i]);
        });
    }

    /// <summary>
    /// Dropout's masks for the sixteen values from <paramref name="firstUnit"/> on: all bits set
    /// where <see cref="DropoutKey.Keeps"/> keeps the value, none where it drops it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Kept(DropoutKey key, int operation, long firstUnit, float rate) =>
        KeepMask(CounterHash.StreamKey(key.Seed, key.Stream(operation)), Vector512.Create(DropoutKey.KeepThreshold(rate)), (ulong)firstUnit);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> KeepMask(ulong streamKey, Vector512<ulong> threshold, ulong unit)
    {
        var low = Vector512.GreaterThanOrEqual(Vector512.ShiftRightLogical(CounterHash.Hash(streamKey, unit), 40), threshold);
        var high = Vector512.GreaterThanOrEqual(Vector512.ShiftRightLogical(CounterHash.Hash(streamKey, unit + 8), 40), threshold);
        return Vector512.Narrow(low, high).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForBlocks(long count, Action<long, long> body)
    {
        int blocks = (int)((count + Block - 1) / Block);
        Host.For(blocks, Block, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (b) => body((long)b * Block, Math.Min(count, (long)(b + 1) * Block)));
    }
}

/// <summary>
/// A group's epilogue as the generator writes it for the CPU backend: each operation's formula,
/// forward and, for the backward pass, run again from the kept value with each derivative
/// multiplied into the gradient.
/// </summary>
public interface IEpilogue
{
    /// <summary>The epilogue applied to <paramref name="value"/>, the <paramref name="index"/>-th of the whole activation.</summary>
    float Forward(float value, long index);

    /// <summary>The gradient before the epilogue, given the value before it and the gradient after it.</summary>
    float Backward(float value, long index, float gradient);

    /// <summary>The same for sixteen values, the first the <paramref name="index"/>-th.</summary>
    Vector512<float> Forward(Vector512<float> value, long index);

    /// <summary>The same for sixteen values, the first the <paramref name="index"/>-th.</summary>
    Vector512<float> Backward(Vector512<float> value, long index, Vector512<float> gradient);
}
