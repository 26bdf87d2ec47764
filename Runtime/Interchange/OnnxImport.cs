using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Google.Protobuf;
using NetGen.Interchange;
using Onnx;

namespace NetGen;

/// <summary>
/// Reads an ONNX model whose operators NetGen's language covers into a <c>[Network]</c> declaration
/// and its weights (<see cref="ImportedNetwork"/>): convolutions and dense layers (Conv, Gemm, MatMul
/// and Add) with what follows each (BatchNormalization, Relu, LeakyRelu, Elu, Sigmoid, Tanh, GELU's
/// tanh approximation, LRN, MaxPool, AveragePool, GlobalAveragePool, Dropout, a residual Add,
/// Softmax), flattening, and graphs whose layers read earlier layers. Anything else is refused with
/// one line that names the node, before anything is written. docs/interchange.md has the rules.
/// </summary>
public static partial class OnnxImport
{
    /// <summary>Reads the model at <paramref name="path"/> as the network <paramref name="name"/>, declared in <paramref name="namespaceName"/> (none when null).</summary>
    /// <exception cref="InvalidDataException">The model has an operator or pattern NetGen's language lacks, or is malformed; the message starts with <paramref name="path"/> and names the node.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> or <paramref name="namespaceName"/> is not a C# name.</exception>
    public static ImportedNetwork Read(string path, string name, string? namespaceName = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        CheckNames(name, namespaceName);
        ModelProto model;
        try
        {
            using var stream = File.OpenRead(path);
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{path}: not an ONNX model ({e.Message})", e);
        }
        return Read(model, path, name, namespaceName);
    }

    /// <summary>Reads <paramref name="model"/> as the network <paramref name="name"/>; messages call it <paramref name="source"/>.</summary>
    /// <exception cref="InvalidDataException">The model has an operator or pattern NetGen's language lacks, or is malformed; the message starts with <paramref name="source"/> and names the node.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> or <paramref name="namespaceName"/> is not a C# name.</exception>
    public static ImportedNetwork Read(ModelProto model, string source, string name, string? namespaceName = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(source);
        CheckNames(name, namespaceName);
        var onnx = OnnxModel.Load(model, source);
        var (input, steps) = StepReader.Read(onnx);
        var (layers, columns) = LayerGrouping.Group(onnx, steps);
        LayerNames.Assign(layers, name);
        string file = Path.GetFileName(source);
        string declaration = DeclarationWriter.Write(name, namespaceName, file, input, columns, layers);
        var tensors = layers.SelectMany(l => l.Steps.SelectMany(s => s.Tensors(l.TensorPrefix))).ToArray();
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["netgen.network"] = name, ["netgen.imported_from"] = file };
        return new ImportedNetwork(name, declaration, tensors, metadata, layers.Count);
    }

    /// <summary>Reads the model at <paramref name="path"/> and writes <c>Name.cs</c> and <c>Name.safetensors</c> into <paramref name="directory"/>; nothing is written if the model is refused.</summary>
    /// <exception cref="InvalidDataException">The model is refused; see <see cref="Read(string, string, string?)"/>.</exception>
    public static ImportedNetwork Write(string path, string name, string directory, string? namespaceName = null)
    {
        var network = Read(path, name, namespaceName);
        network.Write(directory);
        return network;
    }

    private static void CheckNames(string name, string? namespaceName)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!Identifier().IsMatch(name) || Keywords.Contains(name))
            throw new ArgumentException($"'{name}' is not a C# class name", nameof(name));
        if (namespaceName is not null && namespaceName.Split('.').Any(part => !Identifier().IsMatch(part) || Keywords.Contains(part)))
            throw new ArgumentException($"'{namespaceName}' is not a C# namespace", nameof(namespaceName));
    }

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex Identifier();

    /// <summary>C#'s reserved keywords, which a name cannot be without an @.</summary>
    private static readonly HashSet<string> Keywords =
    [
        "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const", "continue", "decimal",
        "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern", "false", "finally", "fixed", "float", "for",
        "foreach", "goto", "if", "implicit", "in", "int", "interface", "internal", "is", "lock", "long", "namespace", "new", "null",
        "object", "operator", "out", "override", "params", "private", "protected", "public", "readonly", "ref", "return", "sbyte",
        "sealed", "short", "sizeof", "stackalloc", "static", "string", "struct", "switch", "this", "throw", "true", "try", "typeof",
        "uint", "ulong", "unchecked", "unsafe", "ushort", "using", "virtual", "void", "volatile", "while",
    ];
}
