using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.Intrinsics;
using ILGPU;
using ILGPU.Runtime;

namespace NetGen;

/// <summary>
/// A step's gradients, looked at before the optimiser applies them: the sum of squares of every
/// parameter tensor, in double (NaN or infinite when any of its values is), which both finds a
/// numerical fault and gives the global norm that clipping needs; and the scaling that clips.
/// On the CPU backend this is a pass over host memory; on an accelerator one launch leaves a
/// partial sum per 1,024 values and a second adds each tensor's partials in order, one thread per
/// tensor (as the host did before), so a step reads back one double per tensor, not one per 1,024 gradients.
/// </summary>
internal sealed class GradientGuard : IDisposable
{
    private const int PerThread = 1024;

    private readonly Network network;
    private readonly MemoryBuffer1D<double, Stride1D.Dense>? partials, sums;
    private readonly TensorChunks? chunks;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<long>, int, ArrayView<double>>? sumOfSquares;
    private readonly Action<Index1D, ArrayView<double>, ArrayView<long>, ArrayView<double>>? sumPerTensor;
    private readonly Action<Index1D, ArrayView<float>, float>? scale;

    public GradientGuard(Network network)
    {
        this.network = network;
        if (network.Backend == Backend.Cpu)
            return;
        var parameters = network.Info.Parameters;
        chunks = new TensorChunks(network.Accelerator, parameters, PerThread);
        partials = network.Accelerator.Allocate1D<double>(Math.Max(1, chunks.Chunks));
        sums = network.Accelerator.Allocate1D<double>(Math.Max(1, parameters.Count));
        sumOfSquares = network.Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<long>, int, ArrayView<double>>(SumOfSquaresKernel);
        sumPerTensor = network.Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<long>, ArrayView<double>>(SumPerTensorKernel);
        scale = network.Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, float>(ScaleKernel);
    }

    /// <summary>The sum of squares of each parameter tensor's gradient, in <see cref="NetworkInfo.Parameters"/> order.</summary>
    public double[] SumsOfSquares(ArrayView<float> gradients)
    {
        var parameters = network.Info.Parameters;
        var sums = new double[parameters.Count];
        if (partials is null)
        {
            for (int i = 0; i < parameters.Count; i++)
                sums[i] = HostSumOfSquares(gradients.SubView(parameters[i].Offset, parameters[i].Count));
            return sums;
        }
        if (parameters.Count == 0)
            return sums;
        sumOfSquares!(chunks!.Chunks, gradients, chunks.Layout, chunks.Tensors, partials.View);
        sumPerTensor!(parameters.Count, partials.View, chunks.Layout, this.sums!.View);
        network.Accelerator.Synchronize();
        this.sums.View.SubView(0, parameters.Count).CopyToCPU(sums);
        return sums;
    }

    /// <summary>The sum of squares of each tensor of a gradient already on the host.</summary>
    public static double[] SumsOfSquares(NetworkInfo info, float[] gradients) =>
        info.Parameters.Select(p => SumOfSquares(gradients.AsSpan((int)p.Offset, (int)p.Count))).ToArray();

    /// <summary>Multiplies every gradient by <paramref name="factor"/>.</summary>
    public void Scale(ArrayView<float> gradients, float factor)
    {
        if (scale is null)
        {
            ScaleOnHost(gradients, factor);
            return;
        }
        scale((int)((gradients.Length + PerThread - 1) / PerThread), gradients, factor);
        network.Accelerator.Synchronize();
    }

    /// <summary>Multiplies every value of a view in host memory (a CPU accelerator's buffer) by <paramref name="factor"/>.</summary>
    public static unsafe void ScaleOnHost(ArrayView<float> values, float factor)
    {
        float* v = (float*)values.LoadEffectiveAddressAsPtr();
        for (long i = 0; i < values.Length; i++)
            v[i] *= factor;
    }

    /// <summary>
    /// Throws when a sum is not finite, naming the tensor where the fault starts: the backward pass
    /// runs from the loss down, so a non-finite gradient spreads to every layer below the one that
    /// made it, and the last such tensor in forward order is its source.
    /// </summary>
    /// <exception cref="NumericalFaultException">Some gradient is NaN or infinite.</exception>
    public static void Check(NetworkInfo info, IReadOnlyList<double> sums, long step, Func<float[]> readGradients)
    {
        int source = -1;
        for (int i = 0; i < sums.Count; i++)
            if (!double.IsFinite(sums[i]))
                source = i;
        if (source < 0)
            return;
        var p = info.Parameters[source];
        var values = readGradients().AsSpan((int)p.Offset, (int)p.Count);
        int nan = 0, infinite = 0;
        foreach (float v in values)
        {
            if (float.IsNaN(v))
                nan++;
            else if (float.IsInfinity(v))
                infinite++;
        }
        int affected = sums.Count(s => !double.IsFinite(s));
        string what = nan + infinite > 0 ? $"{nan:N0} NaN and {infinite:N0} infinite values of {p.Count:N0}" : "values whose squares overflow";
        throw new NumericalFaultException(step, LayerOf(p.Name),
            $"step {step:N0}: the gradient of {p.Name} holds {what}; it is the layer nearest the loss with a non-finite gradient " +
            $"({affected} of {sums.Count} parameter tensors are affected). The step was not applied.");
    }

