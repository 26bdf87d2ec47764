using System.Linq;
using NetGen.Generator.Emit.Kernels;
using NetGen.Generator.Emit.Kernels.Backward;
using NetGen.Generator.Model;
using NetGen.Generator.Planning;

namespace NetGen.Generator.Emit;

/// <summary>
/// Writes N.Partition.g.cs for a network with several columns: the partition plan as data
/// (<c>Partition</c>: each layer's share per device, every transfer), and <c>ColumnPass</c>, one
/// device's share of the network on the CPU backend: one call per fused group with the column's
/// sizes as literals, <c>Gather</c> where a layer reads what other devices hold, and <c>Reduce</c>
/// where its input gradient goes back to them. Dropout draws each unit's mask from its index in the
/// whole network, so the split network drops exactly what the whole one does.
/// </summary>
internal static class PartitionEmitter
{
    public static string Emit(NetworkPlan plan)
    {
        var partition = plan.Partition!;
        var w = new SourceWriter();
        using (TypeScope.Open(w, plan.Model.Type, null, "ILGPU", "global::NetGen.Cpu"))
        {
            WritePlan(w, plan, partition);
            w.Line();
            w.Line("/// <inheritdoc />");
            w.Line("public override global::NetGen.PartitionInfo? Partitioning => Partition;");
            w.Line();
            w.Line("/// <summary>Allocates device <paramref name=\"column\"/>'s share of the network on <paramref name=\"device\"/> for batches of <paramref name=\"batchSize\"/>.</summary>");
            w.Line("public override global::NetGen.ColumnPass CreateColumnPass(global::NetGen.Device device, int column, int batchSize, global::NetGen.ColumnExchange exchange) =>");
            using (w.Indent())
                w.Line("new ColumnPass(device, column, batchSize, exchange);");
            w.Line();
            WriteGeometry(w, plan, partition);
            w.Line();
            WriteColumnPass(w, plan, partition);
        }
        return w.ToString();
    }

    private static void WritePlan(SourceWriter w, NetworkPlan plan, PartitionPlan partition)
    {
        var replicated = partition.Layers.FirstOrDefault(l => l.Replicated);
        var gathering = partition.Layers.Where(l => l.ReadsOtherDevice).Select(l => l.Layer).ToList();
        if (replicated is null)
            gathering.Add("the loss");
        w.Line($"/// <summary>");
        w.Line($"/// The split of {plan.Model.Type.Name} over {partition.Devices} devices, one per column: every layer's outputs in");
        string exception = replicated is null ? "" : $", but {replicated.Layer}'s {replicated.OutputsPerDevice} outputs, which every device computes whole";
        string readers = gathering.Count == 1 ? gathering[0] : $"{string.Join(", ", gathering.Take(gathering.Count - 1))} and {gathering[gathering.Count - 1]}";
        w.Line($"/// {partition.Devices} equal runs{exception}; {readers} gather their input from every device.");
        w.Line($"/// </summary>");
        w.Line("public static global::NetGen.PartitionInfo Partition { get; } = new(");
        using (w.Indent())
        {
            w.Line($"Devices: {partition.Devices},");
            WriteList(w, "Layers", partition.Layers.Select(l =>
                $"new(\"{l.Layer}\", ReadsOtherDevice: {Bool(l.ReadsOtherDevice)}, OutputsPerDevice: {l.OutputsPerDevice}, " +
                $"ParametersPerDevice: {Format.Int(l.ParametersPerDevice)}, MultiplyAddsPerDevice: {Format.Int(l.MultiplyAddsPerDevice)}{(l.Replicated ? ", Replicated: true" : "")})"));
            WriteList(w, "Parameters", partition.Parameters.Select(p =>
                $"new(\"{p.Name}\", ColumnOffset: {Format.Int(p.Offset)}, ColumnCount: {Format.Int(p.Count)}, Whole: {Bool(p.Whole)})"));
            WriteList(w, "Transfers", partition.Transfers.Select(t =>
                $"new(\"{t.Layer}\", \"{t.Tensor}\", \"{t.Pass}\", From: {t.From}, To: {t.To}, FloatsPerImage: {Format.Int(t.FloatsPerImage)})"));
            w.Line($"ActivationFloatsPerImage: {Format.Int(partition.ActivationFloatsPerImage)});");
        }
    }

    /// <summary>A named collection argument: <c>Name: [ item, ... ],</c>, an item a line.</summary>
    private static void WriteList(SourceWriter w, string name, System.Collections.Generic.IEnumerable<string> items)
    {
        w.Line($"{name}:");
        w.Line("[");
        using (w.Indent())
            foreach (string item in items)
                w.Line(item + ",");
        w.Line("],");
    }

