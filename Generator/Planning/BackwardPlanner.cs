using System.Collections.Generic;
using System.Linq;
using NetGen.Generator.Model;

namespace NetGen.Generator.Planning;

/// <summary>
/// Orders the backward pass: the fused softmax and cross-entropy first, then, for each forward kernel
/// from the last to the first, its bias and weight gradients and the gradient of its input. The
/// network's own input gets no gradient. Kernel k reads activation k and writes activation k + 1.
/// </summary>
internal static class BackwardPlanner
{
    /// <summary>Weights each thread of a dense layer's weight gradient computes.</summary>
    public const int DenseWeightsPerThread = 64;

    public static BackwardPlan Plan(IReadOnlyList<KernelPlan> forward)
    {
        // Softmax can only end a network (NG0011), so the loss replaces at most the last kernel.
        bool softmax = forward[forward.Count - 1].Main.Op is SoftmaxSpec;
        int logitsKernel = softmax ? forward.Count - 2 : forward.Count - 1;
        var kernels = new List<BackwardKernelPlan>
        {
            new("SoftmaxCrossEntropy", GradientKind.Loss, logitsKernel, logitsKernel, 1, PerImage: true),
        };
        for (int k = logitsKernel; k >= 0; k--)
        {
            var kernel = forward[k];
            if (kernel.Weight >= 0)
            {
                kernels.Add(new(kernel.Method + "BiasGradient", GradientKind.Bias, k, -1, kernel.Main.Output.Channels, PerImage: false));
                // A dense layer's weights are many and cheap: each thread takes a run of them (see DenseGradients).
                long threads = kernel.Main.Op is DenseSpec
                    ? kernel.Main.Output.Channels * ((kernel.Main.Input.Size + DenseWeightsPerThread - 1) / DenseWeightsPerThread)
                    : kernel.Layer.WeightCount;
                kernels.Add(new(kernel.Method + "WeightGradient", GradientKind.Weight, k, -1, threads, PerImage: false));
            }
            if (k > 0)
                kernels.Add(new(kernel.Method + "InputGradient", GradientKind.Input, k, k - 1, kernel.Main.Input.Size, PerImage: true));
        }
        return new BackwardPlan(
            kernels.ToEquatableArray(),
            Logits: logitsKernel + 1,
            Probabilities: softmax ? forward.Count : -1,
            Gradients: Enumerable.Range(1, logitsKernel + 1).ToEquatableArray());
    }
}
