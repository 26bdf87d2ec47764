using System.Collections.Generic;
using System.Linq;
using NetGen.Generator.Model;
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

    /// <summary>The kernel's parameters after the index, as (type, name, shape comment).</summary>
    public static IReadOnlyList<(string Type, string Name, string Doc)> Parameters(NetworkPlan plan, BackwardKernelPlan kernel)
    {
        const string Floats = "ArrayView<float>";
        var forward = plan.Kernels[kernel.Kernel];
        var input = plan.Activations[forward.Input];
        var output = plan.Activations[forward.Output];
        string before = $"gradient before {output.Name}'s epilogue";
        var list = new List<(string, string, string)>();
        switch (kernel.Kind)
        {
            case GradientKind.Loss:
                string dims = KernelEmitter.Dims(output.Shape);
                list.Add((Floats, "logits", $"{dims} {output.Name}"));
                list.Add(("ArrayView<int>", "labels", "(N) each image's class"));
                list.Add((Floats, "probabilities", $"{dims} written: the softmax of the logits"));
                list.Add((Floats, "losses", "(N) written: each image's cross-entropy"));
                list.Add(("ArrayView<int>", "ranks", "(N) written: how many classes score above the label (0 is a top-1 hit)"));
                list.Add((Floats, "logitsGradient", $"{dims} written: the {before}"));
                list.Add(("float", "smoothing", "label smoothing: the target's share spread over every class (0: one-hot)"));
                list.Add(("int", "batch", "N"));
                break;
            case GradientKind.Bias:
                list.Add((Floats, "delta", $"{KernelEmitter.Dims(output.Shape)} the {before}"));
                list.Add((Floats, "biasGradient", $"{ParameterDims(plan, forward.Weight + 1)} added to"));
                list.Add(("int", "batch", "N"));
                break;
            case GradientKind.Weight:
                list.Add((Floats, "input", $"{KernelEmitter.Dims(input.Shape)} {input.Name}"));
                list.Add((Floats, "delta", $"{KernelEmitter.Dims(output.Shape)} the {before}"));
                list.Add((Floats, "weightGradient", $"{ParameterDims(plan, forward.Weight)} added to"));
                list.Add(("int", "batch", "N"));
                break;
            case GradientKind.Input:
                list.Add((Floats, "input", $"{KernelEmitter.Dims(input.Shape)} {input.Name}"));
                if (forward.Weight >= 0)
                    list.Add((Floats, "weight", ParameterDims(plan, forward.Weight)));
                list.Add((Floats, "delta", $"{KernelEmitter.Dims(output.Shape)} the {before}"));
                list.Add((Floats, "inputGradient", $"{KernelEmitter.Dims(input.Shape)} written: the gradient before {input.Name}'s epilogue"));
                break;
        }
        if (kernel.MaskedBy >= 0 && plan.Kernels[kernel.MaskedBy].HasDropout)
            list.Add(("global::NetGen.DropoutKey", "dropout", "the forward pass's key, to draw its dropout masks again"));
        return list;
    }

    private static string ParameterDims(NetworkPlan plan, int parameter) => "(" + string.Join(", ", plan.Parameters[parameter].Dimensions) + ")";

    private static void Write(SourceWriter w, NetworkPlan plan, BackwardKernelPlan kernel)
    {
        var forward = plan.Kernels[kernel.Kernel];
        var parameters = Parameters(plan, kernel);
        w.Line($"/// <summary>{Summary(plan, kernel, forward)}</summary>");
        w.Line($"/// <param name=\"index\">{IndexDoc(kernel, forward)}</param>");
        foreach (var p in parameters)
            w.Line($"/// <param name=\"{p.Name}\">{p.Doc}</param>");
        using (w.Block($"public static void {kernel.Method}(Index1D index, {string.Join(", ", parameters.Select(p => p.Type + " " + p.Name))})"))
        {
            var main = forward.Main;
            switch (kernel.Kind, main.Op)
            {
                case (GradientKind.Loss, _):
                    LossKernel.Body(w, forward, plan.Activations[forward.Output].Name);
                    return;
                case (GradientKind.Bias, ConvSpec):
                    ConvGradients.Bias(w, main);
                    return;
                case (GradientKind.Bias, DenseSpec):
                    DenseGradients.Bias(w, main);
                    return;
                case (GradientKind.Weight, ConvSpec conv):
                    ConvGradients.Weight(w, conv, main);
                    return;
                case (GradientKind.Weight, DenseSpec):
                    DenseGradients.Weight(w, main);
                    return;
                case (GradientKind.Input, ConvSpec conv):
                    ConvGradients.Input(w, conv, main);
                    break;
                case (GradientKind.Input, DenseSpec):
                    DenseGradients.Input(w, main);
                    break;
                case (GradientKind.Input, LrnSpec lrn):
                    LrnGradient.Input(w, lrn, main, plan.Model.Columns);
                    break;
                case (GradientKind.Input, PoolSpec pool):
                    PoolGradient.Input(w, pool, main);
                    break;
                default:
                    throw UnknownOperation.In(nameof(BackwardKernelEmitter), main.Op);
            }
            Mask.Write(w, plan.Kernels[kernel.MaskedBy], plan.Activations[forward.Input].Name, "input", "index");
            w.Line("inputGradient[index] = gradient;");
        }
    }

    private static string Summary(NetworkPlan plan, BackwardKernelPlan kernel, KernelPlan forward)
    {
        string group = plan.Activations[forward.Output].Name;
        return kernel.Kind switch
        {
            GradientKind.Loss => $"Fused softmax and cross-entropy on {group}: probabilities, losses, ranks and the gradient p - y.",
            GradientKind.Bias => $"{group}'s bias gradient, summed over the batch.",
            GradientKind.Weight => $"{group}'s weight gradient, summed over the batch.",
            _ => $"The gradient of {group}'s input, {plan.Activations[forward.Input].Name}, through {forward.Group}" +
                (plan.Kernels[kernel.MaskedBy].Epilogue.Count > 0 ? $", masked by {plan.Activations[forward.Input].Name}'s epilogue." : "."),
        };
    }

    private static string IndexDoc(BackwardKernelPlan kernel, KernelPlan forward) => kernel.Kind switch
    {
        GradientKind.Loss => "One thread per image: n.",
        GradientKind.Bias => "One thread per bias.",
        GradientKind.Weight => "One thread per weight, in the weight's layout.",
        _ => forward.Main.Input.IsVector ? "One thread per input value: n * C + i." : "One thread per input value: ((n * C + c) * H + y) * W + x.",
    };
}