    private static void WriteGeometry(SourceWriter w, NetworkPlan plan, PartitionPlan partition)
    {
        w.Line("/// <summary>Every group's sizes within one column.</summary>");
        using (w.Block("private static class ColumnGeometry"))
        {
            foreach (var ck in partition.Kernels)
                if (CpuEmitter.Geometry(plan.Kernels[ck.Kernel], ck.InputShape, ck.OutputShape, ck.Groups, ck.InputShape.Channels) is { } field)
                    w.Line(field);
        }
    }

    private static void WriteColumnPass(SourceWriter w, NetworkPlan plan, PartitionPlan partition)
    {
        var activations = partition.Activations;
        w.Line($"/// <summary>One device's share of {plan.Model.Type.Name} (see <see cref=\"Partition\"/>), run on the CPU backend.</summary>");
        using (w.Block("public sealed class ColumnPass : global::NetGen.ColumnPass"))
        {
            for (int a = 0; a < activations.Count; a++)
                w.Line($"private readonly ArrayView<float> {activations[a].Field}; // {KernelEmitter.Dims(activations[a].Shape)}: {Describe(plan, activations[a])}");
            for (int a = 1; a < activations.Count; a++)
                w.Line($"private readonly ArrayView<float> {Gradient(activations[a])};");
            w.Line();
            w.Line("/// <summary>Allocates the column's parameters and buffers.</summary>");
            w.Line("public ColumnPass(global::NetGen.Device device, int column, int batchSize, global::NetGen.ColumnExchange exchange)");
            using (w.Indent())
                w.Line($": base(device, Description, Partition, column, batchSize, exchange)");
            using (w.Block(""))
            {
                foreach (var a in activations)
                    w.Line($"{a.Field} = Allocate(\"{a.Name}\", {ShapeLiteral(a.Shape)});");
                foreach (var a in activations.Skip(1))
                    w.Line($"{Gradient(a)} = AllocateGradient(\"{a.Name}\", {ShapeLiteral(a.Shape)});");
            }
            w.Line();
            w.Line("/// <inheritdoc />");
            w.Line($"public override string LogitsName => \"{activations[partition.Logits].Name}\";");
            w.Line();
            w.Line("/// <inheritdoc />");
            using (w.Block("protected override void RunForward(global::NetGen.DropoutKey dropout)"))
            {
                foreach (var ck in partition.Kernels)
                    WriteForward(w, plan, partition, ck);
                var logits = activations[partition.Logits];
                if (logits.Slice >= 0)
                {
                    w.Line("// the logits, whole on every device for the loss");
                    w.Line($"Gather({activations[logits.Slice].Field}, {logits.Field}, {activations[logits.Slice].Shape.Size});");
                }
            }
            w.Line();
            w.Line("/// <inheritdoc />");
            using (w.Block("protected override void RunLoss()"))
            {
                var logits = activations[partition.Logits];
                w.Line($"CpuLoss.SoftmaxCrossEntropy({logits.Shape.Size}, {logits.Field}, Labels, Probabilities, Losses, Ranks, {Gradient(logits)}, LabelSmoothing, BatchSize);");
                if (logits.Slice >= 0)
                    w.Line($"TakeSlice({Gradient(logits)}, {Gradient(activations[logits.Slice])}, {activations[logits.Slice].Shape.Size});");
            }
            w.Line();
            w.Line("/// <inheritdoc />");
            using (w.Block("protected override void RunBackward(ArrayView<float> parameterGradients, global::NetGen.DropoutKey dropout)"))
            {
                for (int i = partition.Kernels.Count - 1; i >= 0; i--)
                    WriteBackward(w, plan, partition, partition.Kernels[i]);
            }
        }
    }

    private static void WriteForward(SourceWriter w, NetworkPlan plan, PartitionPlan partition, ColumnKernelPlan ck)
    {
        var kernel = plan.Kernels[ck.Kernel];
        var source = partition.Activations[ck.Input];
        string input = source.Field, output = partition.Activations[ck.Output].Field;
        w.Line($"// {kernel.Group}");
        if (source.Slice >= 0)
            w.Line($"Gather({partition.Activations[source.Slice].Field}, {input}, {partition.Activations[source.Slice].Shape.Size});");
        bool fuseRelu = kernel.Main.Op is ConvSpec or DenseSpec && kernel.Epilogue.Count > 0 && kernel.Epilogue[0].Op is ReluSpec;
        string relu = fuseRelu ? "true" : "false";
        switch (kernel.Main.Op)
        {
            case ConvSpec:
                w.Line($"CpuConv.Forward(ColumnGeometry.{kernel.Method}, {input}, {Slice(partition, kernel.Weight, "Parameters")}, {Slice(partition, kernel.Weight + 1, "Parameters")}, {output}, BatchSize, relu: {relu});");
                break;
            case DenseSpec:
                w.Line($"CpuDense.Forward({ck.InputShape.Size}, {ck.OutputShape.Size}, {input}, {Slice(partition, kernel.Weight, "Parameters")}, {Slice(partition, kernel.Weight + 1, "Parameters")}, {output}, BatchSize, relu: {relu});");
                break;
            case LrnSpec:
                w.Line($"CpuLrn.Forward(ColumnGeometry.{kernel.Method}, {input}, {output}, BatchSize);");
                break;
            case PoolSpec:
                w.Line($"CpuPool.Forward(ColumnGeometry.{kernel.Method}, {input}, {output}, BatchSize * {ck.InputShape.Channels});");
                break;
            default:
                throw UnknownOperation.In(nameof(PartitionEmitter), kernel.Main.Op);
        }
        long own = ck.OutputShape.Size, whole = kernel.Main.Output.Size;
        foreach (var op in Mask.Operations(kernel))
        {
            if (op.Op is DropoutSpec d)
                w.Line($"CpuEpilogue.Dropout({output}, BatchSize, {own}, {whole}, {FirstUnit(own, whole)}, dropout, {op.Id}, {Format.FloatLiteral(d.Rate)});");
            else if (!fuseRelu)
                w.Line($"CpuEpilogue.Relu({output}, BatchSize * {own}L);");
        }
    }

