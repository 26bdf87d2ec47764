using System;
using System.Collections.Generic;
using System.Linq;

namespace NetGen.Interchange;

/// <summary>
/// Reads the nodes in order into NetGen operations (<see cref="ImportStep"/>), following every
/// value's shape, and refuses the first node that has no counterpart in NetGen's language or whose
/// settings NetGen cannot reproduce exactly. Windows (Conv, pools) are in <see cref="WindowReader"/>,
/// dense layers in <see cref="DenseReader"/>.
/// </summary>
internal sealed partial class StepReader
{
    private readonly OnnxModel model;
    private readonly Dictionary<string, ValueShape> shapes = [];
    private readonly List<ImportStep> steps = [];

    private StepReader(OnnxModel model) => this.model = model;

    /// <summary>The network's input shape and its operations, in the order of their nodes.</summary>
    public static (Shape Input, IReadOnlyList<ImportStep> Steps) Read(OnnxModel model)
    {
        var reader = new StepReader(model);
        var input = reader.InputShape();
        reader.shapes[model.Input] = input;
        var patterns = OnnxPatterns.Find(model);
        var inside = patterns.Values.SelectMany(p => p.Nodes).Where(n => !patterns.ContainsKey(n)).ToHashSet();
        foreach (var node in model.Nodes.Where(n => !inside.Contains(n)))
        {
            var step = patterns.TryGetValue(node, out var pattern) ? reader.Pattern(pattern) : reader.Step(node);
            reader.shapes[step.Output] = step.Shape;
            reader.steps.Add(step);
        }
        reader.CheckOutput();
        return (input.Shape, reader.steps);
    }

    private ValueShape InputShape()
    {
        var dims = model.InputDimensions;
        if (dims.Count == 4 && dims.Skip(1).All(d => d > 0))
            return new ValueShape(new Shape(checked((int)dims[1]!.Value), checked((int)dims[2]!.Value), checked((int)dims[3]!.Value)), Flat: false);
        if (dims.Count == 2 && dims[1] > 0)
            return new ValueShape(new Shape(checked((int)dims[1]!.Value), 1, 1), Flat: true);
        throw model.Refuse($"the input \"{model.Input}\" has dimensions [{string.Join(", ", dims.Select(d => d?.ToString() ?? "?"))}]; " +
            "NetGen reads images (N, C, H, W) or vectors (N, F) whose sizes, all but the batch, are known");
    }

    /// <summary>Holds the declared output shape, where the model declares one, to the shape the steps compute.</summary>
    private void CheckOutput()
    {
        if (!shapes.TryGetValue(model.Output, out var computed))
            throw model.Refuse($"the output \"{model.Output}\" is a constant; there is no network to import");
        var expected = computed.Flat ? new long[] { computed.Shape.Size } : [computed.Shape.Channels, computed.Shape.Height, computed.Shape.Width];
        var declared = model.OutputDimensions;
        if (declared.Count > 1 && declared.Skip(1).All(d => d is not null) && !declared.Skip(1).Select(d => d!.Value).SequenceEqual(expected))
            throw model.Refuse($"the graph declares its output \"{model.Output}\" as [{string.Join(", ", declared.Select(d => d?.ToString() ?? "N"))}], " +
                $"but its nodes compute {computed}");
    }

    private ImportStep Pattern(PatternMatch pattern) => pattern.Kind switch
    {
        PatternKind.Gelu => new PlainStep(pattern.Root, pattern.Input, Data(pattern.Root, pattern.Input), "Gelu"),
        PatternKind.ColumnLrn => ColumnLrn(pattern),
        PatternKind.MatMulAdd => MatMul(pattern.Nodes[0], pattern.Root, pattern.Root.Inputs.First(i => i != pattern.Nodes[0].Output)),
        _ => throw new ArgumentOutOfRangeException(nameof(pattern), pattern.Kind, "no such pattern"),
    };

