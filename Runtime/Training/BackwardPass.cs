using System;
using System.Collections.Generic;
using ILGPU;
using ILGPU.Runtime;

namespace NetGen;

/// <summary>
/// The backward pass of one batch size, beside the forward pass whose activations it reads: the
/// labels, each image's loss and label rank, and a gradient buffer per activation. The generated
/// <c>BackwardPass</c> of each network allocates its gradients here and enqueues its kernels.
/// </summary>
public abstract class BackwardPass : IDisposable
{
    private readonly BatchBuffers gradients;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> labels;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> ranks;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> losses;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? ownProbabilities;

    /// <summary>
    /// Binds the pass to <paramref name="forward"/>, whose <paramref name="logitsName"/> activation
    /// the loss reads, and whose <paramref name="probabilitiesName"/> activation (the softmax's
    /// output) it writes; without a softmax, the pass keeps the probabilities itself.
    /// </summary>
    protected BackwardPass(ForwardPass forward, string logitsName, string? probabilitiesName)
    {
        Forward = forward ?? throw new ArgumentNullException(nameof(forward));
        LogitsName = logitsName;
        var accelerator = forward.Network.Accelerator;
        gradients = new BatchBuffers(accelerator, forward.Network.Info.Name, forward.BatchSize, "gradient");
        labels = accelerator.Allocate1D<int>(forward.BatchSize);
        ranks = accelerator.Allocate1D<int>(forward.BatchSize);
        losses = accelerator.Allocate1D<float>(forward.BatchSize);
        if (probabilitiesName is null)
        {
            ownProbabilities = accelerator.Allocate1D<float>((long)forward.BatchSize * forward.ShapeOf(logitsName).Size);
            Probabilities = ownProbabilities.View;
        }
        else
        {
            Probabilities = forward.View(probabilitiesName);
        }
    }

    /// <summary>The forward pass whose activations the kernels read.</summary>
    public ForwardPass Forward { get; }

    /// <summary>Images per batch.</summary>
    public int BatchSize => Forward.BatchSize;

    /// <summary>The activation the loss treats as logits: the softmax's input, or the last activation.</summary>
    public string LogitsName { get; }

    /// <summary>The activations that have a gradient buffer, from the first layer's output to the logits.</summary>
    public IEnumerable<string> Gradients => gradients.Names;

    /// <summary>The softmax of the logits, written by the loss kernel.</summary>
    protected ArrayView<float> Probabilities { get; }

    /// <summary>Each image's class.</summary>
    protected ArrayView<int> Labels => labels.View;

    /// <summary>Each image's cross-entropy, written by the loss kernel.</summary>
    protected ArrayView<float> Losses => losses.View;

    /// <summary>How many classes score above each image's label, written by the loss kernel.</summary>
    protected ArrayView<int> Ranks => ranks.View;

    /// <summary>Each image's cross-entropy, for the trainer's kernels that read it where it is.</summary>
    internal ArrayView<float> LossesOnDevice => losses.View;

    /// <summary>Each image's label rank, for the trainer's kernels that read it where it is.</summary>
    internal ArrayView<int> RanksOnDevice => ranks.View;

    /// <summary>
    /// The share of each image's target spread evenly over the classes (label smoothing): the loss
    /// kernel aims at <c>1 - e + e / classes</c> for the label and <c>e / classes</c> elsewhere. 0, a
    /// one-hot target, unless training asks for it.
    /// </summary>
    public float LabelSmoothing
    {
        get;
        set => field = CheckSmoothing(value);
    }

    /// <summary>Returns <paramref name="smoothing"/> when it is in [0, 1); throws otherwise.</summary>
    internal static float CheckSmoothing(float smoothing) => smoothing is >= 0f and < 1f
        ? smoothing
        : throw new ArgumentOutOfRangeException(nameof(smoothing), $"Label smoothing {smoothing} must be at least 0 and below 1.");

