using System;
using ILGPU;
using ILGPU.Runtime;

namespace NetGen;

/// <summary>
/// The paper's optimiser (ALEXNET.md): SGD with momentum and weight decay, by the update rule
/// <c>v &lt;- momentum * v - decay * lr * w - lr * dL/dw</c>, then <c>w &lt;- w + v</c>. Each tensor
/// scales the learning rate and the decay by its own multipliers (Caffe's lr_mult and decay_mult).
/// Runs on the accelerator, one launch per tensor, or on the CPU backend's cores.
/// </summary>
public sealed class SgdMomentum : IDisposable
{
    private readonly Network network;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> velocity;
    /// <summary>Parameters each thread updates: millions of one-line threads cost more to start than to run.</summary>
    private const int PerThread = 256;

    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, float> update;

    /// <summary>Allocates a zero velocity for every parameter of <paramref name="network"/>.</summary>
    public SgdMomentum(Network network, float momentum = 0.9f, float weightDecay = 0.0005f)
    {
        this.network = network ?? throw new ArgumentNullException(nameof(network));
        Momentum = momentum;
        WeightDecay = weightDecay;
        velocity = network.Accelerator.Allocate1D<float>(network.Info.ParameterCount);
        velocity.MemSetToZero();
        update = network.Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, float>(Update);
    }

    /// <summary>How much of the last step carries into the next: 0.9 in the paper. Read at every update (a resumed run sets its checkpoint's).</summary>
    public float Momentum { get; set; }

    /// <summary>The L2 penalty's weight: 0.0005 in the paper. Read at every update.</summary>
    public float WeightDecay { get; set; }

    /// <summary>The momentum buffer v, laid out as <see cref="Network.Parameters"/>.</summary>
    public ArrayView<float> Velocity => velocity.View;

    /// <summary>Enqueues one update of every trainable parameter from <paramref name="gradients"/> (laid out as the parameters).</summary>
    public void Enqueue(ArrayView<float> gradients, float learningRate)
    {
        foreach (var p in network.Info.Parameters)
        {
            if (!p.Trainable)
                continue;
            if (network.Backend == Backend.Cpu)
            {
                Cpu.CpuOptimiser.Update(network.Parameters.View.SubView(p.Offset, p.Count), gradients.SubView(p.Offset, p.Count),
                    velocity.View.SubView(p.Offset, p.Count), learningRate * p.LrMult, WeightDecay * p.DecayMult, Momentum);
                continue;
            }
            update((int)((p.Count + PerThread - 1) / PerThread),
                network.Parameters.View.SubView(p.Offset, p.Count),
                gradients.SubView(p.Offset, p.Count),
                velocity.View.SubView(p.Offset, p.Count),
                learningRate * p.LrMult, WeightDecay * p.DecayMult, Momentum);
        }
    }

    /// <summary>Copies the momentum buffer to the host.</summary>
    public float[] ReadVelocity() => velocity.GetAsArray1D();

    /// <summary>Replaces the momentum buffer, as when resuming from a checkpoint.</summary>
    public void WriteVelocity(float[] values)
    {
        if (values.Length != velocity.Length)
            throw new ArgumentException($"{network.Info.Name} has {velocity.Length} parameters, so its momentum holds as many values, not {values.Length}.", nameof(values));
        velocity.View.CopyFromCPU(values);
    }

    private static void Update(Index1D index, ArrayView<float> weight, ArrayView<float> gradient, ArrayView<float> v,
        float learningRate, float decay, float momentum)
    {
        long end = Math.Min(((int)index + 1L) * PerThread, weight.Length);
        for (long i = (long)(int)index * PerThread; i < end; i++)
        {
            float step = momentum * v[i] - decay * learningRate * weight[i] - learningRate * gradient[i];
            v[i] = step;
            weight[i] += step;
        }
    }

    /// <summary>Frees the momentum buffer.</summary>
    public void Dispose() => velocity.Dispose();
}
