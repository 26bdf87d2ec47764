using System.Collections.Generic;
using System.Linq;
using NetGen.Generator.Model;
using NetGen.Generator.Operations;
using NetGen.Generator.Planning;

namespace NetGen.Generator.Emit.Kernels.Backward;

/// <summary>
/// Writes N.BackwardKernels.g.cs: the loss kernel and, for each forward kernel, the kernels that
/// compute its gradients, every size a literal as in the forward kernels. Parameter gradients are
/// added to their buffers (so batches can be accumulated); activation gradients are overwritten.
/// </summary>
internal static class BackwardKernelEmitter
{
    public static string Emit(NetworkPlan plan)
    {
        var w = new SourceWriter();
        using (TypeScope.Open(w, plan.Model.Type, null, "ILGPU", "ILGPU.Algorithms"))
        {
            w.Line("/// <summary>");
            w.Line($"/// The backward kernels of {plan.Model.Type.Name}, in launch order. A gradient buffer named after an");
            w.Line("/// activation holds the gradient of the mean loss with respect to its group's value before the");
            w.Line("/// epilogue (ReLU, dropout): whichever kernel writes it applies the epilogue's mask as it stores.");
            w.Line("/// </summary>");
            using (w.Block("public static class BackwardKernels"))
            {
                bool first = true;
                foreach (var kernel in plan.Backward.Kernels)
                {
                    if (!first)
                        w.Line();
                    first = false;
                    Write(w, plan, kernel);
                }
            }
        }
        return w.ToString();
    }

    /// <summary>The kernel's parameters after the index, with what the backward pass passes for each.</summary>
    public static IReadOnlyList<KernelParameter> Parameters(NetworkPlan plan, BackwardKernelPlan kernel)
    {
        var forward = plan.Kernels[kernel.Kernel];
        var input = plan.Activations[forward.Input];
        var output = plan.Activations[forward.Output];
        string before = $"gradient before {output.Name}'s epilogue";
        string delta = BackwardEmitter.Gradient(plan, forward.Output);
        var list = new List<KernelParameter>();
        switch (kernel.Kind)
        {
            case GradientKind.Loss:
                string dims = KernelEmitter.Dims(output.Shape);
                list.Add(KernelParameter.Floats("logits", $"{dims} {output.Name}", "forward." + output.Field));
                list.Add(new("ArrayView<int>", "labels", "(N) each image's class", "Labels"));
                list.Add(KernelParameter.Floats("probabilities", $"{dims} written: the softmax of the logits", "Probabilities"));
                list.Add(KernelParameter.Floats("losses", "(N) written: each image's cross-entropy", "Losses"));
                list.Add(new("ArrayView<int>", "ranks", "(N) written: how many classes score above the label (0 is a top-1 hit)", "Ranks"));
                list.Add(KernelParameter.Floats("logitsGradient", $"{dims} written: the {before}", delta));
                list.Add(new("float", "smoothing", "label smoothing: the target's share spread over every class (0: one-hot)", "LabelSmoothing"));
                list.Add(KernelParameter.Int("batch", "N", "BatchSize"));
                break;
            case GradientKind.Tensor:
                int t = forward.Tensors[kernel.Tensor];
                var tensor = plan.Parameters[t];
                if (forward.Operation.TensorGradientReadsInput(kernel.Tensor))
                    list.Add(KernelParameter.Floats("input", $"{KernelEmitter.Dims(input.Shape)} {input.Name}", "forward." + input.Field));
                list.Add(KernelParameter.Floats("delta", $"{KernelEmitter.Dims(output.Shape)} the {before}", delta));
                list.Add(KernelParameter.Floats(tensor.Local + "Gradient", $"{KernelEmitter.Dims(tensor)} added to", KernelEmitter.TensorGradient(plan, t)));
                if (forward.Operation.TensorGradientReadsStatistics)
                    list.Add(KernelEmitter.Statistics(forward.Statistics!, "read, and the sum kept for the input gradient written", "forward."));
                list.Add(KernelParameter.Int("batch", "N", "BatchSize"));
                break;
            case GradientKind.Input:
                list.Add(KernelParameter.Floats("input", $"{KernelEmitter.Dims(input.Shape)} {input.Name}", "forward." + input.Field));
                foreach (int i in forward.Operation.InputGradientTensors)
                    list.Add(KernelParameter.Floats(plan.Parameters[forward.Tensors[i]].Local, KernelEmitter.Dims(plan.Parameters[forward.Tensors[i]]), KernelEmitter.Tensor(plan, forward.Tensors[i])));
                list.Add(KernelParameter.Floats("delta", $"{KernelEmitter.Dims(output.Shape)} the {before}", delta));
                list.Add(kernel.Partial < 0
                    ? KernelParameter.Floats("inputGradient", $"{KernelEmitter.Dims(input.Shape)} written: the gradient before {input.Name}'s epilogue", BackwardEmitter.Gradient(plan, forward.Input))
                    : KernelParameter.Floats("inputGradient", $"{KernelEmitter.Dims(input.Shape)} written: {output.Name}'s part of {input.Name}'s gradient, which several read", BackwardEmitter.Partial(plan, kernel.Partial)));
                if (forward.Statistics is { } statistics)
                    list.Add(KernelEmitter.Statistics(statistics, "read", "forward."));
                if (forward.Operation.ReadsMode)
                    list.AddRange(KernelEmitter.Mode("dropout"));
                break;
            case GradientKind.Sum:
                foreach (var term in kernel.Terms)
                    list.Add(Term(plan, term));
                list.Add(KernelParameter.Floats("output", $"{KernelEmitter.Dims(output.Shape)} {output.Name}", "forward." + output.Field));
                list.Add(KernelParameter.Floats("outputGradient", $"{KernelEmitter.Dims(output.Shape)} written: the {before}", delta));
                break;
            default:
                throw new System.InvalidOperationException($"NetGen generator bug: no parameters for a {kernel.Kind} gradient kernel.");
        }
        if (kernel.MaskedBy >= 0 && plan.Kernels[kernel.MaskedBy].Saved is { } saved)
            list.Add(KernelParameter.Floats("before", $"{KernelEmitter.Dims(saved.Shape)} {saved.Description}", "forward." + saved.Field));
        if (kernel.MaskedBy >= 0 && plan.Kernels[kernel.MaskedBy].HasDropout)
            list.Add(new("global::NetGen.DropoutKey", "dropout", "the forward pass's key, to draw its dropout masks again", "dropout"));
        return list;
    }

