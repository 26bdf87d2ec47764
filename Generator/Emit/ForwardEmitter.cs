using System.Linq;
using NetGen.Generator.Emit.Kernels;
using NetGen.Generator.Model;
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
            WriteLaunchers(w, plan);
            w.Line();
            w.Line($"/// <summary>{type.Name}'s forward pass for batches of one size: its activations and the kernel launches that fill them.</summary>");
            using (w.Block("public sealed class ForwardPass : global::NetGen.ForwardPass"))
            {
                w.Line($"private readonly {type.Name} network;");
                foreach (var a in plan.Activations)
                    w.Line($"private readonly ArrayView<float> {a.Field}; // {KernelEmitter.Dims(a.Shape)}");
                w.Line();
                w.Line("/// <summary>Allocates every activation for batches of <paramref name=\"batchSize\"/> images.</summary>");
                w.Line($"public ForwardPass({type.Name} network, int batchSize)");
                using (w.Indent())
                    w.Line(": base(network, batchSize)");
                using (w.Block(""))
                {
                    w.Line("this.network = network;");
                    foreach (var a in plan.Activations)
                        w.Line($"{a.Field} = Allocate(\"{a.Name}\", Shapes.{a.Identifier});");
                }
                w.Line();
                w.Line("/// <inheritdoc />");
                using (w.Block("public override void Enqueue(global::NetGen.DropoutKey dropout)"))
                {
                    w.Line("var kernels = network.Launchers;");
                    foreach (var kernel in plan.Kernels)
                    {
                        var layer = $"network.{kernel.Layer.Member}";
                        var args = new[] { $"BatchSize * {Format.Int(kernel.ThreadsPerImage)}", plan.Activations[kernel.Input].Field }
                            .Concat(kernel.Weight >= 0 ? new[] { $"{layer}.Weight.View", $"{layer}.Bias.View" } : [])
                            .Concat(new[] { plan.Activations[kernel.Output].Field })
                            .Concat(kernel.HasDropout ? new[] { "dropout" } : []);
                        w.Line($"kernels.{kernel.Method}({string.Join(", ", args)}); // {kernel.Group}");
                    }
                }
            }
        }
        return w.ToString();
    }

    private static void WriteLaunchers(SourceWriter w, NetworkPlan plan)
    {
        w.Line("private KernelLaunchers? launchers;");
        w.Line();
        w.Line("/// <summary>The kernels compiled for this network's accelerator, loaded on first use.</summary>");
        w.Line("private KernelLaunchers Launchers => launchers ??= new KernelLaunchers(Accelerator);");
        w.Line();
        using (w.Block("private sealed class KernelLaunchers"))
        {
            foreach (var kernel in plan.Kernels)
                w.Line($"public readonly {Signature(plan, kernel, "global::System.Action")} {kernel.Method};");
            w.Line();
            using (w.Block("public KernelLaunchers(Accelerator accelerator)"))
            {
                foreach (var kernel in plan.Kernels)
                    w.Line($"{kernel.Method} = accelerator.{Signature(plan, kernel, "LoadAutoGroupedStreamKernel")}(Kernels.{kernel.Method});");
            }
        }
    }

    private static string Signature(NetworkPlan plan, KernelPlan kernel, string name) =>
        $"{name}<Index1D, {string.Join(", ", KernelEmitter.Parameters(plan, kernel).Select(p => p.Type))}>";
}
