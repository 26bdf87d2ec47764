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
/// On the CPU backend the static methods do this over host memory, at once. On an accelerator an
/// instance does it on the device without a read back (<see cref="EnqueueCheck"/>): one launch
/// leaves a partial sum per 1,024 values, a second adds each tensor's partials in order, and a
/// one-thread verdict kernel judges the step into a <see cref="GuardVerdict"/> that the clipping
/// and the optimiser read, and that the trainer reads every few steps.
/// </summary>
internal sealed partial class GradientGuard : IDisposable
{
    private const int PerThread = 1024;

    /// <summary>The sum of squares of each tensor of a gradient in host memory (a CPU accelerator's buffer), in <see cref="NetworkInfo.Parameters"/> order.</summary>
    public static double[] SumsOfSquaresOnHost(NetworkInfo info, ArrayView<float> gradients) =>
        info.Parameters.Select(p => HostSumOfSquares(gradients.SubView(p.Offset, p.Count))).ToArray();

    /// <summary>The sum of squares of each tensor of a gradient already on the host.</summary>
    public static double[] SumsOfSquares(NetworkInfo info, float[] gradients) =>
        info.Parameters.Select(p => SumOfSquares(gradients.AsSpan((int)p.Offset, (int)p.Count))).ToArray();

    /// <summary>Multiplies every value of a view in host memory (a CPU accelerator's buffer) by <paramref name="factor"/>.</summary>
    public static unsafe void ScaleOnHost(ArrayView<float> values, float factor) =>
        ScaleOnHost((float*)values.LoadEffectiveAddressAsPtr(), values.Length, factor);

    /// <summary>Multiplies <paramref name="count"/> floats of host memory from <paramref name="values"/> on by <paramref name="factor"/>.</summary>
    public static unsafe void ScaleOnHost(float* values, long count, float factor)
    {
        for (long i = 0; i < count; i++)
            values[i] *= factor;
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
        long nan = 0, infinite = 0;
        foreach (float v in values)
        {
            if (float.IsNaN(v))
                nan++;
            else if (float.IsInfinity(v))
                infinite++;
        }
        throw Fault(info, source, nan, infinite, sums.Count(s => !double.IsFinite(s)), step);
    }

    /// <summary>
    /// The fault of a step whose gradient of tensor <paramref name="source"/> (the nearest the loss
    /// of the <paramref name="affected"/> that are not finite) holds <paramref name="nan"/> NaNs and
    /// <paramref name="infinite"/> infinities.
    /// </summary>
    public static NumericalFaultException Fault(NetworkInfo info, int source, long nan, long infinite, int affected, long step)
    {
        var p = info.Parameters[source];
        string what = nan + infinite > 0 ? $"{nan:N0} NaN and {infinite:N0} infinite values of {p.Count:N0}" : "values whose squares overflow";
        return new NumericalFaultException(step, LayerOf(p.Name),
            $"step {step:N0}: the gradient of {p.Name} holds {what}; it is the layer nearest the loss with a non-finite gradient " +
            $"({affected} of {info.Parameters.Count} parameter tensors are affected). The step was not applied.");
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
