using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace NetGen;

/// <summary>
/// Writes a network in evaluation mode, with its weights, as an ONNX model (opset 17, IR version 8),
/// which ONNX Runtime, TensorRT, onnx.js and the other frameworks read. The graph is the one the
/// generator wrote beside the kernels (<see cref="NetworkInfo.Onnx"/>); this adds the weights as
/// initializers and names the input (N, C, H, W) with N left open. The protobuf classes are OnnxSharp's.
/// </summary>
public static class OnnxExport
{
    /// <summary>The operator set the graphs are written for: the newest that Debian's onnx 1.12 checks.</summary>
    public const int Opset = 17;

    /// <summary>The ONNX IR version of opset 17.</summary>
    public const int IrVersion = 8;

    /// <summary>The name of the open batch dimension.</summary>
    public const string BatchDimension = "batch";

    /// <summary>Writes <paramref name="network"/> with its current parameters to <paramref name="path"/>.</summary>
    public static void Write(Network network, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        Write(network.Info, network.ReadParameters(), path, metadata);
    }

    /// <summary>
    /// Writes the network <paramref name="info"/> describes, with <paramref name="parameters"/> (laid
    /// out as <see cref="Network.Parameters"/>), to <paramref name="path"/>, atomically;
    /// <paramref name="metadata"/> goes into the model's metadata properties (class names, say).
    /// </summary>
    /// <exception cref="NotSupportedException">The network's description has no ONNX graph (it was built by an older generator).</exception>
    public static void Write(NetworkInfo info, float[] parameters, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var model = Build(info, parameters, metadata);
        AtomicFile.Write(path, stream => model.WriteTo(stream));
    }

    /// <summary>The model as OnnxSharp's protobuf message.</summary>
    public static ModelProto Build(NetworkInfo info, float[] parameters, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(parameters);
        var graphInfo = info.Onnx ?? throw new NotSupportedException($"{info.Name}'s generated description has no ONNX graph; rebuild it with this version of NetGen.");
        if (parameters.Length != info.ParameterCount)
            throw new ArgumentException($"{info.Name} has {info.ParameterCount:N0} parameters, not {parameters.Length:N0}.", nameof(parameters));

        var graph = new GraphProto { Name = info.Name, DocString = Describe(info) };
        graph.Input.Add(Value(graphInfo.Input, [info.Input.Channels, info.Input.Height, info.Input.Width]));
        graph.Output.Add(Value(graphInfo.Output, info.Output.Height == 1 && info.Output.Width == 1
            ? [info.Output.Channels] : [info.Output.Channels, info.Output.Height, info.Output.Width]));

        var read = graphInfo.Nodes.SelectMany(n => n.Inputs).ToHashSet(StringComparer.Ordinal);
        foreach (var parameter in info.Parameters.Where(p => read.Contains(p.Name)))
            graph.Initializer.Add(FloatTensor(parameter.Name, parameter.Dimensions.Select(d => (long)d),
                parameters.AsSpan(checked((int)parameter.Offset), checked((int)parameter.Count))));
        foreach (var constant in graphInfo.Constants)
            graph.Initializer.Add(constant.Ints.Count > 0
                ? IntTensor(constant.Name, constant.Dimensions, constant.Ints)
                : FloatTensor(constant.Name, constant.Dimensions, constant.Floats.ToArray()));
        foreach (var node in graphInfo.Nodes)
            graph.Node.Add(Node(node));

        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "NetGen",
            ProducerVersion = typeof(OnnxExport).Assembly.GetName().Version?.ToString(3) ?? "",
            DocString = $"{info.Name}, exported by NetGen in evaluation mode (dropout left out, batch normalisation on its running statistics).",
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model;
    }

    private static string Describe(NetworkInfo info) =>
        string.Join("\n", info.Layers.Select(l => $"{l.Name}: {string.Join(", ", l.Operations.Select(o => o.Description))}; {l.Input} -> {l.Output}"));

    private static ValueInfoProto Value(string name, IEnumerable<int> perImage)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = BatchDimension });
        foreach (int d in perImage)
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    private static TensorProto FloatTensor(string name, IEnumerable<long> dimensions, ReadOnlySpan<float> values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dimensions);
        // raw_data is little-endian, as this machine's floats are (BitConverter checked below).
        tensor.RawData = ByteString.CopyFrom(LittleEndian(values));
        return tensor;
    }

    private static TensorProto IntTensor(string name, IEnumerable<long> dimensions, IEnumerable<long> values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.AddRange(dimensions);
        tensor.Int64Data.AddRange(values);
        return tensor;
    }

    private static byte[] LittleEndian(ReadOnlySpan<float> values)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("ONNX's raw_data is little-endian; this exporter writes it from a little-endian machine's floats.");
        return MemoryMarshal.AsBytes(values).ToArray();
    }

    private static NodeProto Node(OnnxNodeInfo info)
    {
        var node = new NodeProto { OpType = info.OpType, Name = info.Name, Domain = "" };
        node.Input.AddRange(info.Inputs);
        node.Output.AddRange(info.Outputs);
        foreach (var a in info.Attributes)
            node.Attribute.Add(Attribute(a));
        return node;
    }

    private static AttributeProto Attribute(OnnxAttributeInfo a)
    {
        var attribute = new AttributeProto { Name = a.Name };
        switch (a.Kind)
        {
            case OnnxAttributeKind.Int:
                attribute.Type = AttributeProto.Types.AttributeType.Int;
                attribute.I = a.Ints[0];
                break;
            case OnnxAttributeKind.Ints:
                attribute.Type = AttributeProto.Types.AttributeType.Ints;
                attribute.Ints.AddRange(a.Ints);
                break;
            case OnnxAttributeKind.Float:
                attribute.Type = AttributeProto.Types.AttributeType.Float;
                attribute.F = a.Float;
                break;
            case OnnxAttributeKind.String:
                attribute.Type = AttributeProto.Types.AttributeType.String;
                attribute.S = ByteString.CopyFromUtf8(a.Text);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(a), a.Kind, $"attribute {a.Name}: no such kind");
        }
        return attribute;
    }
}
