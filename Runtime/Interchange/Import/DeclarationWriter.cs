using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace NetGen.Interchange;

/// <summary>Writes the <c>[Network]</c> declaration of the imported layers: one property per layer, its operations as attributes.</summary>
internal static class DeclarationWriter
{
    /// <summary>The declaration's C# source.</summary>
    /// <param name="className">The class's name.</param>
    /// <param name="namespaceName">Its namespace, or null for none.</param>
    /// <param name="source">What the comments call the model: its file name.</param>
    /// <param name="input">The network's input.</param>
    /// <param name="columns">Its columns (more than one where the model's LRNs normalise within columns).</param>
    /// <param name="layers">Its layers, in order, named.</param>
    public static string Write(string className, string? namespaceName, string source, Shape input, int columns, IReadOnlyList<ImportedLayer> layers)
    {
        var context = Context(layers);
        var text = new StringBuilder();
        text.Append($"// Written by netgen import from {source}. Its weights are in {className}.safetensors, under this network's\n");
        text.Append($"// parameter names: Checkpoint.Load(\"{className}.safetensors\", network.Info) reads them.\n");
        text.Append("using NetGen;\n\n");
        if (namespaceName is not null)
            text.Append($"namespace {namespaceName};\n\n");
        text.Append($"/// <summary>The ONNX model {Xml(source)}, imported: {layers.Count} layers.</summary>\n");
        var settings = new List<string> { $"Channels = {input.Channels}", $"Height = {input.Height}", $"Width = {input.Width}" };
        if (columns > 1)
            settings.Add($"Columns = {columns}");
        if (context.NetworkRound != Rounding.Exact)
            settings.Add($"Round = Rounding.{context.NetworkRound}");
        text.Append($"[Network({string.Join(", ", settings)})]\n");
        text.Append($"public sealed partial class {className}\n{{\n");
        for (int i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            if (i > 0)
                text.Append('\n');
            text.Append($"    /// <summary>{layer.Steps[^1].Shape.Shape}, from {Xml(layer.Learnable.Node.Describe())}.</summary>\n");
            text.Append($"    [{string.Join(", ", layer.Steps.Select(s => s.Attribute(context)).OfType<string>())}]\n");
            text.Append($"    public partial Layer {layer.Member} {{ get; }}\n");
        }
        text.Append("}\n");
        return text.ToString();
    }

    /// <summary>The network's rounding, the layers' names, and which layers read other than the previous one.</summary>
    private static DeclarationContext Context(IReadOnlyList<ImportedLayer> layers)
    {
        var members = layers.ToDictionary(l => l.Output, l => l.Member);
        var inputs = new Dictionary<ImportStep, string>();
        for (int i = 1; i < layers.Count; i++)
            if (layers[i].Source != layers[i - 1].Output)
                inputs[layers[i].Learnable] = members[layers[i].Source];
        return new DeclarationContext(NetworkRound(layers), members, inputs);
    }

    /// <summary>
    /// The rounding the network declares: the one most windows that need one take (floor on a tie,
    /// as PyTorch's convolutions round); a window it does not suit declares its own.
    /// </summary>
    private static Rounding NetworkRound(IReadOnlyList<ImportedLayer> layers)
    {
        var fits = layers.SelectMany(l => l.Steps).Select(s => s switch { ConvStep c => c.Fit, PoolStep p => p.Fit, _ => null }).OfType<WindowFit>().Where(f => f.NeedsRounding).ToList();
        if (fits.Count == 0)
            return Rounding.Exact;
        return fits.Count(f => f.Roundings.Contains(Rounding.Ceil)) > fits.Count(f => f.Roundings.Contains(Rounding.Floor)) ? Rounding.Ceil : Rounding.Floor;
    }

    /// <summary>Text for a documentation comment: quotes may stay, markup may not.</summary>
    private static string Xml(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
