using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using Onnx;

namespace NetGen.Interchange;

/// <summary>
/// A tensor whose values the model holds (an initializer or a Constant node's value), decoded:
/// floats (float32, or float64 narrowed) or integers (int64, int32, bool). A tensor of any other
/// type keeps neither, and an operation that needs its values refuses it by name.
/// </summary>
/// <param name="Name">Its name in the graph.</param>
/// <param name="Dimensions">Its dimensions; empty for a scalar.</param>
/// <param name="Floats">Its values when it holds floating-point numbers.</param>
/// <param name="Integers">Its values when it holds integers.</param>
/// <param name="TypeName">ONNX's name of its element type, for messages.</param>
internal sealed record OnnxConstant(string Name, long[] Dimensions, float[]? Floats, long[]? Integers, string TypeName)
{
    /// <summary>How many values it holds.</summary>
    public long Count => Dimensions.Aggregate(1L, (product, d) => product * d);

    /// <summary>Its dimensions as ONNX writes them: <c>[64, 3, 7, 7]</c>.</summary>
    public string DimensionsText => "[" + string.Join(", ", Dimensions) + "]";

    /// <summary>Decodes <paramref name="tensor"/>, named <paramref name="name"/>; null where its data lies in another file.</summary>
    public static OnnxConstant? Decode(TensorProto tensor, string name)
    {
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
            return null;
        var dims = tensor.Dims.ToArray();
        var type = (TensorProto.Types.DataType)tensor.DataType;
        string typeName = type.ToString().ToLowerInvariant();
        var raw = tensor.RawData.Span;
        if (!BitConverter.IsLittleEndian && raw.Length > 0)
            throw new PlatformNotSupportedException("ONNX's raw_data is little-endian; this importer reads it as a little-endian machine's numbers.");
        return type switch
        {
            TensorProto.Types.DataType.Float => new(name, dims, raw.Length > 0 ? MemoryMarshal.Cast<byte, float>(raw).ToArray() : [.. tensor.FloatData], null, typeName),
            TensorProto.Types.DataType.Double => new(name, dims, (raw.Length > 0 ? MemoryMarshal.Cast<byte, double>(raw).ToArray() : [.. tensor.DoubleData]).Select(d => (float)d).ToArray(), null, typeName),
            TensorProto.Types.DataType.Int64 => new(name, dims, null, raw.Length > 0 ? MemoryMarshal.Cast<byte, long>(raw).ToArray() : [.. tensor.Int64Data], typeName),
            TensorProto.Types.DataType.Int32 => new(name, dims, null, (raw.Length > 0 ? MemoryMarshal.Cast<byte, int>(raw).ToArray() : [.. tensor.Int32Data]).Select(i => (long)i).ToArray(), typeName),
            TensorProto.Types.DataType.Bool => new(name, dims, null, raw.Length > 0 ? raw.ToArray().Select(b => (long)b).ToArray() : tensor.Int32Data.Select(i => (long)i).ToArray(), typeName),
            _ => new(name, dims, null, null, typeName),
        };
    }

    /// <summary>A Constant node's value, from whichever of its attributes it sets; null where it sets none NetGen reads.</summary>
    public static OnnxConstant? FromNode(OnnxNode node)
    {
        string name = node.Output;
        if (node.Tensor("value") is { } tensor)
            return Decode(tensor, name);
        if (node.Has("value_float"))
            return new(name, [], [node.Float("value_float", 0f)], null, "float");
        if (node.Floats("value_floats") is { } floats)
            return new(name, [floats.Count], [.. floats], null, "float");
        if (node.Has("value_int"))
            return new(name, [], null, [node.Int("value_int", 0)], "int64");
        if (node.Ints("value_ints") is { } ints)
            return new(name, [ints.Count], null, [.. ints], "int64");
        return null;
    }

    /// <summary>Whether it holds its values in a type NetGen reads, and as many as its dimensions say.</summary>
    public bool IsReadable => (Floats?.LongLength ?? Integers?.LongLength) == Count;

    /// <summary>Its one value as a float, when it holds exactly one number.</summary>
    public float? Scalar => Count != 1 || !IsReadable ? null : Floats is { } f ? f[0] : Integers![0];
}
