using System.Linq;
using NetGen.Generator.Emit.Kernels;
using NetGen.Generator.Emit.Kernels.Backward;
using NetGen.Generator.Model;
using NetGen.Generator.Operations;
using NetGen.Generator.Planning;

namespace NetGen.Generator.Emit;

/// <summary>
/// Writes N.Forward.g.cs: the kernels loaded on an accelerator, and the forward pass that holds a
/// batch's activations and launches the kernels in order.
/// </summary>
internal static class ForwardEmitter
{
    public static string Emit(NetworkPlan plan)
    {
        var type = plan.Model.Type;
        var w = new SourceWriter();
        using (TypeScope.Open(w, type, null, "ILGPU", "ILGPU.Runtime"))
        {
            LauncherWriter.Write(w, "KernelLaunchers", "Launchers", "Kernels", "forward",
                plan.Kernels.SelectMany(k => (k.Statistics is null ? [] : new[] { (k.StatisticsMethod, KernelEmitter.StatisticsParameters(plan, k).Select(p => p.Type)) })
                    .Append((k.Method, KernelEmitter.Parameters(plan, k).Select(p => p.Type)))));
            w.Line();
            w.Line($"/// <summary>{type.Name}'s forward pass for batches of one size: its activations and the kernel launches that fill them.</summary>");
            using (w.Block("public sealed partial class ForwardPass : global::NetGen.ForwardPass"))
            {
                w.Line($"private readonly {type.Name} network;");
                foreach (var a in Buffers(plan))
                    w.Line($"internal readonly ArrayView<float> {a.Field}; // {KernelEmitter.Dims(a.Shape)}");
                foreach (var statistics in plan.Kernels.Select(k => k.Statistics).OfType<StatisticsPlan>())
                    w.Line($"internal readonly ArrayView<float> {statistics.Field}; // ({statistics.Count}) the batch's statistics");
                w.Line();
                w.Line("/// <summary>Allocates every activation for batches of <paramref name=\"batchSize\"/> images.</summary>");
                w.Line($"public ForwardPass({type.Name} network, int batchSize)");
                using (w.Indent())
                    w.Line(": base(network, batchSize)");
                using (w.Block(""))
                {
                    w.Line("this.network = network;");
                    foreach (var a in Buffers(plan))
                        w.Line($"{a.Field} = Allocate(\"{a.Name}\", Shapes.{a.Identifier});");
                    foreach (var statistics in plan.Kernels.Select(k => k.Statistics).OfType<StatisticsPlan>())
                        w.Line($"{statistics.Field} = AllocateStatistics({statistics.Count});");
                }
                w.Line();
                int logits = plan.Backward.Probabilities >= 0 ? plan.Kernels.Count - 1 : plan.Kernels.Count;
                w.Line("/// <inheritdoc />");
                using (w.Block("public override void Enqueue(global::NetGen.DropoutKey dropout)"))
                {
                    w.Line("EnqueueLogits(dropout);");
                    if (logits < plan.Kernels.Count)
                    {
                        w.Line("if (network.Backend == global::NetGen.Backend.Cpu)");
                        using (w.Indent())
                            w.Line("RunOutputOnCpu();");
                        w.Line("else");
                        using (w.Indent())
                            WriteLaunch(w, plan, plan.Kernels[logits], "network.Launchers");
                    }
                }
                w.Line();
                w.Line("/// <inheritdoc />");
                using (w.Block("public override void EnqueueLogits(global::NetGen.DropoutKey dropout)"))
                {
                    using (w.Block("if (network.Backend == global::NetGen.Backend.Cpu)"))
                    {
                        w.Line(CpuEmitter.LogitsReadDropout(plan) ? "RunLogitsOnCpu(dropout);" : "RunLogitsOnCpu();");
                        w.Line("return;");
                    }
                    w.Line("var kernels = network.Launchers;");
                    for (int k = 0; k < logits; k++)
                        WriteLaunch(w, plan, plan.Kernels[k], "kernels");
                }
            }
        }
        return w.ToString();
    }

    /// <summary>
    /// Every buffer a forward pass holds, in the order the kernels write them: the input, then each
    /// group's value kept from before its epilogue (if it keeps one) and its output, so the last is
    /// the network's output, which the runtime reads as such.
    /// </summary>
    internal static System.Collections.Generic.IEnumerable<ActivationPlan> Buffers(NetworkPlan plan)
    {
        yield return plan.Activations[0];
        foreach (var kernel in plan.Kernels)
        {
            if (kernel.Saved is { } saved)
                yield return saved;
            yield return plan.Activations[kernel.Output];
        }
    }

    private static void WriteLaunch(SourceWriter w, NetworkPlan plan, KernelPlan kernel, string launchers)
    {
        if (kernel.Statistics is not null)
        {
            var statisticsArgs = new[] { Format.Int(kernel.Operation.StatisticsThreads(kernel.Main)) }.Concat(KernelEmitter.StatisticsParameters(plan, kernel).Select(p => p.Argument));
            w.Line($"{launchers}.{kernel.StatisticsMethod}({string.Join(", ", statisticsArgs)}); // the batch's statistics");
        }
        var args = new[] { IndexMath.Times("BatchSize", kernel.ThreadsPerImage) }.Concat(KernelEmitter.Parameters(plan, kernel).Select(p => p.Argument));
        string launch = $"{launchers}.{kernel.Method}({string.Join(", ", args)}); // {kernel.Group}";
        LauncherWriter.WriteLaunch(w, launch, LibraryCall(plan, kernel));
    }

    /// <summary>
    /// The kernel library's call for a group whose operation has one and whose epilogue its store
    /// applies (nothing, or a ReLU), or null.
    /// </summary>
    private static string? LibraryCall(NetworkPlan plan, KernelPlan kernel)
    {
        bool relu = Mask.IsLoneRelu(kernel);
        if (kernel.Join is not null || kernel.Statistics is not null || !(relu || Mask.IsEmpty(kernel)))
            return null;
        return kernel.Operation.LibraryForward(new LibraryStep($"CpuGeometry.{kernel.Method}", kernel.Main.Input, kernel.Main.Output,
            plan.Activations[kernel.Input].Field, kernel.Tensors.Select(t => KernelEmitter.Tensor(plan, t)).ToEquatableArray(),
            OutputField: plan.Activations[kernel.Output].Field,
            Activation: relu ? "global::NetGen.Gpu.Rectifier" : "global::NetGen.Gpu.Identity"));
    }
}
