using System.Collections.Generic;
using System.Linq;
using NetGen.Generator.Emit.Kernels.Backward;
using NetGen.Generator.Model;
using NetGen.Generator.Planning;

namespace NetGen.Generator.Emit;

/// <summary>
/// Writes N.Cpu.g.cs: the same plan as the ILGPU kernels, run by the CPU backend. Each fused group
/// becomes one call into NetGen.Cpu with its sizes as literals: a convolution or dense layer is a
/// packed matrix product whose store adds the bias and applies the ReLU; what the store cannot fuse
/// (dropout, a second elementwise operation) follows as its own pass. The backward pass runs each
/// group's gradients in one call, then masks the input gradient by the epilogue of the group that
/// produced that input, exactly where the ILGPU kernels mask it.
/// </summary>
internal static class CpuEmitter
{
    public static string Emit(NetworkPlan plan)
    {
        var type = plan.Model.Type;
        var w = new SourceWriter();
        using (TypeScope.Open(w, type, null, "ILGPU", "global::NetGen.Cpu"))
        {
            WriteGeometry(w, plan);
            w.Line();
            using (w.Block("partial class ForwardPass"))
            {
                int logits = LogitsKernels(plan);
                w.Line("/// <summary>The forward pass up to the logits on the CPU backend, one call per fused group.</summary>");
                using (w.Block("private void RunLogitsOnCpu(global::NetGen.DropoutKey dropout)"))
                {
                    w.Line("CpuProfiler.Start();");
                    for (int k = 0; k < logits; k++)
                        WriteForward(w, plan, plan.Kernels[k]);
                }
                if (logits < plan.Kernels.Count)
                {
                    var softmax = plan.Kernels[logits];
                    w.Line();
                    w.Line("/// <summary>The final softmax on the CPU backend.</summary>");
                    using (w.Block("private void RunOutputOnCpu()"))
                    {
                        w.Line($"CpuLoss.Softmax({softmax.Main.Output.Size}, {Field(plan, softmax.Input)}, {Field(plan, softmax.Output)}, BatchSize);");
                        w.Line($"CpuProfiler.Mark(\"forward\", \"{plan.Activations[softmax.Output].Name}\");");
                    }
                }
            }
            w.Line();
            using (w.Block("partial class BackwardPass"))
            {
                var logitsActivation = plan.Activations[plan.Backward.Logits];
                w.Line("/// <summary>Softmax and cross-entropy on the CPU backend.</summary>");
                using (w.Block("private void RunLossOnCpu()"))
                {
                    w.Line("CpuProfiler.Start();");
                    w.Line($"CpuLoss.SoftmaxCrossEntropy({logitsActivation.Shape.Size}, forward.{logitsActivation.Field}, Labels, Probabilities, Losses, Ranks, {BackwardEmitter.Gradient(plan, plan.Backward.Logits)}, LabelSmoothing, BatchSize);");
                    w.Line("CpuProfiler.Mark(\"backward\", \"loss\");");
                }
                w.Line();
                w.Line("/// <summary>Every group's gradients on the CPU backend, from the logits down.</summary>");
                using (w.Block("private void RunBackwardOnCpu(ArrayView<float> parameterGradients, global::NetGen.DropoutKey dropout)"))
                {
                    w.Line("CpuProfiler.Start();");
                    for (int k = LogitsKernels(plan) - 1; k >= 0; k--)
                        WriteBackward(w, plan, k);
                }
            }
        }
        return w.ToString();
    }

    /// <summary>The kernels that end in the logits: all of them, less a final softmax.</summary>
    private static int LogitsKernels(NetworkPlan plan) => plan.Backward.Probabilities >= 0 ? plan.Kernels.Count - 1 : plan.Kernels.Count;

    private static string Field(NetworkPlan plan, int activation) => plan.Activations[activation].Field;

    private static string Count(Shape shape) => $"BatchSize * {Format.Int(shape.Size)}L";