    /// <summary>One addend of a sum: a reader's partial gradient, or a join reader's group gradient.</summary>
    private static KernelParameter Term(NetworkPlan plan, GradientTerm term)
    {
        if (term.Partial >= 0)
        {
            var reader = plan.Kernels[plan.Backward.Partials[term.Partial].Reader];
            return KernelParameter.Floats("from" + reader.Method, $"{plan.Activations[reader.Output].Name}'s part, through {reader.Group}", BackwardEmitter.Partial(plan, term.Partial));
        }
        var joiner = plan.Kernels[term.Activation - 1];
        return KernelParameter.Floats("from" + joiner.Method + joiner.Join!.Op.AttributeName,
            $"{plan.Activations[joiner.Output].Name}'s gradient, which its {joiner.Join.Op.Kind} passes on", BackwardEmitter.Gradient(plan, term.Activation));
    }

    private static void Write(SourceWriter w, NetworkPlan plan, BackwardKernelPlan kernel)
    {
        var forward = plan.Kernels[kernel.Kernel];
        var parameters = Parameters(plan, kernel);
        using (KernelEmitter.Open(w, kernel.Method, Summary(plan, kernel, forward), IndexDoc(kernel, forward), parameters))
        {
            var writing = new KernelWriting(w, forward.Main, plan.Model.Columns);
            switch (kernel.Kind)
            {
                case GradientKind.Loss:
                    LossKernel.Body(w, forward, plan.Activations[forward.Output].Name);
                    return;
                case GradientKind.Tensor:
                    forward.Operation.WriteTensorGradient(kernel.Tensor, writing);
                    return;
                case GradientKind.Input:
                    forward.Operation.WriteInputGradient(writing);
                    if (kernel.MaskedBy >= 0)
                        Mask.Write(w, plan.Kernels[kernel.MaskedBy], plan.Activations[forward.Input].Name, "input", "index");
                    w.Line("inputGradient[index] = gradient;");
                    return;
                case GradientKind.Sum:
                    w.Line($"float gradient = {string.Join(" + ", parameters.Take(kernel.Terms.Count).Select(p => p.Name + "[index]"))};");
                    Mask.Write(w, forward, plan.Activations[forward.Output].Name, "output", "index");
                    w.Line("outputGradient[index] = gradient;");
                    return;
                default:
                    throw new System.InvalidOperationException($"NetGen generator bug: no body for a {kernel.Kind} gradient kernel.");
            }
        }
    }

    private static string Summary(NetworkPlan plan, BackwardKernelPlan kernel, KernelPlan forward)
    {
        string group = plan.Activations[forward.Output].Name;
        return kernel.Kind switch
        {
            GradientKind.Loss => $"Fused softmax and cross-entropy on {group}: probabilities, losses, ranks and the gradient p - y.",
            GradientKind.Tensor => $"{group}'s {plan.Parameters[forward.Tensors[kernel.Tensor]].Local} gradient, summed over the batch.",
            GradientKind.Input when kernel.MaskedBy < 0 => $"{group}'s part of the gradient of its input, {plan.Activations[forward.Input].Name}, through {forward.Group}; the parts are summed later.",
            GradientKind.Input => $"The gradient of {group}'s input, {plan.Activations[forward.Input].Name}, through {forward.Group}" +
                (plan.Kernels[kernel.MaskedBy].Epilogue.Count > 0 ? $", masked by {plan.Activations[forward.Input].Name}'s epilogue." : "."),
            GradientKind.Sum => $"The gradient of {group}" + (kernel.Terms.Count == 1 ? ", from the join that reads it" : $", which {kernel.Terms.Count} read: their parts summed in forward order") +
                (forward.Epilogue.Count > 0 ? ", masked by its epilogue." : "."),
            _ => throw new System.InvalidOperationException($"NetGen generator bug: no summary for a {kernel.Kind} gradient kernel."),
        };
    }

    private static string IndexDoc(BackwardKernelPlan kernel, KernelPlan forward) => kernel.Kind switch
    {
        GradientKind.Loss => "One thread per image: n.",
        GradientKind.Tensor => forward.Operation.TensorGradientIndexDoc(kernel.Tensor),
        GradientKind.Input => forward.Main.Input.IsVector ? "One thread per input value: n * C + i." : "One thread per input value: ((n * C + c) * H + y) * W + x.",
        GradientKind.Sum => forward.Main.Output.IsVector ? "One thread per value: n * C + i." : "One thread per value: ((n * C + c) * H + y) * W + x.",
        _ => throw new System.InvalidOperationException($"NetGen generator bug: no index for a {kernel.Kind} gradient kernel."),
    };
}
