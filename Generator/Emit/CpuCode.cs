using System.Linq;
using NetGen.Generator.Emit.Kernels.Backward;
using NetGen.Generator.Model;
using NetGen.Generator.Operations;
using NetGen.Generator.Planning;

namespace NetGen.Generator.Emit;

/// <summary>
/// Where one fused group runs on the CPU backend: one device, which holds every value, or one
/// column of a split network, which holds its share. The buffers are named as the pass that
/// holds them names them.
/// </summary>
/// <param name="Geometry">The class of geometry fields: CpuGeometry or ColumnGeometry.</param>
/// <param name="Input">What the group reads: the device's activation, or a column's slice or gathered copy.</param>
/// <param name="InputShape">Its size per image here.</param>
/// <param name="Output">What the group writes.</param>
/// <param name="OutputShape">Its size per image here: the column's share of the group's output.</param>
/// <param name="Before">Where the group keeps its value from before the epilogue, or null.</param>
/// <param name="Tensors">Each of its tensors' views here.</param>
/// <param name="TensorGradients">Each of its tensors' gradient views here.</param>
/// <param name="Delta">The gradient of its output (before the epilogue).</param>
/// <param name="InputGradient">The gradient of its input, or <c>default</c> for the image.</param>
/// <param name="InputBefore">Where the group that wrote the input keeps its value from before its epilogue, or null.</param>
/// <param name="Operand">What the group's join reads (an earlier layer's output), or null.</param>
/// <param name="Statistics">The group's batch statistics, or null.</param>
internal sealed record CpuPlace(
    string Geometry,
    string Input,
    Shape InputShape,
    string Output,
    Shape OutputShape,
    string? Before,
    EquatableArray<string> Tensors,
    EquatableArray<string> TensorGradients,
    string Delta,
    string InputGradient,
    string? InputBefore,
    string? Operand = null,
    string? Statistics = null);

/// <summary>
/// The per-operation CPU backend code, written once for one device and for a column of a split
/// network (one device is the one-column case): each group's call, its epilogue, and the
/// derivative of an epilogue applied to a gradient.
/// </summary>
internal static class CpuCode
{
    public static void Forward(SourceWriter w, KernelPlan kernel, CpuPlace at)
    {
        var main = kernel.Operation;
        // The main operation's store adds a summing join's operand when it can, and applies a leading
        // ReLU when nothing needs the value before it and no join it cannot fuse comes first.
        bool fuseJoin = kernel.Join is { Join.IsSum: true } && main.FusesSumOnCpu;
        bool fuseRelu = main.FusesReluOnCpu && kernel.Saved is null && (kernel.Join is null || fuseJoin)
            && kernel.Epilogue.Count > 0 && kernel.Epilogue[0].Elementwise.IsRectifier;
        main.WriteCpuForward(Step(w, kernel, at, fuseRelu, foldReluMask: false) with { Addend = fuseJoin ? at.Operand : null });
        long whole = kernel.Main.Output.Size;
        if (!fuseJoin)
            kernel.Join?.Join.WriteCpu(w, at.Output, at.Operand!, $"BatchSize * {at.OutputShape.Size}L");
        if (kernel.Saved is not null)
        {
            w.Line($"CpuEpilogue.Forward({at.Output}, {at.Before}, {CpuGate.Placement(at.OutputShape.Size, whole)}, new {EpilogueType(kernel)}({Key(kernel)}));");
            return;
        }
        foreach (var op in Mask.Gates(kernel))
            op.Elementwise.WriteCpuGate(new CpuGate(w, at.Output, at.Output, at.OutputShape.Size, whole), op, fused: fuseRelu && op == kernel.Epilogue[0]);
    }

    /// <param name="producer">The group that wrote this group's input, whose epilogue masks the input gradient; null for the image.</param>
    public static void Backward(SourceWriter w, KernelPlan kernel, KernelPlan? producer, CpuPlace at)
    {
        // A ReLU just before an operation that reads its input anyway can be folded into its call.
        bool foldRelu = producer is not null && kernel.Operation.FoldsReluMaskOnCpu && Mask.IsLoneRelu(producer);
        kernel.Operation.WriteCpuBackward(Step(w, kernel, at, fuseRelu: false, foldRelu));
        if (producer is not null && !foldRelu)
            WriteMask(w, producer, at.InputGradient, at.Input, at.InputBefore, at.InputShape.Size);
    }