    private static void WriteGeometry(SourceWriter w, NetworkPlan plan)
    {
        w.Line("/// <summary>Every group's sizes, as the CPU backend's routines take them.</summary>");
        using (w.Block("private static class CpuGeometry"))
        {
            foreach (var kernel in plan.Kernels)
            {
                Shape input = kernel.Main.Input;
                if (Geometry(kernel, input, kernel.Main.Output, (kernel.Main.Op as ConvSpec)?.Groups ?? 1, input.Channels / plan.Model.Columns) is { } field)
                    w.Line(field);
            }
        }
    }

    /// <summary>
    /// The geometry field of a group the CPU backend's routines take by record (convolution,
    /// pooling, LRN), from the shapes it reads and writes per image, or null for the others.
    /// </summary>
    internal static string? Geometry(KernelPlan kernel, Shape input, Shape output, int groups, int columnChannels)
    {
        string? arguments = kernel.Main.Op switch
        {
            ConvSpec c => $"ConvGeometry {kernel.Method} = new(Channels: {input.Channels}, Height: {input.Height}, Width: {input.Width}, Filters: {output.Channels}, Kernel: {c.Kernel}, Stride: {c.Stride}, Pad: {c.Pad}, Groups: {groups}, OutHeight: {output.Height}, OutWidth: {output.Width})",
            PoolSpec p => $"PoolGeometry {kernel.Method} = new(IsMax: {(p.IsMax ? "true" : "false")}, Height: {input.Height}, Width: {input.Width}, Window: {p.Window}, Stride: {p.Stride}, Pad: {p.Pad}, OutHeight: {output.Height}, OutWidth: {output.Width})",
            LrnSpec l => $"LrnGeometry {kernel.Method} = new(Channels: {input.Channels}, Pixels: {input.Height * input.Width}, Size: {l.Size}, Alpha: {Format.FloatLiteral(l.EffectiveAlpha)}, Beta: {Format.FloatLiteral(l.Beta)}, K: {Format.FloatLiteral(l.K)}, ColumnChannels: {columnChannels})",
            DenseSpec or SoftmaxSpec => null, // sizes as literals in the call; the loss's softmax
            _ => throw UnknownOperation.In(nameof(CpuEmitter), kernel.Main.Op),
        };
        return arguments is null ? null : $"public static readonly {arguments};";
    }

    private static void WriteForward(SourceWriter w, NetworkPlan plan, KernelPlan kernel)
    {
        string input = Field(plan, kernel.Input), output = Field(plan, kernel.Output);
        string layer = $"network.{kernel.Layer.Member}";
        bool fuseRelu = kernel.Main.Op is ConvSpec or DenseSpec && kernel.Epilogue.Count > 0 && kernel.Epilogue[0].Op is ReluSpec;
        string relu = fuseRelu ? "true" : "false";
        w.Line($"// {kernel.Group}");
        switch (kernel.Main.Op)
        {
            case ConvSpec:
                w.Line($"CpuConv.Forward(CpuGeometry.{kernel.Method}, {input}, {layer}.Weight.View, {layer}.Bias.View, {output}, BatchSize, relu: {relu});");
                break;
            case DenseSpec:
                w.Line($"CpuDense.Forward({kernel.Main.Input.Size}, {kernel.Main.Output.Size}, {input}, {layer}.Weight.View, {layer}.Bias.View, {output}, BatchSize, relu: {relu});");
                break;
            case LrnSpec:
                w.Line($"CpuLrn.Forward(CpuGeometry.{kernel.Method}, {input}, {output}, BatchSize);");
                break;
            case PoolSpec:
                w.Line($"CpuPool.Forward(CpuGeometry.{kernel.Method}, {input}, {output}, BatchSize * {kernel.Main.Input.Channels});");
                break;
            default:
                throw UnknownOperation.In(nameof(CpuEmitter), kernel.Main.Op);
        }
        foreach (var op in Mask.Operations(kernel))
        {
            if (op.Op is DropoutSpec d)
                w.Line($"CpuEpilogue.Dropout({output}, {Count(kernel.Main.Output)}, dropout, {op.Id}, {Format.FloatLiteral(d.Rate)});");
            else if (!fuseRelu)
                w.Line($"CpuEpilogue.Relu({output}, {Count(kernel.Main.Output)});");
        }
        w.Line($"CpuProfiler.Mark(\"forward\", \"{plan.Activations[kernel.Output].Name}\");");
    }

