using System;
using System.Collections.Concurrent;
using ILGPU;
using ILGPU.Runtime;
using NetGen.Cpu;

namespace NetGen.Gpu;

/// <summary>
/// The hand-written GPU kernels, loaded once per accelerator: the tiled matrix product with its
/// operands and stores, and the reductions, and the layers built from them (convolution forward,
/// input gradient and weight gradient; the dense layer's three products). Every sum has one order.
/// </summary>
public sealed class KernelLibrary(Accelerator accelerator) : IDisposable
{
    /// <summary>
    /// A split of the inner dimension gives each slice at least this many values: fewer, and the
    /// partial products' traffic outweighs the parallelism they add.
    /// </summary>
    public const int MinimumSliceDepth = 512;

    /// <summary>Groups a product should launch before its inner dimension is split: two per multiprocessor of an H100 (132).</summary>
    private const int WantedGroups = 264;

    private readonly ConcurrentDictionary<Type, Delegate> products = new();
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, int, int, ArrayView<float>> sumSlices =
        accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, int, int, ArrayView<float>>(Reductions.SumSlices);
    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, int, int, int, ArrayView<float>> sumPlanes =
        accelerator.LoadKernel<ArrayView<float>, int, int, int, ArrayView<float>>(Reductions.SumPlanes);
    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, int, int, int, float, ArrayView<float>, ArrayView<float>> batchStatistics =
        accelerator.LoadKernel<ArrayView<float>, int, int, int, float, ArrayView<float>, ArrayView<float>>(Reductions.BatchStatistics);
    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, int> softmax =
        accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, int>(Reductions.Softmax);
    private MemoryBuffer1D<float, Stride1D.Dense>? partials;

    /// <summary>The accelerator the kernels run on.</summary>
    public Accelerator Accelerator { get; } = accelerator;

    /// <summary>
    /// <c>C = A B</c> (m x n, inner dimension k) into <paramref name="store"/>, the inner dimension
    /// cut into <paramref name="slices"/> slices (the store then receives each slice's partial product).
    /// </summary>
    public void Product<TA, TB, TStore>(AcceleratorStream stream, TA a, TB b, TStore store, int m, int n, int k, int slices = 1)
        where TA : struct, IOperand where TB : struct, IOperand where TStore : struct, IProductStore
    {
        var kernel = (Action<AcceleratorStream, KernelConfig, TA, TB, TStore, int, int, int, int>)products.GetOrAdd(typeof((TA, TB, TStore)),
            _ => Accelerator.LoadKernel<TA, TB, TStore, int, int, int, int>(TiledProduct.Kernel));
        int depth = SliceDepth(k, slices);
        var grid = new Index3D(Ceiling(n, TiledProduct.TileColumns), Ceiling(m, TiledProduct.TileRows), Ceiling(k, depth));
        kernel(stream, new KernelConfig(grid, new Index3D(TiledProduct.GroupSize, 1, 1)), a, b, store, m, n, k, depth);
    }

    /// <summary>Convolution forward: <c>output = activation(conv(input, weight) + bias)</c>, NCHW; an empty bias adds none.</summary>
    public void ConvolutionForward<TActivation>(AcceleratorStream stream, ConvGeometry g, ArrayView<float> input, ArrayView<float> weight,
        ArrayView<float> bias, ArrayView<float> output, int batch) where TActivation : struct, IActivation
    {
        for (int group = 0; group < g.Groups; group++)
        {
            int f0 = group * g.GroupFilters;
            Product(stream, new DenseOperand(weight.SubView((long)f0 * g.Taps), g.Taps, 1), new LoweredInput(input, g, group, transposed: false),
                new PlanesStore<TActivation>(output, g.Filters, g.OutPixels, f0, bias.Length == 0 ? bias : bias.SubView(f0, g.GroupFilters)),
                g.GroupFilters, batch * g.OutPixels, g.Taps);
        }
    }

    /// <summary>
    /// A convolution's input gradient from its output gradient (already through the epilogue's
    /// derivative), written over <paramref name="inputGradient"/>; with a <paramref name="gate"/>
    /// (the input itself, written by a ReLU), zero wherever it is not above 0.
    /// </summary>
    public void ConvolutionInputGradient(AcceleratorStream stream, ConvGeometry g, ArrayView<float> weight, ArrayView<float> outputGradient,
        ArrayView<float> inputGradient, int batch, ArrayView<float> gate = default)
    {
        int k2 = g.Kernel * g.Kernel;
        for (int group = 0; group < g.Groups; group++)
            Product(stream, new WeightsByChannel(weight, g, group), new OutputGradientWindows(outputGradient, g, group),
                new PlanesStore<Identity>(inputGradient, g.Channels, g.Pixels, group * g.GroupChannels, default, gate),
                g.GroupChannels, batch * g.Pixels, g.GroupFilters * k2);
    }

