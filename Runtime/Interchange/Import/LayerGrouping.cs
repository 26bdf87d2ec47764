using System.Collections.Generic;
using System.Linq;

namespace NetGen.Interchange;

/// <summary>
/// Groups the operations into NetGen's layers. Each convolution or dense layer starts one; an
/// operation after it joins it while it reads the layer's value and nothing else does, since a
/// NetGen layer is read only at its end. A value several operations read therefore ends its layer,
/// and the layers that read it say so (<c>Input = nameof(...)</c>); a residual Add continues the
/// layer of its first operand where it can (as <c>out + identity</c> reads) and names the other
/// (<c>Add(nameof(...))</c>). The layers are then put in an order where each comes after what it
/// reads, otherwise in the graph's order.
/// </summary>
internal sealed class LayerGrouping
{
    private readonly OnnxModel model;
    private readonly Dictionary<string, List<ImportStep>> readers;
    private readonly Dictionary<string, ImportedLayer> openEnds = [];
    private readonly Dictionary<string, string> flattened = [];
    private readonly List<ImportedLayer> layers = [];

    private LayerGrouping(OnnxModel model, IReadOnlyList<ImportStep> steps)
    {
        this.model = model;
        readers = steps.SelectMany(s => s.Reads.Select(value => (value, s))).GroupBy(p => p.value).ToDictionary(g => g.Key, g => g.Select(p => p.s).ToList());
    }

    /// <summary>The layers in declaration order, and the columns the model's LRNs normalise within (1 without split LRNs).</summary>
    public static (IReadOnlyList<ImportedLayer> Layers, int Columns) Group(OnnxModel model, IReadOnlyList<ImportStep> steps)
    {
        var grouping = new LayerGrouping(model, steps);
        for (int i = 0; i < steps.Count; i++)
            grouping.Place(steps[i], i);
        var ordered = grouping.Order();
        foreach (var layer in ordered)
            FoldBiasIntoBatchNorm(layer);
        CheckSoftmax(model, ordered);
        return (ordered, Columns(model, ordered));
    }

    private string Resolve(string value) => flattened.TryGetValue(value, out var source) ? source : value;

    /// <summary>Whether <paramref name="step"/> is the one reader of <paramref name="value"/>, which is not the graph's output.</summary>
    private bool OnlyReader(string value, ImportStep step) => value != model.Output && readers[value] is [var only] && only == step;

    /// <summary>How many operations read <paramref name="value"/>, the graph's output counting as one.</summary>
    private int ReaderCount(string value) => readers.GetValueOrDefault(value, []).Count + (value == model.Output ? 1 : 0);

    private void Place(ImportStep step, int position)
    {
        if (step is LearnableStep learnable)
        {
            var layer = new ImportedLayer(learnable, Resolve(step.Input), position);
            layers.Add(layer);
            openEnds[step.Output] = layer;
        }
        else if (step is AddStep add)
            Join(add);
        else if (openEnds.TryGetValue(step.Input, out var layer) && OnlyReader(step.Input, step))
        {
            if (step is BatchNormStep && layer.Steps.OfType<BatchNormStep>().FirstOrDefault() is { } first)
                throw model.Refuse(step.Node, $"is a second BatchNormalization in the layer of {layer.Learnable.Node.Describe()} (after {first.Node.Describe()}); NetGen's layer has one");
            Continue(layer, step, step.Input);
        }
        else if (step is FlattenStep && readers.GetValueOrDefault(step.Output, []).All(r => r is DenseStep))
            flattened[step.Output] = Resolve(step.Input); // a dense layer flattens what it reads itself
        else
            throw model.Refuse(step.Node, WhyNotInALayer(step.Input));
    }

    private void Continue(ImportedLayer layer, ImportStep step, string from)
    {
        layer.Steps.Add(step);
        openEnds.Remove(from);
        openEnds[step.Output] = layer;
    }

    /// <summary>The add joins the layer of its first operand if it can, else of its second: NetGen's Add comes right after a main operation.</summary>
    private void Join(AddStep add)
    {
        var problems = new List<string>();
        foreach (string operand in add.Operands)
        {
            if (!openEnds.TryGetValue(operand, out var layer) || !OnlyReader(operand, add))
                problems.Add(WhyNotInALayer(operand));
            else if (!layer.LastWritten.IsMain)
                problems.Add($"adds to \"{operand}\", which {layer.LastWritten.Node.Describe()} wrote; NetGen's Add comes right after a layer's Conv, Gemm, BatchNormalization, LRN or pooling, before its activations");
            else
            {
                add.Join(operand);
                Continue(layer, add, operand);
                return;
            }
        }
        throw model.Refuse(add.Node, problems[0]);
    }

    private string WhyNotInALayer(string value) =>
        value == model.Input ? $"reads the network's input \"{value}\"; a NetGen network starts with a Conv or Gemm"
        : ReaderCount(value) > 1 ? $"reads \"{value}\", which {(value == model.Output ? "is also the graph's output" : $"{ReaderCount(value)} operations read")}; " +
            "a NetGen layer is read only at its end, so only a Conv or Gemm (Input = nameof(...)) or an Add (Add(nameof(...))) can read an output that several read"
        : $"reads \"{value}\", which is not the end of a layer that starts with a Conv or Gemm";

