using System.Collections.Generic;
using System.Linq;

namespace NetGen;

/// <summary>
/// How a network with several columns splits over as many devices, as the generator planned it
/// (the generated <c>Partition</c> property): which device computes which outputs of each layer,
/// and every copy between devices.
/// </summary>
/// <param name="Devices">As many as the network's columns.</param>
/// <param name="Layers">Every layer, in order.</param>
/// <param name="Parameters">Every parameter tensor, in the network's order: where it sits in a device's parameter buffer.</param>
/// <param name="Transfers">Every copy between two devices, forward ones first, each per image.</param>
/// <param name="ActivationFloatsPerImage">Activation values each device holds per image: its own slices and the whole-width copies it gathers.</param>
public sealed record PartitionInfo(int Devices, IReadOnlyList<LayerSplit> Layers, IReadOnlyList<ParameterSplit> Parameters, IReadOnlyList<Transfer> Transfers,
    long ActivationFloatsPerImage)
{
    /// <summary>Parameters each device holds (every device holds as many).</summary>
    public long ParametersPerDevice => Layers.Sum(l => l.ParametersPerDevice);

    /// <summary>Forward multiply-adds per image on each device.</summary>
    public long MultiplyAddsPerDevice => Layers.Sum(l => l.MultiplyAddsPerDevice);

    /// <summary>Bytes one device sends per image in <paramref name="pass"/> ("forward" or "backward").</summary>
    public long BytesSentPerImage(int device, string pass) =>
        Transfers.Where(t => t.From == device && t.Pass == pass).Sum(t => t.BytesPerImage);

    /// <summary>
    /// Bytes a device sends per multiply-add it computes in a training step, counting the backward
    /// pass as twice the forward's arithmetic: how much the split leans on the link.
    /// </summary>
    public double BytesPerMultiplyAdd(int device) =>
        (double)(BytesSentPerImage(device, "forward") + BytesSentPerImage(device, "backward")) / (3.0 * MultiplyAddsPerDevice);
}

/// <summary>One layer's share on each device.</summary>
/// <param name="Name">Lower-case layer name: conv3.</param>
/// <param name="ReadsOtherDevice">Whether the layer gathers its input from every device before it runs.</param>
/// <param name="OutputsPerDevice">Filters or units per device: device d computes outputs [d * n, (d + 1) * n) and holds those rows of the weight and the bias (replicated: all of them).</param>
/// <param name="ParametersPerDevice">Weights and biases each device holds.</param>
/// <param name="MultiplyAddsPerDevice">Forward multiply-adds per image on each device.</param>
/// <param name="Replicated">
/// Whether every device computes the whole layer: a last layer whose outputs (the classes) do not
/// split evenly over the devices. It gathers its input, and every device then holds the whole
/// logits and the whole gradient of that input, so nothing goes back.
/// </param>
public sealed record LayerSplit(string Name, bool ReadsOtherDevice, int OutputsPerDevice, long ParametersPerDevice, long MultiplyAddsPerDevice, bool Replicated = false)
{
    /// <summary>The first output device <paramref name="device"/> computes; it computes <see cref="OutputsPerDevice"/> from there.</summary>
    public int FirstOutput(int device) => Replicated ? 0 : device * OutputsPerDevice;
}

/// <summary>Where one parameter tensor sits in each device's parameter buffer.</summary>
/// <param name="Name"><c>conv1.weight</c>, as in <see cref="NetworkInfo.Parameters"/>.</param>
/// <param name="ColumnOffset">Its start in a device's buffer.</param>
/// <param name="ColumnCount">The floats a device holds: its rows (device d: rows [d * n, (d + 1) * n) of the tensor's first dimension), or all of them when <paramref name="Whole"/>.</param>
/// <param name="Whole">Whether every device holds the whole tensor (a replicated layer's).</param>
public sealed record ParameterSplit(string Name, long ColumnOffset, long ColumnCount, bool Whole)
{
    /// <summary>Where device <paramref name="column"/>'s part starts in the whole tensor, <paramref name="tensor"/> (the network's parameter table entry).</summary>
    public long WholeOffset(ParameterInfo tensor, int column) => tensor.Offset + (Whole ? 0 : column * ColumnCount);
}

/// <summary>One copy between two devices.</summary>
/// <param name="Layer">The layer whose input it feeds, or, backward, whose input gradient it returns; "loss" for the logits.</param>
/// <param name="Tensor">The slice moved: <c>conv2.maxpool[128:256]</c> (channels or units), <c>conv2.maxpool.grad[0:128]</c>.</param>
/// <param name="Pass">"forward" or "backward".</param>
/// <param name="From">The device that holds the slice.</param>
/// <param name="To">The device that needs it.</param>
/// <param name="FloatsPerImage">Values moved per image.</param>
public sealed record Transfer(string Layer, string Tensor, string Pass, int From, int To, long FloatsPerImage)
{
    /// <summary>Bytes moved per image (float32).</summary>
    public long BytesPerImage => FloatsPerImage * sizeof(float);
}
