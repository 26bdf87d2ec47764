using System;
using System.Linq;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace NetGen;

/// <summary>
/// The optimiser: updates every trainable parameter from its gradient by <see cref="NetGen.Optimizer.Sgd"/>
/// (the paper's rule, <c>v &lt;- momentum * v - decay * lr * w - lr * dL/dw</c>, then <c>w &lt;- w + v</c>;
/// Nesterov's variant on request), <see cref="NetGen.Optimizer.Adam"/> or <see cref="NetGen.Optimizer.AdamW"/>
/// as PyTorch defines them (docs/training.md), and keeps their state: SGD's velocity, or Adam's
/// first and second moments, and the count of updates. Each tensor scales the learning rate and the
/// decay by its own multipliers (Caffe's lr_mult and decay_mult). Runs on the accelerator, one launch
/// over the whole flat parameter buffer (each thread finds its tensor through <see cref="TensorChunks"/>,
/// and its numbers in a table of a few hundred bytes uploaded per step), or on the CPU backend's cores in the kernels' operation order,
/// so both give the same bits.
/// </summary>
public sealed class ParameterUpdate : IDisposable
{
    private readonly Network network;
    private MemoryBuffer1D<float, Stride1D.Dense>? first, second;
    /// <summary>Parameters each thread updates: millions of one-line threads cost more to start than to run.</summary>
    private const int PerThread = 256;

    private readonly Action<Index1D, ArrayView<long>, int, ArrayView<TensorStep>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, ArrayView<GuardVerdict>> update;
    private readonly MemoryBuffer1D<TensorStep, Stride1D.Dense>? table;
    private readonly TensorChunks? chunks;
    private readonly TensorStep[] steps;
    /// <summary>The table on the device, as last copied there; null before the first update.</summary>
    private TensorStep[]? uploaded;
    /// <summary>The verdict of an update that no guard judged: nothing faulted.</summary>
    private readonly MemoryBuffer1D<GuardVerdict, Stride1D.Dense>? unjudged;

    /// <summary>Prepares <paramref name="optimizer"/> for every parameter of <paramref name="network"/>; its state starts at zero.</summary>
    public ParameterUpdate(Network network, Optimizer optimizer = Optimizer.Sgd, float momentum = 0.9f, float weightDecay = 0.0005f)
    {
        this.network = network ?? throw new ArgumentNullException(nameof(network));
        if (!Enum.IsDefined(optimizer))
            throw new ArgumentOutOfRangeException(nameof(optimizer), optimizer, "The optimizer is sgd, adam or adamw.");
        Kind = optimizer;
        Momentum = momentum;
        WeightDecay = weightDecay;
        var accelerator = network.Accelerator;
        update = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<long>, int, ArrayView<TensorStep>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, ArrayView<GuardVerdict>>(UpdateAll);
        var trainable = network.Info.Parameters.Where(p => p.Trainable).ToArray();
        steps = new TensorStep[trainable.Length];
        if (network.Backend == Backend.Ilgpu)
        {
            chunks = new TensorChunks(accelerator, trainable, PerThread);
            table = accelerator.Allocate1D<TensorStep>(Math.Max(1, steps.Length));
            unjudged = accelerator.Allocate1D([GuardVerdict.None]);
        }
    }

    /// <summary>The rule; fixed for the optimiser's life, since its state means something else under another.</summary>
    public Optimizer Kind { get; }

    /// <summary>SGD: how much of the last step carries into the next, 0.9 in the paper. Read at every update (a resumed run sets its checkpoint's).</summary>
    public float Momentum { get; set; }

    /// <summary>The weight decay: 0.0005 in the paper; L2 in the gradient for SGD and Adam, decoupled for AdamW. Read at every update.</summary>
    public float WeightDecay { get; set; }

    /// <summary>
    /// Whether the weight decay also shrinks one-dimensional tensors (biases, batch normalisation's
    /// parameters): on by default, as <c>torch.optim</c> decays every parameter it is given; a
    /// <see cref="TrainingRun"/> turns it off unless its options say otherwise (<see cref="TrainingOptions.DecayAll"/>).
    /// </summary>
    public bool DecayAll { get; set; } = true;

    /// <summary>SGD: Nesterov's momentum (<c>torch.optim.SGD(nesterov=True)</c>, in the velocity form of docs/training.md). Off by default.</summary>
    public bool Nesterov { get; set; }

    /// <summary>Adam: the first moment's decay, 0.9.</summary>
    public float Beta1 { get; set; } = 0.9f;

    /// <summary>Adam: the second moment's decay, 0.999.</summary>
    public float Beta2 { get; set; } = 0.999f;

