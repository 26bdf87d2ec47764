using System.Collections.Generic;
using System.IO;
using System.Linq;
using Onnx;

namespace NetGen.Interchange;

/// <summary>
/// A model made ready to translate: its constants decoded (initializers and Constant nodes), its
/// nodes in an order where every value is written before it is read, Identity nodes (and dropouts
/// that drop nothing) replaced by the value they copy, and every node the output does not depend on
/// left out, so a stray node cannot stop an import. Every refusal goes through <see cref="Refuse(OnnxNode, string)"/>:
/// one line that starts with the file and names the node.
/// </summary>
internal sealed class OnnxModel
{
    private readonly Dictionary<string, int> readers;

    private OnnxModel(string source, long opset, ValueInfoProto input, string output, ValueInfoProto declaredOutput, List<OnnxNode> nodes, Dictionary<string, OnnxConstant> constants)
    {
        Source = source;
        Opset = opset;
        Input = input.Name;
        InputDimensions = Dimensions(input);
        Output = output;
        OutputDimensions = Dimensions(declaredOutput);
        Nodes = nodes;
        Constants = constants;
        readers = nodes.SelectMany(n => n.Inputs).Where(i => i.Length > 0).GroupBy(i => i).ToDictionary(g => g.Key, g => g.Count());
        readers[output] = readers.GetValueOrDefault(output) + 1;
        Producers = nodes.SelectMany(n => n.Outputs.Select(o => (Value: o, Node: n))).ToDictionary(p => p.Value, p => p.Node);
    }

    /// <summary>The file, as messages name it.</summary>
    public string Source { get; }

    /// <summary>The version of the default operator set the model imports.</summary>
    public long Opset { get; }

    /// <summary>The graph's one input.</summary>
    public string Input { get; }

    /// <summary>The input's dimensions, batch first; null where a dimension is symbolic or unknown.</summary>
    public IReadOnlyList<long?> InputDimensions { get; }

    /// <summary>The graph's one output, renamed past Identity nodes.</summary>
    public string Output { get; }

    /// <summary>The output's dimensions as the graph declares them (none where it does not); null where one is symbolic or unknown.</summary>
    public IReadOnlyList<long?> OutputDimensions { get; }

    /// <summary>The nodes the output depends on, each after every node whose value it reads.</summary>
    public IReadOnlyList<OnnxNode> Nodes { get; }

    /// <summary>Initializers and Constant nodes' values, by name.</summary>
    public IReadOnlyDictionary<string, OnnxConstant> Constants { get; }

    /// <summary>The node that writes each value.</summary>
    public IReadOnlyDictionary<string, OnnxNode> Producers { get; }

    /// <summary>How many nodes read <paramref name="value"/> (twice by one node counts twice), plus one if it is the graph's output.</summary>
    public int Readers(string value) => readers.GetValueOrDefault(value);

    /// <summary>The refusal of <paramref name="node"/>: <c>model.onnx: node "x" (Resize) has no counterpart ...</c>.</summary>
    public InvalidDataException Refuse(OnnxNode node, string why) => new($"{Source}: {node.Describe()} {why}");

    /// <summary>A refusal of the model as a whole.</summary>
    public InvalidDataException Refuse(string why) => new($"{Source}: {why}");

    /// <summary>The constant <paramref name="value"/> that <paramref name="node"/> reads as <paramref name="what"/>, with readable values; refuses otherwise.</summary>
    public OnnxConstant Constant(OnnxNode node, string value, string what) =>
        !Constants.TryGetValue(value, out var constant) ? throw Refuse(node, $"reads its {what} \"{value}\" from the graph rather than from the file; NetGen needs it as a constant")
        : !constant.IsReadable ? throw Refuse(node, $"has its {what} \"{value}\" as {constant.TypeName}, which NetGen does not read")
        : constant;

    /// <summary>Prepares <paramref name="model"/>, read from <paramref name="source"/>.</summary>
    public static OnnxModel Load(ModelProto model, string source)
    {
        var graph = model.Graph ?? throw new InvalidDataException($"{source}: the model has no graph");
        var opset = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => (long?)o.Version).FirstOrDefault()
            ?? throw new InvalidDataException($"{source}: the model imports no version of ONNX's default operator set");

        var constants = new Dictionary<string, OnnxConstant>();
        foreach (var tensor in graph.Initializer)
            constants[tensor.Name] = OnnxConstant.Decode(tensor, tensor.Name)
                ?? throw new InvalidDataException($"{source}: tensor \"{tensor.Name}\" keeps its data in another file; netgen import reads a self-contained model (save it without external data)");

