using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ILGPU;

namespace NetGen.Cpu;

/// <summary>The SGD update of <see cref="SgdMomentum"/> on the CPU backend, vectorised, in the kernel's operation order.</summary>
internal static unsafe class CpuOptimiser
{
    private const int Block = 1 << 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Update(ArrayView<float> weights, ArrayView<float> gradients, ArrayView<float> velocity,
        float learningRate, float decay, float momentum)
    {
        float* w = Host.Pointer(weights), g = Host.Pointer(gradients), v = Host.Pointer(velocity);
        long count = weights.Length;
        int blocks = (int)((count + Block - 1) / Block);
        Host.For(blocks, Block, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (b) =>
        {
            long i = (long)b * Block, end = Math.Min(count, i + Block);
            // step = momentum * v - decay * lr * w - lr * g, each product rounded as the kernel rounds it.
            var m = Vector512.Create(momentum);
            var dl = Vector512.Create(decay * learningRate);
            var lr = Vector512.Create(learningRate);
            for (; i <= end - 16; i += 16)
            {
                var weight = Vector512.Load(w + i);
                var step = m * Vector512.Load(v + i) - dl * weight - lr * Vector512.Load(g + i);
                step.Store(v + i);
                (weight + step).Store(w + i);
            }
            for (; i < end; i++)
            {
                float step = momentum * v[i] - decay * learningRate * w[i] - learningRate * g[i];
                v[i] = step;
                w[i] += step;
            }
        });
    }
}
