using System;
using System.Collections.Generic;
using System.Linq;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Operations;
using NetGen.Generator.Parsing;
using NetGen.Generator.Attributes;

namespace NetGen.Generator.Model;

/// <summary>
/// Checks a parsed network and infers every shape, parameter count and multiply-add count. Pure:
/// plain values in, a model and diagnostics out.
/// </summary>
internal static class NetworkAnalyzer
{
    /// <summary>
    /// The names a layer property cannot take (NG0032), with what the generated network uses each
    /// for: the members it declares, the members of <c>NetGen.Network</c> it reads, and the types it
    /// calls by their simple name, which a property of that name in the class would hide.
    /// </summary>
    private static readonly Dictionary<string, string> TakenNames = Taken(
        ("its NetworkInfo", ["Description"]),
        ("its activation shapes", ["Shapes"]),
        ("its tensors' indices", ["TensorIndex"]),
        ("its element and parameter counts", ["MultiplyAdds", "ParameterCount"]),
        ("its kernels and their launchers", ["Kernels", "BackwardKernels", "Launchers", "BackwardKernelLaunchers", "KernelLaunchers", "BackwardLaunchers", "kernelLaunchers", "backwardLaunchers"]),
        ("its passes and trainer", ["ForwardPass", "BackwardPass", "Trainer", "CreateForwardPass", "CreateBackwardPass"]),
        ("its column split", ["Partition", "Partitioning", "ColumnPass", "CreateColumnPass", "ColumnGeometry"]),
        ("its CPU backend's sizes", ["CpuGeometry"]),
        ("its registration in the network catalog", ["RegisterInNetworkCatalog"]),
        ("a member of NetGen.Network it reads", ["Accelerator", "Backend", "Layers", "Tensors"]),
        ("a type it calls by name", ["XMath", "Vector512", "VectorMath", "CpuBatchNorm", "CpuConv", "CpuDense", "CpuEpilogue", "CpuGradients", "CpuLoss", "CpuLrn", "CpuPool", "CpuProfiler"]));

    private static Dictionary<string, string> Taken(params (string Use, string[] Names)[] groups) =>
        groups.SelectMany(g => g.Names.Select(n => (Name: n, g.Use))).ToDictionary(p => p.Name, p => p.Use, StringComparer.Ordinal);

    public static AnalysisResult Analyze(ParseResult parsed)
    {
        var diagnostics = parsed.Diagnostics.ToList();
        NetworkModel? model = parsed.Spec is { } spec ? Build(spec, diagnostics) : null;
        return new AnalysisResult(parsed.Type, diagnostics.Any(d => d.IsError) ? null : model, parsed.LayerMembers, diagnostics.ToEquatableArray());
    }

