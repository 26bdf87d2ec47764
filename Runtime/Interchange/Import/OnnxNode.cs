using System.Collections.Generic;
using System.Linq;
using Onnx;

namespace NetGen.Interchange;

/// <summary>
/// One node of a model being imported: its inputs (renamed past Identity nodes, so a reader sees
/// the value that was copied) and outputs, and its attributes by name with ONNX's defaults.
/// </summary>
internal sealed class OnnxNode(NodeProto proto)
{
    /// <summary>The node as the file holds it.</summary>
    public NodeProto Proto { get; } = proto;

    /// <summary>The operator: <c>Conv</c>, <c>Gemm</c>, ...</summary>
    public string OpType => Proto.OpType;

    /// <summary>The node's name, which may be empty.</summary>
    public string Name => Proto.Name;

    /// <summary>The values it reads, in order; an empty name is an optional input left out.</summary>
    public List<string> Inputs { get; } = [.. proto.Input];

    /// <summary>The values it writes.</summary>
    public IReadOnlyList<string> Outputs { get; } = [.. proto.Output];

    /// <summary>The value it writes first: the only one for every operator NetGen has.</summary>
    public string Output => Outputs.Count > 0 ? Outputs[0] : "";

    /// <summary>The input at <paramref name="index"/>, or "" where the node leaves it out.</summary>
    public string Input(int index) => index < Inputs.Count ? Inputs[index] : "";

    /// <summary>How a message names the node: <c>node "conv1/conv" (Conv)</c>, or by its output where it has no name.</summary>
    public string Describe() => Name.Length > 0 ? $"node \"{Name}\" ({OpType})" : $"the {OpType} node that writes \"{Output}\"";

    /// <summary>Whether the node sets the attribute <paramref name="name"/>.</summary>
    public bool Has(string name) => Find(name) is not null;

    /// <summary>An integer attribute, or <paramref name="fallback"/> (ONNX's default) when the node does not set it.</summary>
    public long Int(string name, long fallback) => Find(name) is { } a ? a.I : fallback;

    /// <summary>A float attribute, or <paramref name="fallback"/> when the node does not set it.</summary>
    public float Float(string name, float fallback) => Find(name) is { } a ? a.F : fallback;

    /// <summary>A string attribute, or <paramref name="fallback"/> when the node does not set it.</summary>
    public string Text(string name, string fallback) => Find(name) is { } a ? a.S.ToStringUtf8() : fallback;

    /// <summary>A list of integers, or null when the node does not set it.</summary>
    public IReadOnlyList<long>? Ints(string name) => Find(name) is { } a ? a.Ints.ToArray() : null;

    /// <summary>A tensor attribute (a Constant's value), or null.</summary>
    public TensorProto? Tensor(string name) => Find(name)?.T;

    /// <summary>A list of floats, or null when the node does not set it.</summary>
    public IReadOnlyList<float>? Floats(string name) => Find(name) is { } a ? a.Floats.ToArray() : null;

    private AttributeProto? Find(string name) => Proto.Attribute.FirstOrDefault(a => a.Name == name);
}
