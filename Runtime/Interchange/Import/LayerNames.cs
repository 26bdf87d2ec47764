using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace NetGen.Interchange;

/// <summary>
/// Names the layers: after the node that starts each where its name is NetGen's own
/// (<c>conv1/conv</c> gives Conv1), else after its weight as PyTorch names it (<c>features.0.weight</c>
/// gives Features0), else Layer1, Layer2, ...; always a C# identifier, distinct from the others in
/// any case (the generator lowers them for tensor names), from the class, and from the names the
/// generated code and <see cref="Network"/> use.
/// </summary>
internal static partial class LayerNames
{
    /// <summary>
    /// What the generated class or its base already calls a member or a type it uses by name (the
    /// generator's NG0032 list, which the runtime cannot reference, with <see cref="Network"/>'s members and <c>Layer</c>).
    /// </summary>
    private static readonly HashSet<string> Taken = new(StringComparer.Ordinal)
    {
        "Description", "Shapes", "TensorIndex", "MultiplyAdds", "ParameterCount", "Kernels", "BackwardKernels", "Launchers",
        "BackwardKernelLaunchers", "KernelLaunchers", "BackwardLaunchers", "ForwardPass", "BackwardPass", "Trainer",
        "CreateForwardPass", "CreateBackwardPass", "Partition", "Partitioning", "ColumnPass", "CreateColumnPass", "ColumnGeometry",
        "CpuGeometry", "RegisterInNetworkCatalog", "Accelerator", "Backend", "Layers", "Tensors", "XMath", "Vector512", "VectorMath",
        "CpuBatchNorm", "CpuConv", "CpuDense", "CpuEpilogue", "CpuGradients", "CpuLoss", "CpuLrn", "CpuPool", "CpuProfiler",
        "Info", "UsesKernelLibrary", "KernelLibrary", "Parameters", "Initialise", "WriteParameters", "ReadParameters", "Dispose",
        "Equals", "GetHashCode", "GetType", "ToString", "MemberwiseClone", "Finalize", "Layer",
    };

    /// <summary>Gives every layer its <see cref="ImportedLayer.Member"/>.</summary>
    public static void Assign(IReadOnlyList<ImportedLayer> layers, string className)
    {
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { className };
        // A source that gives two layers one name (every node under "model/...") names none of them.
        var fromNodes = Distinct(layers.Select(l => FromNode(l.Learnable.Node.Name)).ToArray());
        var fromWeights = Distinct(layers.Select(l => FromWeight(l.Learnable.WeightName)).ToArray());
        for (int i = 0; i < layers.Count; i++)
        {
            string wanted = fromNodes[i] ?? fromWeights[i] ?? $"Layer{i + 1}";
            if (Taken.Contains(wanted))
                wanted += "Layer";
            string name = wanted;
            for (int n = 2; !used.Add(name); n++)
                name = $"{wanted}_{n}";
            layers[i].Member = name;
        }
    }

    /// <summary>The names, each left out (null) where another layer would have it too.</summary>
    private static string?[] Distinct(string?[] names)
    {
        var counts = names.OfType<string>().GroupBy(n => n, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.Count(), StringComparer.OrdinalIgnoreCase);
        return names.Select(n => n is not null && counts[n] == 1 ? n : null).ToArray();
    }

    /// <summary>The layer part of a NetGen node name, <c>conv1/conv</c>: the text before the first slash, when it is an identifier.</summary>
    private static string? FromNode(string node)
    {
        int slash = node.IndexOf('/');
        return slash > 0 && Identifier().IsMatch(node[..slash]) ? Capitalised(node[..slash]) : null;
    }

    /// <summary>The module path of a PyTorch weight, <c>layer1.0.conv1.weight</c>, as one identifier: Layer10Conv1.</summary>
    private static string? FromWeight(string weight)
    {
        if (!weight.EndsWith(".weight", StringComparison.Ordinal))
            return null;
        var parts = NonWord().Split(weight[..^".weight".Length]).Where(p => p.Length > 0).ToArray();
        if (parts.Length == 0)
            return null;
        var name = new StringBuilder();
        foreach (string part in parts)
            name.Append(Capitalised(part));
        return char.IsDigit(name[0]) ? "Layer" + name : name.ToString();
    }

    private static string Capitalised(string part) => char.ToUpperInvariant(part[0]) + part[1..];

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]*$")]
    private static partial Regex Identifier();

    [GeneratedRegex("[^A-Za-z0-9]+")]
    private static partial Regex NonWord();
}
