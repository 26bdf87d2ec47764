using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ILGPU;

namespace NetGen.Cpu;

/// <summary>
/// The updates of <see cref="ParameterUpdate"/> on the CPU backend, vectorised, each in its kernel's
/// operation order, so the CPU backend and the accelerator give the same bits.
/// </summary>
internal static unsafe class CpuOptimiser
{
    private const int Block = 1 << 16;

    /// <summary>
    /// One update of a tensor by <paramref name="rule"/> (already scaled by the tensor's multipliers):
    /// <paramref name="first"/> is SGD's velocity or Adam's first moment, <paramref name="second"/> Adam's second.
    /// </summary>
    public static void Update(ArrayView<float> weights, ArrayView<float> gradients, ArrayView<float> first, ArrayView<float> second, UpdateRule rule)
    {
        if (rule.Kind != Optimizer.Sgd)
            Adam(weights, gradients, first, second, rule.Adam());
        else
            Sgd(weights, gradients, first, rule.LearningRate, rule.WeightDecay, rule.Momentum, rule.Nesterov);
    }

    /// <summary>
    /// SGD: <c>v = m v - decay lr w - lr g; w += v</c>; with <paramref name="nesterov"/>,
    /// <c>w += m v - decay lr w - lr g</c> instead (w the weight before the step). Each product is
    /// rounded as the kernels round it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Sgd(ArrayView<float> weights, ArrayView<float> gradients, ArrayView<float> velocity,
        float learningRate, float decay, float momentum, bool nesterov)
    {
        float* w = Host.Pointer(weights), g = Host.Pointer(gradients), v = Host.Pointer(velocity);
        long count = weights.Length;
        int blocks = (int)((count + Block - 1) / Block);
        Host.For(blocks, Block, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (b) =>
        {
            long i = (long)b * Block, end = Math.Min(count, i + Block);
            var m = Vector512.Create(momentum);
            var dl = Vector512.Create(decay * learningRate);
            var lr = Vector512.Create(learningRate);
            for (; i <= end - 16; i += 16)
            {
                var weight = Vector512.Load(w + i);
                var gradient = Vector512.Load(g + i);
                var step = m * Vector512.Load(v + i) - dl * weight - lr * gradient;
                step.Store(v + i);
                (weight + (nesterov ? m * step - dl * weight - lr * gradient : step)).Store(w + i);
            }
            for (; i < end; i++)
            {
                float weight = w[i], gradient = g[i];
                float step = momentum * v[i] - decay * learningRate * weight - learningRate * gradient;
                v[i] = step;
                w[i] = weight + (nesterov ? momentum * step - decay * learningRate * weight - learningRate * gradient : step);
            }
        });
    }

    /// <summary>Adam and AdamW, in the order of <see cref="AdamScalars"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Adam(ArrayView<float> weights, ArrayView<float> gradients, ArrayView<float> first, ArrayView<float> second, AdamScalars s)
    {
        float* w = Host.Pointer(weights), g = Host.Pointer(gradients), m = Host.Pointer(first), v = Host.Pointer(second);
        long count = weights.Length;
        int blocks = (int)((count + Block - 1) / Block);
        Host.For(blocks, Block, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (b) =>
        {
            long i = (long)b * Block, end = Math.Min(count, i + Block);
            var shrink = Vector512.Create(s.Shrink);
            var decay = Vector512.Create(s.Decay);
            var b1 = Vector512.Create(s.Beta1);
            var c1 = Vector512.Create(s.OneMinusBeta1);
            var b2 = Vector512.Create(s.Beta2);
            var c2 = Vector512.Create(s.OneMinusBeta2);
            var stepSize = Vector512.Create(s.StepSize);
            var correction = Vector512.Create(s.Correction2);
            var eps = Vector512.Create(s.Epsilon);
            for (; i <= end - 16; i += 16)
            {
                var weight = Vector512.Load(w + i) * shrink;
                var gradient = Vector512.Load(g + i) + decay * weight;
                var mi = b1 * Vector512.Load(m + i) + c1 * gradient;
                var vi = b2 * Vector512.Load(v + i) + c2 * gradient * gradient;
                mi.Store(m + i);
                vi.Store(v + i);
                (weight - stepSize * (mi / (Vector512.Sqrt(vi) / correction + eps))).Store(w + i);
            }
            for (; i < end; i++)
            {
                float weight = w[i] * s.Shrink;
                float gradient = g[i] + s.Decay * weight;
                float mi = s.Beta1 * m[i] + s.OneMinusBeta1 * gradient;
                float vi = s.Beta2 * v[i] + s.OneMinusBeta2 * gradient * gradient;
                m[i] = mi;
                v[i] = vi;
                w[i] = weight - s.StepSize * (mi / (MathF.Sqrt(vi) / s.Correction2 + s.Epsilon));
            }
        });
    }
}
