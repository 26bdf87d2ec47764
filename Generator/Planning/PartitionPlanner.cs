using System.Collections.Generic;
using System.Linq;
using NetGen.Generator.Model;

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
/// </summary>
internal static class PartitionPlanner
{
    public static PartitionPlan? Plan(NetworkModel model, IReadOnlyList<ActivationPlan> activations, IReadOnlyList<KernelPlan> kernels, BackwardPlan backward)
    {
        int devices = model.Columns;
        if (devices < 2)
            return null;
        var fields = new HashSet<string>();
        var columnActivations = new List<ColumnActivationPlan>();
        var transfers = new List<TransferPlan>();
        var columnKernels = new List<ColumnKernelPlan>();
        var gatheringLayers = new HashSet<string>();
        // The column activation holding each whole-network activation's slice (the image: whole).
        var slice = new int[activations.Count];
        Add(columnActivations, fields, activations[0].Name, activations[0].Field, activations[0].Shape, -1, 0);

        for (int k = 0; k < kernels.Count; k++)
        {
            var kernel = kernels[k];
            if (kernel.Main.Op is SoftmaxSpec)
                continue; // the loss computes it from the gathered logits
            bool whole = kernel.Input == 0;
            bool gathers = !whole && kernel.Main.Op is DenseSpec or ConvSpec { Groups: 1 };
            int input = slice[kernel.Input];
            Shape inputShape = whole ? activations[0].Shape : Split(kernel.Main.Input, devices);
            if (gathers)
            {
                input = Gather(columnActivations, fields, transfers, activations[kernel.Input], slice[kernel.Input], kernel.Input, kernel.Layer.Name, devices);
                inputShape = kernel.Main.Input;
                gatheringLayers.Add(kernel.Layer.Name);
            }
            int groups = kernel.Main.Op is ConvSpec conv && !whole && !gathers ? conv.Groups / devices : 1;
            var output = activations[kernel.Output];
            slice[kernel.Output] = Add(columnActivations, fields, output.Name, output.Field, Split(output.Shape, devices), -1, kernel.Output);
            columnKernels.Add(new ColumnKernelPlan(k, input, slice[kernel.Output], inputShape, Split(kernel.Main.Output, devices), groups));
        }
        int logits = Gather(columnActivations, fields, transfers, activations[backward.Logits], slice[backward.Logits], backward.Logits, "loss", devices);
        // The loss's gradient is computed whole on every device, so only the layers' input gradients return.
        foreach (var forward in transfers.Where(t => t.Layer != "loss").ToList())
            transfers.Add(forward with
            {
                Tensor = forward.Tensor.Replace("[", ".grad["),
                Pass = "backward",
                From = forward.To,
                To = forward.From,
            });

        var layers = model.Layers.Select(l => new LayerSplitPlan(
            l.Name, gatheringLayers.Contains(l.Name), l.BiasCount / devices, l.Parameters / devices, l.MultiplyAdds / devices));
        return new PartitionPlan(devices, layers.ToEquatableArray(), transfers.ToEquatableArray(), columnActivations.ToEquatableArray(),
            columnKernels.ToEquatableArray(), logits, columnActivations.Sum(a => (long)a.Shape.Size));
    }

    private static Shape Split(Shape shape, int devices) => new(shape.Channels / devices, shape.Height, shape.Width);

    /// <summary>Adds the whole-width copy of an activation that a layer gathers, and a transfer per pair of devices.</summary>
    private static int Gather(List<ColumnActivationPlan> columnActivations, HashSet<string> fields, List<TransferPlan> transfers,
        ActivationPlan source, int slice, int sourceIndex, string layer, int devices)
    {
        int channels = source.Shape.Channels / devices;
        long floats = (long)channels * source.Shape.Height * source.Shape.Width;
        for (int from = 0; from < devices; from++)
            for (int to = 0; to < devices; to++)
                if (from != to)
                    transfers.Add(new TransferPlan(layer, $"{source.Name}[{from * channels}:{(from + 1) * channels}]", "forward", from, to, floats));
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
