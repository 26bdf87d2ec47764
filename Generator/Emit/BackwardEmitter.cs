using System.Collections.Generic;
using System.Linq;
using NetGen.Generator.Emit.Kernels;
using NetGen.Generator.Emit.Kernels.Backward;
using NetGen.Generator.Model;
using NetGen.Generator.Operations;
using NetGen.Generator.Planning;

namespace NetGen.Generator.Emit;

/// <summary>
/// Writes N.Backward.g.cs: the backward kernels loaded on an accelerator, and the backward pass
/// that holds a batch's gradients and launches the loss and backward kernels in order.
/// </summary>
internal static class BackwardEmitter
{
    public static string Emit(NetworkPlan plan)
    {
        var type = plan.Model.Type;
        var backward = plan.Backward;
        var w = new SourceWriter();
        using (TypeScope.Open(w, type, null, "ILGPU", "ILGPU.Runtime"))
        {
            LauncherWriter.Write(w, "BackwardLaunchers", "BackwardKernelLaunchers", "BackwardKernels", "backward",
                backward.Kernels.Select(k => (k.Method, BackwardKernelEmitter.Parameters(plan, k).Select(p => p.Type))));
            w.Line();
            w.Line($"/// <summary>{type.Name}'s backward pass for batches of one size: the gradient of every activation and the kernel launches that fill them.</summary>");
            using (w.Block("public sealed partial class BackwardPass : global::NetGen.BackwardPass"))
            {
                w.Line($"private readonly {type.Name} network;");
                w.Line("private readonly ForwardPass forward;");
                foreach (int a in backward.Gradients)
                    w.Line($"private readonly ArrayView<float> {Gradient(plan, a)}; // {KernelEmitter.Dims(plan.Activations[a].Shape)}, before {plan.Activations[a].Name}'s epilogue");
                for (int p = 0; p < backward.Partials.Count; p++)
                    w.Line($"private readonly ArrayView<float> {Partial(plan, p)}; // {KernelEmitter.Dims(plan.Activations[backward.Partials[p].Activation].Shape)}, {plan.Activations[plan.Kernels[backward.Partials[p].Reader].Output].Name}'s part");
                w.Line();
                w.Line("/// <summary>Allocates every gradient for the batches of <paramref name=\"forward\"/>.</summary>");
                w.Line("public BackwardPass(ForwardPass forward)");
                string probabilities = backward.Probabilities >= 0 ? $"\"{plan.Activations[backward.Probabilities].Name}\"" : "null";
                using (w.Indent())
                    w.Line($": base(forward, \"{plan.Activations[backward.Logits].Name}\", {probabilities})");
                using (w.Block(""))
                {
                    w.Line($"network = ({type.Name})forward.Network;");
                    w.Line("this.forward = forward;");
                    foreach (int a in backward.Gradients)
                        w.Line($"{Gradient(plan, a)} = AllocateGradient(\"{plan.Activations[a].Name}\", Shapes.{plan.Activations[a].Identifier});");
                    for (int p = 0; p < backward.Partials.Count; p++)
                        w.Line($"{Partial(plan, p)} = AllocatePartialGradient(Shapes.{plan.Activations[backward.Partials[p].Activation].Identifier});");
                }
                w.Line();
                w.Line("/// <inheritdoc />");
                using (w.Block("public override void EnqueueLoss(global::NetGen.DropoutKey dropout)"))
                {
                    using (w.Block("if (network.Backend == global::NetGen.Backend.Cpu)"))
                    {
                        w.Line(CpuEmitter.LossReadsDropout(plan) ? "RunLossOnCpu(dropout);" : "RunLossOnCpu();");
                        w.Line("return;");
                    }
                    WriteLaunch(w, plan, backward.Kernels[0], "network.BackwardKernelLaunchers");
                }
                w.Line();
                w.Line("/// <inheritdoc />");
                using (w.Block("public override void EnqueueBackward(ArrayView<float> parameterGradients, global::NetGen.DropoutKey dropout)"))
                {
                    using (w.Block("if (network.Backend == global::NetGen.Backend.Cpu)"))
                    {
                        w.Line(CpuEmitter.BackwardReadsDropout(plan) ? "RunBackwardOnCpu(parameterGradients, dropout);" : "RunBackwardOnCpu(parameterGradients);");
                        w.Line("return;");
                    }
                    w.Line("var kernels = network.BackwardKernelLaunchers;");
                    foreach (var kernel in backward.Kernels.Skip(1))
                        WriteLaunch(w, plan, kernel, "kernels");
                }
            }
        }
        return w.ToString();
    }

    internal static string Gradient(NetworkPlan plan, int activation) => plan.Activations[activation].Field.TrimStart('@') + "Gradient";

    /// <summary>The buffer of partial gradient <paramref name="index"/>: one reader's part of an activation's gradient.</summary>
    internal static string Partial(NetworkPlan plan, int index)
    {
        var partial = plan.Backward.Partials[index];
        return Gradient(plan, partial.Activation) + "From" + plan.Kernels[partial.Reader].Method;
    }

    private static void WriteLaunch(SourceWriter w, NetworkPlan plan, BackwardKernelPlan kernel, string launchers)
    {
        string threads = kernel.PerImage ? IndexMath.Times("BatchSize", kernel.Threads) : Format.Int(kernel.Threads);
        var parameters = BackwardKernelEmitter.Parameters(plan, kernel);
        string launch = $"{launchers}.{kernel.Method}({threads}, {string.Join(", ", parameters.Select(p => p.Argument))});";
        LauncherWriter.WriteLaunch(w, launch, LibraryCall(plan, kernel, parameters));
    }

    /// <summary>
    /// The kernel library's call for a tensor gradient or an input gradient whose operation has
    /// one, or null. An input gradient goes to the library only when the mask it applies is
    /// nothing or a ReLU (read from the input itself, which that ReLU wrote).
    /// </summary>
    private static string? LibraryCall(NetworkPlan plan, BackwardKernelPlan kernel, IReadOnlyList<KernelParameter> parameters)
    {
        var forward = plan.Kernels[kernel.Kernel];
        var step = new LibraryStep($"CpuGeometry.{forward.Method}", forward.Main.Input, forward.Main.Output, "forward." + plan.Activations[forward.Input].Field,
            forward.Tensors.Select(t => KernelEmitter.Tensor(plan, t)).ToEquatableArray(), Delta: Gradient(plan, forward.Output));
        switch (kernel.Kind)
        {
            case GradientKind.Tensor:
                return forward.Operation.LibraryTensorGradient(kernel.Tensor, step with { TensorGradient = KernelEmitter.TensorGradient(plan, forward.Tensors[kernel.Tensor]) });
            case GradientKind.Input:
                step = step with { InputGradient = parameters.Single(p => p.Name == "inputGradient").Argument };
                if (kernel.MaskedBy < 0 || Mask.IsEmpty(plan.Kernels[kernel.MaskedBy]))
                    return forward.Operation.LibraryInputGradient(step);
                return Mask.IsLoneRelu(plan.Kernels[kernel.MaskedBy]) ? forward.Operation.LibraryInputGradient(step with { Gate = step.InputField }) : null;
            default:
                return null;
        }
    }
}