    /// <summary>Adam: the term added to the bias-corrected root of the second moment, 1e-8.</summary>
    public float Epsilon { get; set; } = 1e-8f;

    /// <summary>Updates done: the t of Adam's bias correction for the last one (the next is <c>Steps + 1</c>).</summary>
    public long Steps { get; set; }

    /// <summary>How many buffers of one float per parameter the state of <paramref name="optimizer"/> takes: SGD's velocity, or Adam's two moments.</summary>
    public static int StateBuffers(Optimizer optimizer) => optimizer == Optimizer.Sgd ? 1 : 2;

    /// <summary>The settings of the next update, for a base <paramref name="learningRate"/>, counting it as done (<see cref="Steps"/> goes up by one).</summary>
    public UpdateRule Next(float learningRate) =>
        new(Kind, learningRate, WeightDecay, Momentum, Nesterov, Beta1, Beta2, Epsilon, ++Steps, DecayAll);

    /// <summary>Enqueues one update of every trainable parameter from <paramref name="gradients"/> (laid out as the parameters).</summary>
    public void Enqueue(ArrayView<float> gradients, float learningRate) => Enqueue(gradients, learningRate, default);

    /// <summary>
    /// Enqueues one update, which on an accelerator does nothing when <paramref name="verdict"/> (the
    /// gradient guard's, in device memory; none when empty) holds a fault, so a step after a fault
    /// the host has not read yet leaves the weights and the optimiser's moments as they were.
    /// </summary>
    internal void Enqueue(ArrayView<float> gradients, float learningRate, ArrayView<GuardVerdict> verdict)
    {
        var rule = Next(learningRate);
        var (m1, m2) = Buffers();
        int count = 0;
        foreach (var p in network.Info.Parameters)
        {
            if (!p.Trainable)
                continue;
            var tensor = rule.For(p);
            if (network.Backend == Backend.Cpu)
            {
                ArrayView<float> w = network.Parameters.View.SubView(p.Offset, p.Count), g = gradients.SubView(p.Offset, p.Count), a = m1.View.SubView(p.Offset, p.Count);
                Cpu.CpuOptimiser.Update(w, g, a, m2 is null ? default : m2.View.SubView(p.Offset, p.Count), tensor);
                continue;
            }
            steps[count++] = new TensorStep(tensor.LearningRate, tensor.WeightDecay, tensor.Momentum, Kind == Optimizer.Sgd ? default : tensor.Adam());
        }
        if (network.Backend == Backend.Cpu || count == 0)
            return;
        // The copy waits for every kernel enqueued before it (ILGPU's CopyFromCPU synchronises the
        // stream), in the middle of a step, so it is made only when a number changed: under a fixed
        // rate SGD's table stays the first step's.
        if (uploaded is null || !MemoryMarshal.AsBytes(steps.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(uploaded.AsSpan())))
        {
            table!.View.SubView(0, count).CopyFromCPU(steps);
            uploaded = (TensorStep[])steps.Clone();
        }
        int kind = Kind != Optimizer.Sgd ? AdamRule : rule.Nesterov ? NesterovRule : SgdRule;
        update(chunks!.Chunks, chunks.Layout, count, table!.View, network.Parameters.View, gradients, m1.View, m2 is null ? m1.View : m2.View, kind,
            verdict.Length > 0 ? verdict : unjudged!.View);
    }

    private const int SgdRule = 0, NesterovRule = 1, AdamRule = 2;

    /// <summary>Copies the optimiser's state to the host: zero until the first update or write.</summary>
    public OptimiserState ReadState()
    {
        long count = network.Info.ParameterCount;
        return new OptimiserState(Kind, Steps, first?.GetAsArray1D() ?? new float[count],
            Kind == Optimizer.Sgd ? null : second?.GetAsArray1D() ?? new float[count]);
    }

    /// <summary>Replaces the optimiser's state, as when resuming from a checkpoint; <paramref name="state"/> must be this optimiser's kind.</summary>
    public void WriteState(OptimiserState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.Check(Kind, network.Info);
        var (m1, m2) = Buffers();
        m1.View.CopyFromCPU(state.First);
        if (m2 is not null)
            m2.View.CopyFromCPU(state.Second!);
        Steps = state.Steps;
    }

    /// <summary>The momentum buffer (SGD's velocity, Adam's first moment), laid out as <see cref="Network.Parameters"/>.</summary>
    public float[] ReadVelocity() => ReadState().First;