    private static void WriteBackward(SourceWriter w, NetworkPlan plan, int k)
    {
        var kernel = plan.Kernels[k];
        string input = $"forward.{Field(plan, kernel.Input)}";
        string delta = BackwardEmitter.Gradient(plan, kernel.Output);
        bool hasInputGradient = plan.Backward.Gradients.Contains(kernel.Input);
        string inputGradient = hasInputGradient ? BackwardEmitter.Gradient(plan, kernel.Input) : "default";
        string layer = $"network.{kernel.Layer.Member}";
        // A ReLU just before a normalisation masks the gradient by the normalisation's own input,
        // which its backward pass reads anyway: folded in, it saves a pass over the activation.
        var masks = hasInputGradient && k > 0 ? Mask.Operations(plan.Kernels[k - 1]).ToList() : [];
        bool foldRelu = kernel.Main.Op is LrnSpec && masks.Count == 1 && masks[0].Op is ReluSpec;
        w.Line($"// {kernel.Group}");
        switch (kernel.Main.Op)
        {
            case ConvSpec:
            case DenseSpec:
                var weight = plan.Parameters[kernel.Weight];
                var bias = plan.Parameters[kernel.Weight + 1];
                string sizes = kernel.Main.Op is ConvSpec ? $"CpuGeometry.{kernel.Method}" : $"{kernel.Main.Input.Size}, {kernel.Main.Output.Size}";
                string routine = kernel.Main.Op is ConvSpec ? "CpuConv" : "CpuDense";
                w.Line($"{routine}.Backward({sizes}, {input}, {layer}.Weight.View, {delta}, {BackwardEmitter.ParameterSlice(weight)}, {BackwardEmitter.ParameterSlice(bias)}, {inputGradient}, BatchSize);");
                break;
            case LrnSpec:
                w.Line($"CpuLrn.Backward(CpuGeometry.{kernel.Method}, {input}, {delta}, {inputGradient}, BatchSize{(foldRelu ? ", maskRelu: true" : "")});");
                break;
            case PoolSpec:
                w.Line($"CpuPool.Backward(CpuGeometry.{kernel.Method}, {input}, {delta}, {inputGradient}, BatchSize * {kernel.Main.Input.Channels});");
                break;
            default:
                throw UnknownOperation.In(nameof(CpuEmitter), kernel.Main.Op);
        }
        if (hasInputGradient && k > 0 && !foldRelu)
            WriteMask(w, plan, plan.Kernels[k - 1], inputGradient, input);
        w.Line($"CpuProfiler.Mark(\"backward\", \"{plan.Activations[kernel.Output].Name}\");");
    }

    /// <summary>The derivative of the producer's epilogue, applied to the gradient of its output.</summary>
    private static void WriteMask(SourceWriter w, NetworkPlan plan, KernelPlan producer, string gradient, string activation)
    {
        string count = Count(producer.Main.Output);
        foreach (var op in Mask.Operations(producer))
        {
            if (op.Op is DropoutSpec d)
                w.Line($"CpuEpilogue.MaskDropout({gradient}, {count}, dropout, {op.Id}, {Format.FloatLiteral(d.Rate)});");
            else
                w.Line($"CpuEpilogue.MaskRelu({gradient}, {activation}, {count});");
        }
    }
}
