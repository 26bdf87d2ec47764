using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ILGPU;

namespace NetGen.Cpu;

/// <summary>
/// Elementwise sums the CPU backend needs where activations meet: a residual connection's forward
/// add, and an activation's gradient gathered from every layer that reads it. Each element's sum is
/// the same float additions in the same order as the ILGPU kernels', sixteen lanes at a time, so
/// both backends give the same bits.
/// </summary>
public static unsafe class CpuGradients
{
    private const int Block = 1 << 14;

    /// <summary><c>values[i] += addend[i]</c> for i below <paramref name="count"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Add(ArrayView<float> values, ArrayView<float> addend, long count)
    {
        float* v = Host.Pointer(values), a = Host.Pointer(addend);
        ForBlocks(count, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end) =>
        {
            long i = start;
            for (; i <= end - 16; i += 16)
                (Vector512.Load(v + i) + Vector512.Load(a + i)).Store(v + i);
            for (; i < end; i++)
                v[i] += a[i];
        });
    }

    /// <summary>
    /// <c>target[i] = terms[0][i] + terms[1][i] + ...</c>, left to right, for i below
    /// <paramref name="count"/>: an activation's gradient summed over the layers that read it. Every
    /// term of an element is read before the element is written, so <paramref name="target"/> may be
    /// one of the terms; with no terms the sum is 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Sum(ArrayView<float> target, long count, params ArrayView<float>[] terms) => Sum(target, null, count, terms);

    /// <summary>
    /// <see cref="Sum(ArrayView{float}, long, ArrayView{float}[])"/> and then the ReLU's derivative in
    /// the same pass: 0 where <paramref name="output"/>, the ReLU's output, is not positive, as
    /// <c>CpuEpilogue.MaskRelu</c> would set it after the sum.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SumWhereRectified(ArrayView<float> target, ArrayView<float> output, long count, params ArrayView<float>[] terms) =>
        Sum(target, Host.Pointer(output), count, terms);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Sum(ArrayView<float> target, float* rectified, long count, ArrayView<float>[] terms)
    {
        float* t = Host.Pointer(target);
        if (terms.Length == 0)
        {
            ForBlocks(count, (start, end) => new Span<float>(t + start, (int)(end - start)).Clear());
            return;
        }
        var p = new nint[terms.Length];
        for (int k = 0; k < terms.Length; k++)
            p[k] = (nint)Host.Pointer(terms[k]);
        ForBlocks(count, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end) =>
        {
            long i = start;
            for (; i <= end - 16; i += 16)
            {
                var sum = Vector512.Load((float*)p[0] + i);
                for (int k = 1; k < p.Length; k++)
                    sum += Vector512.Load((float*)p[k] + i);
                if (rectified is not null)
                    sum &= Vector512.GreaterThan(Vector512.Load(rectified + i), Vector512<float>.Zero);
                sum.Store(t + i);
            }
            for (; i < end; i++)
            {
                float sum = ((float*)p[0])[i];
                for (int k = 1; k < p.Length; k++)
                    sum += ((float*)p[k])[i];
                t[i] = rectified is not null && rectified[i] <= 0f ? 0f : sum;
            }
        });
    }

    /// <summary>Runs <paramref name="body"/> over blocks of <see cref="Block"/> values (start, end), in parallel when there are enough.</summary>
    private static void ForBlocks(long count, Action<long, long> body)
    {
        int blocks = (int)((count + Block - 1) / Block);
        Host.For(blocks, Block, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (b) => body((long)b * Block, Math.Min(count, (long)(b + 1) * Block)));
    }
}
