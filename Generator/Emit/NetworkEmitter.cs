using System.Linq;
using NetGen.Generator.Emit.Interchange;
using NetGen.Generator.Model;
using NetGen.Generator.Planning;

namespace NetGen.Generator.Emit;

/// <summary>
/// Writes N.g.cs: the shape constants, the counts, the <c>Info</c> table, the constructor and the
/// layer properties.
/// </summary>
internal static class NetworkEmitter
{
    public static string Emit(NetworkPlan plan)
    {
        var model = plan.Model;
        var w = new SourceWriter();
        using (TypeScope.Open(w, model.Type, "global::NetGen.Network", "ILGPU.Runtime"))
        {
            w.Line($"/// <summary>Learnable parameters: {Format.Grouped(model.Parameters)}.</summary>");
            w.Line($"public const long ParameterCount = {Format.Int(model.Parameters)};");
            w.Line();
            w.Line($"/// <summary>Forward multiply-adds per image: {Format.Grouped(model.MultiplyAdds)}.</summary>");
            w.Line($"public const long MultiplyAdds = {Format.Int(model.MultiplyAdds)};");
            w.Line();
            WriteShapes(w, plan);
            w.Line();
            WriteTensorIndex(w, plan);
            w.Line();
            WriteInfo(w, plan);
            w.Line();
            WriteInterchange(w, plan);
            w.Line();
            w.Line($"/// <summary>Allocates the {Format.Grouped(model.Parameters)} parameters on <paramref name=\"accelerator\"/> and initialises them from <paramref name=\"seed\"/>.</summary>");
            w.Line($"public {model.Type.Name}(Accelerator accelerator, ulong seed = 0)");
            using (w.Indent())
                w.Line(": base(accelerator, Description, seed)");
            w.Line("{");
            w.Line("}");
            w.Line();
            w.Line($"/// <summary>Allocates the parameters on <paramref name=\"device\"/>, to run on its backend (the CPU backend or ILGPU kernels), and initialises them from <paramref name=\"seed\"/>.</summary>");
            w.Line($"public {model.Type.Name}(global::NetGen.Device device, ulong seed = 0)");
            using (w.Indent())
                w.Line(": base(device, Description, seed)");
            w.Line("{");
            w.Line("}");
            foreach (var layer in model.Layers)
            {
                w.Line();
                w.Line($"/// <summary>{layer.Name}: {string.Join(", ", layer.Ops.Select(o => o.Op.Describe()))}; {layer.Input} -> {layer.Output}.</summary>");
                w.Line($"{Prefix(layer.Modifiers)}global::NetGen.Layer {layer.Member} {{ get => Layers[{layer.Index}]; }}");
            }
            w.Line();
            WriteRegistration(w, plan);
            w.Line();
            w.Line("/// <summary>Allocates the activations for batches of <paramref name=\"batchSize\"/> images.</summary>");
            w.Line("public override ForwardPass CreateForwardPass(int batchSize) => new(this, batchSize);");
            w.Line();
            w.Line("/// <summary>Allocates the gradients of a backward pass beside <paramref name=\"forward\"/>.</summary>");
            w.Line("public override BackwardPass CreateBackwardPass(global::NetGen.ForwardPass forward) =>");
            using (w.Indent())
                w.Line($"new(forward as ForwardPass ?? throw new global::System.ArgumentException(\"The forward pass belongs to \" + forward.Network.Info.Name + \", not {model.Type.Name}.\", nameof(forward)));");
        }
        return w.ToString();
    }

    /// <summary>
    /// A module initializer that adds the network to <c>NetGen.NetworkCatalog</c> when its assembly
    /// loads, so the command line finds it without searching assemblies. A network that code
    /// outside its enclosing types cannot reach registers nothing.
    /// </summary>
    private static void WriteRegistration(SourceWriter w, NetworkPlan plan)
    {
        var model = plan.Model;
        if (!model.Registration.Visible)
            return;
        string name = model.Type.Name;
        string defaults = model.Registration.HasDefaults
            ? $"new global::NetGen.TrainingDefaultsAttribute {{ {string.Join(", ", model.Registration.Defaults)} }}"
            : "null";
        w.Line("/// <summary>Adds the network to <see cref=\"global::NetGen.NetworkCatalog\"/> when its assembly loads.</summary>");
        w.Line("[global::System.Runtime.CompilerServices.ModuleInitializer]");
        w.Line("internal static void RegisterInNetworkCatalog() =>");
        using (w.Indent())
        {
            w.Line($"global::NetGen.NetworkCatalog.Register(new(\"{model.Type.HintName}\", typeof({name}).Assembly.GetName().Name ?? \"\", Description,");
            using (w.Indent())
                w.Line($"{(plan.Partition is null ? "null" : "Partition")}, {defaults}, static (device, seed) => new {name}(device, seed)));");
        }
    }

    internal static string Prefix(string accessibility) => accessibility.Length == 0 ? "" : accessibility + " ";