    /// <summary>Copies the batch's classes to the accelerator, refusing any outside the network's outputs.</summary>
    public void SetLabels(int[] classes)
    {
        CheckLabels(classes, BatchSize, Forward.ShapeOf(LogitsName).Size, Forward.Network.Info.Name);
        labels.View.CopyFromCPU(classes);
    }

    /// <summary>Refuses labels that are not one class in [0, <paramref name="classes"/>) per image of the batch.</summary>
    internal static void CheckLabels(int[] labels, int batchSize, int classes, string network)
    {
        ArgumentNullException.ThrowIfNull(labels, "classes");
        if (labels.Length != batchSize)
            throw new ArgumentException($"The batch has {batchSize} images but {labels.Length} labels.", "classes");
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classes)
                throw new ArgumentOutOfRangeException("classes", $"Label {i} is {labels[i]}; {network} has classes 0 to {classes - 1}.");
    }

    /// <summary>Enqueues the fused softmax and cross-entropy kernel: probabilities, losses, ranks and the logits' gradient.</summary>
    public abstract void EnqueueLoss(DropoutKey dropout);

    /// <summary>
    /// Enqueues the backward kernels, from the logits' gradient down to the first layer, adding
    /// every parameter's gradient into <paramref name="parameterGradients"/> (laid out as
    /// <see cref="Network.Parameters"/>). <paramref name="dropout"/> must be the forward pass's key.
    /// </summary>
    public abstract void EnqueueBackward(ArrayView<float> parameterGradients, DropoutKey dropout);

    /// <summary>The probabilities the loss kernel computed, batch rows of the network's classes.</summary>
    public float[] ReadProbabilities() => BatchBuffers.ToHost(Probabilities);

    /// <summary>
    /// Called on the CPU backend as the backward pass finishes each group's parameter gradients, with
    /// the index (in <see cref="NetworkInfo.Parameters"/>) of the first tensor whose gradient is now
    /// complete: the pass runs from the last layer to the first, so every later tensor's is complete
    /// too. Data-parallel training starts summing a bucket of gradients over the processes from here,
    /// while the pass goes on. Not called on an accelerator, whose launches are asynchronous.
    /// </summary>
    public Action<int>? TensorGradientsDone { get; set; }

    /// <summary>Tells <see cref="TensorGradientsDone"/> that tensor <paramref name="firstTensor"/>'s gradient and every later one's are complete.</summary>
    protected void GradientsDoneFrom(int firstTensor) => TensorGradientsDone?.Invoke(firstTensor);

    /// <summary>Each image's cross-entropy.</summary>
    public float[] ReadLosses() => losses.GetAsArray1D();

    /// <summary>How many classes scored above each image's label: 0 is a top-1 hit, under 5 a top-5 hit.</summary>
    public int[] ReadRanks() => ranks.GetAsArray1D();

    /// <summary>
    /// The gradient of the mean loss with respect to the activation <paramref name="name"/>, taken
    /// before its group's epilogue (ReLU, dropout): the value the group computed before masking.
    /// </summary>
    public float[] ReadGradient(string name) => gradients.Read(name);

    /// <summary>Allocates the gradient of the activation <paramref name="name"/>.</summary>
    protected ArrayView<float> AllocateGradient(string name, Shape shape) => gradients.Allocate(name, shape);

    /// <summary>Allocates one reader's part of the gradient of an activation of <paramref name="shape"/> that several read, for the whole batch.</summary>
    protected ArrayView<float> AllocatePartialGradient(Shape shape) => gradients.AllocateUnnamed((long)BatchSize * shape.Size);

    /// <summary>Frees the gradients and the loss buffers.</summary>
    public void Dispose()
    {
        gradients.Dispose();
        labels.Dispose();
        ranks.Dispose();
        losses.Dispose();
        ownProbabilities?.Dispose();
        GC.SuppressFinalize(this);
    }
}
