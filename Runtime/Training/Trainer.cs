using System;
using System.Collections.Generic;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;

namespace NetGen;

/// <summary>
/// Trains a network on its accelerator: each step uploads a batch, runs the forward kernels with
/// dropout, the fused softmax and cross-entropy, the backward kernels and the optimiser, and
/// returns the loss and the top-1 and top-5 hits (<see cref="Train"/>), or leaves them on the
/// device to be summed and read later (<see cref="Enqueue"/>, <see cref="ReadTotals"/>). Gradients
/// and momentum are allocated once; activations and their gradients once per batch size, then
/// reused. Each network's generated <c>Trainer</c> derives from this one.
/// </summary>
public partial class Trainer : IDisposable
{
    private readonly Dictionary<int, (ForwardPass Forward, BackwardPass Backward)> passes = [];
    private readonly MemoryBuffer1D<float, Stride1D.Dense> gradients;
    private GradientGuard? guard;
    private float[]? hostGradients; // the summed gradients' way through host memory on an accelerator, allocated once
    private double lastNorm = double.NaN;

    /// <summary>Trains <paramref name="network"/> with the paper's SGD; <paramref name="seed"/> draws the dropout masks.</summary>
    public Trainer(Network network, ulong seed = 0, float momentum = 0.9f, float weightDecay = 0.0005f)
        : this(network, seed, Optimizer.Sgd, momentum, weightDecay)
    {
    }

    /// <summary>Trains <paramref name="network"/> with <paramref name="optimizer"/>; <paramref name="seed"/> draws the dropout masks.</summary>
    public Trainer(Network network, ulong seed, Optimizer optimizer, float momentum = 0.9f, float weightDecay = 0.0005f)
    {
        Network = network ?? throw new ArgumentNullException(nameof(network));
        Seed = seed;
        gradients = network.Accelerator.Allocate1D<float>(network.Info.ParameterCount);
        gradients.MemSetToZero();
        Optimiser = new ParameterUpdate(network, optimizer, momentum, weightDecay);
    }

    /// <summary>The network whose parameters the trainer updates.</summary>
    public Network Network { get; }

    /// <summary>The run's seed: dropout masks are a hash of (seed, step, operation, unit).</summary>
    public ulong Seed { get; set; }

    /// <summary>Training steps taken: the next step's dropout masks are drawn for this number.</summary>
    public long Step { get; set; }

    /// <summary>The optimiser, its settings and its state (SGD's velocity or Adam's moments, and its step count).</summary>
    public ParameterUpdate Optimiser { get; }

    /// <summary>The gradient of the last batch's mean loss for every parameter, laid out as <see cref="Network.Parameters"/>.</summary>
    public ArrayView<float> Gradients => gradients.View;

    /// <summary>
    /// Whether each training step's loss and gradients are checked for NaN and infinity before the
    /// update (on by default): a fault throws <see cref="NumericalFaultException"/>, naming the layer,
    /// and leaves the weights as they were before the step. On an accelerator the check runs on the
    /// device and the host reads its verdict later (<see cref="CheckEvery"/>).
    /// </summary>
    public bool CheckNumerics { get; set; } = true;

    /// <summary>
    /// Label smoothing for the steps that compute gradients (<see cref="BackwardPass.LabelSmoothing"/>);
    /// evaluation always scores against the one-hot label. 0 by default, as in the paper.
    /// </summary>
    public float LabelSmoothing
    {
        get;
        set => field = BackwardPass.CheckSmoothing(value);
    }

    /// <summary>When positive, gradients whose global L2 norm exceeds it are scaled down to it before the update.</summary>
    public float ClipNorm { get; set; }

    /// <summary>
    /// The global L2 norm of the last training step's gradients before clipping; NaN until a guarded
    /// step has run. On an accelerator, reading it waits for the steps enqueued and reads the norm from the device.
    /// </summary>
    public double LastGradientNorm
    {
        get
        {
            if (normOnDevice)
            {
                Network.Accelerator.Synchronize();
                lastNorm = guard!.ReadVerdict().Norm;
                normOnDevice = false;
            }
            return lastNorm;
        }
        private set => lastNorm = value;
    }

    /// <summary>The dropout key of the next training step.</summary>
    public DropoutKey TrainingKey => new(Seed, Step, 1, FirstImage);

