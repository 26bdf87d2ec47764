using System;
using System.Collections.Generic;
using ILGPU;
using ILGPU.Runtime;
using NetGen.Cpu;

namespace NetGen;

/// <summary>
/// One device's share of a split network for batches of a fixed size: its slice of every
/// parameter tensor (and their gradients and the optimiser's moments), its slices of the activations, and the
/// whole-width copies it gathers from the other devices. The generated <c>N.ColumnPass</c> fills in
/// the passes, one call per fused group with the column's sizes as literals; this class holds the
/// buffers and the meeting points. It runs on the CPU backend.
/// </summary>
/// <remarks>
/// A column's parameter buffer holds, for each tensor of the network in order, the device's rows
/// (tensors split along their first dimension, the output channels or units), or the whole tensor
/// of a replicated layer: <see cref="PartitionInfo.Parameters"/> says where each starts.
/// </remarks>
public abstract class ColumnPass : IDisposable
{
    private readonly BatchBuffers activations;
    private readonly BatchBuffers gradients;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> parameters, parameterGradients, velocity;
    private MemoryBuffer1D<float, Stride1D.Dense>? secondMoment;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> labels, ranks;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> losses, probabilities;
    private readonly IColumnExchange exchange;

    /// <summary>Allocates column <paramref name="column"/>'s parameters and batch buffers on <paramref name="device"/>.</summary>
    protected ColumnPass(Device device, NetworkInfo network, PartitionInfo partition, int column, int batchSize, IColumnExchange exchange)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegative(column);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(column, partition.Devices);
        if (device.Backend != Backend.Cpu)
            throw new ArgumentException($"A column of {network.Name} runs on the CPU backend; {device} is not it (open it with Device.Open(\"cpu\")).", nameof(device));
        this.exchange = exchange ?? throw new ArgumentNullException(nameof(exchange));
        Device = device;
        Network = network;
        Plan = partition;
        Column = column;
        BatchSize = batchSize;
        var accelerator = device.Accelerator;
        long count = ColumnRows.PerColumn(partition);
        parameters = accelerator.Allocate1D<float>(count);
        parameterGradients = accelerator.Allocate1D<float>(count);
        velocity = accelerator.Allocate1D<float>(count);
        velocity.MemSetToZero();
        activations = new BatchBuffers(accelerator, $"{network.Name} column {column}", batchSize, "activation");
        gradients = new BatchBuffers(accelerator, $"{network.Name} column {column}", batchSize, "gradient");
        labels = accelerator.Allocate1D<int>(batchSize);
        ranks = accelerator.Allocate1D<int>(batchSize);
        losses = accelerator.Allocate1D<float>(batchSize);
        probabilities = accelerator.Allocate1D<float>((long)batchSize * network.Output.Size);
    }

    /// <summary>The device this column runs on.</summary>
    public Device Device { get; }

    /// <summary>The whole network's description.</summary>
    public NetworkInfo Network { get; }

    /// <summary>The plan this column is one part of.</summary>
    public PartitionInfo Plan { get; }

    /// <summary>Which device of the plan this is: it computes the <c>Column</c>-th run of every layer's outputs.</summary>
    public int Column { get; }

    /// <summary>Images per batch.</summary>
    public int BatchSize { get; }

    /// <summary>The whole logits, gathered from every device for the loss.</summary>
    public abstract string LogitsName { get; }

    /// <summary>The names of this column's activations: its slices, and the gathered copies (".all").</summary>
    public IEnumerable<string> Activations => activations.Names;

    /// <summary>The column's slice of every parameter tensor, tensor after tensor.</summary>
    protected ArrayView<float> Parameters => parameters.View;

    /// <summary>The batch's labels.</summary>
    protected ArrayView<int> Labels => labels.View;

    /// <summary>Each image's loss.</summary>
    protected ArrayView<float> Losses => losses.View;

    /// <summary>Each image's rank of its true class.</summary>
    protected ArrayView<int> Ranks => ranks.View;

    /// <summary>The softmax of the whole logits (every device computes the same).</summary>
    protected ArrayView<float> Probabilities => probabilities.View;

    /// <summary>Copies the batch of images (the same on every device).</summary>
    public void SetInput(float[] images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var input = activations[0];
        if (images.Length != (long)BatchSize * input.Shape.Size)
            throw new ArgumentException($"{Network.Name} takes {BatchSize} images of {input.Shape} = {(long)BatchSize * input.Shape.Size} floats; got {images.Length}.", nameof(images));
        input.View.CopyFromCPU(images);
    }

    /// <summary>Label smoothing for the loss, as <see cref="BackwardPass.LabelSmoothing"/>.</summary>
    public float LabelSmoothing
    {
        get;
        set => field = BackwardPass.CheckSmoothing(value);
    }

    /// <summary>Copies the batch's labels.</summary>
    public void SetLabels(int[] classes)
    {
        BackwardPass.CheckLabels(classes, BatchSize, Network.Output.Size, Network.Name);
        labels.View.CopyFromCPU(classes);
    }

    /// <summary>The forward pass and the loss, meeting the other columns where the plan gathers.</summary>
    public void Forward(DropoutKey dropout)
    {
        RunForward(dropout);
        RunLoss(dropout);
    }

    /// <summary>The backward pass into freshly zeroed parameter gradients.</summary>
    public void Backward(DropoutKey dropout)
    {
        parameterGradients.MemSetToZero();
        RunBackward(parameterGradients.View, dropout);
    }

    /// <summary>
    /// One update of this column's parameters by <paramref name="rule"/> (the whole network's, from
    /// <see cref="ParameterUpdate.Next"/>), tensor by tensor with each one's multipliers, after scaling
    /// the gradients by <paramref name="gradientScale"/> (gradient clipping). The moments are this
    /// column's rows of the whole network's, as its parameters are.
    /// </summary>
    public void Update(UpdateRule rule, float gradientScale = 1f)
    {
        if (gradientScale != 1f)
            GradientGuard.ScaleOnHost(parameterGradients.View, gradientScale);
        var second = SecondMoment(rule.Kind);
        for (int t = 0; t < Network.Parameters.Count; t++)
        {
            var p = Network.Parameters[t];
            if (!p.Trainable)
                continue;
            long offset = Plan.Parameters[t].ColumnOffset, count = Plan.Parameters[t].ColumnCount;
            CpuOptimiser.Update(parameters.View.SubView(offset, count), parameterGradients.View.SubView(offset, count),
                velocity.View.SubView(offset, count), second is null ? default : second.View.SubView(offset, count), rule.For(p));
        }
    }

    /// <summary>Adam's second moment, allocated at zero on first use; none for SGD.</summary>
    private MemoryBuffer1D<float, Stride1D.Dense>? SecondMoment(Optimizer kind)
    {
        if (kind == Optimizer.Sgd || secondMoment is not null)
            return secondMoment;
        secondMoment = Device.Accelerator.Allocate1D<float>(parameters.Length);
        secondMoment.MemSetToZero();
        return secondMoment;
    }

    /// <summary>Takes this column's rows of every tensor from <paramref name="whole"/>, laid out as the whole network's parameters.</summary>
    public void WriteParameters(float[] whole) => Copy(whole, parameters, toColumn: true);

    /// <summary>
    /// Takes this column's rows of every tensor straight from a whole network's parameter buffer in
    /// host memory (a network on a CPU accelerator), without a copy of the whole on the way.
    /// </summary>
    public void WriteParameters(ArrayView<float> whole) => Copy(whole, parameters, toColumn: true);

    /// <summary>Takes this column's rows of the optimiser's moments from <paramref name="state"/> (its step count stays with the whole network's optimiser).</summary>
    public void WriteOptimiserState(OptimiserState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        Copy(state.First, velocity, toColumn: true);
        if (SecondMoment(state.Kind) is { } second)
            Copy(state.Second!, second, toColumn: true);
    }

    /// <summary>Puts this column's rows of the optimiser's moments into <paramref name="first"/> and, for Adam, <paramref name="second"/>.</summary>
    public void ReadOptimiserState(float[] first, float[]? second)
    {
        Copy(first, velocity, toColumn: false);
        if (second is not null)
        {
            if (secondMoment is null)
                throw new InvalidOperationException($"Column {Column} of {Network.Name} has no second moment: it has run no Adam update and been given none.");
            Copy(second, secondMoment, toColumn: false);
        }
    }

    /// <summary>Puts this column's rows of every tensor into their place in <paramref name="whole"/>.</summary>
    public void ReadParameters(float[] whole) => Copy(whole, parameters, toColumn: false);

    /// <summary>Puts this column's rows of every tensor into their place in a whole network's parameter buffer in host memory.</summary>
    public void ReadParameters(ArrayView<float> whole) => Copy(whole, parameters, toColumn: false);

    /// <summary>Puts this column's rows of the last parameter gradients into <paramref name="whole"/>.</summary>
    public void ReadParameterGradients(float[] whole) => Copy(whole, parameterGradients, toColumn: false);

    /// <summary>An activation of this column by name, as a batch.</summary>
    public float[] Read(string name) => activations.Read(name);

    /// <summary>Each image's loss from the last pass.</summary>
    public float[] ReadLosses() => losses.GetAsArray1D();

    /// <summary>Each image's rank of its true class from the last pass.</summary>
    public int[] ReadRanks() => ranks.GetAsArray1D();

    /// <summary>The forward groups up to the logits.</summary>
    protected abstract void RunForward(DropoutKey dropout);

    /// <summary>Softmax and cross-entropy on the gathered logits, and this column's slice of their gradient.</summary>
    protected abstract void RunLoss(DropoutKey dropout);

    /// <summary>Every group's gradients, from the logits down, meeting the other columns where the forward pass gathered.</summary>
    protected abstract void RunBackward(ArrayView<float> parameterGradients, DropoutKey dropout);

    /// <summary>Allocates an activation for the batch.</summary>
    protected ArrayView<float> Allocate(string name, Shape shape) => activations.Allocate(name, shape);

    /// <summary>Allocates the gradient of an activation for the batch.</summary>
    protected ArrayView<float> AllocateGradient(string name, Shape shape) => gradients.Allocate(name, shape);

    /// <summary>Allocates <paramref name="count"/> floats of a group's statistics over the batch (its channels' share of them).</summary>
    protected ArrayView<float> AllocateStatistics(int count) => activations.AllocateUnnamed(count);

    /// <summary>Allocates one reader's part of the gradient of this device's slice of an activation that several read.</summary>
    protected ArrayView<float> AllocatePartialGradient(Shape shape) => gradients.AllocateUnnamed((long)BatchSize * shape.Size);

    /// <summary>Assembles <paramref name="all"/> from every column's <paramref name="own"/> slice.</summary>
    protected void Gather(ArrayView<float> own, ArrayView<float> all, long floatsPerImage) =>
        exchange.Gather(Column, own, all, floatsPerImage, BatchSize);

    /// <summary>Sums every column's part of this column's slice of a whole-width gradient.</summary>
    protected void Reduce(ArrayView<float> all, ArrayView<float> own, long floatsPerImage) =>
        exchange.Reduce(Column, all, own, floatsPerImage, BatchSize);

    /// <summary>Copies this column's slice of a whole-width gradient that every column computed alike (the loss's).</summary>
    protected unsafe void TakeSlice(ArrayView<float> all, ArrayView<float> own, long floatsPerImage)
    {
        float* source = Host.Pointer(all) + Column * floatsPerImage, target = Host.Pointer(own);
        long bytes = floatsPerImage * sizeof(float);
        for (int n = 0; n < BatchSize; n++)
            Buffer.MemoryCopy(source + n * floatsPerImage * Plan.Devices, target + n * floatsPerImage, bytes, bytes);
    }

    private unsafe void Copy(float[] whole, MemoryBuffer1D<float, Stride1D.Dense> column, bool toColumn)
    {
        ArgumentNullException.ThrowIfNull(whole);
        fixed (float* start = whole)
            Copy(start, whole.LongLength, column, toColumn);
    }

    private unsafe void Copy(ArrayView<float> whole, MemoryBuffer1D<float, Stride1D.Dense> column, bool toColumn)
    {
        if (whole.GetAcceleratorType() != AcceleratorType.CPU)
            throw new ArgumentException("The whole network's parameters must be in host memory (on a CPU accelerator) to be copied straight to a column.", nameof(whole));
        Copy(Host.Pointer(whole), whole.Length, column, toColumn);
    }

    /// <summary>Copies, tensor by tensor, this column's rows between the whole layout and the column's buffer.</summary>
    private unsafe void Copy(float* whole, long length, MemoryBuffer1D<float, Stride1D.Dense> column, bool toColumn) =>
        ColumnRows.Copy(Network, Plan, Column, whole, length, Host.Pointer(column.View), toColumn);

    /// <inheritdoc />
    public void Dispose()
    {
        activations.Dispose();
        gradients.Dispose();
        parameters.Dispose();
        parameterGradients.Dispose();
        velocity.Dispose();
        secondMoment?.Dispose();
        labels.Dispose();
        ranks.Dispose();
        losses.Dispose();
        probabilities.Dispose();
        GC.SuppressFinalize(this);
    }
}