        var inputs = graph.Input.Where(i => !constants.ContainsKey(i.Name)).ToList();
        if (inputs.Count != 1)
            throw new InvalidDataException($"{source}: the graph has {inputs.Count} inputs ({string.Join(", ", inputs.Select(i => $"\"{i.Name}\""))}); a NetGen network reads one batch of images");
        if (graph.Output.Count != 1)
            throw new InvalidDataException($"{source}: the graph has {graph.Output.Count} outputs; a NetGen network has one");
        var input = inputs[0];
        if (input.Type?.TensorType is not { } type || type.ElemType != (int)TensorProto.Types.DataType.Float)
            throw new InvalidDataException($"{source}: the input \"{input.Name}\" is not a float32 tensor; NetGen's networks read float32 images");

        var nodes = new List<OnnxNode>();
        foreach (var proto in graph.Node)
        {
            var node = new OnnxNode(proto);
            if (node.OpType == "Constant" && node.Proto.Domain is "" or "ai.onnx" && OnnxConstant.FromNode(node) is { } value)
                constants[node.Output] = value;
            else
                nodes.Add(node);
        }

        var sorted = Sorted(nodes, input.Name, constants, source);
        string output = Unalias(sorted, constants, graph.Output[0].Name, opset);
        if (output == input.Name)
            throw new InvalidDataException($"{source}: the output is the input itself; there is nothing to import");
        return new OnnxModel(source, opset, input, output, graph.Output[0], Live(sorted, output), constants);
    }

    private static long?[] Dimensions(ValueInfoProto value) =>
        value.Type?.TensorType?.Shape?.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : (long?)null).ToArray() ?? [];

    /// <summary>The nodes in an order where each comes after the writers of what it reads, otherwise as the file lists them.</summary>
    private static List<OnnxNode> Sorted(List<OnnxNode> nodes, string input, Dictionary<string, OnnxConstant> constants, string source)
    {
        var written = new HashSet<string>(constants.Keys) { input, "" };
        var waiting = new List<OnnxNode>(nodes);
        var sorted = new List<OnnxNode>();
        while (waiting.Count > 0)
        {
            int ready = waiting.FindIndex(n => n.Inputs.All(written.Contains));
            if (ready < 0)
            {
                var stuck = waiting[0];
                throw new InvalidDataException($"{source}: {stuck.Describe()} reads \"{stuck.Inputs.First(i => !written.Contains(i))}\", which no node writes (or the graph has a cycle)");
            }
            sorted.Add(waiting[ready]);
            written.UnionWith(waiting[ready].Outputs);
            waiting.RemoveAt(ready);
        }
        return sorted;
    }

    /// <summary>
    /// Drops every node that copies its input (Identity, and a Dropout whose ratio is 0, which passes
    /// its input through even in training) and makes its readers read the original; returns the
    /// output's name after the same renaming.
    /// </summary>
    private static string Unalias(List<OnnxNode> nodes, Dictionary<string, OnnxConstant> constants, string output, long opset)
    {
        var original = new Dictionary<string, string>();
        string Resolve(string value) => original.TryGetValue(value, out var o) ? o : value;
        foreach (var node in nodes.ToList())
        {
            for (int i = 0; i < node.Inputs.Count; i++)
                node.Inputs[i] = Resolve(node.Inputs[i]);
            if (node.OpType == "Identity" || (node.OpType == "Dropout" && DropoutRatio(node, constants, opset) == 0f && !ReadsMask(nodes, node)))
            {
                original[node.Output] = node.Input(0);
                nodes.Remove(node);
            }
        }
        return Resolve(output);
    }

    /// <summary>Whether any node reads <paramref name="dropout"/>'s second output, its mask.</summary>
    private static bool ReadsMask(List<OnnxNode> nodes, OnnxNode dropout) =>
        dropout.Outputs.Count > 1 && dropout.Outputs[1].Length > 0 && nodes.Any(n => n.Inputs.Contains(dropout.Outputs[1]));

    /// <summary>A Dropout's ratio: its attribute before opset 12, its second input since (0.5 where left out); null when it is not a constant.</summary>
    public static float? DropoutRatio(OnnxNode node, IReadOnlyDictionary<string, OnnxConstant> constants, long opset)
    {
        if (opset < 12)
            return node.Float("ratio", 0.5f);
        string ratio = node.Input(1);
        return ratio.Length == 0 ? 0.5f : constants.TryGetValue(ratio, out var c) ? c.Scalar : null;
    }

    /// <summary>The nodes the output depends on, in order.</summary>
    private static List<OnnxNode> Live(List<OnnxNode> nodes, string output)
    {
        var needed = new HashSet<string> { output };
        var live = new List<OnnxNode>();
        for (int i = nodes.Count - 1; i >= 0; i--)
        {
            if (!nodes[i].Outputs.Any(needed.Contains))
                continue;
            live.Add(nodes[i]);
            needed.UnionWith(nodes[i].Inputs);
        }
        live.Reverse();
        return live;
    }
}
