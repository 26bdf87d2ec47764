using System;
using System.Runtime.CompilerServices;
using ILGPU;

namespace NetGen.Cpu;

/// <summary>Softmax, and softmax with cross-entropy, one image per task, as the ILGPU kernels compute them.</summary>
public static unsafe class CpuLoss
{
    /// <summary>Each row of <paramref name="input"/> (batch x classes) to probabilities.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Softmax(int classes, ArrayView<float> input, ArrayView<float> output, int batch)
    {
        float* x = Host.Pointer(input), y = Host.Pointer(output);
        Host.For(batch, classes * 8L, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (n) =>
        {
            float* row = x + (long)n * classes, dst = y + (long)n * classes;
            float max = Max(row, classes), sum = 0f;
            for (int i = 0; i < classes; i++)
            {
                float e = MathF.Exp(row[i] - max);
                dst[i] = e;
                sum += e;
            }
            float scale = 1f / sum;
            for (int i = 0; i < classes; i++)
                dst[i] *= scale;
        });
    }

    /// <summary>
    /// The fused loss: probabilities, each image's cross-entropy against the target q,
    /// <c>max + log(sum exp) - sum q * logit</c>, the label's rank by the logits (<see cref="Ranking"/>: classes before it, a NaN
    /// before every number, ties to the lower class), and the logits' gradient of the batch's mean loss, <c>(p - q) / batch</c>.
    /// The target is the label's one-hot vector, or with label <paramref name="smoothing"/> e,
    /// <c>1 - e</c> on the label plus <c>e / classes</c> on every class (Szegedy et al., 2016).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SoftmaxCrossEntropy(int classes, ArrayView<float> logits, ArrayView<int> labels, ArrayView<float> probabilities,
        ArrayView<float> losses, ArrayView<int> ranks, ArrayView<float> logitsGradient, float smoothing, int batch)
    {
        float* z = Host.Pointer(logits), p = Host.Pointer(probabilities), loss = Host.Pointer(losses), dz = Host.Pointer(logitsGradient);
        int* label = Host.Pointer(labels), rank = Host.Pointer(ranks);
        Host.For(batch, classes * 8L, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (n) =>
        {
            float* row = z + (long)n * classes;
            float max = Max(row, classes), sum = 0f, logitSum = 0f;
            for (int i = 0; i < classes; i++)
            {
                sum += MathF.Exp(row[i] - max);
                logitSum += row[i];
            }
            int y = label[n];
            float target = row[y], spread = smoothing / classes;
            loss[n] = max + MathF.Log(sum) - ((1f - smoothing) * target + spread * logitSum);
            rank[n] = Ranking.RankOf(new ReadOnlySpan<float>(row, classes), y);
            float mean = 1f / batch;
            for (int i = 0; i < classes; i++)
            {
                float probability = MathF.Exp(row[i] - max) / sum;
                p[(long)n * classes + i] = probability;
                dz[(long)n * classes + i] = (probability - (i == y ? 1f - smoothing + spread : spread)) * mean;
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Max(float* row, int count)
    {
        float max = row[0];
        for (int i = 1; i < count; i++)
            max = row[i] > max ? row[i] : max;
        return max;
    }
}