    /// <summary>The layer a parameter tensor belongs to: <c>conv2</c> for <c>conv2.weight</c>.</summary>
    public static string LayerOf(string parameter) => parameter.Contains('.') ? parameter[..parameter.LastIndexOf('.')] : parameter;

    /// <summary>Chunks of a million summed on every core, then added in order, so the sum does not depend on the thread count.</summary>
    private static unsafe double HostSumOfSquares(ArrayView<float> view)
    {
        const int Chunk = 1 << 20;
        nint data = (nint)view.LoadEffectiveAddressAsPtr();
        long length = view.Length;
        var sums = new double[(length + Chunk - 1) / Chunk];
        System.Threading.Tasks.Parallel.For(0, sums.Length, c =>
            sums[c] = SumOfSquares(new ReadOnlySpan<float>((float*)data + (long)c * Chunk, (int)Math.Min(Chunk, length - (long)c * Chunk))));
        double total = 0;
        foreach (double sum in sums)
            total += sum;
        return total;
    }

    /// <summary>Blocks of 4,096 summed in float vectors, the blocks in double: fast, and accurate enough for a norm.</summary>
    private static double SumOfSquares(ReadOnlySpan<float> values)
    {
        double total = 0;
        for (int start = 0; start < values.Length; start += 4096)
        {
            var block = values.Slice(start, Math.Min(4096, values.Length - start));
            var sum = Vector256<float>.Zero;
            int i = 0;
            for (; i <= block.Length - 8; i += 8)
            {
                var v = Vector256.Create(block.Slice(i, 8));
                sum += v * v;
            }
            double rest = 0;
            for (; i < block.Length; i++)
                rest += (double)block[i] * block[i];
            total += Vector256.Sum(sum) + rest;
        }
        return total;
    }

    /// <summary>Chunk <paramref name="index"/>: the squares of up to 1,024 gradients of one tensor (<see cref="TensorChunks"/>), summed in double in order.</summary>
    private static void SumOfSquaresKernel(Index1D index, ArrayView<float> values, ArrayView<long> layout, int tensors, ArrayView<double> partials)
    {
        var (_, start, end) = TensorChunks.Find(layout, tensors, index, PerThread);
        double sum = 0;
        for (long i = start; i < end; i++)
            sum += (double)values[i] * values[i];
        partials[index] = sum;
    }

    /// <summary>Thread t adds tensor t's partial sums in order: a few thousand adds for the largest tensor.</summary>
    private static void SumPerTensorKernel(Index1D tensor, ArrayView<double> partials, ArrayView<long> layout, ArrayView<double> sums)
    {
        double sum = 0;
        for (long j = layout[tensor]; j < layout[tensor + 1]; j++)
            sum += partials[j];
        sums[tensor] = sum;
    }

    private static void ScaleKernel(Index1D index, ArrayView<float> values, float factor)
    {
        long start = (long)(int)index * PerThread, end = Math.Min(start + PerThread, values.Length);
        for (long i = start; i < end; i++)
            values[i] *= factor;
    }

    public void Dispose()
    {
        partials?.Dispose();
        sums?.Dispose();
        chunks?.Dispose();
    }
}

/// <summary>
/// Training met a NaN or an infinity in the loss or a gradient. The step that met it was not
/// applied, and the last checkpoint written before it is intact.
/// </summary>
public sealed class NumericalFaultException : ArithmeticException
{
    /// <summary>Describes a fault at <paramref name="step"/> that starts in <paramref name="layer"/>.</summary>
    public NumericalFaultException(long step, string layer, string message) : base(message)
    {
        Step = step;
        Layer = layer;
    }

    /// <summary>The training step (counted from the run's start) whose loss or gradient was not finite.</summary>
    public long Step { get; }

    /// <summary>The layer or activation where the fault shows first: <c>conv3</c>, <c>fc8.softmax</c>, ...</summary>
    public string Layer { get; }
}
