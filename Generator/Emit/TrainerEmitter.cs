using System.Linq;
using NetGen.Generator.Planning;

namespace NetGen.Generator.Emit;

/// <summary>
/// Writes N.Trainer.g.cs: the network's trainer, typed for it, whose documentation lists what one
/// step launches. The orchestration is <c>NetGen.Trainer</c>'s; the kernels are the network's own.
/// </summary>
internal static class TrainerEmitter
{
    public static string Emit(NetworkPlan plan)
    {
        var type = plan.Model.Type;
        var w = new SourceWriter();
        using (TypeScope.Open(w, type, null))
        {
            w.Line("/// <summary>");
            w.Line($"/// Trains {type.Name} by SGD with momentum on its accelerator. One step launches, in order:");
            w.Line("/// <list type=\"number\">");
            w.Line($"/// <item>the forward kernels with dropout: {string.Join(", ", plan.Kernels.Take(plan.Backward.Logits).Select(k => k.Method))};</item>");
            w.Line($"/// <item>{plan.Backward.Kernels[0].Method}, the fused softmax and cross-entropy;</item>");
            w.Line($"/// <item>the backward kernels: {string.Join(", ", plan.Backward.Kernels.Skip(1).Select(k => k.Method))};</item>");
            w.Line("/// <item>the update of every parameter tensor.</item>");
            w.Line("/// </list>");
            w.Line("/// </summary>");
            using (w.Block("public sealed class Trainer : global::NetGen.Trainer"))
            {
                w.Line("/// <summary>Trains <paramref name=\"network\"/>; <paramref name=\"seed\"/> draws the dropout masks. The defaults are the paper's.</summary>");
                w.Line($"public Trainer({type.Name} network, ulong seed = 0, float momentum = 0.9f, float weightDecay = 0.0005f)");
                using (w.Indent())
                    w.Line(": base(network, seed, momentum, weightDecay)");
                w.Line("{");
                w.Line("}");
                w.Line();
                w.Line("/// <summary>The network the trainer updates.</summary>");
                w.Line($"public new {type.Name} Network => ({type.Name})base.Network;");
            }
        }
        return w.ToString();
    }
}
