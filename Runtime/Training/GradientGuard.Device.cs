using System;
using ILGPU;
using ILGPU.Runtime;

namespace NetGen;

// The gradient guard on an accelerator: every step judged on the device, the verdict read when the host asks.
internal sealed partial class GradientGuard
{
    private readonly Network network;
    private readonly TensorChunks chunks;
    private readonly MemoryBuffer1D<double, Stride1D.Dense> partials, sums;
    private readonly MemoryBuffer1D<GuardVerdict, Stride1D.Dense> verdict;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<long>, int, ArrayView<double>> sumOfSquares;
    private readonly Action<Index1D, ArrayView<double>, ArrayView<long>, ArrayView<double>> sumPerTensor;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<double>, ArrayView<float>, ArrayView<long>, int, ArrayView<GuardVerdict>, long, float, int> judge;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<GuardVerdict>> clip;

    /// <summary>Prepares the device's buffers and kernels for <paramref name="network"/>, which must be on an accelerator; the verdict starts as <see cref="GuardVerdict.None"/>.</summary>
    public GradientGuard(Network network)
    {
        this.network = network;
        if (network.Backend == Backend.Cpu)
            throw new InvalidOperationException("The CPU backend checks a step in host memory, at once: GradientGuard's static methods.");
        var parameters = network.Info.Parameters;
        var accelerator = network.Accelerator;
        chunks = new TensorChunks(accelerator, parameters, PerThread);
        partials = accelerator.Allocate1D<double>(Math.Max(1, chunks.Chunks));
        sums = accelerator.Allocate1D<double>(Math.Max(1, parameters.Count));
        verdict = accelerator.Allocate1D([GuardVerdict.None]);
        sumOfSquares = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<long>, int, ArrayView<double>>(SumOfSquaresKernel);
        sumPerTensor = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<long>, ArrayView<double>>(SumPerTensorKernel);
        judge = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<double>, ArrayView<float>, ArrayView<long>, int, ArrayView<GuardVerdict>, long, float, int>(VerdictKernel);
        clip = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<GuardVerdict>>(ClipKernel);
    }

    /// <summary>The verdict in device memory, which the clipping and the optimiser read.</summary>
    public ArrayView<GuardVerdict> Verdict => verdict.View;

    /// <summary>
    /// Enqueues the check of step <paramref name="step"/> (counted from 1): each tensor's sum of
    /// squares, then the verdict on them and on <paramref name="losses"/>. With
    /// <paramref name="checkNumerics"/> a NaN or an infinity records the step's fault, unless an
    /// earlier one is recorded; otherwise the verdict takes the step's norm and its clipping factor
    /// for <paramref name="clipNorm"/> (0: none).
    /// </summary>
    public void EnqueueCheck(ArrayView<float> gradients, ArrayView<float> losses, long step, bool checkNumerics, float clipNorm)
    {
        int tensors = network.Info.Parameters.Count;
        if (tensors > 0)
        {
            sumOfSquares(chunks.Chunks, gradients, chunks.Layout, chunks.Tensors, partials.View);
            sumPerTensor(tensors, partials.View, chunks.Layout, sums.View);
        }
        judge(1, losses, sums.View, gradients, chunks.Layout, tensors, verdict.View, step, clipNorm, checkNumerics ? 1 : 0);
    }

    /// <summary>Enqueues the scaling of <paramref name="gradients"/> by the verdict's factor: nothing when it is 1 or a fault is recorded.</summary>
    public void EnqueueClip(ArrayView<float> gradients) =>
        clip((int)((gradients.Length + PerThread - 1) / PerThread), gradients, verdict.View);

    /// <summary>The verdict, once the accelerator has finished the steps it judges.</summary>
    public GuardVerdict ReadVerdict() => verdict.GetAsArray1D()[0];

    /// <summary>Replaces the verdict: after its fault has been reported, so that updates run again.</summary>
    public void Reset(GuardVerdict to) => verdict.View.CopyFromCPU([to]);

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

    /// <summary>
    /// One thread judges a step, as <see cref="Trainer"/> did on the host: a few hundred sums and a
    /// batch of losses, in one fixed order, so the norm is the host's to the bit. The tensors' sums
    /// are added in order for the global norm; the tensor nearest the loss with a sum that is not
    /// finite is the fault's source, whose NaNs and infinities are counted here, once, since later
    /// steps overwrite its gradient before the host reads the verdict. A recorded fault stays, and
    /// no later step is judged, until the host resets it.
    /// </summary>
    private static void VerdictKernel(Index1D index, ArrayView<float> losses, ArrayView<double> sums, ArrayView<float> gradients, ArrayView<long> layout,
        int tensors, ArrayView<GuardVerdict> verdict, long step, float clipNorm, int checkNumerics)
    {
        var last = verdict[0];
        if (last.Faulted)
            return;
        double total = 0;
        int source = -1, affected = 0;
        for (int t = 0; t < tensors; t++)
        {
            double sum = sums[t];
            total += sum;
            if (double.IsNaN(sum) || double.IsInfinity(sum))
            {
                source = t;
                affected++;
            }
        }
        int image = -1;
        if (checkNumerics != 0)
        {
            for (int i = 0; i < losses.IntLength && image < 0; i++)
            {
                if (float.IsNaN(losses[i]) || float.IsInfinity(losses[i]))
                    image = i;
            }
        }
        if (checkNumerics != 0 && (source >= 0 || image >= 0))
        {
            long nan = 0, infinite = 0;
            if (source >= 0)
            {
                long offset = layout[tensors + 1 + source], end = offset + layout[2 * tensors + 1 + source];
                for (long i = offset; i < end; i++)
                {
                    float g = gradients[i];
                    if (float.IsNaN(g))
                        nan++;
                    else if (float.IsInfinity(g))
                        infinite++;
                }
            }
            verdict[0] = new GuardVerdict(last.Norm, step, nan, infinite, 1f, image >= 0 ? losses[image] : 0f, source, image, affected);
            return;
        }
        double norm = Math.Sqrt(total);
        float scale = clipNorm > 0 && norm > clipNorm ? (float)(clipNorm / norm) : 1f;
        verdict[0] = new GuardVerdict(norm, 0, 0, 0, scale, 0f, -1, -1, 0);
    }

    /// <summary>Chunk <paramref name="index"/> of 1,024 gradients times the verdict's factor, unless it is 1 (which the host skipped too) or the step faulted.</summary>
    private static void ClipKernel(Index1D index, ArrayView<float> values, ArrayView<GuardVerdict> verdict)
    {
        var v = verdict[0];
        if (v.Faulted || v.Scale == 1f)
            return;
        long start = (long)(int)index * PerThread, end = Math.Min(start + PerThread, values.Length);
        for (long i = start; i < end; i++)
            values[i] *= v.Scale;
    }

    public void Dispose()
    {
        partials.Dispose();
        sums.Dispose();
        verdict.Dispose();
        chunks.Dispose();
    }
}