    private static NetworkModel? Build(NetworkSpec spec, List<DiagnosticInfo> diagnostics)
    {
        int before = diagnostics.Count;
        var check = new RangeCheck(diagnostics);
        string network = spec.Type.Name;
        check.AtLeast(spec.Location, network, nameof(NetworkAttribute.Channels), spec.Channels, 1);
        check.AtLeast(spec.Location, network, nameof(NetworkAttribute.Height), spec.Height, 1);
        check.AtLeast(spec.Location, network, nameof(NetworkAttribute.Width), spec.Width, 1);
        check.AtLeast(spec.Location, network, nameof(NetworkAttribute.Columns), spec.Columns, 1);
        check.Rounding(spec.Location, network, (Rounding)spec.Round);
        if (diagnostics.Count == before && new Shape(spec.Channels, spec.Height, spec.Width) is { Size: > int.MaxValue } image)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TooLarge, spec.Location, network, "input", image.ExactSize, int.MaxValue));
        if (spec.Layers.Count == 0)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoLayers, spec.Location, network));
        foreach (var clash in spec.Layers.GroupBy(l => l.Member.ToLowerInvariant()).Where(g => g.Count() > 1))
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateLayerName, clash.ElementAt(1).Location,
                clash.First().Member, clash.ElementAt(1).Member, clash.Key));
        foreach (var layer in spec.Layers)
            if (TakenNames.TryGetValue(layer.Member, out var use))
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerNameTaken, layer.Location, layer.Member, network, use));

        var specLayers = WithClasses(spec, check, diagnostics);

        // Shapes are followed while they work out; after the first shape error, later layers are
        // still checked for their own mistakes but not for shapes that depend on a wrong one.
        Shape? shape = diagnostics.Count == before ? new Shape(spec.Channels, spec.Height, spec.Width) : null;
        int columns = Math.Max(1, spec.Columns);
        string? flattenedBy = null; // the last dense layer, whose flat output the activation is
        var layers = new List<LayerModel>();
        // Each earlier layer's output, by member name, for the layers that read one by nameof.
        var outputs = new Dictionary<string, (Shape? Shape, string? FlattenedBy)>(StringComparer.Ordinal);
        for (int i = 0; i < specLayers.Count; i++)
        {
            var layer = specLayers[i];
            if (i > 0)
                outputs[specLayers[i - 1].Member] = (shape, flattenedBy);
            // A learnable operation may read an earlier layer in place of the previous one.
            string? inputLayer = layer.InputLayer;
            if (inputLayer is not null)
            {
                if (Earlier(spec, specLayers, i, inputLayer, layer.Ops[0], outputs, diagnostics) is { } read)
                    (shape, flattenedBy) = read;
                else
                    shape = null;
            }
            // The last layer's outputs are the classes, any number of them: when they do not split
            // over the columns, every column computes the whole layer (an operation that stays in
            // its column, as normalisation does, would have no column to stay in, so it still splits).
            int split = i == specLayers.Count - 1 && !layer.Ops.Any(o => o.StaysInColumn) ? 1 : columns;
            if (!layer.Incomplete)
                CheckLearnable(layer, diagnostics);
            var input = shape;
            var ops = new List<OpModel>();
            var tensors = new List<TensorSpec>();
            long multiplyAdds = 0;
            for (int j = 0; j < layer.Ops.Count; j++)
            {
                var op = layer.Ops[j];
                string who = op is LearnableOperation ? layer.Member : $"{layer.Member} {op.AttributeName}";
                int reported = check.Count;
                op.Check(check, who);
                bool valid = check.Count == reported;
                if (op.EndsNetwork && (i != specLayers.Count - 1 || j != layer.Ops.Count - 1))
                {
                    string next = j + 1 < layer.Ops.Count ? $"{layer.Ops[j + 1].AttributeName} on {layer.Member}" : $"layer {specLayers[i + 1].Member}";
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SoftmaxNotLast, op.Location, layer.Member, next));
                }
                if (op.IsSpatial && flattenedBy is not null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SpatialAfterDense, op.Location,
                        $"{op.AttributeName} on {layer.Member}", flattenedBy, shape?.Size.ToString() ?? "?"));
                    valid = false;
                }
                if (op.Flattens)
                    flattenedBy = layer.Member;
                if (op is JoinOperation join && !CheckJoin(spec, specLayers, i, layer, j, join, shape, outputs, diagnostics))
                    valid = false;
                if (shape is not { } current || !valid)
                {
                    shape = null;
                    continue;
                }
                var output = op.Infer(new ShapeRule(who, current, columns, split, firstLayer: i == 0, op.Location, diagnostics));
                if (output is { } o && o.Size > int.MaxValue)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TooLarge, op.Location, who, "output", o.ExactSize, int.MaxValue));
                    output = null;
                }
                shape = output;
                if (output is { } result)
                {
                    ops.Add(new OpModel(op with { Location = null }, current, result, i * 32 + j));
                    tensors.AddRange(op.Tensors(current, result));
                    multiplyAdds += op.MultiplyAdds(current, result);
                }
            }
            if (layer.Incomplete)
                shape = null; // what the unread operations make of it is unknown
            if (input is { } layerInput && shape is not null && ops.Count == layer.Ops.Count && ops.Count > 0 && tensors.Count > 0)
                layers.Add(new LayerModel(layer.Member, layer.Modifiers, layer.Member.ToLowerInvariant(), i, layerInput,
                    ops.ToEquatableArray(), tensors.ToEquatableArray(), multiplyAdds, inputLayer));
        }
        CheckGraph(specLayers, diagnostics);
        if (diagnostics.Skip(before).Any(d => d.IsError))
            return null;
        return new NetworkModel(spec.Type, new Shape(spec.Channels, spec.Height, spec.Width), columns, layers.ToEquatableArray(), spec.Registration);
    }

    /// <summary>
    /// The layers with the network's <c>Classes</c> applied: a network that takes another's layers
    /// gets its own class count in the last layer; one that declares its layers must agree (NG0022).
    /// </summary>
    private static IReadOnlyList<LayerSpec> WithClasses(NetworkSpec spec, RangeCheck check, List<DiagnosticInfo> diagnostics)
    {
        if (spec.Classes == 0 || spec.Layers.Count == 0)
            return spec.Layers;
        if (spec.Classes < 0)
        {
            check.AtLeast(spec.Location, spec.Type.Name, nameof(NetworkAttribute.Classes), spec.Classes, 1);
            return spec.Layers;
        }
        var last = spec.Layers[spec.Layers.Count - 1];
        if (last.Incomplete || last.Ops.Count == 0 || last.Ops[0] is not LearnableOperation learnable || learnable.Outputs == spec.Classes)
            return spec.Layers; // NG0013 reports a last layer without a learnable operation first
        if (spec.LayersFrom is null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ClassesMismatch, spec.Location,
                spec.Type.Name, spec.Classes, last.Member, learnable.Outputs, learnable.OutputsName));
            return spec.Layers;
        }
        var ops = new[] { (Operation)learnable.WithOutputs(spec.Classes) }.Concat(last.Ops.Skip(1)).ToEquatableArray();
        return spec.Layers.Take(spec.Layers.Count - 1).Concat(new[] { last with { Ops = ops } }).ToList();
    }

    /// <summary>
    /// The output of the earlier layer <paramref name="name"/> that <paramref name="op"/> of layer
    /// <paramref name="index"/> reads, or null after NG0026 (or when that layer's shape is unknown).
    /// </summary>
    private static (Shape Shape, string? FlattenedBy)? Earlier(NetworkSpec spec, IReadOnlyList<LayerSpec> layers, int index, string name, Operation op,
        Dictionary<string, (Shape? Shape, string? FlattenedBy)> outputs, List<DiagnosticInfo> diagnostics)
    {
        if (!outputs.TryGetValue(name, out var output))
        {
            var earlier = layers.Take(index).Select(l => l.Member).ToList();
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownLayer, op.Location, layers[index].Member, name, spec.Type.Name,
                earlier.Count == 0 ? "no layer (it is the first)" : string.Join(", ", earlier)));
            return null;
        }
        return output.Shape is { } shape ? (shape, output.FlattenedBy) : null;
    }

    /// <summary>NG0028 unless a join follows the main operation; NG0026 and NG0027 unless it names an earlier layer of its own shape.</summary>
    private static bool CheckJoin(NetworkSpec spec, IReadOnlyList<LayerSpec> layers, int index, LayerSpec layer, int position, JoinOperation join, Shape? shape,
        Dictionary<string, (Shape? Shape, string? FlattenedBy)> outputs, List<DiagnosticInfo> diagnostics)
    {
        if (position == 0 || layer.Ops[position - 1] is not MainOperation)
        {
            string after = position == 0 ? "nothing" : layer.Ops[position - 1].AttributeName;
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.JoinNotAfterMain, join.Location, layer.Member, join.AttributeName, after));
            return false;
        }
        if (Earlier(spec, layers, index, join.Layer, join, outputs, diagnostics) is not { } other)
            return outputs.ContainsKey(join.Layer);
        if (shape is { } own && !own.Equals(other.Shape))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.AddShapeMismatch, join.Location, layer.Member, join.Layer, other.Shape.ToString(), own.ToString(),
                Differences(other.Shape, own), own.Channels));
            return false;
        }
        return true;
    }

    /// <summary>What differs between two shapes, with the arithmetic: "channels 16 against 32, height 28 against 14".</summary>
    private static string Differences(Shape a, Shape b)
    {
        var parts = new List<string>();
        if (a.Channels != b.Channels)
            parts.Add($"channels {a.Channels} against {b.Channels}");
        if (a.Height != b.Height)
            parts.Add($"height {a.Height} against {b.Height}");
        if (a.Width != b.Width)
            parts.Add($"width {a.Width} against {b.Width}");
        return string.Join(", ", parts);
    }

    /// <summary>
    /// The rules of a network that is a graph: every layer but the last is read (NG0029); a bias
    /// straight before BatchNorm is cancelled by it (NG0030, a warning); one BatchNorm a layer
    /// (NG0031). (A join in a last layer that every column computes whole needs no rule: what it
    /// adds has its shape, so it would not split over the columns either, which is NG0006.)
    /// </summary>
    private static void CheckGraph(IReadOnlyList<LayerSpec> layers, List<DiagnosticInfo> diagnostics)
    {
        var read = new HashSet<string>(StringComparer.Ordinal);
        var readers = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < layers.Count; i++)
        {
            var ops = layers[i].Ops;
            if (i > 0)
            {
                string source = layers[i].InputLayer ?? layers[i - 1].Member;
                read.Add(source);
                readers[layers[i].Member] = source;
            }
            foreach (var join in ops.OfType<JoinOperation>())
                read.Add(join.Layer);
            for (int j = 0; j + 1 < ops.Count; j++)
                if (ops[j] is LearnableOperation { HasBias: true } && ops[j + 1].CancelsBias)
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BiasBeforeBatchNorm, ops[j].Location, layers[i].Member, ops[j + 1].AttributeName));
            foreach (var extra in ops.Where(o => o.TensorPrefix is not null).GroupBy(o => o.TensorPrefix).SelectMany(g => g.Skip(1)))
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.RepeatedBatchNorm, extra.Location, layers[i].Member, layers[i].Member.ToLowerInvariant(),
                    extra.AttributeName, extra.TensorPrefix!));
        }
        for (int i = 0; i + 1 < layers.Count; i++)
        {
            if (read.Contains(layers[i].Member) || layers[i].Incomplete)
                continue;
            var next = layers[i + 1];
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnreadLayer, layers[i].Location, layers[i].Member,
                layers[i].Member.ToLowerInvariant(), next.Member, readers.TryGetValue(next.Member, out var source) ? source : "?"));
        }
    }

    /// <summary>NG0013: one learnable operation, and it comes first.</summary>
    private static void CheckLearnable(LayerSpec layer, List<DiagnosticInfo> diagnostics)
    {
        var learnables = layer.Ops.Where(o => o is LearnableOperation).ToList();
        if (layer.Ops.Count == 0 || learnables.Count == 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotOneLearnable, layer.Ops.Count == 0 ? layer.Location : layer.Ops[0].Location,
                layer.Member, layer.Ops.Count == 0 ? "has no operations" : "has no Conv or Dense"));
            return;
        }
        if (layer.Ops[0] is not LearnableOperation)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotOneLearnable, layer.Ops[0].Location, layer.Member,
                $"starts with {layer.Ops[0].AttributeName}"));
        foreach (var extra in learnables.Skip(1))
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotOneLearnable, extra.Location, layer.Member,
                $"has a second learnable operation, {extra.AttributeName}"));
    }
}