    /// <summary>
    /// The gradient of <paramref name="producer"/>'s output (<paramref name="own"/> values per image
    /// here), which several read: their parts, <paramref name="terms"/>, added in forward order,
    /// then the derivative of its epilogue.
    /// </summary>
    public static void WriteSum(SourceWriter w, KernelPlan producer, string name, string gradient, System.Collections.Generic.IReadOnlyList<string> terms,
        string output, string? before, long own)
    {
        w.Line(terms.Count == 1 ? $"// the gradient of {name}, from the join that reads it" : $"// the gradient of {name}, summed over the {terms.Count} that read it");
        // A lone ReLU's derivative is applied in the same pass as the sum.
        if (Mask.IsLoneRelu(producer))
        {
            w.Line($"CpuGradients.SumWhereRectified({gradient}, {output}, BatchSize * {own}L, {string.Join(", ", terms)});");
            return;
        }
        w.Line($"CpuGradients.Sum({gradient}, BatchSize * {own}L, {string.Join(", ", terms)});");
        WriteMask(w, producer, gradient, output, before, own);
    }

    /// <summary>
    /// The derivative of <paramref name="producer"/>'s epilogue applied to <paramref name="gradient"/>,
    /// the gradient of <paramref name="output"/>, <paramref name="own"/> values per image here.
    /// </summary>
    public static void WriteMask(SourceWriter w, KernelPlan producer, string gradient, string output, string? before, long own)
    {
        long whole = producer.Main.Output.Size;
        if (producer.Saved is not null)
        {
            w.Line($"CpuEpilogue.Backward({gradient}, {before}, {CpuGate.Placement(own, whole)}, new {EpilogueType(producer)}({Key(producer)}));");
            return;
        }
        foreach (var op in Mask.Gates(producer))
            op.Elementwise.WriteCpuGateMask(new CpuGate(w, gradient, output, own, whole), op);
    }

    /// <summary>
    /// The struct the CPU backend runs a kept group's epilogue through: forward from the value
    /// before it, and backward multiplying each operation's derivative into the gradient, written
    /// by the operations themselves, value by value and sixteen at a time.
    /// </summary>
    public static void WriteEpilogueTypes(SourceWriter w, NetworkPlan plan)
    {
        foreach (var kernel in plan.Kernels.Where(k => k.Saved is not null))
        {
            w.Line();
            w.Line($"/// <summary>{plan.Activations[kernel.Output].Name}'s epilogue ({string.Join(" + ", kernel.Epilogue.Select(e => e.Op.Describe()))}) on the CPU backend.</summary>");
            using (w.Block($"private readonly struct {EpilogueType(kernel)} : IEpilogue"))
            {
                if (kernel.HasDropout)
                {
                    w.Line("private readonly global::NetGen.DropoutKey dropout;");
                    w.Line();
                    w.Line("/// <summary>Takes the step's dropout key.</summary>");
                    w.Line($"public {EpilogueType(kernel)}(global::NetGen.DropoutKey dropout) => this.dropout = dropout;");
                    w.Line();
                }
                bool first = true;
                foreach (var math in new[] { Formula.Host, Formula.Vector })
                {
                    if (!first)
                        w.Line();
                    first = false;
                    var code = new ElementwiseCode("value", "gradient", math, "index");
                    w.Line("/// <inheritdoc />");
                    using (w.Block($"public {math.Type} Forward({math.Type} value, long index)"))
                    {
                        foreach (var op in kernel.Epilogue)
                            op.Elementwise.WriteForward(w, op, code);
                        w.Line("return value;");
                    }
                    w.Line();
                    w.Line("/// <inheritdoc />");
                    using (w.Block($"public {math.Type} Backward({math.Type} value, long index, {math.Type} gradient)"))
                    {
                        code.WriteChain(w, kernel.Epilogue);
                        w.Line("return gradient;");
                    }
                }
            }
        }
    }

    private static string EpilogueType(KernelPlan kernel) => kernel.Method + "Epilogue";

    private static string Key(KernelPlan kernel) => kernel.HasDropout ? "dropout" : "";

    private static CpuStep Step(SourceWriter w, KernelPlan kernel, CpuPlace at, bool fuseRelu, bool foldReluMask) =>
        new(w, at.Geometry, kernel.Method, at.InputShape, at.OutputShape, at.Input, at.Output, at.Tensors, at.TensorGradients,
            at.Delta, at.InputGradient, fuseRelu, foldReluMask, at.Statistics, kernel.Operation.ReadsMode ? "dropout.Training != 0" : "false");
}
