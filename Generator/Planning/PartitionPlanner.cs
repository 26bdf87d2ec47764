using System.Collections.Generic;
using System.Linq;
using NetGen.Generator.Model;
using NetGen.Generator.Operations;

namespace NetGen.Generator.Planning;

/// <summary>
/// Splits a network with several columns over as many devices, as AlexNet was split over two GPUs.
/// Every activation after the image is split by channel (or unit): device d holds the d-th equal
/// run. The image is on every device. A kernel reads only what its device holds when its input is
/// the image, or when it is a convolution whose groups split over the columns (conv2, conv4, conv5);
/// lower-response normalisation sums within a column and pooling works channel by channel, so they
/// never cross. Any other convolution, and every dense layer, first gathers its input whole from
/// all devices (conv3, fc6, fc7, fc8), and in the backward pass returns to each device the part of
/// the input gradient that belongs to it. The loss gathers the logits, so every device computes
/// the same softmax and takes its own slice of <c>p - y</c>: no transfer in the loss's backward.
/// A last layer whose outputs (the classes) do not split evenly is computed whole on every device
/// instead: it gathers its input as a dense layer does, holds its whole weight, and writes the whole
/// logits, so the loss gathers nothing; every device then has the whole gradient of that input and
/// takes its own slice of it, so nothing returns either.
/// </summary>
internal static class PartitionPlanner
{
    public static PartitionPlan? Plan(NetworkModel model, IReadOnlyList<ActivationPlan> activations, IReadOnlyList<ParameterPlan> parameters,
        IReadOnlyList<KernelPlan> kernels, BackwardPlan backward)
    {
        int devices = model.Columns;
        if (devices < 2)
            return null;
        var fields = new HashSet<string>();
        var columnActivations = new List<ColumnActivationPlan>();
        var transfers = new List<TransferPlan>();
        var columnKernels = new List<ColumnKernelPlan>();
        var gatheringLayers = new HashSet<string>();
        var last = model.Layers[model.Layers.Count - 1];
        string? replicatedLayer = last.Output.Channels % devices != 0 ? last.Name : null;
        // The column activation holding each whole-network activation's slice (the image, and what
        // a replicated layer writes: whole).
        var slice = new int[activations.Count];
        var held = new bool[activations.Count];
        held[0] = true;
        Add(columnActivations, fields, activations[0].Name, activations[0].Field, activations[0].Shape, -1, 0);

        for (int k = 0; k < kernels.Count; k++)
        {
            var kernel = kernels[k];
            if (kernel.Operation.EndsNetwork)
                continue; // the loss computes it from the gathered logits
            bool replicated = kernel.Layer.Name == replicatedLayer;
            bool whole = held[kernel.Input];
            bool gathers = !whole && (replicated || kernel.Operation.GathersInput);
            int input = slice[kernel.Input];
            Shape inputShape = whole ? activations[kernel.Input].Shape : Split(kernel.Main.Input, devices);
            if (gathers)
            {
                input = Gather(columnActivations, fields, transfers, activations[kernel.Input], slice[kernel.Input], kernel.Input, kernel.Layer.Name, devices,
                    returnsGradient: !replicated);
                inputShape = kernel.Main.Input;
                gatheringLayers.Add(kernel.Layer.Name);
            }
            int groups = kernel.Operation.GroupsInColumn(slicedInput: !whole && !gathers, devices);
            var output = activations[kernel.Output];
            held[kernel.Output] = replicated;
            var outputShape = replicated ? output.Shape : Split(output.Shape, devices);
            slice[kernel.Output] = Add(columnActivations, fields, output.Name, output.Field, outputShape, -1, kernel.Output);
            int saved = kernel.Saved is { } before
                ? Add(columnActivations, fields, before.Name, before.Field, replicated ? before.Shape : Split(before.Shape, devices), -1, -1)
                : -1;
            // A join adds the device's slice of an earlier layer's output, split as its own output is (a join in a replicated layer is NG0031).
            int operand = kernel.JoinInput >= 0 ? slice[kernel.JoinInput] : -1;
            columnKernels.Add(new ColumnKernelPlan(k, input, slice[kernel.Output], saved, inputShape, outputShape, groups, replicated, operand));
        }
        int logits = held[backward.Logits] ? slice[backward.Logits]
            : Gather(columnActivations, fields, transfers, activations[backward.Logits], slice[backward.Logits], backward.Logits, "loss", devices, returnsGradient: false);
        // The loss's gradient is computed whole on every device, and so is a replicated layer's
        // input gradient: only the other gathering layers' input gradients return.
        foreach (var forward in transfers.Where(t => t.ReturnsGradient).ToList())
            transfers.Add(forward with
            {
                Tensor = forward.Tensor.Replace("[", ".grad["),
                Pass = "backward",
                From = forward.To,
                To = forward.From,
                ReturnsGradient = false,
            });

        var layers = model.Layers.Select(l => l.Name == replicatedLayer
            ? new LayerSplitPlan(l.Name, gatheringLayers.Contains(l.Name), Replicated: true, l.Ops[0].Output.Channels, l.Parameters, l.MultiplyAdds)
            : new LayerSplitPlan(l.Name, gatheringLayers.Contains(l.Name), Replicated: false, l.Ops[0].Output.Channels / devices, l.Parameters / devices, l.MultiplyAdds / devices));
        return new PartitionPlan(devices, layers.ToEquatableArray(), transfers.ToEquatableArray(), columnActivations.ToEquatableArray(),
            columnKernels.ToEquatableArray(), ColumnParameters(parameters, kernels, replicatedLayer, devices), logits,
            columnActivations.Sum(a => (long)a.Shape.Size), slice.ToEquatableArray());
    }

