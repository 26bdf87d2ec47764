using System.Collections.Generic;

namespace NetGen;

/// <summary>
/// A network in evaluation mode as ONNX nodes, each operation's written by the generator beside its
/// kernels (dropout left out, batch normalisation on its running statistics), with the names of the
/// graph's input and output. Parameter tensors are named as in <see cref="NetworkInfo.Parameters"/>;
/// <see cref="OnnxExport"/> adds them as initializers from a network's weights.
/// </summary>
/// <param name="Input">The input's name: the batch, (N, C, H, W), N left open.</param>
/// <param name="Output">The output's name: <c>probabilities</c> after a softmax, <c>logits</c> otherwise.</param>
/// <param name="Nodes">The nodes, in an order where every value is written before it is read.</param>
/// <param name="Constants">Constant tensors the nodes read besides the parameters (split sizes, scalars).</param>
public sealed record OnnxGraphInfo(string Input, string Output, IReadOnlyList<OnnxNodeInfo> Nodes, IReadOnlyList<OnnxConstantInfo> Constants);

/// <summary>One ONNX node.</summary>
/// <param name="OpType">The operator, from the default domain: <c>Conv</c>, <c>MaxPool</c>, ...</param>
/// <param name="Name">The node's name: the layer and the operation (<c>conv1/conv</c>).</param>
/// <param name="Inputs">The values it reads, by name.</param>
/// <param name="Outputs">The values it writes, by name.</param>
/// <param name="Attributes">Its attributes.</param>
public sealed record OnnxNodeInfo(string OpType, string Name, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, IReadOnlyList<OnnxAttributeInfo> Attributes);

/// <summary>One attribute of a node: an integer, a list of integers, a float or a string, as <see cref="Kind"/> says.</summary>
/// <param name="Name">The attribute's name (<c>kernel_shape</c>).</param>
/// <param name="Kind">Which of the values it holds.</param>
/// <param name="Ints">The integer (one value) or the list.</param>
/// <param name="Float">The float.</param>
/// <param name="Text">The string.</param>
public sealed record OnnxAttributeInfo(string Name, OnnxAttributeKind Kind, IReadOnlyList<long> Ints, float Float = 0f, string Text = "")
{
    /// <summary>An integer attribute.</summary>
    public static OnnxAttributeInfo Int(string name, long value) => new(name, OnnxAttributeKind.Int, [value]);

    /// <summary>A list of integers.</summary>
    public static OnnxAttributeInfo IntList(string name, params long[] values) => new(name, OnnxAttributeKind.Ints, values);

    /// <summary>A float attribute.</summary>
    public static OnnxAttributeInfo Real(string name, float value) => new(name, OnnxAttributeKind.Float, [], value);

    /// <summary>A string attribute.</summary>
    public static OnnxAttributeInfo String(string name, string value) => new(name, OnnxAttributeKind.String, [], 0f, value);
}

/// <summary>What an <see cref="OnnxAttributeInfo"/> holds.</summary>
public enum OnnxAttributeKind
{
    /// <summary>One integer.</summary>
    Int,

    /// <summary>A list of integers.</summary>
    Ints,

    /// <summary>One float.</summary>
    Float,

    /// <summary>A string.</summary>
    String,
}

/// <summary>A constant tensor: 64-bit integers (split sizes, shapes) or floats (scalars), of the given dimensions.</summary>
/// <param name="Name">Its name in the graph.</param>
/// <param name="Dimensions">Its dimensions; empty for a scalar.</param>
/// <param name="Ints">Its values when it holds integers, else empty.</param>
/// <param name="Floats">Its values when it holds floats, else empty.</param>
public sealed record OnnxConstantInfo(string Name, IReadOnlyList<long> Dimensions, IReadOnlyList<long> Ints, IReadOnlyList<float> Floats);