    private static void WriteBackward(SourceWriter w, NetworkPlan plan, PartitionPlan partition, ColumnKernelPlan ck)
    {
        var kernel = plan.Kernels[ck.Kernel];
        var source = partition.Activations[ck.Input];
        string input = source.Field, delta = Gradient(partition.Activations[ck.Output]);
        string inputGradient = ck.Input == 0 ? "default" : Gradient(source);
        w.Line($"// {kernel.Group}");
        switch (kernel.Main.Op)
        {
            case ConvSpec:
            case DenseSpec:
                string sizes = kernel.Main.Op is ConvSpec ? $"ColumnGeometry.{kernel.Method}" : $"{ck.InputShape.Size}, {ck.OutputShape.Size}";
                string routine = kernel.Main.Op is ConvSpec ? "CpuConv" : "CpuDense";
                w.Line($"{routine}.Backward({sizes}, {input}, {Slice(partition, kernel.Weight, "Parameters")}, {delta}, " +
                    $"{Slice(partition, kernel.Weight, "parameterGradients")}, {Slice(partition, kernel.Weight + 1, "parameterGradients")}, {inputGradient}, BatchSize);");
                break;
            case LrnSpec:
                w.Line($"CpuLrn.Backward(ColumnGeometry.{kernel.Method}, {input}, {delta}, {inputGradient}, BatchSize);");
                break;
            case PoolSpec:
                w.Line($"CpuPool.Backward(ColumnGeometry.{kernel.Method}, {input}, {delta}, {inputGradient}, BatchSize * {ck.InputShape.Channels});");
                break;
            default:
                throw UnknownOperation.In(nameof(PartitionEmitter), kernel.Main.Op);
        }
        if (ck.Input == 0)
            return;
        var slice = source;
        if (source.Slice >= 0)
        {
            // Each device computed part of the gathered input's gradient, or, replicated, all of it.
            slice = partition.Activations[source.Slice];
            w.Line($"{(ck.Replicated ? "TakeSlice" : "Reduce")}({inputGradient}, {Gradient(slice)}, {slice.Shape.Size});");
        }
        var producer = plan.Kernels[ck.Kernel - 1];
        long own = slice.Shape.Size, whole = producer.Main.Output.Size;
        foreach (var op in Mask.Operations(producer))
        {
            if (op.Op is DropoutSpec d)
                w.Line($"CpuEpilogue.MaskDropout({Gradient(slice)}, BatchSize, {own}, {whole}, {FirstUnit(own, whole)}, dropout, {op.Id}, {Format.FloatLiteral(d.Rate)});");
            else
                w.Line($"CpuEpilogue.MaskRelu({Gradient(slice)}, {slice.Field}, BatchSize * {own}L);");
        }
    }

    /// <summary>The index in the whole network of the first value a column holds: its share's, or 0 when it holds them all.</summary>
    private static string FirstUnit(long own, long whole) => own == whole ? "0L" : $"Column * {own}L";

    /// <summary>A parameter tensor's rows on this column: tensors keep their order, each cut to 1 / devices (or whole, replicated).</summary>
    private static string Slice(PartitionPlan partition, int parameter, string buffer)
    {
        var p = partition.Parameters[parameter];
        return $"{buffer}.SubView({Format.Int(p.Offset)}, {Format.Int(p.Count)})";
    }

    private static string Bool(bool value) => value ? "true" : "false";

    private static string Describe(NetworkPlan plan, ColumnActivationPlan a) =>
        a.Source == 0 ? "the whole image, on every device"
        : a.Slice >= 0 ? $"{plan.Activations[a.Source].Name} whole, gathered from every device"
        : $"this device's slice of {plan.Activations[a.Source].Name}";

    private static string Gradient(ColumnActivationPlan a) => a.Field.TrimStart('@') + "Gradient";

    private static string ShapeLiteral(Shape s) => $"new({s.Channels}, {s.Height}, {s.Width})";
}
