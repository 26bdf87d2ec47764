using System;
using System.Runtime.CompilerServices;
using ILGPU;

namespace NetGen.Cpu;

public static unsafe partial class CpuPool
{
    /// <summary>
    /// Global average pooling over <paramref name="planes"/> (batch x channels) planes of
    /// <paramref name="size"/> values: each plane's sum in row-major order, divided by its size, as
    /// the ILGPU kernel sums it, so both backends give the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GlobalAverage(int size, ArrayView<float> input, ArrayView<float> output, int planes)
    {
        float* x = Host.Pointer(input), y = Host.Pointer(output);
        Host.For(planes, size, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (plane) =>
        {
            float* src = x + (long)plane * size;
            float sum = 0f;
            for (int i = 0; i < size; i++)
                sum += src[i];
            y[plane] = sum / size;
        });
    }

    /// <summary>Backward of <see cref="GlobalAverage"/>: each plane's gradient, divided by its size, to every value of the plane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GlobalAverageBackward(int size, ArrayView<float> delta, ArrayView<float> inputGradient, int planes)
    {
        float* dy = Host.Pointer(delta), dx = Host.Pointer(inputGradient);
        Host.For(planes, size, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (plane) =>
            new Span<float>(dx + (long)plane * size, size).Fill(dy[plane] / size));
    }
}