    /// <summary>
    /// Where each parameter tensor sits in a column's buffer: tensor after tensor, each cut to the
    /// column's rows (1 / devices of it), or whole for the replicated layer's and for a scalar.
    /// </summary>
    private static EquatableArray<ColumnParameterPlan> ColumnParameters(
        IReadOnlyList<ParameterPlan> parameters, IReadOnlyList<KernelPlan> kernels, string? replicatedLayer, int devices)
    {
        var replicated = new HashSet<int>();
        foreach (var kernel in kernels.Where(k => k.Layer.Name == replicatedLayer))
            replicated.UnionWith(kernel.Tensors);
        var result = new List<ColumnParameterPlan>();
        long offset = 0;
        for (int p = 0; p < parameters.Count; p++)
        {
            // A scalar (a count) has no rows to split: every column keeps its own, equal, copy.
            bool whole = replicated.Contains(p) || parameters[p].Dimensions.Count == 0;
            long count = whole ? parameters[p].Count : parameters[p].Count / devices;
            result.Add(new ColumnParameterPlan(parameters[p].Name, offset, count, whole));
            offset += count;
        }
        return result.ToEquatableArray();
    }

    private static Shape Split(Shape shape, int devices) => new(shape.Channels / devices, shape.Height, shape.Width);

    /// <summary>Adds the whole-width copy of an activation that a layer gathers, and a transfer per pair of devices.</summary>
    private static int Gather(List<ColumnActivationPlan> columnActivations, HashSet<string> fields, List<TransferPlan> transfers,
        ActivationPlan source, int slice, int sourceIndex, string layer, int devices, bool returnsGradient)
    {
        int channels = source.Shape.Channels / devices;
        long floats = (long)channels * source.Shape.Height * source.Shape.Width;
        for (int from = 0; from < devices; from++)
            for (int to = 0; to < devices; to++)
                if (from != to)
                    transfers.Add(new TransferPlan(layer, $"{source.Name}[{from * channels}:{(from + 1) * channels}]", "forward", from, to, floats)
                    {
                        ReturnsGradient = returnsGradient,
                    });
        return Add(columnActivations, fields, source.Name + ".all", source.Field + "All", source.Shape, slice, sourceIndex);
    }

    private static int Add(List<ColumnActivationPlan> list, HashSet<string> fields, string name, string field, Shape shape, int slice, int source)
    {
        string unique = field;
        for (int n = 2; !fields.Add(unique); n++)
            unique = field + n;
        list.Add(new ColumnActivationPlan(name, unique, shape, slice, source));
        return list.Count - 1;
    }
}