    private ImportStep Step(OnnxNode node)
    {
        if (!OnnxPatterns.IsDefaultDomain(node))
            throw model.Refuse(node, $"is an operator of the domain '{node.Proto.Domain}', which has no counterpart in NetGen's language");
        foreach (string extra in node.Outputs.Skip(1).Where(o => o.Length > 0 && model.Readers(o) > 0))
            throw model.Refuse(node, $"has its output \"{extra}\" read; NetGen's {node.OpType} has only its first output");
        string x = node.Input(0);
        return node.OpType switch
        {
            "Conv" => WindowReader.Conv(this, node),
            "MaxPool" => WindowReader.Pool(this, node, max: true),
            "AveragePool" => WindowReader.Pool(this, node, max: false),
            "GlobalAveragePool" => new PlainStep(node, x, new ValueShape(Spatial(node, x) with { Height = 1, Width = 1 }, Flat: false), "GlobalAvgPool", main: true),
            "Gemm" => DenseReader.Gemm(this, node),
            "MatMul" => MatMul(node, node, bias: null),
            "BatchNormalization" => BatchNorm(node),
            "LRN" => Lrn(node, node, x, columns: 1),
            "Relu" or "Sigmoid" or "Tanh" => new PlainStep(node, x, Data(node, x), node.OpType),
            "LeakyRelu" => Activation(node, "LeakyRelu", node.Float("alpha", 0.01f), 0.01f, "slope", mustBeNonNegative: false),
            "Elu" => Activation(node, "Elu", node.Float("alpha", 1f), 1f, "alpha", mustBeNonNegative: true),
            "Gelu" => node.Text("approximate", "none") == "tanh" ? new PlainStep(node, x, Data(node, x), "Gelu")
                : throw model.Refuse(node, "is the exact (erf) GELU; NetGen's Gelu is the tanh approximation (approximate='tanh')"),
            "Add" => Add(node),
            "Softmax" => Softmax(node),
            "Dropout" => Dropout(node),
            "Flatten" => Flatten(node),
            "Reshape" => Reshape(node),
            "Squeeze" => Squeeze(node),
            _ => throw model.Refuse(node, "has no counterpart in NetGen's language"),
        };
    }

    /// <summary>The model being read.</summary>
    public OnnxModel Model => model;

    /// <summary>The shape of the computed value <paramref name="value"/> that <paramref name="node"/> reads; a constant there is refused.</summary>
    public ValueShape Data(OnnxNode node, string value) =>
        model.Constants.ContainsKey(value) ? throw model.Refuse(node, $"reads the constant \"{value}\" where NetGen's operation reads a computed value")
        : shapes.TryGetValue(value, out var shape) ? shape
        : throw model.Refuse(node, $"reads \"{value}\", which no operation NetGen imports writes");

    /// <summary>The shape of an image-shaped (N, C, H, W) value <paramref name="node"/> reads; a flattened one is refused.</summary>
    public Shape Spatial(OnnxNode node, string value)
    {
        var shape = Data(node, value);
        return shape.Flat ? throw model.Refuse(node, $"reads a flattened {shape} value; it works on images (N, C, H, W)") : shape.Shape;
    }

    /// <summary>The floats of the constant <paramref name="value"/>, refused unless it holds <paramref name="count"/> of them (any number when null).</summary>
    public OnnxConstant Floats(OnnxNode node, string value, string what, long? count = null)
    {
        var constant = model.Constant(node, value, what);
        if (constant.Floats is null)
            throw model.Refuse(node, $"has its {what} \"{value}\" as {constant.TypeName}; NetGen's tensors are float32");
        if (count is { } n && constant.Count != n)
            throw model.Refuse(node, $"has a {what} of dimensions {constant.DimensionsText} where NetGen's has {n} values");
        return constant;
    }

    /// <summary>The integers of the constant <paramref name="value"/>.</summary>
    public long[] Integers(OnnxNode node, string value, string what) =>
        model.Constant(node, value, what).Integers ?? throw model.Refuse(node, $"has its {what} \"{value}\" as floats where ONNX takes integers");

    /// <summary>A square window's side and stride, from <c>kernel_shape</c> (or the weight) and <c>strides</c>; no dilation.</summary>
    public (int Kernel, int Stride) Window(OnnxNode node, long height, long width)
    {
        if (node.Ints("dilations") is { } dilations && dilations.Any(d => d != 1))
            throw model.Refuse(node, $"has dilations [{string.Join(", ", dilations)}]; NetGen's windows are not dilated");
        if (height != width)
            throw model.Refuse(node, $"has a {height}x{width} window; NetGen's windows are square");
        var strides = node.Ints("strides") ?? [1, 1];
        if (strides.Count != 2 || strides[0] != strides[1] || strides[0] < 1)
            throw model.Refuse(node, $"has strides [{string.Join(", ", strides)}]; NetGen's windows move by one stride both ways");
        return (checked((int)height), checked((int)strides[0]));
    }
}
