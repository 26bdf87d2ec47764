using System.Linq;
using NetGen.Generator.Model;
using NetGen.Generator.Planning;

namespace NetGen.Generator.Emit;

/// <summary>
/// Writes N.Cpu.g.cs: the same plan as the ILGPU kernels, run by the CPU backend on one device.
/// Each fused group becomes one call into NetGen.Cpu with its sizes as literals (written by the
/// operation, through <see cref="CpuCode"/>, exactly as a column of a split network writes it): a
/// convolution or dense layer is a packed matrix product whose store adds the bias and applies the
/// ReLU; what the store cannot fuse follows as its own pass. The backward pass runs each group's
/// gradients in one call, then applies the derivative of the epilogue of the group that produced
/// its input, exactly where the ILGPU kernels apply it.
/// </summary>
internal static class CpuEmitter
{
    public static string Emit(NetworkPlan plan)
    {
        var type = plan.Model.Type;
        var w = new SourceWriter();
        using (TypeScope.Open(w, type, null, "ILGPU", "global::NetGen.Cpu", "global::System.Runtime.Intrinsics"))
        {
            WriteGeometry(w, plan);
            CpuCode.WriteEpilogueTypes(w, plan);
            w.Line();
            using (w.Block("partial class ForwardPass"))
            {
                int logits = LogitsKernels(plan);
                w.Line("/// <summary>The forward pass up to the logits on the CPU backend, one call per fused group.</summary>");
                using (w.Block($"private void RunLogitsOnCpu({(LogitsReadDropout(plan) ? DropoutParameter : "")})"))
                {
                    w.Line("CpuProfiler.Start();");
                    for (int k = 0; k < logits; k++)
                    {
                        var kernel = plan.Kernels[k];
                        w.Line($"// {kernel.Group}");
                        CpuCode.Forward(w, kernel, Place(plan, kernel, inBackward: false));
                        w.Line($"CpuProfiler.Mark(\"forward\", \"{plan.Activations[kernel.Output].Name}\");");
                    }
                }
                if (logits < plan.Kernels.Count)
                {
                    var output = plan.Kernels[logits];
                    w.Line();
                    w.Line($"/// <summary>The final {output.Main.Op.Describe()} on the CPU backend.</summary>");
                    using (w.Block("private void RunOutputOnCpu()"))
                    {
                        CpuCode.Forward(w, output, Place(plan, output, inBackward: false));
                        w.Line($"CpuProfiler.Mark(\"forward\", \"{plan.Activations[output.Output].Name}\");");
                    }
                }
            }
            w.Line();
            using (w.Block("partial class BackwardPass"))
            {
                var logitsActivation = plan.Activations[plan.Backward.Logits];
                var producer = plan.Kernels[plan.Backward.Logits - 1];
                string gradient = BackwardEmitter.Gradient(plan, plan.Backward.Logits);
                w.Line("/// <summary>Softmax and cross-entropy on the CPU backend.</summary>");
                using (w.Block($"private void RunLossOnCpu({(LossReadsDropout(plan) ? DropoutParameter : "")})"))
                {
                    w.Line("CpuProfiler.Start();");
                    w.Line($"CpuLoss.SoftmaxCrossEntropy({logitsActivation.Shape.Size}, forward.{logitsActivation.Field}, Labels, Probabilities, Losses, Ranks, {gradient}, LabelSmoothing, BatchSize);");
                    CpuCode.WriteMask(w, producer, gradient, $"forward.{logitsActivation.Field}", producer.Saved is { } saved ? "forward." + saved.Field : null, logitsActivation.Shape.Size);
                    w.Line("CpuProfiler.Mark(\"backward\", \"loss\");");
                }
                w.Line();
                w.Line("/// <summary>Every group's gradients on the CPU backend, from the logits down.</summary>");
                using (w.Block($"private void RunBackwardOnCpu(ArrayView<float> parameterGradients{(BackwardReadsDropout(plan) ? ", " + DropoutParameter : "")})"))
                {
                    w.Line("CpuProfiler.Start();");
                    for (int k = LogitsKernels(plan) - 1; k >= 0; k--)
                    {
                        var kernel = plan.Kernels[k];
                        if (plan.Backward.SumOf(k) is { } sum)
                            WriteSum(w, plan, kernel, sum);
                        w.Line($"// {kernel.Group}");
                        var inputGradient = plan.Backward.InputGradientOf(k);
                        CpuCode.Backward(w, kernel, inputGradient is { MaskedBy: >= 0 } ? plan.Kernels[inputGradient.MaskedBy] : null, Place(plan, kernel, inBackward: true));
                        w.Line($"CpuProfiler.Mark(\"backward\", \"{plan.Activations[kernel.Output].Name}\");");
                        if (kernel.Tensors.Count > 0)
                            w.Line($"GradientsDoneFrom(TensorIndex.{plan.Parameters[kernel.Tensors.Min()].Identifier});");
                    }
                }
            }
        }
        return w.ToString();
    }

