using NetGen.Generator.Model;

namespace NetGen.Generator.Planning;

/// <summary>How one layer splits over the devices: each computes an equal, contiguous run of its outputs, or, replicated, all of them.</summary>
/// <param name="Layer">Lower-case layer name: conv3.</param>
/// <param name="ReadsOtherDevice">Whether the layer's input must be gathered from every device before it runs.</param>
/// <param name="Replicated">Whether every device computes the whole layer (a last layer whose outputs do not split evenly).</param>
/// <param name="OutputsPerDevice">Filters or units each device computes; device d computes [d * n, (d + 1) * n) and holds those rows of the weight and bias (replicated: all of them).</param>
internal sealed record LayerSplitPlan(string Layer, bool ReadsOtherDevice, bool Replicated, int OutputsPerDevice, long ParametersPerDevice, long MultiplyAddsPerDevice);

/// <summary>Where one parameter tensor sits in a column's parameter buffer.</summary>
/// <param name="Offset">Its start in the column's buffer.</param>
/// <param name="Count">The floats the column holds: its rows, or the whole tensor when <paramref name="Whole"/>.</param>
/// <param name="Whole">Whether every column holds the whole tensor (a replicated layer's, or a scalar such as num_batches_tracked).</param>
internal sealed record ColumnParameterPlan(string Name, long Offset, long Count, bool Whole);

/// <summary>One copy between devices, per image.</summary>
/// <param name="Layer">The layer whose input it feeds (forward) or whose input gradient it returns (backward); "loss" for the logits.</param>
/// <param name="Tensor">The slice moved, as <c>conv2.maxpool[128:256]</c> (channels or units).</param>
/// <param name="Pass">"forward" or "backward".</param>
internal sealed record TransferPlan(string Layer, string Tensor, string Pass, int From, int To, long FloatsPerImage)
{
    /// <summary>Whether the gradient of what a forward transfer moved goes back the other way (not for the logits, nor a replicated layer's input).</summary>
    public bool ReturnsGradient { get; init; }
}

/// <summary>
/// One activation buffer of a column (one device's share): either the device's own slice of an
/// activation of the whole network, or a whole-width copy assembled from every device's slice.
/// </summary>
/// <param name="Name">As in the whole network (conv2.maxpool), or with ".all" for an assembled copy.</param>
/// <param name="Slice">For an assembled copy: the column activation whose slices it gathers; else -1.</param>
/// <param name="Source">The activation of the whole network this is a slice or copy of.</param>
internal sealed record ColumnActivationPlan(string Name, string Field, Shape Shape, int Slice, int Source);

/// <summary>One fused group as a column runs it.</summary>
/// <param name="Kernel">The whole network's kernel (its index in <see cref="NetworkPlan.Kernels"/>).</param>
/// <param name="Input">The column activation it reads: its own slice, the replicated image, or an assembled copy.</param>
/// <param name="Output">The column activation it writes: the device's slice of the kernel's output.</param>
/// <param name="Saved">The column activation keeping its value from before the epilogue (see <see cref="KernelPlan.Saved"/>), or -1.</param>
/// <param name="InputShape">What it reads per image.</param>
/// <param name="OutputShape">What it writes per image.</param>
/// <param name="Groups">Convolution groups within the column.</param>
/// <param name="Replicated">Whether every column computes the whole group (the replicated last layer's).</param>
/// <param name="Operand">The column activation its join reads (the device's slice of an earlier layer's output), or -1.</param>
internal sealed record ColumnKernelPlan(int Kernel, int Input, int Output, int Saved, Shape InputShape, Shape OutputShape, int Groups, bool Replicated, int Operand = -1);

/// <summary>
/// The model-parallel split of a network with <c>Columns</c> > 1 (AlexNet's two GPUs, section 3.2 of
/// the paper): every layer's outputs split evenly over the devices; a layer whose input the
/// device does not hold whole (a convolution with one group, a dense layer) gathers it from every
/// device first, and its input gradient goes back the same way; the loss gathers the logits.
/// </summary>
/// <param name="Logits">The column activation holding the whole logits, assembled for the loss.</param>
/// <param name="ActivationFloatsPerImage">Per device: its own slices plus the assembled copies.</param>
/// <param name="Slices">For each activation of the whole network, the column activation holding the device's slice of it (or all of it).</param>
internal sealed record PartitionPlan(
    int Devices,
    EquatableArray<LayerSplitPlan> Layers,
    EquatableArray<TransferPlan> Transfers,
    EquatableArray<ColumnActivationPlan> Activations,
    EquatableArray<ColumnKernelPlan> Kernels,
    EquatableArray<ColumnParameterPlan> Parameters,
    int Logits,
    long ActivationFloatsPerImage,
    EquatableArray<int> Slices);