    /// <summary>
    /// Where this trainer's batches start in each step's whole batch: a data-parallel process's
    /// share (<see cref="Distributed.DataParallel.FirstImage"/>), whose dropout masks are then the
    /// whole batch's for its images. 0 for a trainer that sees whole batches.
    /// </summary>
    public long FirstImage { get; set; }

    /// <summary>
    /// Sums each step's gradients over a data-parallel job's processes before they are checked and
    /// applied, so every process takes the same update; null (the default) for a single process.
    /// On the CPU backend each bucket's sum starts as soon as the backward pass has produced it.
    /// </summary>
    public Distributed.GradientBuckets? GradientSum { get; set; }

    /// <summary>
    /// One step of the optimiser on a batch: forward with dropout, loss, backward, update. Advances
    /// <see cref="Step"/>, and adds the result to the running totals (<see cref="ReadTotals"/>).
    /// <paramref name="images"/> is NCHW; <paramref name="labels"/> one class per image. It waits for
    /// the step and checks it, and every step enqueued before it (<see cref="Synchronize"/>).
    /// </summary>
    /// <exception cref="NumericalFaultException">This step, or one enqueued before it, met a NaN or an infinity.</exception>
    public StepResult Train(float[] images, int[] labels, float learningRate)
    {
        var result = Run(images, labels, TrainingKey, backward: true, learningRate);
        Step++;
        if (!DefersChecks)
            totals = totals.Add(result);
        return result;
    }

    /// <summary>The loss and hits of a batch in evaluation mode: no dropout, no gradients, no update.</summary>
    public StepResult Evaluate(float[] images, int[] labels) => Run(images, labels, DropoutKey.Evaluation, backward: false, null);

    /// <summary>
    /// Forward, loss and backward with no update, leaving the gradients in <see cref="Gradients"/>.
    /// With <paramref name="dropout"/> the masks are those of the next training step.
    /// </summary>
    public StepResult ComputeGradients(float[] images, int[] labels, bool dropout = true) =>
        Run(images, labels, dropout ? TrainingKey : DropoutKey.Evaluation, backward: true, null);

    /// <summary>The passes for batches of <paramref name="batchSize"/>, allocated on first use.</summary>
    public (ForwardPass Forward, BackwardPass Backward) PassesFor(int batchSize)
    {
        if (!passes.TryGetValue(batchSize, out var pair))
        {
            var forward = Network.CreateForwardPass(batchSize);
            pair = (forward, Network.CreateBackwardPass(forward));
            passes.Add(batchSize, pair);
        }
        return pair;
    }

    /// <summary>Copies every parameter's gradient to the host, laid out as <see cref="Network.Parameters"/>.</summary>
    public virtual float[] ReadGradients() => gradients.GetAsArray1D();

    /// <summary>The momentum of every parameter (SGD's velocity, Adam's first moment), laid out as <see cref="Network.Parameters"/>.</summary>
    public float[] ReadVelocity() => ReadOptimiserState().First;

    /// <summary>The optimiser's state: its moments, laid out as <see cref="Network.Parameters"/>, and its step count.</summary>
    public virtual OptimiserState ReadOptimiserState() => Optimiser.ReadState();

    /// <summary>Replaces the optimiser's state, which must be of its kind.</summary>
    public virtual void WriteOptimiserState(OptimiserState state) => Optimiser.WriteState(state);

    /// <summary>The logits of the last pass over a batch of <paramref name="batchSize"/> images, (N, classes).</summary>
    public virtual float[] ReadLogits(int batchSize)
    {
        var (forward, backward) = PassesFor(batchSize);
        return forward.Read(backward.LogitsName);
    }

    /// <summary>
    /// Writes the parameters, the optimiser's state and the run's state (<paramref name="epoch"/>, the step,
    /// <paramref name="learningRate"/>, the seed) to <paramref name="path"/>, atomically, once every step
    /// enqueued has been checked (<see cref="Synchronize"/>): a step that faulted throws, and nothing is written.
    /// </summary>
    /// <exception cref="NumericalFaultException">A step enqueued met a NaN or an infinity.</exception>
    public void Save(string path, int epoch, float learningRate, IReadOnlyDictionary<string, string>? metadata = null)
    {
        Synchronize();
        Checkpoint.Save(path, Network.Info, Network.ReadParameters(), new TrainingState(epoch, Step, learningRate, Seed), ReadOptimiserState(), metadata);
    }

