using System.Linq;
using NetGen.Generator.Model;

namespace NetGen.Generator.Emit.Interchange;

/// <summary>
/// Writes what takes a network out of NetGen: its ONNX graph (<c>NetworkInfo.Onnx</c>) and its
/// PyTorch twin (<c>NetworkInfo.PyTorch</c>). Each operation writes its own part
/// (<see cref="Operations.Operation.WriteOnnx"/>, <see cref="Operations.Operation.WritePyTorch"/>);
/// this walks the layers and joins them up.
/// </summary>
internal static class InterchangeEmitter
{
    public const string Input = "input";

    /// <summary>The graph's output: the probabilities after a softmax, the logits otherwise.</summary>
    public static string Output(NetworkModel model) => model.Layers[model.Layers.Count - 1].Ops.Last().Op.EndsNetwork ? "probabilities" : "logits";

    /// <summary>A private static method <c>OnnxGraph()</c> that builds the graph.</summary>
    public static void WriteOnnxMethod(SourceWriter w, NetworkModel model)
    {
        var o = new OnnxWriting(model);
        o.Unique(Input);
        foreach (var layer in model.Layers)
        {
            o.BeginLayer(layer, Input);
            foreach (var op in layer.Ops)
            {
                o.Op = op;
                op.Op.WriteOnnx(o);
            }
            if (!o.Flat && layer == model.Layers[model.Layers.Count - 1] && model.Output.IsVector)
                o.Flatten();
            o.NameLast(layer == model.Layers[model.Layers.Count - 1] ? Output(model) : layer.Name);
            o.EndLayer();
        }
        w.Line("/// <summary>The network in evaluation mode as ONNX nodes, each operation's as it wrote itself.</summary>");
        w.Line("private static global::NetGen.OnnxGraphInfo OnnxGraph() =>");
        using (w.Indent())
        {
            o.WriteGraph(w, Input, o.Current);
            w.Line(";");
        }
    }

    /// <summary>The PyTorch twin's source, as a C# verbatim string.</summary>
    public static string PyTorchLiteral(NetworkModel model, string description)
    {
        var p = new PyTorchWriting(model);
        var named = PyTorchWriting.NamedOutputs(model);
        foreach (var layer in model.Layers)
        {
            p.BeginLayer(layer);
            foreach (var op in layer.Ops)
            {
                p.Op = op;
                op.Op.WritePyTorch(p);
            }
            p.EndLayer(named.Contains(layer.Member));
        }
        return "@\"" + p.Source(description).Replace("\"", "\"\"") + "\"";
    }
}
