using System.Collections.Generic;
using System.Linq;
using NetGen.Generator.Model;

namespace NetGen.Generator.Emit.Interchange;

/// <summary>
/// What an operation is given to write itself as ONNX nodes (<see cref="Operations.Operation.WriteOnnx"/>):
/// it reads <see cref="ValueFlow.Current"/>, adds nodes with <see cref="Node"/> (each node's output
/// becomes the current value), and names its parameter tensors with <see cref="Tensor"/>. The nodes
/// come out as C# literals of <c>NetGen.OnnxNodeInfo</c>, which <c>NetGen.OnnxExport</c> turns into a model.
/// </summary>
internal sealed class OnnxWriting(NetworkModel model) : ValueFlow(model)
{
    private readonly List<NodeLiteral> nodes = [];
    private readonly List<string> constants = [];
    private readonly HashSet<string> names = [];

    /// <summary>The parameter tensor <paramref name="name"/> of the current layer: <c>conv1.weight</c>.</summary>
    public string Tensor(string name) => $"{Layer.Name}.{name}";

    /// <summary>
    /// Adds a node that reads <paramref name="inputs"/> and writes one value, named after the layer
    /// and <paramref name="step"/>, which becomes <see cref="ValueFlow.Current"/>; returns that name.
    /// </summary>
    public string Node(string opType, string step, IEnumerable<string> inputs, params string[] attributes)
    {
        string output = Unique($"{Layer.Name}/{step}");
        Nodes(opType, step, inputs, [output], attributes);
        Current = output;
        return output;
    }

    /// <summary>Adds a node with several outputs (a split), which the caller names with <see cref="Unique"/>; the current value does not change.</summary>
    public void Nodes(string opType, string step, IEnumerable<string> inputs, IReadOnlyList<string> outputs, params string[] attributes) =>
        nodes.Add(new(opType, Unique($"{Layer.Name}/{step}", node: true), [.. inputs], [.. outputs], attributes));

    /// <summary>A name not yet given to a value (or, with <paramref name="node"/>, to a node) in the graph: <paramref name="wanted"/>, or it with a number.</summary>
    public string Unique(string wanted, bool node = false)
    {
        string prefix = node ? "node:" : "value:";
        string name = wanted;
        for (int i = 2; !names.Add(prefix + name); i++)
            name = $"{wanted}_{i}";
        return name;
    }

    /// <summary>A constant of 64-bit integers (split sizes), named after the layer and <paramref name="step"/>; returns its name.</summary>
    public string IntConstant(string step, params long[] values)
    {
        string name = Unique($"{Layer.Name}/{step}");
        constants.Add($"new(\"{name}\", [{values.Length}], [{string.Join(", ", values.Select(Format.Int))}], [])");
        return name;
    }

    /// <summary>A float scalar, named after the layer and <paramref name="step"/>; returns its name.</summary>
    public string Scalar(string step, float value)
    {
        string name = Unique($"{Layer.Name}/{step}");
        constants.Add($"new(\"{name}\", [], [], [{Format.FloatLiteral(value)}])");
        return name;
    }

    /// <summary>An integer attribute, as a literal.</summary>
    public static string Int(string name, long value) => $"global::NetGen.OnnxAttributeInfo.Int(\"{name}\", {Format.Int(value)})";

    /// <summary>A list of integers, as a literal.</summary>
    public static string Ints(string name, params long[] values) => $"global::NetGen.OnnxAttributeInfo.IntList(\"{name}\", {string.Join(", ", values.Select(Format.Int))})";

    /// <summary>A float attribute, as a literal.</summary>
    public static string Float(string name, float value) => $"global::NetGen.OnnxAttributeInfo.Real(\"{name}\", {Format.FloatLiteral(value)})";

    /// <summary>Flattens the current value to (N, C x H x W), as a dense layer reads it.</summary>
    public void Flatten()
    {
        Node("Flatten", "flatten", [Current], Int("axis", 1));
        Flat = true;
    }

    /// <summary>Renames the value the last node wrote to <paramref name="name"/> (a layer's output takes the layer's name).</summary>
    public void NameLast(string name)
    {
        var last = nodes[nodes.Count - 1];
        if (last.Outputs.Count != 1 || last.Outputs[0] != Current || Current == name)
            return;
        names.Add("value:" + name);
        nodes[nodes.Count - 1] = last with { Outputs = [name] };
        Current = name;
    }

    /// <summary>The graph as a C# expression of type <c>NetGen.OnnxGraphInfo</c>.</summary>
    public void WriteGraph(SourceWriter w, string input, string output)
    {
        w.Line($"new(\"{input}\", \"{output}\",");
        using (w.Indent())
        {
            w.Line("[");
            using (w.Indent())
                foreach (var node in nodes)
                    w.Line($"new(\"{node.OpType}\", \"{node.Name}\", [{Quoted(node.Inputs)}], [{Quoted(node.Outputs)}], [{string.Join(", ", node.Attributes)}]),");
            w.Line("],");
            w.Line("[");
            using (w.Indent())
                foreach (var constant in constants)
                    w.Line(constant + ",");
            w.Line("])");
        }
    }

    private static string Quoted(IEnumerable<string> names) => string.Join(", ", names.Select(n => $"\"{n}\""));

    private sealed record NodeLiteral(string OpType, string Name, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, IReadOnlyList<string> Attributes);
}