    /// <summary>The gradient of <paramref name="kernel"/>'s output, which several read: their parts added in forward order, then its epilogue's mask.</summary>
    private static void WriteSum(SourceWriter w, NetworkPlan plan, KernelPlan kernel, BackwardKernelPlan sum)
    {
        var output = plan.Activations[kernel.Output];
        var terms = sum.Terms.Select(t => t.Partial >= 0 ? BackwardEmitter.Partial(plan, t.Partial) : BackwardEmitter.Gradient(plan, t.Activation)).ToList();
        CpuCode.WriteSum(w, kernel, output.Name, BackwardEmitter.Gradient(plan, kernel.Output), terms,
            "forward." + output.Field, kernel.Saved is { } saved ? "forward." + saved.Field : null, output.Shape.Size);
    }

    private const string DropoutParameter = "global::NetGen.DropoutKey dropout";

    /// <summary>Whether the CPU forward pass to the logits reads the dropout key: a group before them drops out.</summary>
    internal static bool LogitsReadDropout(NetworkPlan plan) => plan.Kernels.Take(LogitsKernels(plan)).Any(k => k.ReadsKey);

    /// <summary>Whether the CPU loss reads it: the logits' own group drops out, and the loss masks their gradient.</summary>
    internal static bool LossReadsDropout(NetworkPlan plan) => plan.Kernels[plan.Backward.Logits - 1].HasDropout;

    /// <summary>Whether the CPU backward pass reads it: each group's input gradient is masked by the group before it, so any but the logits' group.</summary>
    internal static bool BackwardReadsDropout(NetworkPlan plan) =>
        plan.Kernels.Take(LogitsKernels(plan) - 1).Any(k => k.HasDropout) || plan.Kernels.Take(LogitsKernels(plan)).Any(k => k.Operation.ReadsMode);

    /// <summary>The kernels that end in the logits: all of them, less a final softmax.</summary>
    private static int LogitsKernels(NetworkPlan plan) => plan.Backward.Probabilities >= 0 ? plan.Kernels.Count - 1 : plan.Kernels.Count;

    /// <summary>The group's buffers on one device: the forward pass's activations (<c>forward.</c> from the backward pass), the network's tensors.</summary>
    private static CpuPlace Place(NetworkPlan plan, KernelPlan kernel, bool inBackward)
    {
        string pass = inBackward ? "forward." : "";
        int k = kernel.Output - 1; // kernel k writes activation k + 1
        string inputGradient = plan.Backward.InputGradientOf(k) switch
        {
            null => "default",
            { Partial: >= 0 } partial => BackwardEmitter.Partial(plan, partial.Partial),
            _ => BackwardEmitter.Gradient(plan, kernel.Input),
        };
        return new CpuPlace(
            "CpuGeometry",
            pass + plan.Activations[kernel.Input].Field,
            kernel.Main.Input,
            pass + plan.Activations[kernel.Output].Field,
            kernel.Main.Output,
            kernel.Saved is { } saved ? pass + saved.Field : null,
            kernel.Tensors.Select(t => Kernels.KernelEmitter.Tensor(plan, t)).ToEquatableArray(),
            kernel.Tensors.Select(t => Kernels.KernelEmitter.TensorGradient(plan, t)).ToEquatableArray(),
            inBackward ? BackwardEmitter.Gradient(plan, kernel.Output) : "",
            inputGradient,
            kernel.Input > 0 && plan.Kernels[kernel.Input - 1].Saved is { } before ? pass + before.Field : null,
            kernel.JoinInput >= 0 ? pass + plan.Activations[kernel.JoinInput].Field : null,
            kernel.Statistics is { } statistics ? pass + statistics.Field : null);
    }

    private static void WriteGeometry(SourceWriter w, NetworkPlan plan)
    {
        w.Line("/// <summary>Every group's sizes, as the CPU backend's routines take them.</summary>");
        using (w.Block("private static class CpuGeometry"))
        {
            foreach (var kernel in plan.Kernels)
            {
                Shape input = kernel.Main.Input;
                if (kernel.Operation.CpuGeometry(kernel.Method, input, kernel.Main.Output, kernel.Operation.GroupsInColumn(slicedInput: false, 1),
                    input.Channels / plan.Model.Columns) is { } field)
                    w.Line(field);
            }
        }
    }
}