    /// <summary>
    /// A convolution's weight and bias gradients, added into <paramref name="weightGradient"/> and
    /// <paramref name="biasGradient"/> (empty: no bias): the sum over every pixel of the batch is
    /// split into slices when the product alone would leave the GPU idle, and the slices are
    /// added in order by a second pass.
    /// </summary>
    public void ConvolutionWeightGradient(AcceleratorStream stream, ConvGeometry g, ArrayView<float> input, ArrayView<float> outputGradient,
        ArrayView<float> weightGradient, ArrayView<float> biasGradient, int batch)
    {
        int m = g.GroupFilters, n = g.Taps, k = batch * g.OutPixels;
        int slices = Ceiling(k, SliceDepth(k, Slices(m, n, k)));
        var scratch = slices > 1 ? Partials((long)slices * m * n) : default;
        for (int group = 0; group < g.Groups; group++)
        {
            int f0 = group * m;
            var gradient = weightGradient.SubView((long)f0 * n, (long)m * n);
            var deltas = new PlanesOperand(outputGradient, g.Filters, g.OutPixels, f0);
            var lowered = new LoweredInput(input, g, group, transposed: true);
            if (slices == 1)
            {
                // One slice: the product adds straight into the gradient, with no second pass.
                Product(stream, deltas, lowered, new MatrixStore<Identity>(gradient, n, 1, 0, default, default, accumulate: true), m, n, k);
                continue;
            }
            Product(stream, deltas, lowered, new MatrixStore<Identity>(scratch, n, 1, (long)m * n, default, default, accumulate: false), m, n, k, slices);
            sumSlices(stream, m * n, scratch, slices, m * n, gradient);
        }
        if (biasGradient.Length > 0)
            SumPlanes(stream, outputGradient, batch, g.Filters, g.OutPixels, biasGradient);
    }

    /// <summary>Dense forward, batch x inputs by outputs x inputs weights (PyTorch's layout): <c>output = activation(input W^T + bias)</c>.</summary>
    public void DenseForward<TActivation>(AcceleratorStream stream, ArrayView<float> input, ArrayView<float> weight, ArrayView<float> bias,
        ArrayView<float> output, int batch, int inputs, int outputs) where TActivation : struct, IActivation =>
        Product(stream, new DenseOperand(input, inputs, 1), new DenseOperand(weight, 1, inputs),
            new MatrixStore<TActivation>(output, outputs, 1, 0, default, bias, accumulate: false), batch, outputs, inputs);

    /// <summary>A dense layer's input gradient, <c>dX = dY W</c>, written over <paramref name="inputGradient"/>; with a <paramref name="gate"/>, zero wherever it is not above 0.</summary>
    public void DenseInputGradient(AcceleratorStream stream, ArrayView<float> outputGradient, ArrayView<float> weight, ArrayView<float> inputGradient,
        int batch, int inputs, int outputs, ArrayView<float> gate = default) =>
        Product(stream, new DenseOperand(outputGradient, outputs, 1), new DenseOperand(weight, inputs, 1),
            new MatrixStore<Identity>(inputGradient, inputs, 1, 0, default, default, accumulate: false, gate), batch, inputs, outputs);

    /// <summary>A dense layer's weight and bias gradients, added in: <c>dW += dY^T X</c>, <c>db += the sum of dY's rows</c> (empty: no bias).</summary>
    public void DenseWeightGradient(AcceleratorStream stream, ArrayView<float> input, ArrayView<float> outputGradient, ArrayView<float> weightGradient,
        ArrayView<float> biasGradient, int batch, int inputs, int outputs)
    {
        Product(stream, new DenseOperand(outputGradient, 1, outputs), new DenseOperand(input, inputs, 1),
            new MatrixStore<Identity>(weightGradient, inputs, 1, 0, default, default, accumulate: true), outputs, inputs, batch);
        if (biasGradient.Length > 0)
            SumPlanes(stream, outputGradient, batch, outputs, 1, biasGradient);
    }

    /// <summary>Adds every value of each channel of NCHW planes into <paramref name="target"/>, one group per channel.</summary>
    public void SumPlanes(AcceleratorStream stream, ArrayView<float> planes, int images, int channels, int pixels, ArrayView<float> target) =>
        sumPlanes(stream, new KernelConfig(channels, Reductions.PlaneGroupSize), planes, images, channels, pixels, target);

    /// <summary>Each channel's batch mean and <c>1 / sqrt(variance + eps)</c> over NCHW planes, one group per channel.</summary>
    public void BatchStatistics(AcceleratorStream stream, ArrayView<float> planes, int images, int channels, int pixels, float eps,
        ArrayView<float> mean, ArrayView<float> inverseDeviation) =>
        batchStatistics(stream, new KernelConfig(channels, Reductions.PlaneGroupSize), planes, images, channels, pixels, eps, mean, inverseDeviation);

    /// <summary>The softmax of each of <paramref name="rows"/> rows of <paramref name="classes"/> values, one group per row.</summary>
    public void Softmax(AcceleratorStream stream, ArrayView<float> input, ArrayView<float> output, int rows, int classes) =>
        softmax(stream, new KernelConfig(rows, Reductions.PlaneGroupSize), input, output, classes);

    /// <summary>
    /// Slices for an inner dimension of <paramref name="k"/> when the product has m x n outputs:
    /// enough for <see cref="WantedGroups"/> groups, each slice at least <see cref="MinimumSliceDepth"/> deep.
    /// </summary>
    public static int Slices(int m, int n, int k)
    {
        int groups = Ceiling(m, TiledProduct.TileRows) * Ceiling(n, TiledProduct.TileColumns);
        return Math.Max(1, Math.Min(Ceiling(WantedGroups, groups), k / MinimumSliceDepth));
    }

    /// <summary>The depth of each of <paramref name="slices"/> slices of <paramref name="k"/>, a whole number of steps.</summary>
    private static int SliceDepth(int k, int slices) =>
        Math.Max(TiledProduct.TileDepth, Ceiling(Ceiling(k, slices), TiledProduct.TileDepth) * TiledProduct.TileDepth);

    private static int Ceiling(int value, int step) => (value + step - 1) / step;

    private ArrayView<float> Partials(long length)
    {
        if (partials is null || partials.Length < length)
        {
            partials?.Dispose();
            partials = Accelerator.Allocate1D<float>(length);
        }
        return partials.View.SubView(0, length);
    }

    /// <summary>Frees the partial products' buffer.</summary>
    public void Dispose() => partials?.Dispose();
}
