using System.Linq;
using NetGen.Generator.Emit.Kernels;
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
        using (TypeScope.Open(w, plan.Model.Type, null, "ILGPU", "global::NetGen.Cpu", "global::System.Runtime.Intrinsics"))
        {
            WritePlan(w, plan, partition);
            w.Line();
            w.Line("/// <inheritdoc />");
            w.Line("public override global::NetGen.PartitionInfo? Partitioning => Partition;");
            w.Line();
            w.Line("/// <summary>Allocates device <paramref name=\"column\"/>'s share of the network on <paramref name=\"device\"/> for batches of <paramref name=\"batchSize\"/>.</summary>");
            w.Line("public override global::NetGen.ColumnPass CreateColumnPass(global::NetGen.Device device, int column, int batchSize, global::NetGen.IColumnExchange exchange) =>");
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
        string readers = gathering.Count switch
        {
            // A network of one layer that every device computes whole reads only the input, which every device holds.
            0 => "no layer gathers its input from another device",
            1 => $"{gathering[0]} gather their input from every device",
            _ => $"{string.Join(", ", gathering.Take(gathering.Count - 1))} and {gathering[gathering.Count - 1]} gather their input from every device",
        };
        w.Line($"/// {partition.Devices} equal runs{exception}; {readers}.");
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
            {
                var kernel = plan.Kernels[ck.Kernel];
                if (kernel.Operation.CpuGeometry(kernel.Method, ck.InputShape, ck.OutputShape, ck.Groups, ck.InputShape.Channels) is { } field)
                    w.Line(field);
            }
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
            foreach (var a in WithGradients(activations))
                w.Line($"private readonly ArrayView<float> {Gradient(a)};");
            foreach (var (statistics, count) in ColumnStatistics(plan, partition))
                w.Line($"private readonly ArrayView<float> {statistics.Field}; // ({count}) this device's channels' statistics");
            for (int p = 0; p < plan.Backward.Partials.Count; p++)
                w.Line($"private readonly ArrayView<float> {Partial(plan, partition, p)};");
            w.Line();
            w.Line("/// <summary>Allocates the column's parameters and buffers.</summary>");
            w.Line("public ColumnPass(global::NetGen.Device device, int column, int batchSize, global::NetGen.IColumnExchange exchange)");
            using (w.Indent())
                w.Line($": base(device, Description, Partition, column, batchSize, exchange)");
            using (w.Block(""))
            {
                foreach (var a in activations)
                    w.Line($"{a.Field} = Allocate(\"{a.Name}\", {ShapeLiteral(a.Shape)});");
                foreach (var a in WithGradients(activations))
                    w.Line($"{Gradient(a)} = AllocateGradient(\"{a.Name}\", {ShapeLiteral(a.Shape)});");
                foreach (var (statistics, count) in ColumnStatistics(plan, partition))
                    w.Line($"{statistics.Field} = AllocateStatistics({count});");
                for (int p = 0; p < plan.Backward.Partials.Count; p++)
                    w.Line($"{Partial(plan, partition, p)} = AllocatePartialGradient({ShapeLiteral(SliceOf(partition, plan.Backward.Partials[p].Activation).Shape)});");
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
            using (w.Block("protected override void RunLoss(global::NetGen.DropoutKey dropout)"))
            {
                var logits = activations[partition.Logits];
                int ownIndex = logits.Slice >= 0 ? logits.Slice : partition.Logits; // this device's logits
                var own = activations[ownIndex];
                w.Line($"CpuLoss.SoftmaxCrossEntropy({logits.Shape.Size}, {logits.Field}, Labels, Probabilities, Losses, Ranks, {Gradient(logits)}, LabelSmoothing, BatchSize);");
                if (logits.Slice >= 0)
                    w.Line($"TakeSlice({Gradient(logits)}, {Gradient(own)}, {own.Shape.Size});");
                var producer = partition.Kernels.Single(k => k.Output == ownIndex);
                CpuCode.WriteMask(w, plan.Kernels[producer.Kernel], Gradient(own), own.Field, Before(partition, producer), own.Shape.Size);
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
        w.Line($"// {kernel.Group}");
        if (source.Slice >= 0)
            w.Line($"Gather({partition.Activations[source.Slice].Field}, {source.Field}, {partition.Activations[source.Slice].Shape.Size});");
        CpuCode.Forward(w, kernel, Place(plan, partition, kernel, ck));
    }

    private static void WriteBackward(SourceWriter w, NetworkPlan plan, PartitionPlan partition, ColumnKernelPlan ck)
    {
        var kernel = plan.Kernels[ck.Kernel];
        var source = partition.Activations[ck.Input];
        if (plan.Backward.SumOf(ck.Kernel) is { } sum)
            WriteSum(w, plan, partition, ck, sum);
        w.Line($"// {kernel.Group}");
        var place = Place(plan, partition, kernel, ck);
        var inputGradient = plan.Backward.InputGradientOf(ck.Kernel);
        if (inputGradient is null)
        {
            CpuCode.Backward(w, kernel, null, place);
            return;
        }
        // An input several read gets this reader's part, unmasked, summed when its producer's turn comes.
        bool partial = inputGradient.Partial >= 0;
        var producer = partition.Kernels[kernel.Input - 1];
        if (source.Slice < 0)
        {
            CpuCode.Backward(w, kernel, partial ? null : plan.Kernels[producer.Kernel], place);
            return;
        }
        // Each device computed part of the gathered input's gradient, or, replicated, all of it:
        // the device's own slice is masked once it is assembled.
        CpuCode.Backward(w, kernel, null, place);
        var slice = partition.Activations[source.Slice];
        string target = partial ? Partial(plan, partition, inputGradient.Partial) : Gradient(slice);
        w.Line($"{(ck.Replicated ? "TakeSlice" : "Reduce")}({place.InputGradient}, {target}, {slice.Shape.Size});");
        if (!partial)
            CpuCode.WriteMask(w, plan.Kernels[producer.Kernel], Gradient(slice), slice.Field, Before(partition, producer), slice.Shape.Size);
    }

    /// <summary>The gradient of this device's slice of <paramref name="ck"/>'s output, which several read: their parts added in forward order, then the epilogue's mask.</summary>
    private static void WriteSum(SourceWriter w, NetworkPlan plan, PartitionPlan partition, ColumnKernelPlan ck, BackwardKernelPlan sum)
    {
        var output = partition.Activations[ck.Output];
        var terms = sum.Terms.Select(t => t.Partial >= 0 ? Partial(plan, partition, t.Partial) : Gradient(SliceOf(partition, t.Activation))).ToList();
        CpuCode.WriteSum(w, plan.Kernels[ck.Kernel], output.Name, Gradient(output), terms, output.Field, Before(partition, ck), output.Shape.Size);
    }

    /// <summary>Each group's statistics buffer and its floats on a column: its channels' share, or all of them in a replicated layer.</summary>
    private static System.Collections.Generic.IEnumerable<(StatisticsPlan Statistics, int Count)> ColumnStatistics(NetworkPlan plan, PartitionPlan partition) =>
        partition.Kernels.Select(ck => (Kernel: plan.Kernels[ck.Kernel], Column: ck))
            .Where(k => k.Kernel.Statistics is not null)
            .Select(k => (k.Kernel.Statistics!, k.Kernel.Statistics!.Count / k.Kernel.Main.Input.Channels * k.Column.InputShape.Channels));

    /// <summary>The column activation holding this device's slice of the whole network's activation <paramref name="activation"/>.</summary>
    private static ColumnActivationPlan SliceOf(PartitionPlan partition, int activation) => partition.Activations[partition.Slices[activation]];

    /// <summary>The buffer of this device's share of partial gradient <paramref name="index"/> (one reader's part of an activation's gradient).</summary>
    private static string Partial(NetworkPlan plan, PartitionPlan partition, int index)
    {
        var p = plan.Backward.Partials[index];
        return Gradient(SliceOf(partition, p.Activation)) + "From" + plan.Kernels[p.Reader].Method;
    }

    /// <summary>A group's buffers on this column: its slices and gathered copies, its tensors' rows in the column's buffers.</summary>
    private static CpuPlace Place(NetworkPlan plan, PartitionPlan partition, KernelPlan kernel, ColumnKernelPlan ck)
    {
        var source = partition.Activations[ck.Input];
        // A reader of an input several read, on its own slice, writes its part into a buffer of its own.
        string inputGradient = plan.Backward.InputGradientOf(ck.Kernel) switch
        {
            null => "default",
            { Partial: >= 0 } part when source.Slice < 0 => Partial(plan, partition, part.Partial),
            _ => Gradient(source),
        };
        return new CpuPlace(
            "ColumnGeometry",
            source.Field,
            ck.InputShape,
            partition.Activations[ck.Output].Field,
            ck.OutputShape,
            ck.Saved >= 0 ? partition.Activations[ck.Saved].Field : null,
            kernel.Tensors.Select(t => Slice(partition, t, "Parameters")).ToEquatableArray(),
            kernel.Tensors.Select(t => Slice(partition, t, "parameterGradients")).ToEquatableArray(),
            Gradient(partition.Activations[ck.Output]),
            inputGradient,
            kernel.Input == 0 ? null : Before(partition, partition.Kernels[kernel.Input - 1]),
            ck.Operand >= 0 ? partition.Activations[ck.Operand].Field : null,
            kernel.Statistics?.Field);
    }

    /// <summary>Where a column keeps the value from before <paramref name="producer"/>'s epilogue, or null.</summary>
    private static string? Before(PartitionPlan partition, ColumnKernelPlan producer) =>
        producer.Saved >= 0 ? partition.Activations[producer.Saved].Field : null;

    /// <summary>A parameter tensor's rows on this column: tensors keep their order, each cut to 1 / devices (or whole, replicated).</summary>
    private static string Slice(PartitionPlan partition, int parameter, string buffer)
    {
        var p = partition.Parameters[parameter];
        return $"{buffer}.SubView({Format.Int(p.Offset)}, {Format.Int(p.Count)})";
    }

    private static string Bool(bool value) => value ? "true" : "false";

    private static string Describe(NetworkPlan plan, ColumnActivationPlan a) =>
        a.Source < 0 ? $"this device's slice of {a.Name}"
        : a.Source == 0 ? "the whole image, on every device"
        : a.Slice >= 0 ? $"{plan.Activations[a.Source].Name} whole, gathered from every device"
        : $"this device's slice of {plan.Activations[a.Source].Name}";

    /// <summary>The column activations that get a gradient: all but the image and the values kept from before an epilogue.</summary>
    private static System.Collections.Generic.IEnumerable<ColumnActivationPlan> WithGradients(EquatableArray<ColumnActivationPlan> activations) =>
        activations.Where(a => a.Source > 0);

    private static string Gradient(ColumnActivationPlan a) => a.Field.TrimStart('@') + "Gradient";

    private static string ShapeLiteral(Shape s) => $"new({s.Channels}, {s.Height}, {s.Width})";
}