    /// <summary>Replaces the momentum buffer (SGD's velocity) alone.</summary>
    public void WriteVelocity(float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != network.Info.ParameterCount)
            throw new ArgumentException($"{network.Info.Name} has {network.Info.ParameterCount} parameters, so its momentum holds as many values, not {values.Length}.", nameof(values));
        Buffers().First.View.CopyFromCPU(values);
    }

    /// <summary>The state's buffers, allocated (at zero) on first use: a split network's trainer keeps its state on the devices and never allocates these.</summary>
    private (MemoryBuffer1D<float, Stride1D.Dense> First, MemoryBuffer1D<float, Stride1D.Dense>? Second) Buffers()
    {
        if (first is null)
        {
            first = network.Accelerator.Allocate1D<float>(network.Info.ParameterCount);
            first.MemSetToZero();
            if (Kind != Optimizer.Sgd)
            {
                second = network.Accelerator.Allocate1D<float>(network.Info.ParameterCount);
                second.MemSetToZero();
            }
        }
        return (first, second);
    }

    /// <summary>
    /// Chunk <paramref name="index"/> of <see cref="PerThread"/> parameters of one trainable tensor
    /// (<see cref="TensorChunks"/>), updated with that tensor's numbers from the step's table by the
    /// rule: <see cref="Sgd"/>, <see cref="NesterovSgd"/> or <see cref="Adam"/>; nothing once the
    /// gradient guard's <paramref name="verdict"/> holds a fault.
    /// </summary>
    private static void UpdateAll(Index1D index, ArrayView<long> layout, int tensors, ArrayView<TensorStep> table, ArrayView<float> weight,
        ArrayView<float> gradient, ArrayView<float> first, ArrayView<float> second, int rule, ArrayView<GuardVerdict> verdict)
    {
        if (verdict[0].Faulted)
            return;
        var (tensor, start, end) = TensorChunks.Find(layout, tensors, index, PerThread);
        var t = table[tensor];
        for (long i = start; i < end; i++)
        {
            if (rule == AdamRule)
                Adam(weight, gradient, first, second, i, t.Adam);
            else if (rule == NesterovRule)
                NesterovSgd(weight, gradient, first, i, t.LearningRate, t.Decay, t.Momentum);
            else
                Sgd(weight, gradient, first, i, t.LearningRate, t.Decay, t.Momentum);
        }
    }

    /// <summary>SGD: <c>v = m v - decay lr w - lr g; w += v</c>.</summary>
    private static void Sgd(ArrayView<float> weight, ArrayView<float> gradient, ArrayView<float> v, long i, float learningRate, float decay, float momentum)
    {
        float step = momentum * v[i] - decay * learningRate * weight[i] - learningRate * gradient[i];
        v[i] = step;
        weight[i] += step;
    }

    /// <summary>SGD with Nesterov's momentum: <c>v = m v - decay lr w - lr g; w += m v - decay lr w - lr g</c> (w the weight before the step).</summary>
    private static void NesterovSgd(ArrayView<float> weight, ArrayView<float> gradient, ArrayView<float> v, long i, float learningRate, float decay, float momentum)
    {
        float w = weight[i], g = gradient[i];
        float velocity = momentum * v[i] - decay * learningRate * w - learningRate * g;
        v[i] = velocity;
        weight[i] = w + (momentum * velocity - decay * learningRate * w - learningRate * g);
    }

    /// <summary>Adam and AdamW, in the order of <see cref="AdamScalars"/>.</summary>
    private static void Adam(ArrayView<float> weight, ArrayView<float> gradient, ArrayView<float> m, ArrayView<float> v, long i, AdamScalars s)
    {
        float w = weight[i] * s.Shrink;
        float g = gradient[i] + s.Decay * w;
        float mi = s.Beta1 * m[i] + s.OneMinusBeta1 * g;
        float vi = s.Beta2 * v[i] + s.OneMinusBeta2 * g * g;
        m[i] = mi;
        v[i] = vi;
        weight[i] = w - s.StepSize * (mi / (XMath.Sqrt(vi) / s.Correction2 + s.Epsilon));
    }

    /// <summary>Frees the state's buffers.</summary>
    public void Dispose()
    {
        first?.Dispose();
        second?.Dispose();
        table?.Dispose();
        chunks?.Dispose();
        unjudged?.Dispose();
    }
}

/// <summary>One trainable tensor's numbers in a step, as the one launch reads them (public because ILGPU's generated launcher must see a kernel parameter's type).</summary>
/// <param name="LearningRate">SGD: its learning rate.</param>
/// <param name="Decay">SGD: its weight decay.</param>
/// <param name="Momentum">SGD: the momentum.</param>
/// <param name="Adam">Adam and AdamW: its numbers.</param>
public readonly record struct TensorStep(float LearningRate, float Decay, float Momentum, AdamScalars Adam);