    /// <summary>
    /// Restores the parameters, the optimiser's state (zero when the file has none), the step and the
    /// seed from <paramref name="path"/>, and returns the checkpoint.
    /// </summary>
    /// <exception cref="System.IO.InvalidDataException">The file holds the state of another optimiser than this trainer's.</exception>
    public Checkpoint Load(string path)
    {
        var checkpoint = Checkpoint.Load(path, Network.Info);
        Restore(checkpoint, path);
        return checkpoint;
    }

    /// <summary>
    /// Restores what <see cref="Load(string)"/> restores from a checkpoint already read from <paramref name="path"/>.
    /// Steps enqueued and not yet checked are forgotten, a fault among them included: the checkpoint replaces what they did.
    /// </summary>
    /// <exception cref="System.IO.InvalidDataException">The checkpoint holds the state of another optimiser than this trainer's.</exception>
    public void Restore(Checkpoint checkpoint, string path)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        // Another optimiser's moments are no start for this one, and zeros would quietly make a resumed
        // run another run: refuse, and say how to take the weights alone.
        if (checkpoint.Optimiser is { } saved && saved.Kind != Optimiser.Kind)
            throw new System.IO.InvalidDataException($"{path}: holds the state of {OptimiserState.Name(saved.Kind)} (after {saved.Steps:N0} update{(saved.Steps == 1 ? "" : "s")}), " +
                $"and this trainer runs {OptimiserState.Name(Optimiser.Kind)}; resume it with --optimizer {OptimiserState.Name(saved.Kind)}, " +
                "or start a new run from its weights alone (Checkpoint.Load(...).Parameters).");
        ForgetUnchecked();
        Network.WriteParameters(checkpoint.Parameters);
        WriteOptimiserState(checkpoint.Optimiser ?? OptimiserState.Zero(Optimiser.Kind, Network.Info));
        Step = checkpoint.State.Step;
        Seed = checkpoint.State.Seed;
    }

    /// <summary>
    /// One pass over a batch: forward and loss with the masks of <paramref name="key"/>; with
    /// <paramref name="backward"/> the gradients too; with a <paramref name="learningRate"/> the update,
    /// checked before it on the host (the CPU backend) or on the device, after which it waits for
    /// the step and checks it and every step enqueued before it.
    /// </summary>
    protected virtual StepResult Run(float[] images, int[] labels, DropoutKey key, bool backward, float? learningRate)
    {
        var (forward, pass) = EnqueuePasses(images, labels, key, backward);
        if (backward && learningRate is { } rate)
        {
            if (DefersChecks)
            {
                EnqueueUpdate(forward, pass, rate);
                return Check()[^1];
            }
            UpdateOnHost(forward, pass, rate);
        }
        Network.Accelerator.Synchronize();
        return StepResult.From(pass.ReadLosses(), pass.ReadRanks());
    }

    /// <summary>Uploads a batch and enqueues the forward pass and the loss, and with <paramref name="backward"/> the gradients.</summary>
    private (ForwardPass Forward, BackwardPass Backward) EnqueuePasses(float[] images, int[] labels, DropoutKey key, bool backward)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var (forward, pass) = PassesFor(labels.Length);
        forward.SetInput(images);
        pass.SetLabels(labels);
        pass.LabelSmoothing = backward ? LabelSmoothing : 0f;
        forward.EnqueueLogits(key);
        pass.EnqueueLoss(key);
        if (backward)
        {
            gradients.MemSetToZero();
            if (GradientSum is { } sum)
                EnqueueBackwardSummed(pass, key, sum);
            else
                pass.EnqueueBackward(gradients.View, key);
        }
        return (forward, pass);
    }

    /// <summary>The CPU backend's update: the guard reads the loss and the gradients in host memory at once, then the optimiser runs.</summary>
    /// <summary>
    /// The backward pass with its gradients summed over the processes: on the CPU backend, whose
    /// buffers are host memory, bucket by bucket as the pass produces them; on an accelerator once
    /// the pass is done, through a copy in host memory.
    /// </summary>
    private void EnqueueBackwardSummed(BackwardPass pass, DropoutKey key, Distributed.GradientBuckets sum)
    {
        if (Network.Backend == Backend.Cpu)
        {
            sum.Begin(gradients.View);
            pass.TensorGradientsDone = sum.DoneFrom;
            try
            {
                pass.EnqueueBackward(gradients.View, key);
            }
            finally
            {
                pass.TensorGradientsDone = null;
                sum.Finish();
            }
            return;
        }
        pass.EnqueueBackward(gradients.View, key);
        hostGradients ??= new float[gradients.Length];
        gradients.View.CopyToCPU(hostGradients); // waits for the pass
        sum.Begin(hostGradients);
        sum.Finish();
        gradients.View.CopyFromCPU(hostGradients);
    }

    private void UpdateOnHost(ForwardPass forward, BackwardPass pass, float rate)
    {
        if (CheckNumerics || ClipNorm > 0)
        {
            Network.Accelerator.Synchronize();
            float scale = Guard(pass.ReadLosses(), () => FirstNonFinite(forward), () => GradientGuard.SumsOfSquaresOnHost(Network.Info, gradients.View), ReadGradients);
            if (scale != 1f)
                GradientGuard.ScaleOnHost(gradients.View, scale);
        }
        Optimiser.Enqueue(gradients.View, rate);
    }

    /// <summary>
    /// Checks a step before its update: the loss (naming the first activation that is not finite,
    /// when <paramref name="firstNonFinite"/> can see them), then each parameter tensor's gradient;
    /// returns the factor that clips the gradients to <see cref="ClipNorm"/> (1 when they need none).
    /// </summary>
    /// <exception cref="NumericalFaultException">The loss or a gradient is NaN or infinite.</exception>
    private protected float Guard(float[] losses, Func<string?>? firstNonFinite, Func<double[]> sumsOfSquares, Func<float[]> readGradients)
    {
        ArgumentNullException.ThrowIfNull(losses);
        float badLoss = CheckNumerics ? Array.Find(losses, l => !float.IsFinite(l)) : 0f;
        if (float.IsFinite(badLoss) is false && firstNonFinite is not null)
            throw ActivationFault(Step + 1, badLoss, firstNonFinite());
        var sums = sumsOfSquares();
        if (CheckNumerics)
            GradientGuard.Check(Network.Info, sums, Step + 1, readGradients);
        if (!float.IsFinite(badLoss))
            throw new NumericalFaultException(Step + 1, "loss", LossFault(Step + 1, badLoss, "every gradient is finite"));
        LastGradientNorm = Math.Sqrt(sums.Sum());
        return ClipNorm > 0 && LastGradientNorm > ClipNorm ? (float)(ClipNorm / LastGradientNorm) : 1f;
    }

    /// <summary>The fault of a step whose loss is <paramref name="loss"/>, named by its first activation that is not finite, <paramref name="activation"/>.</summary>
    private static NumericalFaultException ActivationFault(long step, float loss, string? activation) =>
        new(step, activation ?? "loss", LossFault(step, loss, activation is not null
            ? $"the activation {activation} is the first that is not finite"
            : "every activation is finite, so the cross-entropy itself overflowed (a probability of 0 for the true class)"));

    /// <summary>The message of a fault found in the loss of <paramref name="step"/>, with <paramref name="where"/> it comes from.</summary>
    private static string LossFault(long step, float loss, string where) => $"step {step:N0}: the loss is {loss}; {where}. The step was not applied.";

    /// <summary>The first activation of <paramref name="forward"/> holding a NaN or an infinity, or null.</summary>
    private static string? FirstNonFinite(ForwardPass forward) =>
        forward.Activations.FirstOrDefault(name => Array.Exists(forward.Read(name), v => !float.IsFinite(v)));

    /// <summary>Frees the gradients, the momentum and every pass.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees what the trainer allocated.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (!disposing)
            return;
        foreach (var (forward, backward) in passes.Values)
        {
            backward.Dispose();
            forward.Dispose();
        }
        passes.Clear();
        gradients.Dispose();
        guard?.Dispose();
        records?.Dispose();
        Optimiser.Dispose();
    }
}
