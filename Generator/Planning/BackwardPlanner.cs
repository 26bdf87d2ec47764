using System.Collections.Generic;
using System.Linq;
using NetGen.Generator.Model;

namespace NetGen.Generator.Planning;

/// <summary>
/// Orders the backward pass: the fused softmax and cross-entropy first, then, for each forward kernel
/// from the last to the first, the sum of its output's gradient where several read that output, the
/// gradient of each of its trained tensors (last tensor first: bias, then weight) and the gradient of
/// its input. The network's own input gets no gradient. Kernel k writes activation k + 1 and reads
/// any earlier one (a layer may read an earlier layer by name, and a join adds one).
/// <para>
/// An activation read by one kernel gets its gradient from that kernel's input gradient, masked by
/// its own group's epilogue as it is stored. One read by several (or by a join) gets it from a sum:
/// each reading kernel writes its part unmasked into a buffer of its own, a join's part is the
/// gradient of its group (which it passes on unchanged), and a sum kernel adds them in the readers'
/// forward order and applies the mask, so every run adds in one order. Readers come after what they
/// read, so going backward every part is written before the sum that needs it.
/// </para>
/// </summary>
internal static class BackwardPlanner
{
    public static BackwardPlan Plan(IReadOnlyList<KernelPlan> forward, IReadOnlyList<ParameterPlan> parameters)
    {
        // Only the last operation may end the network (NG0011), so the loss replaces at most the last kernel.
        bool softmax = forward[forward.Count - 1].Operation.EndsNetwork;
        int logitsKernel = softmax ? forward.Count - 2 : forward.Count - 1;
        var readers = Readers(forward, logitsKernel);
        var partials = new List<PartialGradientPlan>();
        var kernels = new List<BackwardKernelPlan>
        {
            new("SoftmaxCrossEntropy", GradientKind.Loss, logitsKernel, logitsKernel, -1, 1, PerImage: true),
        };
        for (int k = logitsKernel; k >= 0; k--)
        {
            var kernel = forward[k];
            int output = kernel.Output;
            if (output != logitsKernel + 1 && !ReadOnceByInput(readers[output]))
            {
                var terms = readers[output].Select(r => r.Join
                    ? new GradientTerm(-1, forward[r.Kernel].Output)
                    : new GradientTerm(partials.FindIndex(p => p.Activation == output && p.Reader == r.Kernel), -1)).ToEquatableArray();
                kernels.Add(new(kernel.Method + "GradientSum", GradientKind.Sum, k, k, -1, kernel.Main.Output.Size, PerImage: true, Terms: terms));
            }
            for (int t = kernel.Tensors.Count - 1; t >= 0; t--)
            {
                var tensor = parameters[kernel.Tensors[t]];
                if (!tensor.Trainable)
                    continue;
                string method = kernel.Method + char.ToUpperInvariant(tensor.Local[0]) + tensor.Local.Substring(1) + "Gradient";
                kernels.Add(new(method, GradientKind.Tensor, k, -1, t, kernel.Operation.TensorGradientThreads(t, kernel.Main), PerImage: false));
            }
            if (kernel.Input == 0)
                continue;
            if (ReadOnceByInput(readers[kernel.Input]))
            {
                kernels.Add(new(kernel.Method + "InputGradient", GradientKind.Input, k, kernel.Input - 1, -1, kernel.Main.Input.Size, PerImage: true));
                continue;
            }
            partials.Add(new PartialGradientPlan(kernel.Input, k));
            kernels.Add(new(kernel.Method + "InputGradient", GradientKind.Input, k, -1, -1, kernel.Main.Input.Size, PerImage: true, Partial: partials.Count - 1));
        }
        return new BackwardPlan(
            kernels.ToEquatableArray(),
            Logits: logitsKernel + 1,
            Probabilities: softmax ? forward.Count : -1,
            Gradients: Enumerable.Range(1, logitsKernel + 1).ToEquatableArray(),
            Partials: partials.ToEquatableArray());
    }

    /// <summary>Who reads each activation up to the logits, in forward order: a kernel as its input, or its join as the operand.</summary>
    private static List<(int Kernel, bool Join)>[] Readers(IReadOnlyList<KernelPlan> forward, int logitsKernel)
    {
        var readers = Enumerable.Range(0, logitsKernel + 2).Select(_ => new List<(int Kernel, bool Join)>()).ToArray();
        for (int k = 0; k <= logitsKernel; k++)
        {
            readers[forward[k].Input].Add((k, false));
            if (forward[k].JoinInput >= 0)
                readers[forward[k].JoinInput].Add((k, true));
        }
        return readers;
    }

    private static bool ReadOnceByInput(List<(int Kernel, bool Join)> readers) => readers is [(_, false)];
}
