using System.Collections.Generic;
using System.Linq;
using NetGen.Generator.Model;

namespace NetGen.Generator.Planning;

/// <summary>
/// Orders the backward pass: the fused softmax and cross-entropy first, then, for each forward kernel
/// from the last to the first, the gradient of each of its tensors (last tensor first: bias, then
/// weight) and the gradient of its input. The network's own input gets no gradient. Kernel k reads
/// activation k and writes activation k + 1.
/// </summary>
internal static class BackwardPlanner
{
    public static BackwardPlan Plan(IReadOnlyList<KernelPlan> forward, IReadOnlyList<ParameterPlan> parameters)
    {
        // Only the last operation may end the network (NG0011), so the loss replaces at most the last kernel.
        bool softmax = forward[forward.Count - 1].Operation.EndsNetwork;
        int logitsKernel = softmax ? forward.Count - 2 : forward.Count - 1;
        var kernels = new List<BackwardKernelPlan>
        {
            new("SoftmaxCrossEntropy", GradientKind.Loss, logitsKernel, logitsKernel, -1, 1, PerImage: true),
        };
        for (int k = logitsKernel; k >= 0; k--)
        {
            var kernel = forward[k];
            for (int t = kernel.Tensors.Count - 1; t >= 0; t--)
            {
                var tensor = parameters[kernel.Tensors[t]];
                string method = kernel.Method + char.ToUpperInvariant(tensor.Local[0]) + tensor.Local.Substring(1) + "Gradient";
                kernels.Add(new(method, GradientKind.Tensor, k, -1, t, kernel.Operation.TensorGradientThreads(t, kernel.Main), PerImage: false));
            }
            if (k > 0)
                kernels.Add(new(kernel.Method + "InputGradient", GradientKind.Input, k, k - 1, -1, kernel.Main.Input.Size, PerImage: true));
        }
        return new BackwardPlan(
            kernels.ToEquatableArray(),
            Logits: logitsKernel + 1,
            Probabilities: softmax ? forward.Count : -1,
            Gradients: Enumerable.Range(1, logitsKernel + 1).ToEquatableArray());
    }
}