    /// <summary>The layers in an order where each comes after the layers it reads and adds, otherwise in the graph's order.</summary>
    private List<ImportedLayer> Order()
    {
        var byOutput = layers.ToDictionary(l => l.Output);
        ImportedLayer? Producer(string value) => value == model.Input ? null : byOutput.GetValueOrDefault(value);
        var needs = new Dictionary<ImportedLayer, List<ImportedLayer>>();
        foreach (var layer in layers)
        {
            var needed = new List<ImportedLayer>();
            if (layer.Source != model.Input)
                needed.Add(Producer(layer.Source) ?? throw model.Refuse(layer.Learnable.Node, $"reads \"{layer.Source}\", which is not the end of a layer"));
            foreach (var add in layer.Steps.OfType<AddStep>())
            {
                string other = add.Other = Resolve(add.Other);
                if (other == model.Input)
                    throw model.Refuse(add.Node, $"adds the network's input \"{other}\"; NetGen's Add adds an earlier layer's output");
                needed.Add(Producer(other) ?? throw model.Refuse(add.Node, $"adds \"{other}\", which is not the end of a layer"));
            }
            needs[layer] = needed;
        }

        if (layers.Count == 0)
            throw model.Refuse("the graph has no Conv, Gemm or MatMul; a NetGen network is layers that each start with one");
        var ordered = new List<ImportedLayer>();
        var waiting = layers.OrderBy(l => l.Position).ToList();
        while (waiting.Count > 0)
        {
            var next = waiting.First(l => needs[l].All(ordered.Contains)); // the graph is acyclic, so one is ready
            ordered.Add(next);
            waiting.Remove(next);
        }

        string output = Resolve(model.Output);
        if (ordered[^1].Output != output)
            throw model.Refuse($"the graph's output \"{model.Output}\" is not the end of its last layer");
        if (ordered[0].Source != model.Input)
            throw model.Refuse(ordered[0].Learnable.Node, "starts the network but does not read its input");
        foreach (var layer in ordered.Skip(1).Where(l => l.Source == model.Input))
            throw model.Refuse(layer.Learnable.Node, $"reads the network's input, as {ordered[0].Learnable.Node.Describe()} does; NetGen's layers after the first read an earlier layer's output");
        return ordered;
    }

    /// <summary>
    /// A bias right before batch normalisation is cancelled by its mean in training and shifts its
    /// running mean in evaluation (NetGen warns, NG0030): it moves into the running mean, and the
    /// layer has no bias.
    /// </summary>
    private static void FoldBiasIntoBatchNorm(ImportedLayer layer)
    {
        if (layer.Learnable.Bias is not { } bias || layer.Steps.Count < 2 || layer.Steps[1] is not BatchNormStep norm)
            return;
        norm.Mean = norm.Mean.Select((mean, c) => mean - bias[c]).ToArray();
        layer.Learnable.Bias = null;
    }

    private static void CheckSoftmax(OnnxModel model, IReadOnlyList<ImportedLayer> layers)
    {
        foreach (var softmax in layers.SelectMany(l => l.Steps).OfType<SoftmaxStep>())
            if (softmax != layers[^1].LastWritten)
                throw model.Refuse(softmax.Node, "is not the network's last operation; NetGen's Softmax ends the network");
    }

    /// <summary>
    /// The columns the model's LRNs normalise within, and the checks NetGen makes of a network with
    /// that many: every layer's outputs but the last's split evenly over them (a last layer with an
    /// LRN too), and a grouped convolution's groups do too, except in the first layer, which cannot be grouped.
    /// </summary>
    private static int Columns(OnnxModel model, IReadOnlyList<ImportedLayer> layers)
    {
        var lrns = layers.SelectMany(l => l.Steps).OfType<LrnStep>().ToList();
        if (lrns.Count == 0)
            return 1;
        int columns = lrns[0].Columns;
        foreach (var lrn in lrns.Where(l => l.Columns != columns))
            throw model.Refuse(lrn.Node, $"normalises within {lrn.Columns} column(s) where {lrns[0].Node.Describe()} normalises within {columns}; NetGen's LRNs all follow the network's Columns");
        if (columns == 1)
            return 1;
        string why = $"; the model's LRNs normalise within {columns} columns, which NetGen declares as Columns = {columns}";
        for (int i = 0; i < layers.Count; i++)
        {
            var learnable = layers[i].Learnable;
            int outputs = learnable.Shape.Shape.Channels;
            if (learnable is ConvStep { Groups: > 1 } conv && (i == 0 || conv.Groups % columns != 0))
                throw model.Refuse(conv.Node, i == 0
                    ? $"is grouped ({conv.Groups} groups) in the first layer, which every column reads whole{why}"
                    : $"has {conv.Groups} groups, which do not split into {columns} columns{why}");
            if ((i < layers.Count - 1 || layers[i].Steps.Any(s => s is LrnStep)) && outputs % columns != 0)
                throw model.Refuse(learnable.Node, $"has {outputs} outputs, which do not split into {columns} columns{why}");
        }
        return columns;
    }
}