    private static void WriteTensorIndex(SourceWriter w, NetworkPlan plan)
    {
        w.Line("/// <summary>Each parameter tensor's place in <see cref=\"global::NetGen.Network.Tensors\"/> and in the parameter table.</summary>");
        using (w.Block("public static class TensorIndex"))
        {
            for (int t = 0; t < plan.Parameters.Count; t++)
            {
                w.Line($"/// <summary>{plan.Parameters[t].Name}, ({string.Join(", ", plan.Parameters[t].Dimensions)}).</summary>");
                w.Line($"public const int {plan.Parameters[t].Identifier} = {t};");
            }
        }
    }

    private static void WriteShapes(SourceWriter w, NetworkPlan plan)
    {
        w.Line("/// <summary>The shape of every activation for one image, as constants.</summary>");
        using (w.Block("public static class Shapes"))
        {
            foreach (var a in ForwardEmitter.Buffers(plan))
            {
                string id = a.Identifier;
                w.Line($"/// <summary>{a.Name}: {a.Description}.</summary>");
                w.Line($"public static global::NetGen.Shape {id} => new({id}Channels, {id}Height, {id}Width);");
                // One constant a line, each documented, so a project that asks for documentation gets no CS1591.
                foreach (var (dimension, size) in new[] { ("Channels", a.Shape.Channels), ("Height", a.Shape.Height), ("Width", a.Shape.Width) })
                {
                    w.Line($"/// <summary>{dimension} of {a.Name}.</summary>");
                    w.Line($"public const int {id}{dimension} = {size};");
                }
            }
        }
    }

    private static void WriteInfo(SourceWriter w, NetworkPlan plan)
    {
        var model = plan.Model;
        w.Line("/// <summary>Layers, operations, shapes and the parameter table, as the generator worked them out.</summary>");
        w.Line("public static global::NetGen.NetworkInfo Description { get; } = new(");
        using (w.Indent())
        {
            w.Line($"Name: \"{model.Type.Name}\",");
            w.Line($"Input: {ShapeLiteral(model.Input)},");
            w.Line($"Columns: {model.Columns},");
            w.Line("Layers:");
            w.Line("[");
            using (w.Indent())
            {
                foreach (var layer in model.Layers)
                {
                    w.Line($"new(\"{layer.Name}\", \"{layer.Member}\", {ShapeLiteral(layer.Input)},");
                    using (w.Indent())
                    {
                        w.Line("[");
                        using (w.Indent())
                            foreach (var op in layer.Ops)
                                w.Line($"new(\"{op.Op.Kind}\", \"{op.Op.Describe()}\", {ShapeLiteral(op.Output)}),");
                        w.Line($"], ParameterCount: {Format.Int(layer.Parameters)}, MultiplyAdds: {Format.Int(layer.MultiplyAdds)}),");
                    }
                }
            }
            w.Line("],");
            w.Line("Parameters:");
            w.Line("[");
            using (w.Indent())
                foreach (var p in plan.Parameters)
                    w.Line($"new(\"{p.Name}\", [{string.Join(", ", p.Dimensions)}], Offset: {Format.Int(p.Offset)}, Count: {Format.Int(p.Count)}, " +
                        $"InitMean: {Format.FloatLiteral(p.InitMean)}, InitStd: {Format.FloatLiteral(p.InitStd)}, LrMult: {Format.FloatLiteral(p.LrMult)}, DecayMult: {Format.FloatLiteral(p.DecayMult)}" +
                        (p.Trainable ? "" : ", Trainable: false") + (p.InitBound == 0f ? "" : $", InitBound: {Format.FloatLiteral(p.InitBound)}") + (p.DType == "F32" ? "" : $", DType: \"{p.DType}\"") + "),");
            w.Line("],");
            w.Line($"ParameterCount: {Format.Int(model.Parameters)},");
            w.Line($"MultiplyAdds: {Format.Int(model.MultiplyAdds)})");
            w.Line("{");
            using (w.Indent())
            {
                w.Line("Onnx = OnnxGraph(),");
                w.Line("PyTorch = PyTorchSource,");
            }
            w.Line("};");
        }
    }

    /// <summary>The ONNX graph's builder and the PyTorch twin's source (see <see cref="InterchangeEmitter"/>).</summary>
    private static void WriteInterchange(SourceWriter w, NetworkPlan plan)
    {
        var model = plan.Model;
        InterchangeEmitter.WriteOnnxMethod(w, model);
        w.Line();
        string layers = string.Join("\n", model.Layers.Select(l => $"{l.Name}: {string.Join(", ", l.Ops.Select(o => o.Op.Describe()))}; {l.Input} -> {l.Output}"));
        w.Line("/// <summary>The network as a PyTorch <c>nn.Module</c> (Python source): its twin, whose <c>state_dict()</c> has NetGen's tensor names.</summary>");
        w.Line($"public const string PyTorchSource = {InterchangeEmitter.PyTorchLiteral(model, layers)};");
    }

    private static string ShapeLiteral(Shape s) => $"new({s.Channels}, {s.Height}, {s.Width})";
}
